"""Each optimizer, declared once: its hyperparameters and its documentation.

A :class:`Declaration` names the C++ kernel (``csrc/include/fusedopt/
optimizers/``, which declares the state buffers: their names, when a
configuration uses them, their initial values; and the per-parameter scalar
states, such as NAdam's ``mu_product``: their names, initial values and update)
and lists the
hyperparameters in torch.optim's signature order, with defaults and checks.
Everything else is derived from it:

- ``fusedopt.<Name>`` (NumPy, :mod:`fusedopt.optim`), ``fusedopt.reference.<Name>``
  and ``fusedopt.torch.<Name>``: constructor signatures, ``defaults``, checks,
  docstrings, state names, ``state_dict`` handling;
- the C++ core reads each group's hyperparameters by these names;
- the tests' parametrisation (``DECLARATIONS``).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import _core
from . import _validation as V
from .regularizers import check_regularizer, core_fields

Check = Callable[[Any, str], None]


def _unsupported(what: str) -> Check:
    def check(value: Any, name: str) -> None:
        if value:
            raise ValueError(f"{name}=True {what}")

    return check


def _optional_flag(value: Any, name: str) -> None:
    if value not in (None, True, False):
        raise ValueError(f"{name} must be None or a bool, got {value!r}")


def _closed_unit(value: Any, name: str) -> None:
    V.unit_interval(value, name, closed=True)


def _etas(value: Any, name: str) -> None:
    minus, plus = V.pair(value, name, "(etaminus, etaplus)")
    if not 0.0 < minus < 1.0 < plus < math.inf:
        raise ValueError(f"{name} must satisfy 0 < etaminus < 1 < etaplus < inf, got {value!r}")


def _step_sizes(value: Any, name: str) -> None:
    low, high = V.pair(value, name, "(min, max)")
    if not (0.0 <= low <= high and low < math.inf):  # torch checks nothing; max may be inf
        raise ValueError(f"{name} must satisfy 0 <= min <= max, min finite, got {value!r}")


@dataclass(frozen=True)
class Hyper:
    """One constructor argument: name, default, check, documentation.

    ``torch_only`` arguments (``foreach``, ``fused``, ...) exist for torch's
    signature only: they are checked and kept in ``defaults`` there, and the
    kernel never reads them. ``keyword_only`` follows torch's signature.
    """

    name: str
    default: Any
    check: Check
    doc: str = ""
    annotation: str = "float"
    keyword_only: bool = False
    torch_only: bool = False

    def kw(self) -> Hyper:
        """The same argument, keyword-only."""
        return replace(self, keyword_only=True)


FOREACH = Hyper("foreach", None, _optional_flag, annotation="bool | None", torch_only=True)
FUSED = Hyper("fused", None, _optional_flag, annotation="bool | None", torch_only=True)
CAPTURABLE = Hyper(
    "capturable",
    False,
    _unsupported("is for CUDA graphs; fusedopt.torch runs on the CPU"),
    annotation="bool",
    torch_only=True,
)
DIFFERENTIABLE = Hyper(
    "differentiable",
    False,
    _unsupported("is not supported by fusedopt.torch"),
    annotation="bool",
    torch_only=True,
)
#: The NumPy front end's last argument, in every optimizer.
REGULARIZER = Hyper(
    "regularizer",
    None,
    check_regularizer,
    "A penalty fused into the step (:class:`fusedopt.L1`, ``L2``, ``ElasticNet``).",
    "Regularizer | None",
    keyword_only=True,
)
MAXIMIZE = Hyper("maximize", False, V.flag, "Maximize the objective instead.", "bool")
#: Both front ends' last argument, in every optimizer (fusedopt's, not torch's).
STATE_DTYPE = Hyper(
    "state_dtype",
    None,
    V.check_state_dtype,
    "Storage type of the optimizer's state buffers: None (each parameter's own "
    "dtype, as torch.optim), 'float32', 'bfloat16' or 'float16'; the math is "
    "float32 either way. Fixed per group once its parameters are added.",
    "str | None",
    keyword_only=True,
)
#: fusedopt's own arguments, last in every optimizer of both front ends (not torch's).
STORAGE_OPTIONS: tuple[Hyper, ...] = (STATE_DTYPE,)


def lr(default: float) -> Hyper:
    return Hyper("lr", default, V.nonneg, "Learning rate.")


def weight_decay(
    default: float = 0.0, doc: str = "L2 penalty coefficient added to the gradient."
) -> Hyper:
    return Hyper("weight_decay", default, V.nonneg, doc)


@dataclass(frozen=True)
class Declaration:
    """An optimizer: the kernel it runs on and its hyperparameters.

    ``fixed`` entries are in every group and not constructor arguments; loading
    a checkpoint keeps them (AdamW's ``decoupled_weight_decay=True``, as
    torch's ``AdamW.__setstate__``). ``checks`` see a whole group (rules that
    join two hyperparameters).
    """

    name: str
    kernel: str
    summary: str
    rule: str
    hypers: tuple[Hyper, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Callable[[Mapping[str, Any]], None], ...] = ()
    state_doc: Mapping[str, str] = field(default_factory=dict)
    example: str = ""
    in_torch: bool = True  # torch.optim has it (and is the reference's reference)

    # ---- from the C++ declaration
    @functools.cached_property
    def _core_info(self) -> Mapping[str, Any]:
        return _core.optimizers()[self.kernel]

    @property
    def state_names(self) -> tuple[str, ...]:
        """The state buffers (torch's names), in the kernel's order."""
        return tuple(self._core_info["states"])

    @property
    def scalar_names(self) -> tuple[str, ...]:
        """The per-parameter scalar states besides ``step`` (torch's 0-d tensors,
        float32 when made), in the kernel's order."""
        return tuple(self._core_info["scalars"])

    @property
    def has_step(self) -> bool:
        """The state carries torch's per-parameter ``step`` count."""
        return bool(self._core_info["has_step"])

    @property
    def state_at_construction(self) -> bool:
        """torch creates the state in ``__init__`` (Adagrad), not at the first step."""
        return bool(self._core_info["state_at_construction"])

    # ---- derived
    def arguments(self, *, torch: bool) -> tuple[Hyper, ...]:
        """The constructor's hyperparameters for one front end (NumPy's end
        with ``regularizer``)."""
        if torch:
            return (*self.hypers, *STORAGE_OPTIONS)
        return (*(h for h in self.hypers if not h.torch_only), REGULARIZER, *STORAGE_OPTIONS)

    def defaults(self, *, torch: bool) -> dict[str, Any]:
        """The constructor's defaults, plus the fixed entries."""
        return {h.name: h.default for h in self.arguments(torch=torch)} | dict(self.fixed)

    def check(self, group: Mapping[str, Any]) -> None:
        """Raise naming the first invalid hyperparameter of a group."""
        for h in (*self.hypers, REGULARIZER, *STORAGE_OPTIONS):
            if h.name in group:
                h.check(group[h.name], h.name)
        for check in self.checks:
            check(group)

    def signature(self, *, torch: bool) -> inspect.Signature:
        """``(self, params, <hyperparameters>)``, as torch.optim's (NumPy:
        without torch's compatibility flags, with ``regularizer``)."""
        P = inspect.Parameter
        params = [P("self", P.POSITIONAL_OR_KEYWORD), P("params", P.POSITIONAL_OR_KEYWORD)]
        for h in self.arguments(torch=torch):
            kind = P.KEYWORD_ONLY if h.keyword_only else P.POSITIONAL_OR_KEYWORD
            params.append(P(h.name, kind, default=h.default, annotation=h.annotation))
        return inspect.Signature(params, return_annotation="None")

    def docstring(self, *, torch: bool, params_doc: str, step_doc: str) -> str:
        """numpy-style: summary, update rule, how to step, parameters, state."""
        lines = [self.summary, ""]
        if self.in_torch:
            lines += [f"Same names, defaults and update as ``torch.optim.{self.name}``.", ""]
        lines += [
            ".. code-block:: text",
            "",
            *("    " + r for r in self.rule.strip("\n").splitlines()),
        ]
        lines += ["", step_doc, "", "Parameters", "----------", params_doc]
        for h in self.arguments(torch=torch):
            lines.append(f"{h.name} : {h.annotation}, default {h.default!r}")
            if h.doc:
                lines.append(f"    {h.doc}")
        states = ", ".join(
            f"``{name}``" + (f" ({self.state_doc[name]})" if name in self.state_doc else "")
            for name in (("step",) if self.has_step else ()) + self.scalar_names + self.state_names
        )
        lines += ["", "Notes", "-----", f"State per parameter (torch's names): {states}."]
        if self.fixed:
            fixed = ", ".join(f"``{k}={v!r}``" for k, v in self.fixed.items())
            lines.append(f"Every group has {fixed}, also after loading a checkpoint.")
        if self.example and not torch:
            lines += ["", "Examples", "--------", self.example.strip("\n")]
        return "\n".join(lines) + "\n"


def core_hypers(group: Mapping[str, Any]) -> Mapping[str, Any]:
    """A copy of a group as the C++ core reads it, by name: its
    hyperparameters and its regularizer's fields. A copy: the step runs with
    the values that were checked, whatever code converting a gradient does."""
    return {**group, **core_fields(group.get("regularizer"))}


# ------------------------------------------------------------------ the optimizers
def _nesterov_needs_momentum(group: Mapping[str, Any]) -> None:
    if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")


SGD = Declaration(
    name="SGD",
    kernel="sgd",
    summary="Stochastic gradient descent with momentum, fused.",
    rule="""
g ← −g                         if maximize
g ← g + weight_decay·θ
b ← g                          on the buffer's first step
b ← momentum·b + (1 − dampening)·g   afterwards      (if momentum ≠ 0)
d ← g + momentum·b if nesterov else b                (if momentum ≠ 0)
θ ← θ − lr·d                   (d = g without momentum)
""",
    hypers=(
        lr(1e-3),
        Hyper("momentum", 0.0, V.nonneg, "Momentum factor."),
        Hyper("dampening", 0.0, V.finite, "Dampening of the momentum's gradient term."),
        weight_decay(),
        Hyper("nesterov", False, V.flag, "Needs momentum > 0 and dampening = 0.", "bool"),
        MAXIMIZE.kw(),
        FOREACH.kw(),
        DIFFERENTIABLE.kw(),
        FUSED.kw(),
    ),
    checks=(_nesterov_needs_momentum,),
    state_doc={"momentum_buffer": "momentum ≠ 0"},
    example="""
>>> import numpy as np, fusedopt as fo
>>> w = np.ones(3, np.float32)
>>> opt = fo.SGD([w], lr=0.1, momentum=0.9)
>>> opt.step([np.ones(3, np.float32)])
>>> w
array([0.9, 0.9, 0.9], dtype=float32)
""",
)

RMSPROP = Declaration(
    name="RMSprop",
    kernel="rmsprop",
    summary="RMSprop, fused (eps outside the square root, as torch).",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ
v ← α·v + (1 − α)·g²
ḡ ← α·ḡ + (1 − α)·g             if centered
den ← √(v − ḡ²) + eps if centered else √v + eps
b ← momentum·b + g/den;  θ ← θ − lr·b      if momentum > 0
θ ← θ − lr·g/den                           otherwise
""",
    hypers=(
        lr(1e-2),
        Hyper("alpha", 0.99, _closed_unit, "Smoothing constant α, in [0, 1]."),
        Hyper("eps", 1e-8, V.nonneg, "Added to the denominator."),
        weight_decay(),
        Hyper("momentum", 0.0, V.nonneg, "Momentum factor."),
        Hyper("centered", False, V.flag, "Normalise by the gradient's variance estimate.", "bool"),
        CAPTURABLE,
        FOREACH,
        MAXIMIZE,
        DIFFERENTIABLE,
    ),
    state_doc={"momentum_buffer": "momentum > 0", "grad_avg": "centered"},
)

_ADAM_RULE = """
g ← −g                          if maximize
g ← g + weight_decay·θ          (θ ← θ·(1 − lr·weight_decay) if decoupled)
m ← β1·m + (1 − β1)·g
v ← β2·v + (1 − β2)·g²
v̂ ← max(v̂, v) if amsgrad else v
θ ← θ − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)

t counts the steps that had a gradient; the bias corrections are computed
in double precision.
"""
_ADAM_HYPERS = {
    h.name: h
    for h in (
        lr(1e-3),
        Hyper("betas", (0.9, 0.999), V.betas, "Each in [0, 1).", "tuple[float, float]"),
        Hyper("eps", 1e-8, V.nonneg, "Added to the denominator."),
        weight_decay(),
        Hyper("amsgrad", False, V.flag, "Use the running maximum of v (AMSGrad).", "bool"),
    )
}

ADAM = Declaration(
    name="Adam",
    kernel="adam",
    summary="Adam (Kingma & Ba), fused; weight decay is an L2 term in the gradient.",
    rule=_ADAM_RULE,
    hypers=(
        *_ADAM_HYPERS.values(),
        FOREACH.kw(),
        MAXIMIZE.kw(),
        CAPTURABLE.kw(),
        DIFFERENTIABLE.kw(),
        FUSED.kw(),
        Hyper(
            "decoupled_weight_decay",
            False,
            V.flag,
            "True makes this AdamW (as in torch); kept per parameter group.",
            "bool",
            keyword_only=True,
        ),
    ),
    state_doc={"max_exp_avg_sq": "amsgrad"},
)

ADAMW = Declaration(
    name="AdamW",
    kernel="adam",
    summary="AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, fused.",
    rule=_ADAM_RULE.replace(
        "g ← g + weight_decay·θ          (θ ← θ·(1 − lr·weight_decay) if decoupled)",
        "θ ← θ·(1 − lr·weight_decay)",
    ),
    hypers=(
        _ADAM_HYPERS["lr"],
        _ADAM_HYPERS["betas"],
        _ADAM_HYPERS["eps"],
        weight_decay(1e-2, "Decoupled decay: θ shrinks by lr·weight_decay before the update."),
        _ADAM_HYPERS["amsgrad"],
        MAXIMIZE.kw(),
        FOREACH.kw(),
        CAPTURABLE.kw(),
        DIFFERENTIABLE.kw(),
        FUSED.kw(),
    ),
    fixed={"decoupled_weight_decay": True},
    state_doc={"max_exp_avg_sq": "amsgrad"},
    example="""
>>> import numpy as np, fusedopt as fo
>>> W = np.zeros((784, 10), np.float32); b = np.zeros(10, np.float32)
>>> opt = fo.AdamW([W, b], lr=1e-3, weight_decay=1e-2)
>>> opt.step([np.ones_like(W), np.ones_like(b)])
>>> float(W[0, 0])
-0.0010000000474974513
""",
)

ADAGRAD = Declaration(
    name="Adagrad",
    kernel="adagrad",
    summary="Adagrad (Duchi, Hazan & Singer 2011), fused.",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ
clr ← lr / (1 + (t − 1)·lr_decay)
s ← s + g²                      (s starts at initial_accumulator_value)
θ ← θ − clr · g / (√s + eps)

t counts the steps that had a gradient. As in torch, the state (``step`` and
``sum``) exists from construction on.
""",
    hypers=(
        lr(1e-2),
        Hyper("lr_decay", 0.0, V.nonneg, "Learning-rate decay per step."),
        weight_decay(),
        Hyper("initial_accumulator_value", 0.0, V.nonneg, "The sum of squares' initial value."),
        Hyper("eps", 1e-10, V.nonneg, "Added to the denominator."),
        FOREACH,
        MAXIMIZE.kw(),
        DIFFERENTIABLE.kw(),
        FUSED.kw(),
    ),
)

