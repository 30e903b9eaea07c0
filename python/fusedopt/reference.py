"""Plain NumPy implementations of fusedopt's optimizers: the test oracle.

Same classes, constructor signatures, ``param_groups`` and ``state_dict`` as
the fused ones; the update is written one formula step per line, following
torch.optim (see the conventions in the package docs). Slow on purpose: every
step is several NumPy passes per tensor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _declarations as D
from . import _validation as V
from ._algorithms import numpy_optimizer
from ._optimizer import Optimizer
from .regularizers import Regularizer

__all__ = [
    "ASGD",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
    "regularizer_grad",
    "regularizer_value",
]


# ------------------------------------------------------------ regularizers
def regularizer_value(reg: Regularizer, w: np.ndarray | list[np.ndarray]) -> float:
    """R(w) = l1·Σ|w| + l2·Σw², summed in float64 over one array or a list."""
    arrays = [w] if isinstance(w, np.ndarray) else list(w)
    total = 0.0
    for a in arrays:
        total += reg.l1 * np.sum(np.abs(a, dtype=np.float64))
        total += reg.l2 * np.sum(np.square(a, dtype=np.float64))
    return float(total)


def regularizer_grad(reg: Regularizer, w: np.ndarray) -> np.ndarray:
    """∇R(w) = l1·sign(w) + 2·l2·w, in w's dtype."""
    return reg.l1 * np.sign(w) + 2 * reg.l2 * w


def _penalty(p: np.ndarray, group: Mapping[str, Any]) -> np.ndarray | float:
    """The regularizer's part of the gradient the optimizer sees.

    In proximal mode the L1 part is left out here and applied by ``_prox``.
    """
    reg = group["regularizer"]
    if reg is None:
        return 0.0
    if reg.proximal:
        return 2 * reg.l2 * p
    return regularizer_grad(reg, p)


def _prox(p: np.ndarray, step: Any, group: Mapping[str, Any]) -> None:
    """Soft-threshold p in place by step·l1 (proximal mode only); ``step`` is
    a number or array, or (numerator, denominator) of one."""
    reg = group["regularizer"]
    if reg is not None and reg.proximal and reg.l1 != 0:
        tau = (step[0] * reg.l1) / step[1] if isinstance(step, tuple) else step * reg.l1
        p[...] = np.sign(p) * np.maximum(np.abs(p) - tau, 0)


class ReferenceOptimizer(Optimizer):
    """State in Python dicts; one NumPy update per parameter (``_update``)."""

    declaration: D.Declaration

    def _init_storage(self) -> None:
        self._ref_state: list[dict[str, Any]] = []

    def _storage_add(
        self, params: list[np.ndarray], group_index: int, group: Mapping[str, Any]
    ) -> None:
        state_memory = self._memory_index(with_params=False)  # params were checked apart
        for k, param in enumerate(params):
            owner = state_memory.owner(param)
            if owner is not None:
                raise ValueError(f"params[{len(self._params) + k}] shares memory with {owner}")
        self._ref_state.extend(self._initial_state(param, group) for param in params)

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        entry = self._ref_state[index]
        return entry["step"], {k: v for k, v in entry.items() if k != "step"}

    def _storage_load(self, states: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        self._ref_state = [
            {"step": step} | {k: v.copy() for k, v in arrays.items()} for step, arrays in states
        ]

    def _apply(self, grads: list[Any]) -> None:
        # As the fused step: the hyperparameters as they were checked, every
        # gradient converted (which may run user code) first, then the checks.
        hypers = [dict(group) for group in self.param_groups]
        converted = {
            index: V.coerce_grad(grad, index, param)
            for index, (param, grad) in enumerate(zip(self._params, grads))
            if grad is not None
        }
        self._check_structure()  # again: the conversions may have run user code
        self._check_registered_params()
        memory = self._memory_index()
        work = []
        for index, grad in converted.items():
            param = self._params[index]
            V.check_param(param, f"params[{index}]", reduced=True)
            if param.shape != grad.shape:  # grad was converted to param's shape then
                raise ValueError(
                    f"params[{index}] or grads[{index}] was resized while the gradients were "
                    "converted"
                )
            owner = memory.owner(grad)
            if owner is not None:
                raise ValueError(f"grads[{index}] shares memory with {owner}")
            work.append((index, param, grad))
        group_of = [hyper for hyper in hypers for _ in hyper["params"]]
        for index, param, grad in work:
            state = self._ref_state[index]
            state["step"] += 1
            _update_in_math_dtype(
                self._update,
                param,
                grad,
                state,
                group_of[index],
                self.declaration.state_names,
                self._buffer_dtype(index),
            )

    def _check_registered_params(self) -> None:
        """Each group's 'params' holds the arrays it was built with (the C++ core's check)."""
        index = 0
        for k, group in enumerate(self.param_groups):
            for j, param in enumerate(group["params"]):
                if param is not self._params[index]:
                    raise ValueError(
                        f"param_groups[{k}]['params'][{j}] is not the array the optimizer was "
                        f"built with (params[{index}]); fusedopt updates the arrays it was "
                        "given: to train other arrays, use add_param_group or a new optimizer"
                    )
                index += 1

    def _memory_index(self, *, with_params: bool = True) -> V.MemoryIndex:
        arrays: list[np.ndarray] = []
        labels: list[str] = []
        if with_params:
            arrays, labels = list(self._params), [f"params[{i}]" for i in range(len(self._params))]
        for index, state in enumerate(self._ref_state):
            for name, value in state.items():
                if name != "step":
                    arrays.append(value)
                    labels.append(f"the optimizer state {name!r} of params[{index}]")
        return V.MemoryIndex(arrays, labels)

    @staticmethod
    def _state_dtype_for(param: np.ndarray, group: Mapping[str, Any]) -> np.dtype:
        """The dtype of the state of ``param`` in ``group`` (checked when added)."""
        name = V.state_dtype_name(group.get("state_dtype"), param.dtype.name, "a parameter")
        return V.numpy_dtype(name)

    def _initial_state(self, param: np.ndarray, group: Mapping[str, Any]) -> dict[str, Any]:
        """A new parameter's state: empty, or made at construction as torch's is."""
        return {"step": 0}

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]
    ) -> None:
        raise NotImplementedError


