"""Drop-in ``torch.optim`` optimizers that run fusedopt's fused C++ step.

``fusedopt.torch.SGD``, ``RMSprop``, ``Adam`` and ``AdamW`` subclass
``torch.optim.Optimizer`` with torch's constructor signatures, defaults,
``param_groups``, ``state`` (torch tensors under torch's key names),
``state_dict``/``load_state_dict``, ``zero_grad``, hooks and
``step(closure=None)``; the update rules are torch's (see the NumPy optimizers
``fusedopt.SGD`` etc. for the formulas). A step is one C++ call over every
parameter of every group: the GIL is released and one OpenMP parallel region
updates the CPU tensors' own memory, zero-copy. State tensors live in
``opt.state`` under torch's names and are updated in place by the kernels (so
``state_dict()`` and torch's lr schedulers work unchanged); the ones
fusedopt.torch creates are 64-byte aligned and their storage is not
resizable.

Supported: float32 and float64 CPU tensors, dense gradients. ``foreach`` and
``fused`` are accepted and ignored (the step is always fused);
``capturable=True`` and ``differentiable=True`` are errors.

Like torch.optim, a step uses the parameters, gradients, state tensors and
param_groups as they are now: a parameter whose ``.data`` was replaced by a
tensor of the same shape and dtype is updated there, a parameter removed from
``param_groups`` is no longer updated, a state entry assigned a new tensor
(``opt.state[p]["exp_avg"] = t``) or changed in place in its values is
followed. What the kernels cannot follow is an error naming the tensor, and
then nothing is written: a state tensor or parameter of another shape or
dtype (``resize_``, ``.data = ...``), one that is no longer contiguous
(``t_()``), state sharing memory with a parameter or other state, a gradient
sharing memory with either. ``load_state_dict`` checks everything (shapes,
step counts, hyperparameters, overlaps) before it changes anything.

A step's Python cost does not grow with the number of parameters: the
per-parameter pass runs in C++, and a tensor it checked before is trusted
again after a few reads that any change of its memory or metadata would alter
(the same storage, data pointer, storage size and version counter; see
``TorchTensors::Seen`` in csrc/bindings/torch_tensors.hpp). Not noticed,
therefore: ``t.data = x`` where ``x`` views the same memory from the same
address with other strides or shape (``p.data = p.data.t()``), which changes
none of these (the memory written is still the memory checked). These
optimizers cannot be copied or pickled (save ``state_dict()`` instead).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Callable, ClassVar

import torch
from torch.optim import Optimizer

from . import _core
from . import _declarations as D
from . import _validation as V

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
]

# The storage types of the C++ core, in its DType order.
_STORAGE_DTYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)
_DTYPE_NAMES = {d: str(d).removeprefix("torch.") for d in _STORAGE_DTYPES}
_TORCH_DTYPE = {name: d for d, name in _DTYPE_NAMES.items()}


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


def _state_dtype(group: Mapping[str, Any], p: torch.Tensor, i: int) -> torch.dtype:
    """The dtype of params[i]'s state: its group's state_dtype, or p's own."""
    name = V.state_dtype_name(group.get("state_dtype"), _DTYPE_NAMES[p.dtype], f"params[{i}]")
    return _TORCH_DTYPE[name]


def _check_tensor(p: Any, label: str) -> None:
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{label} must be a torch.Tensor, got {type(p).__name__}")
    if p.device.type != "cpu":
        raise ValueError(f"{label} is on {p.device}; fusedopt.torch updates CPU tensors only")
    if p.layout is not torch.strided:
        raise ValueError(f"{label} has layout {p.layout}; fusedopt.torch needs dense tensors")
    if p.dtype not in _DTYPE_NAMES:
        raise TypeError(
            f"{label} has dtype {p.dtype}; expected float32, float64, bfloat16 or float16"
        )
    if not p.is_contiguous():
        raise ValueError(
            f"{label} is not contiguous; fusedopt.torch updates parameters in place and "
            "never a hidden copy"
        )
    if p.numel() > 0 and p.data_ptr() == 0:
        raise ValueError(
            f"{label} has no storage of its own (DTensor / FSDP2 parameters are not supported)"
        )