ADAMAX = Declaration(
    name="Adamax",
    kernel="adamax",
    summary="Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, fused.",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ
m ← β1·m + (1 − β1)·g
u ← max(β2·u, |g| + eps)        (a NaN on either side stays NaN, as torch.maximum)
θ ← θ − lr/(1 − β1ᵗ) · m / u

t counts the steps that had a gradient; the bias correction is computed in
double precision.
""",
    hypers=(
        lr(2e-3),
        _ADAM_HYPERS["betas"],
        Hyper("eps", 1e-8, V.nonneg, "Added to |g| in the infinity norm."),
        weight_decay(),
        FOREACH,
        MAXIMIZE.kw(),
        DIFFERENTIABLE.kw(),
        CAPTURABLE.kw(),
    ),
)

ADADELTA = Declaration(
    name="Adadelta",
    kernel="adadelta",
    summary='Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method"), fused.',
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ
v ← ρ·v + (1 − ρ)·g²
Δ ← √(u + eps) / √(v + eps) · g     (u from the previous step)
u ← ρ·u + (1 − ρ)·Δ²
θ ← θ − lr·Δ

As torch, lr scales Δ after it is computed (the paper has no lr: lr = 1, the
default, is the paper's rule).
""",
    hypers=(
        Hyper("lr", 1.0, V.nonneg, "Scales Δ before it is applied to θ."),
        Hyper("rho", 0.9, _closed_unit, "Decay ρ of both running averages, in [0, 1]."),
        Hyper("eps", 1e-6, V.nonneg, "Added inside both square roots."),
        weight_decay(),
        FOREACH,
        CAPTURABLE.kw(),
        MAXIMIZE.kw(),
        DIFFERENTIABLE.kw(),
    ),
)