def _update_in_math_dtype(
    update: Any,
    p: np.ndarray,
    g: np.ndarray,
    state: dict[str, Any],
    group: Mapping[str, Any],
    buffers: tuple[str, ...],
    buffer_dtype: np.dtype,
) -> None:
    """``update(p, g, state, group)`` computed in the math dtype (float64 for
    float64 parameters, else float32), as the kernels do: the parameter, the
    gradient and every state buffer (``buffers``: elementwise state) of another
    dtype (bfloat16, float16) are converted to it first, and the parameter and
    buffers rounded back to their own dtypes (nearest even) after the whole
    update. New buffers get ``buffer_dtype`` (the group's state_dtype, by
    default the parameter's, as torch's). Scalar states (0-d, torch rounds them
    in their own dtype) are left as they are."""
    math = V.math_dtype(p.dtype)
    arrays = {k: v for k, v in state.items() if k in buffers}
    if buffer_dtype == math and all(a.dtype == math for a in (p, g, *arrays.values())):
        update(p, g, state, group)
        return
    work = {k: (v.astype(math) if k in arrays else v) for k, v in state.items()}
    p_math = p.astype(math)
    update(p_math, g.astype(math), work, group)
    p[...] = p_math.astype(p.dtype)
    for k, v in work.items():
        if k in arrays:
            arrays[k][...] = v.astype(arrays[k].dtype)
        elif k in buffers:
            state[k] = v.astype(buffer_dtype)
        else:
            state[k] = v


def _reference(declaration: D.Declaration, update: Any, **methods: Any) -> Any:
    """The reference class of ``declaration``, updating each parameter with
    ``update(p, g, state, group)``."""
    base = type(
        f"_{declaration.name}Reference",
        (ReferenceOptimizer,),
        {"_update": staticmethod(update), "__module__": __name__, **methods},
    )
    return numpy_optimizer(
        declaration,
        base,
        module=__name__,
        doc=f"NumPy reference for :class:`fusedopt.{declaration.name}`.",
    )


