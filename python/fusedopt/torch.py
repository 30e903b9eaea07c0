"""Drop-in ``torch.optim`` optimizers that run fusedopt's fused C++ step.

``fusedopt.torch.SGD``, ``RMSprop``, ``Adam`` and ``AdamW`` subclass
``torch.optim.Optimizer`` with torch's constructor signatures, defaults,
``param_groups``, ``state`` (torch tensors under torch's key names),
``state_dict``/``load_state_dict``, ``zero_grad``, hooks and
``step(closure=None)``; the update rules are torch's (see the NumPy optimizers
``fusedopt.SGD`` etc. for the formulas). A step is one C++ call over every
parameter of every group: the GIL is released and one OpenMP parallel region
updates the CPU tensors' own memory, zero-copy. The state tensors are
allocated by torch and updated in place by the kernels (so ``state_dict()``
and torch's lr schedulers work unchanged); replace them only through
``load_state_dict``.

Supported: float32 and float64 CPU tensors, dense gradients. ``foreach`` and
``fused`` are accepted and ignored (the step is always fused);
``capturable=True`` and ``differentiable=True`` are errors.

A step's Python cost does not grow with the number of parameters: the
per-parameter pass runs in C++, and a gradient tensor checked at one step
(CPU, dense, dtype, size, contiguous) is not checked again while it stays the
same tensor object with the same storage at the same address (training with
``zero_grad(set_to_none=False)`` reuses them). Not noticed, therefore: an
in-place stride or size change of that same gradient tensor between steps
(``p.grad.t_()``, ``p.grad.as_strided_(...)``, or ``p.grad.data = p.grad.t()``:
a view of the same memory from the same address), which torch.optim would follow.
Replacing ``p.grad``, or ``p.grad.data`` by other memory, is always noticed.

State tensors are written in place: replace them by assigning the entry
(``opt.state[p]["exp_avg"] = t``) or through ``load_state_dict``; changing a
state tensor's memory behind the entry (``opt.state[p]["exp_avg"].data = t``)
is not followed (the old memory stays alive and keeps being updated). These
optimizers cannot be copied or pickled (save ``state_dict()`` instead).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Callable, ClassVar

import torch
from torch.optim import Optimizer

from . import _core
from . import _validation as V
from ._algorithms import (
    check_adam,
    check_rmsprop,
    check_sgd,
    pack_adam,
    pack_rmsprop,
    pack_sgd,
)

__all__ = ["SGD", "Adam", "AdamW", "RMSprop"]

_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}


def _plain_numbers(group: Mapping[str, Any]) -> Mapping[str, Any]:
    """torch allows lr and betas as 0-d tensors; the shared checks take numbers."""
    lr, betas = group["lr"], group.get("betas")
    if not isinstance(lr, torch.Tensor) and not any(
        isinstance(b, torch.Tensor) for b in betas or ()
    ):
        return group
    plain = dict(group)
    plain["lr"] = float(lr)
    if betas is not None:
        plain["betas"] = tuple(float(b) for b in betas)
    return plain


def _check_tensor(p: Any, label: str) -> None:
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{label} must be a torch.Tensor, got {type(p).__name__}")
    if p.device.type != "cpu":
        raise ValueError(f"{label} is on {p.device}; fusedopt.torch updates CPU tensors only")
    if p.layout is not torch.strided:
        raise ValueError(f"{label} has layout {p.layout}; fusedopt.torch needs dense tensors")
    if p.dtype not in _DTYPE_NAMES:
        later = " (bfloat16/float16 support comes later)" if not p.is_complex() else ""
        raise TypeError(f"{label} has dtype {p.dtype}; expected float32 or float64{later}")
    if not p.is_contiguous():
        raise ValueError(
            f"{label} is not contiguous; fusedopt.torch updates parameters in place and "
            "never a hidden copy"
        )
    if p.numel() > 0 and p.data_ptr() == 0:
        raise ValueError(
            f"{label} has no storage of its own (DTensor / FSDP2 parameters are not supported)"
        )


def _check_disjoint(tensors: list[torch.Tensor]) -> None:
    spans = sorted(
        (t.data_ptr(), t.data_ptr() + t.numel() * t.element_size(), k)
        for k, t in enumerate(tensors)
        if t.numel() > 0
    )
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError(f"params[{second}] shares memory with params[{first}]")


def _compat(foreach: Any, fused: Any, capturable: bool, differentiable: bool) -> None:
    if capturable:
        raise ValueError("capturable=True is for CUDA graphs; fusedopt.torch runs on the CPU")
    if differentiable:
        raise ValueError("differentiable=True is not supported by fusedopt.torch")
    for name, value in (("foreach", foreach), ("fused", fused)):
        if value not in (None, True, False):
            raise ValueError(f"{name} must be None or a bool, got {value!r}")


class _ReportsChanges:
    """A dict mixin that calls ``self._changed(key)`` for every key assigned,
    deleted or replaced, through any of dict's mutating methods."""

    def _changed(self, key: Any) -> None:
        raise NotImplementedError

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)  # type: ignore[misc]
        self._changed(key)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)  # type: ignore[misc]
        self._changed(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._changed(key)
        return super().pop(key, *default)  # type: ignore[misc]

    def popitem(self) -> Any:
        key, value = super().popitem()  # type: ignore[misc]
        self._changed(key)
        return key, value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._changed(key)
        return super().setdefault(key, default)  # type: ignore[misc]

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        super().update(changes)  # type: ignore[misc]
        for key in changes:
            self._changed(key)

    def __ior__(self, other: Any) -> Any:
        self.update(other)
        return self

    def clear(self) -> None:
        keys = list(self)  # type: ignore[call-overload]
        super().clear()  # type: ignore[misc]
        for key in keys:
            self._changed(key)


class _StateEntry(_ReportsChanges, dict):
    """A parameter's state dict that reports when an entry is replaced.

    The C++ core writes into the tensors bound from it; replacing one of them
    (or deleting it) marks parameter ``index`` stale, so the next step rebinds
    instead of writing into memory the entry no longer refers to.
    """

    def __init__(self, entries: Mapping[str, Any], stale: set[int], index: int) -> None:
        super().__init__(entries)
        self._stale, self._index = stale, index

    def _changed(self, key: Any) -> None:
        self._stale.add(self._index)

    def __reduce__(self) -> Any:  # copies and pickles (torch.save) are plain dicts
        return (dict, (dict(self),))


class _TrackedState(_ReportsChanges, defaultdict):
    """``optimizer.state`` that reports which parameters' entries were replaced.

    ZeroRedundancyOptimizer.load_state_dict assigns ``optim.state[p]``; the
    next step must rebind p's state. Tracking assignments here keeps a step's
    Python cost independent of the number of parameters.
    """

    def __init__(self, entries: Mapping[Any, Any], on_change: Callable[[Any], None]) -> None:
        super().__init__(dict, entries)
        self._changed = on_change  # type: ignore[method-assign]

    def __reduce__(self) -> Any:  # copies and pickles are plain defaultdicts
        return (defaultdict, (dict, dict(self)))


class _FusedTorchOptimizer(Optimizer):
    """The shared machinery: C++ core, state binding, the step.

    A step costs Python work per parameter group, not per parameter: the
    per-parameter pass (moved memory, gradients, state binding) runs in C++
    (``OptimizerCore.step_torch``), which reports the parameters that need
    Python first (moved, not yet bound, gradients to convert) without
    stepping; Python handles those and asks again.
    """

    _algo: ClassVar[str]
    _has_step: ClassVar[bool] = True

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._core = _core.OptimizerCore(self._algo)
        self._core.use_torch(torch.float32, torch.float64, torch.strided)
        self._flat: list[torch.Tensor] = []
        self._group_of: list[int] = []
        self._index_of: dict[int, int] = {}  # id(param) -> index in _flat
        self._layouts: list[tuple[int, torch.dtype]] = []  # (numel, dtype) it was built with
        self._group_names: list[tuple[str, ...] | None] = []  # state names bound, per group
        self._stale: set[int] = set()  # parameters whose state entry changed
        # Per parameter: the storages of the state tensors the C++ core writes into.
        # Held so that replacing a tensor's memory behind the entry's back
        # (state[p]["exp_avg"].data = ...) cannot free memory the core still uses.
        self._storages: list[list[Any]] = []
        super().__init__(params, defaults)

    # ``state`` is a property so that every replacement (torch's __setstate__,
    # load_state_dict) becomes a _TrackedState.
    @property  # type: ignore[override]
    def state(self) -> _TrackedState:
        return self.__dict__["_tracked_state"]

    @state.setter
    def state(self, entries: Mapping[Any, Any]) -> None:
        self.__dict__["_tracked_state"] = _TrackedState(entries, self._state_changed)
        self._stale.update(range(len(self._flat)))

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            f"{type(self).__name__} cannot be copied or pickled (it owns a C++ core); "
            "save and load its state_dict() instead"
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        entries = state.pop("state", None)
        super().__setstate__(state)
        if entries is not None:
            self.state = entries

    def _state_changed(self, param: Any) -> None:
        index = self._index_of.get(id(param))
        if index is not None:
            self._stale.add(index)

    # ------------------------------------------------------------ algorithm hooks
    def _check_group(self, group: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _pack(self, group: Mapping[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def _required(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """The state tensors a step with this group's options uses."""
        raise NotImplementedError

    # ------------------------------------------------------------ torch.optim API
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            self._check_group(group)
            new = list(group["params"])
            first = len(self._flat)
            for k, p in enumerate(new):
                _check_tensor(p, f"params[{first + k}]")
            _check_disjoint(self._flat + new)
            self._core.add_params_raw(
                [p.data_ptr() for p in new],
                [p.numel() for p in new],
                [_DTYPE_NAMES[p.dtype] for p in new],
                len(self.param_groups) - 1,
            )
        except Exception:
            self.param_groups.pop()  # nothing changed
            raise
        for p in new:
            self._index_of[id(p)] = len(self._flat)
            self._flat.append(p)
        self._group_of.extend([len(self.param_groups) - 1] * len(new))
        self._layouts.extend((p.numel(), p.dtype) for p in new)
        self._storages.extend([] for _ in new)
        self._group_names.append(None)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One fused update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        hypers = []
        for k, group in enumerate(self.param_groups):
            self._check_group(group)
            names = self._names(group)
            if names != self._group_names[k]:  # e.g. momentum or amsgrad switched on
                self._stale.update(i for i, g in enumerate(self._group_of) if g == k)
                self._group_names[k] = names
            hypers.append(self._pack(group))
        while self._stale:
            self._unbind(self._stale.pop())  # rebound below if it has a gradient
        converted: list[torch.Tensor | None] = [None] * len(self._flat)
        for _ in range(4):  # moved, then unbound and unreadable, then the step
            moved, unbound, unreadable = self._core.step_torch(self._flat, hypers, converted)
            if not (moved or unbound or unreadable):
                return loss
            self._follow_moved_parameters(moved)
            for i in unreadable:
                converted[i] = self._convert_grad(self._flat[i].grad, self._flat[i], i)
            for i in unbound:
                self._bind(i)
        raise RuntimeError("internal: fusedopt.torch could not prepare the step")

    def state_dict(self) -> dict[str, Any]:
        """torch's state_dict, with plain dicts per parameter (torch.load's
        weights_only unpickler accepts nothing else)."""
        packed = super().state_dict()
        packed["state"] = {k: dict(v) for k, v in packed["state"].items()}
        return packed

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for i, p in enumerate(self._flat):
            self._unbind(i)
            if self.state.get(p):
                self._bind(i)
        self._stale.clear()

    def _names(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """Every state entry a step writes: the buffers, and torch's 'step' count."""
        return (*self._required(group), "step") if self._has_step else self._required(group)

    def _follow_moved_parameters(self, moved: list[int]) -> None:
        """torch.optim updates whatever memory a parameter uses now (p.data = ...,
        ZeroRedundancyOptimizer's bucket views): re-register moved parameters."""
        for i in moved:
            p = self._flat[i]
            _check_tensor(p, f"params[{i}]")
            if (p.numel(), p.dtype) != self._layouts[i]:
                numel, dtype = self._layouts[i]
                raise ValueError(
                    f"params[{i}] now has {p.numel()} elements of {p.dtype}; the optimizer was "
                    f"built for {numel} of {dtype}"
                )
            self._core.move_param_raw(i, p.data_ptr())

    # ------------------------------------------------------------ internals
    @staticmethod
    def _convert_grad(g: torch.Tensor, p: torch.Tensor, i: int) -> torch.Tensor:
        if g.layout is not torch.strided:
            raise ValueError(f"params[{i}].grad is sparse; fusedopt.torch needs dense gradients")
        if g.device.type != "cpu":
            raise ValueError(f"params[{i}].grad is on {g.device}; expected the CPU")
        if g.shape != p.shape:
            raise ValueError(
                f"params[{i}].grad has shape {tuple(g.shape)}, expected {tuple(p.shape)}"
            )
        if g.is_complex():
            raise TypeError(f"params[{i}].grad is complex")
        if g.numel() > 0 and g.data_ptr() == 0:
            raise ValueError(f"params[{i}].grad has no storage (was it resized to 0 bytes?)")
        return g.to(dtype=p.dtype, memory_format=torch.contiguous_format).contiguous()

    def _unbind(self, i: int) -> None:
        self._core.unbind_raw(i)
        self._storages[i] = []

    def _state_tensor(self, i: int, name: str, tensor: Any, p: torch.Tensor) -> torch.Tensor:
        """A state tensor the C++ core may write p.numel() elements of p's dtype into."""
        if tensor is None:
            return torch.zeros_like(p, memory_format=torch.contiguous_format)
        if (
            not isinstance(tensor, torch.Tensor)
            or tensor.device.type != "cpu"
            or tensor.layout is not torch.strided
            or tensor.shape != p.shape
        ):
            got = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ValueError(
                f"state {name!r} of params[{i}] must be a dense CPU tensor of shape "
                f"{tuple(p.shape)}, got {got}"
            )
        if not tensor.is_contiguous() or tensor.dtype is not p.dtype:
            tensor = tensor.to(dtype=p.dtype).contiguous()
        if tensor.numel() > 0 and tensor.data_ptr() == 0:
            raise ValueError(f"state {name!r} of params[{i}] has no storage")
        return tensor

    def _bind(self, i: int) -> None:
        """Give parameter i torch state tensors for its group's names and point the
        C++ core at them (missing or unusable ones are made, as torch makes them)."""
        p = self._flat[i]
        names = self._names(self.param_groups[self._group_of[i]])
        state = _StateEntry(self.state.get(p, {}), self._stale, i)
        buffers, storages = [], []
        for name in (n for n in names if n != "step"):
            given = state.get(name)
            tensor = self._state_tensor(i, name, given, p)
            if tensor is not given:
                dict.__setitem__(state, name, tensor)
            buffers.append((name, tensor.data_ptr(), given is not None))
            storages.append(tensor.untyped_storage())
        mirror, count = 0, 0
        if self._has_step:
            step = state.get("step")
            count = 0 if step is None else int(float(step))
            if (
                not isinstance(step, torch.Tensor)
                or step.dtype is not torch.float32
                or (step.device.type != "cpu" or step.numel() != 1)
            ):
                step = torch.tensor(float(count), dtype=torch.float32)
                dict.__setitem__(state, "step", step)
            mirror = step.data_ptr()
            storages.append(step.untyped_storage())
        self._core.bind_raw(i, buffers, mirror, count)
        self._storages[i] = storages
        self.state[p] = state
        self._stale.discard(i)


class SGD(_FusedTorchOptimizer):
    """torch.optim.SGD's interface and update, fused (see ``fusedopt.SGD``)."""

    _algo = "sgd"
    _has_step = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _compat(foreach, fused, False, differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_sgd(_plain_numbers(group))

    def _pack(self, g: Mapping[str, Any]) -> tuple[Any, ...]:
        return pack_sgd(g)

    def _required(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()


class RMSprop(_FusedTorchOptimizer):
    """torch.optim.RMSprop's interface and update, fused (see ``fusedopt.RMSprop``)."""

    _algo = "rmsprop"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _compat(foreach, None, capturable, differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_rmsprop(_plain_numbers(group))

    def _pack(self, g: Mapping[str, Any]) -> tuple[Any, ...]:
        return pack_rmsprop(g)

    def _required(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        names = ("square_avg",)
        if group["momentum"] > 0:
            names += ("momentum_buffer",)
        if group["centered"]:
            names += ("grad_avg",)
        return names


class Adam(_FusedTorchOptimizer):
    """torch.optim.Adam's interface and update, fused (see ``fusedopt.Adam``)."""

    _algo = "adam"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _compat(foreach, fused, capturable, differentiable)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_adam(_plain_numbers(group))

    def _pack(self, g: Mapping[str, Any]) -> tuple[Any, ...]:
        return pack_adam(g)

    def _required(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        names = ("exp_avg", "exp_avg_sq")
        return (*names, "max_exp_avg_sq") if group["amsgrad"] else names


class AdamW(Adam):
    """torch.optim.AdamW's interface and update, fused (see ``fusedopt.AdamW``)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )


class LBFGS(Optimizer):
    """torch.optim.LBFGS on fusedopt's C++ L-BFGS.

    ``step(closure)`` is torch's algorithm, iteration for iteration: the same
    first step (``lr · min(1, 1/‖g‖₁)``), curvature pairs (kept when
    ``y's > 1e-10``), two-loop direction, line search (``"strong_wolfe"``:
    torch's cubic-interpolation bracketing and zoom; ``None``: the fixed step
    ``lr``, the last one of a step left unevaluated) and stopping tests
    (``max_iter``, ``max_eval``, ``tolerance_grad``, ``tolerance_change``),
    over all parameters flattened into one float64 vector, with the vector
    work in C++. A model therefore follows torch.optim.LBFGS's trajectory up
    to rounding (float64 here where torch computes in the parameters' dtype).
    The history, direction and step carry over from one ``step`` to the next
    and live in C++, not in ``state_dict()``; changing ``history_size`` starts
    a new history. Returns the closure's first loss, as torch does. One
    parameter group, as in torch.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        V.finite(lr, "lr")
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        for name, value in (
            ("max_iter", max_iter), ("max_eval", max_eval), ("history_size", history_size)
        ):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        V.nonneg(tolerance_grad, "tolerance_grad")
        V.nonneg(tolerance_change, "tolerance_change")
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        for k, p in enumerate(self._params()):
            _check_tensor(p, f"params[{k}]")
        self._session: Any = None
        self._session_key: Any = None

    def _params(self) -> list[torch.Tensor]:
        return list(self.param_groups[0]["params"])

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Up to max_iter L-BFGS iterations on the closure's loss; returns its first value."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that re-evaluates the loss")
        group = self.param_groups[0]
        params = self._params()
        shapes = [p.shape for p in params]
        sizes = [p.numel() for p in params]
        first_loss: list[Any] = []

        def write(x: Any) -> None:
            with torch.no_grad():
                flat = torch.from_numpy(x)
                for p, chunk, shape in zip(params, flat.split(sizes), shapes):
                    p.copy_(chunk.view(shape))

        def fun(x: Any) -> tuple[float, Any]:
            write(x)
            with torch.enable_grad():
                loss = closure()
            if not first_loss:
                first_loss.append(loss)
            value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
            grads = [
                torch.zeros(n, dtype=torch.float64) if p.grad is None
                else p.grad.reshape(-1).to(torch.float64)
                for p, n in zip(params, sizes)
            ]  # fmt: skip
            return value, torch.cat(grads).numpy()

        x = torch.cat([p.detach().reshape(-1).to(torch.float64) for p in params]).numpy()
        options = _core.TorchLbfgsOptions(
            lr=float(group["lr"]),
            max_iter=int(group["max_iter"]),
            max_eval=int(group["max_eval"]),
            tolerance_grad=float(group["tolerance_grad"]),
            tolerance_change=float(group["tolerance_change"]),
            strong_wolfe=group["line_search_fn"] == "strong_wolfe",
        )
        key = (x.size, int(group["history_size"]))
        if self._session_key != key:
            self._session = _core.TorchLbfgs(x.size, int(group["history_size"]))
            self._session_key = key
        result = self._session.step(fun, x, options)
        write(x)  # where torch leaves the parameters: the last step's point
        state = self.state[params[0]]
        state["func_evals"] = state.get("func_evals", 0) + int(result["func_evals"])
        state["n_iter"] = state.get("n_iter", 0) + int(result["n_iter"])
        return first_loss[0] if first_loss else None