def _no_proximal_step(group: Mapping[str, Any]) -> None:
    reg = group.get("regularizer")
    if reg is not None and reg.proximal:
        raise ValueError(
            f"regularizer={reg!r}: Rprop has no proximal mode. Its step ignores the "
            "gradient's magnitude, so no soft-threshold solves the L1 problem (with "
            "τ = step_size·l1, 0 would be a fixed point iff l1 >= 1, whatever the "
            "gradient); use proximal=False, whose subgradient joins g before its sign"
        )


RPROP = Declaration(
    name="Rprop",
    kernel="rprop",
    summary="Rprop (Riedmiller & Braun 1993), resilient backpropagation, fused.",
    rule="""
g ← −g                          if maximize
η ← min(η·etaplus, step_size_max)     where g·prev > 0
η ← max(η·etaminus, step_size_min)    where g·prev < 0, and there g ← 0
η unchanged                           where g·prev = 0
θ ← θ − η·sign(g)
prev ← g                        (the gradient after the zeroing)

Per element; η (``step_size``) starts at lr, read when a parameter's state is
made (at its first step): changing lr later changes nothing, as in torch.
sign(NaN) = 0, as torch.sign on the CPU: a NaN gradient keeps η, does not move
θ, and is kept in prev, where the next product is NaN, i.e. no sign again.

Regularizer: torch's Rprop has no weight_decay. fusedopt's ``regularizer``
(NumPy front end) adds ∇R to g before the sign is taken, so Rprop minimises
loss + R: the L2 part and the L1 subgradient l1·sign(θ) are meaningful there
(where the L1 term holds a coordinate at 0, g's sign keeps flipping and η
shrinks by etaminus at each flip). Proximal mode is refused: the step discards the
gradient's magnitude, so no soft-threshold of the step solves the L1 problem.
""",
    hypers=(
        Hyper("lr", 1e-2, V.nonneg, "Every element's initial step size."),
        Hyper(
            "etas",
            (0.5, 1.2),
            _etas,
            "(etaminus, etaplus): step-size factors, 0 < etaminus < 1 < etaplus.",
            "tuple[float, float]",
        ),
        Hyper(
            "step_sizes",
            (1e-6, 50),
            _step_sizes,
            "(min, max) the step sizes are clamped to.",
            "tuple[float, float]",
        ),
        CAPTURABLE.kw(),
        FOREACH.kw(),
        MAXIMIZE.kw(),
        DIFFERENTIABLE.kw(),
    ),
    checks=(_no_proximal_step,),
    state_doc={"prev": "the last gradient, 0 where its sign flipped", "step_size": "η"},
)