def _sgd(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.SGD's update of one parameter, in place."""
    lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    if mu != 0:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.array(g, dtype=p.dtype)  # 0-d stays an array
        else:
            buf = state["momentum_buffer"]
            buf[...] = mu * buf + (1 - tau) * g
        buf = state["momentum_buffer"]
        g = g + mu * buf if group["nesterov"] else buf
    p -= lr * g
    _prox(p, lr, group)


def _rmsprop(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.RMSprop's update of one parameter, in place."""
    lr, alpha, eps, wd, mu = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    v = state.setdefault("square_avg", np.zeros_like(p))
    v[...] = alpha * v + (1 - alpha) * g * g
    if group["centered"]:
        g_avg = state.setdefault("grad_avg", np.zeros_like(p))
        g_avg[...] = alpha * g_avg + (1 - alpha) * g
        # v - ḡ² can round below 0 (α near 0): NaN, as torch gives, without a warning.
        with np.errstate(invalid="ignore"):
            den = np.sqrt(v - g_avg * g_avg) + eps
    else:
        den = np.sqrt(v) + eps
    if mu > 0:
        buf = state.setdefault("momentum_buffer", np.zeros_like(p))
        buf[...] = mu * buf + g / den
        p -= lr * buf
    else:
        p -= lr * (g / den)
    _prox(p, (lr, den), group)


def _adam(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.Adam's (and AdamW's) update of one parameter, in place."""
    lr, (beta1, beta2), eps, wd = (
        group["lr"],
        group["betas"],
        group["eps"],
        group["weight_decay"],
    )
    t = state["step"]
    if group["maximize"]:
        g = -g
    g = g + _penalty(p, group)  # the loss's gradient, at θ before the decay
    if wd != 0:
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    m = state.setdefault("exp_avg", np.zeros_like(p))
    v = state.setdefault("exp_avg_sq", np.zeros_like(p))
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    bias1 = 1 - beta1**t
    bias2 = 1 - beta2**t
    if group["amsgrad"]:
        v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(p))
        np.maximum(v_max, v, out=v_max)
        v = v_max
    den = np.sqrt(v) / math.sqrt(bias2) + eps
    p -= (lr / bias1) * (m / den)
    _prox(p, (lr / bias1, den), group)


def _adagrad(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.Adagrad's update of one parameter, in place."""
    lr, lr_decay, eps, wd = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    s = state["sum"]
    s[...] = s + g * g
    std = np.sqrt(s) + eps
    p -= clr * (g / std)
    _prox(p, (clr, std), group)


def _adagrad_state(param: np.ndarray, group: Mapping[str, Any], dtype_for: Any) -> dict[str, Any]:
    """torch's Adagrad makes its state in __init__: step 0, sum = initial_accumulator_value."""
    # Rounded to the math dtype first, then to the state's, as the kernels fill it.
    initial = V.math_dtype(param.dtype).type(group["initial_accumulator_value"])
    return {"step": 0, "sum": np.full(param.shape, initial).astype(dtype_for(param, group))}


def _adamax(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.Adamax's update of one parameter, in place."""
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    m = state.setdefault("exp_avg", np.zeros_like(p))
    u = state.setdefault("exp_inf", np.zeros_like(p))
    m[...] = beta1 * m + (1 - beta1) * g
    np.maximum(beta2 * u, np.abs(g) + eps, out=u)  # keeps a NaN, as torch.maximum
    clr = lr / (1 - beta1 ** state["step"])
    p -= clr * (m / u)
    _prox(p, (clr, u), group)


def _adadelta(
    p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]
) -> None:
    """torch.optim.Adadelta's update of one parameter, in place."""
    lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    v = state.setdefault("square_avg", np.zeros_like(p))
    u = state.setdefault("acc_delta", np.zeros_like(p))
    v[...] = rho * v + (1 - rho) * g * g
    scale = np.sqrt(u + eps) / np.sqrt(v + eps)  # RMS(past updates) / RMS(gradients)
    delta = scale * g
    u[...] = rho * u + (1 - rho) * delta * delta
    p -= lr * delta
    _prox(p, lr * scale, group)


def _rprop(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.Rprop's update of one parameter, in place."""
    (etaminus, etaplus), (size_min, size_max) = group["etas"], group["step_sizes"]
    if group["maximize"]:
        g = -g
    g = g + _penalty(p, group)  # never proximal: the declaration refuses it
    prev = state.setdefault("prev", np.zeros_like(p))
    size = state.setdefault("step_size", np.full_like(p, group["lr"]))
    # The sign of g·prev as torch takes it: an underflow to 0, or a NaN
    # (torch.sign(NaN) = 0 on the CPU), is no sign.
    product = g * prev
    factor = np.ones_like(p)
    factor[product > 0] = etaplus
    factor[product < 0] = etaminus
    size[...] = np.clip(size * factor, size_min, size_max)  # a NaN stays, as torch.clamp
    g = np.where(product < 0, np.zeros_like(p), g)
    # torch.sign(NaN) = 0: a NaN gradient does not move θ.
    p -= np.where(np.isnan(g), np.zeros_like(p), np.sign(g)) * size
    prev[...] = g


def _lion(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """Lion's update of one parameter, in place, as lion-pytorch's ``update_fn``."""
    lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    g = g + _penalty(p, group)
    m = state.setdefault("exp_avg", np.zeros_like(p))
    p *= 1 - lr * wd
    p -= lr * np.sign(beta1 * m + (1 - beta1) * g)
    m[...] = beta2 * m + (1 - beta2) * g
    _prox(p, lr, group)


def _scalar(state: dict[str, Any], name: str, initial: float) -> np.ndarray:
    """A scalar state: a 0-d array, float32 when made (torch's 0-d tensor);
    a loaded one keeps its dtype. Updating it in place rounds in that dtype."""
    return state.setdefault(name, np.array(initial, dtype=np.float32))


def _nadam(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.NAdam's update of one parameter, in place."""
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    psi = group["momentum_decay"]
    t = state["step"]
    mu_product = _scalar(state, "mu_product", 1.0)
    if group["maximize"]:
        g = -g
    g = g + _penalty(p, group)  # the loss's gradient, at θ before the decay
    if wd != 0:
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    # torch's mu_product *= mu: mu rounded to the 0-d tensor's dtype, then the product.
    mu_product[...] = mu_product * mu_product.dtype.type(mu)
    m = state.setdefault("exp_avg", np.zeros_like(p))
    v = state.setdefault("exp_avg_sq", np.zeros_like(p))
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    den = np.sqrt(v / (1 - beta2**t)) + eps
    product = float(mu_product)
    p += (-lr * (1.0 - mu) / (1.0 - product)) * (g / den)
    p += ((-lr * mu_next) / (1.0 - product * mu_next)) * (m / den)
    _prox(p, (lr, den), group)


def radam_rectification(beta2: float, t: int) -> float | None:
    """RAdam's variance rectification r at step t, or None while ρₜ ≤ 5 (no
    adaptive step yet): torch's formula in Python floats."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)
    if not rho_t > 5.0:
        return None
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def _radam(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.RAdam's update of one parameter, in place."""
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    t = state["step"]
    if group["maximize"]:
        g = -g
    g = g + _penalty(p, group)  # the loss's gradient, at θ before the decay
    if wd != 0:
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    m = state.setdefault("exp_avg", np.zeros_like(p))
    v = state.setdefault("exp_avg_sq", np.zeros_like(p))
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    bias1 = 1 - beta1**t
    bias2 = 1 - beta2**t
    rect = radam_rectification(beta2, t)
    if rect is None:
        p -= (m / bias1) * lr
        _prox(p, lr / bias1, group)
        return
    den = np.sqrt(v) + eps
    p -= (m / bias1) * lr * (bias2**0.5 / den) * rect
    _prox(p, (lr * rect * bias2**0.5 / bias1, den), group)


def _asgd(p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: Mapping[str, Any]) -> None:
    """torch.optim.ASGD's update of one parameter, in place."""
    lr, lambd, alpha, t0, wd = (group[k] for k in ("lr", "lambd", "alpha", "t0", "weight_decay"))
    eta = _scalar(state, "eta", lr)  # torch: as_tensor(lr, float32) at the first step
    mu = _scalar(state, "mu", 1.0)
    ax = state.setdefault("ax", np.zeros_like(p))
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + wd * p
    g = g + _penalty(p, group)
    eta_value = float(eta)
    p *= 1 - lambd * eta_value
    p -= eta_value * g
    _prox(p, eta_value, group)
    if float(mu) != 1:
        ax += (p - ax) * mu.astype(p.dtype)  # torch multiplies by the 0-d mu in p's dtype
    else:
        ax[...] = p
    # torch: the Python floats as float32 tensors (as_tensor), copied into the 0-d state.
    t = state["step"]
    eta[...] = np.float32(lr / ((1 + lambd * lr * t) ** alpha))
    mu[...] = np.float32(1 / max(1, t - t0))


SGD = _reference(D.SGD, _sgd)
RMSprop = _reference(D.RMSPROP, _rmsprop)
Adam = _reference(D.ADAM, _adam)
AdamW = _reference(D.ADAMW, _adam)
Adagrad = _reference(
    D.ADAGRAD,
    _adagrad,
    _initial_state=lambda self, param, group: _adagrad_state(param, group, self._state_dtype_for),
)
Lion = _reference(D.LION, _lion)
Adamax = _reference(D.ADAMAX, _adamax)
Adadelta = _reference(D.ADADELTA, _adadelta)
Rprop = _reference(D.RPROP, _rprop)
NAdam = _reference(D.NADAM, _nadam)
RAdam = _reference(D.RADAM, _radam)
ASGD = _reference(D.ASGD, _asgd)