def _check_storage_covers(t: torch.Tensor, label: str) -> None:
    """Refuse a tensor whose storage was resized smaller beneath it
    (``t.untyped_storage().resize_(k)``): torch itself would read past the end
    when copying it."""
    if t.numel() == 0:
        return
    if t.data_ptr() == 0:
        raise ValueError(f"{label} has no storage (was it resized to 0 bytes?)")
    last = t.storage_offset() + sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    if (last + 1) * t.element_size() > t.untyped_storage().nbytes():
        raise ValueError(f"{label} reaches past the end of its storage (was the storage resized?)")


def _step_count(value: Any, label: str) -> int:
    """torch's state['step']: a number or a one-element tensor holding a whole number >= 0."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype is torch.bool:
            raise ValueError(
                f"{label} must be a one-element real tensor, got shape {tuple(value.shape)} "
                f"of {value.dtype}"
            )
        if value.device.type == "meta" or value.layout is not torch.strided:
            raise ValueError(f"{label} must be a dense tensor with a value, got {value.layout} "
                             f"on {value.device}")  # fmt: skip
        _check_storage_covers(value, label)
        number = float(value)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        raise TypeError(f"{label} must be a number or a tensor, got {type(value).__name__}")
    if not math.isfinite(number) or number < 0 or number != math.floor(number):
        raise ValueError(f"{label} must be a whole number of steps >= 0, got {number!r}")
    return int(number)


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

    The C++ core writes into the tensors bound from it; replacing or deleting
    one of them makes the next step build a new core, instead of writing into
    memory the entry no longer refers to.
    """

    def __init__(self, entries: Mapping[str, Any], on_change: Callable[..., None]) -> None:
        super().__init__(entries)
        self._changed = on_change  # type: ignore[method-assign]

    def __reduce__(self) -> Any:  # copies and pickles (torch.save) are plain dicts
        return (dict, (dict(self),))


class _TrackedState(_ReportsChanges, defaultdict):
    """``optimizer.state`` that reports when a parameter's entry is replaced.

    ZeroRedundancyOptimizer.load_state_dict assigns ``optim.state[p]``; the
    next step must bind p's new state. Tracking assignments here keeps a step's
    Python cost independent of the number of parameters.
    """

    def __init__(self, entries: Mapping[Any, Any], on_change: Callable[..., None]) -> None:
        super().__init__(dict, entries)
        self._changed = on_change  # type: ignore[method-assign]

    def __reduce__(self) -> Any:  # copies and pickles are plain defaultdicts
        return (defaultdict, (dict, dict(self)))


class _Built:
    """A C++ core and what it was built from.

    ``params`` in param_groups order (the indices of ``params[i]`` in
    messages and state_dict), ``names`` the state names each group's options
    use, and per parameter the state tensors bound (None: no state yet) and
    the entry to commit with them: (the entry read, the tensors made or
    converted for it).
    """

    __slots__ = ("bound", "core", "entries", "group_of", "names", "params")

    def __init__(
        self,
        core: Any,
        params: list[torch.Tensor],
        group_of: list[int],
        names: tuple[tuple[str, ...], ...],
        bound: list[dict[str, torch.Tensor] | None],
        entries: list[tuple[Mapping[str, Any], dict[str, torch.Tensor]] | None] | None,
    ) -> None:
        self.core, self.params, self.group_of, self.names = core, params, group_of, names
        self.bound, self.entries = bound, entries