LION = Declaration(
    name="Lion",
    kernel="lion",
    summary=('Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), fused.'),
    rule="""
g ← −g                          if maximize
c ← β1·m + (1 − β1)·g
θ ← θ·(1 − lr·weight_decay) − lr·sign(c)
m ← β2·m + (1 − β2)·g

The formula of the lion-pytorch package (torch.optim has no Lion); sign(0) = 0.
""",
    hypers=(
        lr(1e-4),
        Hyper("betas", (0.9, 0.99), V.betas, "Each in [0, 1).", "tuple[float, float]"),
        weight_decay(0.0, "Decoupled decay: θ shrinks by lr·weight_decay before the update."),
        MAXIMIZE.kw(),
    ),
    in_torch=False,
)

NADAM = Declaration(
    name="NAdam",
    kernel="nadam",
    summary="NAdam (Dozat 2016): Adam with Nesterov momentum, fused; NAdamW if decoupled.",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ          (θ ← θ·(1 − lr·weight_decay) if decoupled)
μₜ ← β1·(1 − ½·0.96^(t·momentum_decay))
π ← π·μₜ                        (mu_product, starts at 1)
m ← β1·m + (1 − β1)·g
v ← β2·v + (1 − β2)·g²
den ← √(v / (1 − β2ᵗ)) + eps
θ ← θ − lr·(1 − μₜ)/(1 − π) · g/den − lr·μₜ₊₁/(1 − π·μₜ₊₁) · m/den

t counts the steps that had a gradient. μₜ, μₜ₊₁ and the step sizes are
computed in double precision; π is a 0-d float32 value per parameter, and
π·μₜ is rounded in float32 (μₜ too) as torch's in-place update of its 0-d
tensor rounds (float64 once a checkpoint loaded into float64 parameters made
it float64, as torch's load_state_dict does).
""",
    hypers=(
        lr(2e-3),
        _ADAM_HYPERS["betas"],
        _ADAM_HYPERS["eps"],
        weight_decay(),
        Hyper("momentum_decay", 4e-3, V.nonneg, "How fast μₜ warms up to β1."),
        Hyper(
            "decoupled_weight_decay",
            False,
            V.flag,
            "Decay θ by lr·weight_decay instead of adding it to g (NAdamW).",
            "bool",
        ),
        FOREACH.kw(),
        MAXIMIZE.kw(),
        CAPTURABLE.kw(),
        DIFFERENTIABLE.kw(),
    ),
    state_doc={"mu_product": "the product of the μₜ so far, a 0-d array"},
)

RADAM = Declaration(
    name="RAdam",
    kernel="radam",
    summary="RAdam (Liu et al. 2020): Adam with a rectified adaptive step, fused.",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ          (θ ← θ·(1 − lr·weight_decay) if decoupled)
m ← β1·m + (1 − β1)·g
v ← β2·v + (1 − β2)·g²
ρ∞ ← 2/(1 − β2) − 1;  ρₜ ← ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ)
if ρₜ > 5:
    r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
    θ ← θ − lr·r·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + eps)
else:
    θ ← θ − lr/(1 − β1ᵗ) · m

t counts the steps that had a gradient; ρₜ, r and the bias corrections are
computed in double precision (with β2 = 0.999 the switch comes at t = 6).
""",
    hypers=(
        lr(1e-3),
        _ADAM_HYPERS["betas"],
        _ADAM_HYPERS["eps"],
        weight_decay(),
        Hyper(
            "decoupled_weight_decay",
            False,
            V.flag,
            "Decay θ by lr·weight_decay instead of adding it to g (as AdamW).",
            "bool",
        ),
        FOREACH.kw(),
        MAXIMIZE.kw(),
        CAPTURABLE.kw(),
        DIFFERENTIABLE.kw(),
    ),
)

ASGD = Declaration(
    name="ASGD",
    kernel="asgd",
    summary="Averaged SGD (Polyak & Juditsky 1992), fused.",
    rule="""
g ← −g                          if maximize
g ← g + weight_decay·θ
θ ← θ·(1 − lambd·η) − η·g
a ← θ                           if μ = 1 (every step up to t0 + 1)
a ← a + μ·(θ − a)               otherwise
η ← lr / (1 + lambd·lr·t)^alpha;  μ ← 1 / max(1, t − t0)   (for the next step)

t counts the steps that had a gradient. η starts at lr (the group's at the
first step) and μ at 1; both are 0-d values per parameter, float32 as torch
computes them (in double, then rounded to float32).
""",
    hypers=(
        lr(1e-2),
        Hyper("lambd", 1e-4, V.nonneg, "Decay term of η."),
        Hyper("alpha", 0.75, V.finite, "Power of η's decay."),
        Hyper("t0", 1e6, V.finite, "Step after which the iterates are averaged."),
        weight_decay(),
        FOREACH,
        MAXIMIZE,
        DIFFERENTIABLE,
        CAPTURABLE,
    ),
    state_doc={
        "eta": "the step size, a 0-d array",
        "mu": "the averaging weight, a 0-d array",
        "ax": "the average of the iterates",
    },
)

#: Every optimizer, in the order the docs list them.
DECLARATIONS: tuple[Declaration, ...] = (
    SGD,
    RMSPROP,
    ADAM,
    ADAMW,
    ADAGRAD,
    LION,
    ADAMAX,
    ADADELTA,
    RPROP,
    NADAM,
    RADAM,
    ASGD,
)