class _FusedTorchOptimizer(Optimizer):
    """The shared machinery: C++ core, state binding, the step.

    A C++ core is built for a set of parameters and state tensors and checks
    at every step, in C++, that each of them is unchanged (the tensor object,
    its storage, data pointer, version counter and storage size; see
    ``TorchTensors::Seen`` in csrc/bindings/torch_tensors.hpp). When anything
    it was built from changed (a parameter's memory or metadata, a state
    tensor, a state entry, param_groups' lists or the options that decide the
    state names, a parameter's first gradient), the step builds a new core,
    validating everything, and keeps it only if the step then succeeds: a step
    or load that raises leaves parameters, state and the previous core as
    they were.
    """

    declaration: ClassVar[D.Declaration]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._built: _Built | None = None
        self._dirty = True  # a state entry changed since the core was built
        self._initializing = True
        super().__init__(params, defaults)
        self._initializing = False
        self._commit(self._build(self.param_groups, self.state, with_grads=False))

    # ``state`` is a property so that every replacement (torch's __setstate__,
    # load_state_dict) becomes a _TrackedState.
    @property  # type: ignore[override]
    def state(self) -> _TrackedState:
        return self.__dict__["_tracked_state"]

    @state.setter
    def state(self, entries: Mapping[Any, Any]) -> None:
        self.__dict__["_tracked_state"] = _TrackedState(entries, self._mark_dirty)
        self._dirty = True

    def _mark_dirty(self, *_: Any) -> None:
        self._dirty = True

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            f"{type(self).__name__} cannot be copied or pickled (it owns a C++ core); "
            "save and load its state_dict() instead"
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        """What torch's load_state_dict ends with: validate the new groups and
        state completely (building a core for them), then replace both."""
        state = dict(state)
        entries = state.pop("state", None)
        if isinstance(state.get("param_groups"), list):
            state["param_groups"] = [
                self._complete_group(dict(g)) if isinstance(g, Mapping) else g
                for g in state["param_groups"]
            ]
        built = self._build(
            state.get("param_groups", self.param_groups),
            self.state if entries is None else entries,
            with_grads=False,
        )
        super().__setstate__(state)
        if entries is not None:
            self.state = entries
        self._commit(built)

    def _complete_group(self, group: dict[str, Any]) -> dict[str, Any]:
        """A loaded group with the keys torch's __setstate__ fills in."""
        for h in self.declaration.hypers:
            if h.name != "lr":
                group.setdefault(h.name, h.default)
        # As torch's AdamW.__setstate__: an Adam state_dict must not turn AdamW into Adam.
        group.update(self.declaration.fixed)
        return group

    # ------------------------------------------------------------ the declaration
    @functools.cached_property
    def _declared_keys(self) -> tuple[str, ...]:
        """The keys every group must have: the declared hyperparameters (torch's
        base class may add others to ``defaults``, e.g. 'differentiable')."""
        return (*(h.name for h in self.declaration.hypers), *self.declaration.fixed)

    def _required(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """The state tensors a step with this group's options uses (the C++
        declaration's choice)."""
        return tuple(_probe(self.declaration.kernel).states_for(_plain_numbers(group)))

    # ------------------------------------------------------------ torch.optim API
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        try:
            self._check_group_at(len(self.param_groups) - 1, self.param_groups[-1])
            if not self._initializing:  # __init__ builds once, after all groups
                self._commit(self._build(self.param_groups, self.state, with_grads=False))
        except Exception:
            self.param_groups.pop()  # nothing changed
            raise

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One fused update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        lists, hypers, names = self._read_groups(self.param_groups)
        built = self._built
        if built is None or self._dirty or names != built.names:
            built = self._build(self.param_groups, self.state, with_grads=True)
        converted: list[torch.Tensor | None] = [None] * len(built.params)
        for _ in range(4):  # a new core, then unreadable gradients converted, then the step
            report = built.core.step_torch(lists, hypers, converted)
            if report is None:
                self._commit(built)
                return loss
            rebuild, unreadable = report
            if rebuild:
                built = self._build(self.param_groups, self.state, with_grads=True)
                converted = [None] * len(built.params)
                continue
            for i, convertible, why in unreadable:
                p = built.params[i]
                converted[i] = self._convert_grad(p.grad, p, i, convertible, why)
        raise RuntimeError("internal: fusedopt.torch could not prepare the step")

    def state_dict(self) -> dict[str, Any]:
        """torch's state_dict, with plain dicts per parameter (torch.load's
        weights_only unpickler accepts nothing else)."""
        packed = super().state_dict()
        packed["state"] = {k: dict(v) for k, v in packed["state"].items()}
        return packed

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """torch's load_state_dict (groups and state replaced, tensors cast to
        the parameters' dtype), all or nothing: a state dict that does not fit
        raises before anything changes."""
        _check_state_dict_layout(state_dict, self.param_groups)
        super().load_state_dict(dict(state_dict))

    # ------------------------------------------------------------ groups
    def _check_group_at(self, k: int, group: Any) -> None:
        where = f"param_groups[{k}]"
        if not isinstance(group, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(group).__name__}")
        for key in ("params", *self._declared_keys):
            if key not in group:
                raise ValueError(f"{where} has no {key!r}")
        if not isinstance(group["params"], (list, tuple)):
            raise TypeError(
                f"{where}['params'] must be a list of tensors, got {type(group['params']).__name__}"
            )
        try:
            self.declaration.check(_plain_numbers(group))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None

    def _read_groups(
        self, groups: Any
    ) -> tuple[list[Any], list[tuple[Any, ...]], tuple[tuple[str, ...], ...]]:
        """Each group's parameter list, packed hyperparameters and state names,
        after checking every group."""
        if not isinstance(groups, list):
            raise TypeError(f"param_groups must be a list, got {type(groups).__name__}")
        lists, hypers, names = [], [], []
        for k, group in enumerate(groups):
            self._check_group_at(k, group)
            lists.append(group["params"])
            hypers.append(dict(_plain_numbers(group)))  # as checked
            names.append(self._names(group))
        return lists, hypers, tuple(names)

    def _names(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """Every state entry a step writes: the buffers, the scalar states and
        torch's 'step' count."""
        required = (*self._required(group), *self.declaration.scalar_names)
        return (*required, "step") if self.declaration.has_step else required

    # ------------------------------------------------------------ building a core
    def _build(self, groups: Any, state: Mapping[Any, Any], *, with_grads: bool) -> _Built:
        """A core for these groups and state entries, everything validated.
        Parameters get state bound if they have an entry or (``with_grads``)
        a gradient, as torch creates state at a parameter's first step (or
        all of them, for an optimizer whose state torch makes in ``__init__``)."""
        lists, _, names = self._read_groups(groups)
        if not isinstance(state, Mapping):
            raise TypeError(f"the optimizer state must be a dict, got {type(state).__name__}")
        core = _core.OptimizerCore(self.declaration.kernel)
        core.use_torch(torch._C.TensorBase, torch._C.StorageBase, _STORAGE_DTYPES, torch.strided)
        params: list[torch.Tensor] = []
        group_of: list[int] = []
        first: dict[int, int] = {}
        for k, group_params in enumerate(lists):
            for p in group_params:
                label = f"params[{len(params)}]"
                _check_tensor(p, label)
                if id(p) in first:
                    raise ValueError(
                        f"{label} is params[{first[id(p)]}]: a tensor may appear only once in "
                        "param_groups"
                    )
                first[id(p)] = len(params)
                params.append(p)
                group_of.append(k)
            core.add_params_torch(list(group_params), k)
        previous = self._bound_by_id()
        bound: list[dict[str, torch.Tensor] | None] = [None] * len(params)
        entries: list[tuple[Mapping[str, Any], dict[str, torch.Tensor]] | None] = [None] * len(
            params
        )
        made_now = self.declaration.state_at_construction
        for i, p in enumerate(params):
            entry = state.get(p)
            if not entry and not made_now and not (with_grads and p.grad is not None):
                continue
            group = groups[group_of[i]]
            bound[i], entries[i] = self._bind(
                core, i, p, {} if entry is None else entry, group, previous.get(id(p))
            )
        core.seal_torch()
        return _Built(core, params, group_of, names, bound, entries)

    def _bound_by_id(self) -> dict[int, dict[str, torch.Tensor]]:
        """The state tensors the current core updates, by parameter."""
        built = self._built
        if built is None:
            return {}
        return {id(p): b for p, b in zip(built.params, built.bound) if b is not None}

    def _bind(
        self,
        core: Any,
        i: int,
        p: torch.Tensor,
        entry: Any,
        group: Mapping[str, Any],
        previous: dict[str, torch.Tensor] | None,
    ) -> tuple[dict[str, torch.Tensor], tuple[Mapping[str, Any], dict[str, torch.Tensor]]]:
        """Bind parameter i's state for its group's options: tensors from its
        entry (converted if needed, as torch's load_state_dict casts them) or
        made, as torch makes them. A tensor the current core already updates
        and that was changed in place is followed as it is, or refused."""
        if not isinstance(entry, Mapping):
            raise TypeError(f"the state of params[{i}] must be a dict, got {type(entry).__name__}")
        previous = previous or {}
        bound: dict[str, torch.Tensor] = {}
        buffers = []
        hyper = _plain_numbers(group)
        dtype = _state_dtype(group, p, i)
        for name, initial in core.states_for(hyper).items():
            given = entry.get(name)
            if given is None:  # made as torch makes it: live if made in __init__
                made = torch.full_like(
                    p, initial, dtype=dtype, memory_format=torch.contiguous_format
                )
                bound[name] = made
                buffers.append((name, made, self.declaration.state_at_construction))
                continue
            in_place = previous.get(name) is given
            bound[name] = self._state_tensor(i, name, given, p, dtype, in_place)
            buffers.append((name, bound[name], True))
        step, count = None, 0
        if self.declaration.has_step:
            step, count = self._step_tensor(i, entry, previous)
            bound["step"] = step
        scalars = []
        for name, initial in core.scalars_for(hyper).items():
            given = entry.get(name)
            if given is None:  # made as torch makes it, holding no state yet
                if entry:
                    raise ValueError(f"the state of params[{i}] has no {name!r}")
                bound[name] = torch.tensor(initial, dtype=torch.float32)
                scalars.append((name, bound[name], False))
                continue
            bound[name] = self._scalar_tensor(i, name, given)
            scalars.append((name, bound[name], True))
        core.bind_torch(i, buffers, step, count, scalars)
        changes = {name: t for name, t in bound.items() if t is not entry.get(name)}
        return bound, (entry, changes)

    @staticmethod
    def _scalar_tensor(i: int, name: str, given: Any) -> torch.Tensor:
        """A scalar state (NAdam's mu_product, ...) as the one-element float32 or
        float64 tensor the core writes it into after each step: the entry's
        own tensor, updated in place as torch updates it, or for a number a
        new float32 one, as torch's ``__setstate__`` makes it."""
        label = f"state {name!r} of params[{i}]"
        if isinstance(given, numbers.Real) and not isinstance(given, bool):
            made = torch.tensor(float(given), dtype=torch.float32)
            if not math.isfinite(float(made)):
                raise ValueError(f"{label} must be finite, got {given!r}")
            return made
        if not isinstance(given, torch.Tensor):
            raise TypeError(f"{label} must be a tensor or a number, got {type(given).__name__}")
        if given.device.type != "cpu" or given.layout is not torch.strided:
            raise ValueError(
                f"{label} must be a dense CPU tensor, got {given.layout} on {given.device}"
            )
        if given.dtype not in _DTYPE_NAMES:
            raise TypeError(f"{label} has dtype {given.dtype}; expected float32 or float64")
        if given.numel() != 1:
            raise ValueError(f"{label} has shape {tuple(given.shape)}; expected one element")
        _check_storage_covers(given, label)
        if not math.isfinite(float(given)):
            raise ValueError(f"{label} must be finite, got {float(given)!r}")
        return given

    def _state_tensor(
        self, i: int, name: str, given: Any, p: torch.Tensor, dtype: torch.dtype, in_place: bool
    ) -> torch.Tensor:
        """A state tensor the C++ core may use as p.numel() elements of the
        state's ``dtype``. ``in_place``: ``given`` is the tensor the current
        core updates."""
        label = f"state {name!r} of params[{i}]"
        if not isinstance(given, torch.Tensor):
            raise TypeError(f"{label} must be a tensor, got {type(given).__name__}")
        if given.device.type != "cpu" or given.layout is not torch.strided:
            raise ValueError(
                f"{label} must be a dense CPU tensor, got {given.layout} on {given.device}"
            )
        if given.shape != p.shape:
            raise ValueError(
                f"{label} has shape {tuple(given.shape)}; params[{i}] has shape {tuple(p.shape)}"
            )
        if not given.is_floating_point():
            raise TypeError(f"{label} has dtype {given.dtype}; expected a floating-point tensor")
        if given.dtype is dtype and given.is_contiguous():
            return given
        if in_place:  # the tensor the core updated, changed: a copy would be a hidden copy
            what = "is no longer contiguous" if given.dtype is dtype else f"is {given.dtype}"
            raise ValueError(
                f"{label} was changed in place and {what}; its state is {dtype} and "
                "fusedopt.torch updates state in place: assign a new tensor to the entry instead"
            )
        _check_storage_covers(given, label)
        # torch's load_state_dict casts to p's dtype; the state is the group's state_dtype.
        return given.to(dtype=dtype).contiguous()

    def _step_tensor(
        self, i: int, entry: Mapping[str, Any], previous: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, int]:
        """torch's float32 'step' tensor the core writes the count into, and the count."""
        label = f"state 'step' of params[{i}]"
        given = entry.get("step")
        if given is None:
            kept = [
                n
                for n in (*self.declaration.scalar_names, *self.declaration.state_names)
                if entry.get(n) is not None
            ]
            if kept:
                raise ValueError(f"the state of params[{i}] has {kept[0]!r} but no 'step'")
            return torch.tensor(0.0), 0
        count = _step_count(given, label)
        if previous.get("step") is given:
            # The tensor the core writes into, changed in place (its value, or more).
            if given.dtype is not torch.float32 or given.device.type != "cpu":
                raise ValueError(
                    f"{label} was changed in place and is {given.dtype} on {given.device}; "
                    "assign a new value to the entry instead"
                )
            return given, count
        return torch.tensor(float(count), dtype=torch.float32), count

    def _commit(self, built: _Built) -> None:
        """Make ``built`` the core, and put the state tensors made for it into
        the entries (a step that ran on it cannot be undone: nothing here can
        fail)."""
        for p, pending in zip(built.params, built.entries or ()):
            if pending is None:
                continue
            entry, changes = pending
            if isinstance(entry, _StateEntry) and dict.get(self.state, p) is entry:
                dict.update(entry, changes)
            else:
                dict.__setitem__(self.state, p, _StateEntry({**entry, **changes}, self._mark_dirty))
        built.entries = None  # committed: later steps on this core have nothing to add
        self._built, self._dirty = built, False

    # ------------------------------------------------------------ gradients
    @staticmethod
    def _convert_grad(
        g: torch.Tensor, p: torch.Tensor, i: int, convertible: bool, why: str
    ) -> torch.Tensor:
        """A copy of p.grad the kernels can read, or the reason there is none."""
        label = f"params[{i}].grad"
        if g.layout is not torch.strided:
            raise ValueError(f"{label} is sparse; fusedopt.torch needs dense gradients")
        if g.device.type != "cpu":
            raise ValueError(f"{label} is on {g.device}; expected the CPU")
        if g.shape != p.shape:
            raise ValueError(f"{label} has shape {tuple(g.shape)}, expected {tuple(p.shape)}")
        if not g.is_floating_point():
            raise TypeError(f"{label} has dtype {g.dtype}; expected a floating-point tensor")
        if not convertible:
            raise ValueError(f"{label} {why}")
        _check_storage_covers(g, label)
        return g.to(dtype=p.dtype, memory_format=torch.contiguous_format).contiguous()


def _check_state_dict_layout(state_dict: Any, groups: list[dict[str, Any]]) -> None:
    """What torch's load_state_dict assumes about a state dict's layout, with a
    message naming the part that is wrong (torch fails on these obscurely)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
    for key in ("state", "param_groups"):
        if key not in state_dict:
            raise ValueError(f"state_dict has no {key!r}")
    if not isinstance(state_dict["state"], Mapping):
        raise TypeError(
            "state_dict['state'] must be a dict of per-parameter state, got "
            f"{type(state_dict['state']).__name__}"
        )
    saved = state_dict["param_groups"]
    if not isinstance(saved, (list, tuple)):
        raise TypeError(f"state_dict['param_groups'] must be a list, got {type(saved).__name__}")
    if len(saved) != len(groups):
        raise ValueError(
            f"state_dict['param_groups'] has {len(saved)} groups; the optimizer has {len(groups)}"
        )
    ids: set[Any] = set()
    for k, (group, ours) in enumerate(zip(saved, groups)):
        where = f"state_dict['param_groups'][{k}]"
        if not isinstance(group, Mapping) or not isinstance(group.get("params"), (list, tuple)):
            raise TypeError(f"{where} must be a dict with a 'params' list")
        if len(group["params"]) != len(ours["params"]):
            raise ValueError(
                f"{where} has {len(group['params'])} parameters; param_groups[{k}] has "
                f"{len(ours['params'])}"
            )
        for index in group["params"]:
            try:
                if index in ids:
                    raise ValueError(f"{where}['params'] lists {index!r} twice")
            except TypeError:
                raise TypeError(f"{where}['params'] holds {index!r}, not a parameter id") from None
            ids.add(index)
    for key, entry in state_dict["state"].items():
        if key not in ids:
            continue  # torch keeps state of unknown parameters as it is
        where = f"state_dict['state'][{key!r}]"
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
        for name, value in entry.items():
            # torch's load copies tensors to the parameters' dtype: they need data to copy.
            if isinstance(value, torch.Tensor) and value.layout is torch.strided:
                if value.device.type == "meta":
                    raise ValueError(f"{where}[{name!r}] is a meta tensor (it has no data)")
                if value.is_complex():  # torch would drop the imaginary part, with a warning
                    raise TypeError(f"{where}[{name!r}] is complex; optimizer state is real")
                _check_storage_covers(value, f"{where}[{name!r}]")


@functools.cache
def _probe(kernel: str) -> Any:
    """A core with no parameters, to ask a declaration which state a group uses."""
    return _core.OptimizerCore(kernel)


def _torch_optimizer(declaration: D.Declaration) -> type[_FusedTorchOptimizer]:
    """``torch.optim.<Name>``'s signature, ``defaults`` and state, on the fused core."""
    signature = declaration.signature(torch=True)

    def __init__(
        self: _FusedTorchOptimizer, params: Iterable[Any], *args: Any, **kwargs: Any
    ) -> None:
        try:
            bound = signature.bind(self, params, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{declaration.name}() {exc}") from None
        bound.apply_defaults()
        values = {k: v for k, v in bound.arguments.items() if k not in ("self", "params")}
        _FusedTorchOptimizer.__init__(self, params, values | dict(declaration.fixed))

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{declaration.name}.__init__"
    namespace = {
        "__init__": __init__,
        "__module__": __name__,
        "__qualname__": declaration.name,
        "__doc__": f"torch.optim.{declaration.name}'s interface and update, fused (see "
        f"``fusedopt.{declaration.name}``).",
        "declaration": declaration,
    }
    return type(declaration.name, (_FusedTorchOptimizer,), namespace)


SGD = _torch_optimizer(D.SGD)
RMSprop = _torch_optimizer(D.RMSPROP)
Adam = _torch_optimizer(D.ADAM)
AdamW = _torch_optimizer(D.ADAMW)
Adagrad = _torch_optimizer(D.ADAGRAD)
Lion = _torch_optimizer(D.LION)
Adamax = _torch_optimizer(D.ADAMAX)
Adadelta = _torch_optimizer(D.ADADELTA)
Rprop = _torch_optimizer(D.RPROP)
NAdam = _torch_optimizer(D.NADAM)
RAdam = _torch_optimizer(D.RADAM)
ASGD = _torch_optimizer(D.ASGD)


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
