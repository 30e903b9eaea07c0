"""The torch.optim.Optimizer contract on NumPy arrays.

:class:`Optimizer` owns what the fused optimizers and the NumPy reference have
in common: parameter groups, ``defaults``, validation, ``state_dict`` and
``load_state_dict``. A subclass supplies the algorithm (its hyperparameters and
state names, see ``fusedopt._algorithms``) and the storage of the state
(``_storage_*`` hooks) and ``_apply`` for the update itself.

Every public call validates everything before it changes anything, and runs
alone: a second call (from another thread, or from user code the first one
runs, such as a gradient's ``__array__``) is refused while one is in progress.

``param_groups`` may be edited between steps like torch's (a schedule sets
``lr``), but its structure is fixed: the groups, and the arrays in each
group's ``'params'``, are those the optimizer was built with (``add_param_group``
adds more). torch.optim updates whatever ``param_groups`` holds at each step;
fusedopt keeps parameters registered (the C++ core holds their addresses), so
a step refuses a structural edit with an error instead of silently updating
arrays the user removed, or a group with another group's hyperparameters.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Union

import numpy as np

from . import _validation as V

ParamsT = Union[Iterable[np.ndarray], Iterable[dict[str, Any]]]


class _InUse:
    """``with guard:`` runs one call at a time and refuses (never waits for) a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise ValueError(
                "this optimizer is already in use by another thread (or by code that one of "
                "its calls is running)"
            )

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


@functools.cache
def _constructor(cls: type) -> inspect.Signature:
    return inspect.signature(cls.__init__)  # type: ignore[misc]


class Optimizer:
    """Base class of fusedopt's NumPy optimizers (see :class:`fusedopt.SGD` etc.)."""

    #: names of the state buffers, in the order the C++ core indexes them
    state_names: ClassVar[tuple[str, ...]] = ()
    #: names of the per-parameter scalar states besides ``step`` (0-d arrays)
    scalar_names: ClassVar[tuple[str, ...]] = ()
    #: whether the state carries torch's per-parameter ``step`` count
    has_step: ClassVar[bool] = True
    #: group entries that load_state_dict sets whatever the checkpoint says
    load_overrides: ClassVar[dict[str, Any]] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> Optimizer:
        # Python would name the function that rejects an argument
        # (AdamAlgorithm.__init__, shared with the reference); name the class.
        if args or kwargs:
            try:
                _constructor(cls).bind(None, *args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{cls.__name__}() {exc}") from None
        return super().__new__(cls)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._params: list[np.ndarray] = []
        self._group_sizes: list[int] = []  # parameters per group, as registered
        self._state_dtypes: list[str | None] = []  # each group's state_dtype, fixed when added
        self._group_keys = frozenset({*self.defaults, "params"})
        self._in_use = _InUse()
        self._init_storage()
        if isinstance(params, (np.ndarray, set, frozenset, dict)):
            raise TypeError(
                "params must be a list of arrays or of dicts (parameter groups), got "
                f"{type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("params is an empty list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_in_use"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._in_use = _InUse()

    # ------------------------------------------------------------ algorithm hooks
    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Raise ValueError/TypeError naming the first invalid hyperparameter."""
        raise NotImplementedError

    def _apply(self, grads: list[Any]) -> None:
        """Check and convert ``grads``, then update; the groups are checked."""
        raise NotImplementedError

    # ------------------------------------------------------------ storage hooks
    def _init_storage(self) -> None:
        raise NotImplementedError

    def _storage_add(
        self, params: list[np.ndarray], group_index: int, group: Mapping[str, Any]
    ) -> None:
        """Register ``params`` (a new group ``group``, already checked)."""
        raise NotImplementedError

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        """Parameter ``index``'s step count and live state: scalar states as
        0-d arrays (copies), buffers as views."""
        raise NotImplementedError

    def _storage_load(self, states: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        """Replace every parameter's state with copies of ``states[index]``, at
        once (scalar states as 0-d float32 or float64 arrays, kept in that type)."""
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters.

        Keys missing from ``param_group`` are filled from :attr:`defaults`.
        """
        with self._in_use:
            self._check_structure()
            if not isinstance(param_group, dict):
                raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
            if "params" not in param_group:
                raise ValueError("param_group has no 'params' entry")
            params = param_group["params"]
            if isinstance(params, np.ndarray):
                params = [params]
            elif isinstance(params, (set, frozenset)):
                raise TypeError("param_group['params'] must be a list, not a set (order matters)")
            params = list(params)
            first = len(self._params)
            labels = [f"params[{first + k}]" for k in range(len(params))]
            for param, label in zip(params, labels):
                V.check_param(param, label, reduced=True)
            V.check_disjoint(self._params + params, [f"params[{k}]" for k in range(first)] + labels)
            group = {**self.defaults, **param_group, "params": params}
            self._check_group(group)
            for param, label in zip(params, labels):
                V.state_dtype_name(group.get("state_dtype"), param.dtype.name, label)
            self._storage_add(params, len(self.param_groups), group)
            self.param_groups.append(group)
            self._params.extend(params)
            self._group_sizes.append(len(params))
            self._state_dtypes.append(group.get("state_dtype"))

    def step(self, grads: list[Any]) -> None:
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        grads : list
            One entry per parameter, in order of appearance across the groups:
            an array of the parameter's shape (converted to its dtype if
            needed), or ``None`` to leave that parameter and its state alone.

        Notes
        -----
        Every gradient is converted before anything is checked: a conversion
        may run Python code (an ``__array__``) that resizes, reallocates or
        locks any array, so the parameters, the groups and the converted
        gradients are checked after the last conversion, and the update
        starts only if all of them pass.
        """
        with self._in_use:
            self._check_structure()
            for k, group in enumerate(self.param_groups):
                self._check_hyperparameters(k, group)
            self._apply(V.grad_list(grads, len(self._params)))

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """Live state by parameter index: ``{'step': int, name: array}``.

        Buffers are views: writing into them changes the optimizer's state.
        Scalar states (NAdam's ``mu_product``, ...) are 0-d copies, like ``step``.
        """
        with self._in_use:
            return self._state_entries()

    def state_dict(self) -> dict[str, Any]:
        """A checkpoint in torch.optim's layout.

        ``{'state': {index: {'step': 0-d float32 array, name: array}},
        'param_groups': [{hyperparameters..., 'params': [indices]}]}``. Unlike
        torch, the arrays are copies: a checkpoint does not change as training
        goes on.
        """
        with self._in_use:
            self._check_structure()
            state: dict[int, dict[str, Any]] = {}
            for index, entry in self._state_entries().items():
                saved = {k: np.array(v, copy=True) for k, v in entry.items() if k != "step"}
                if self.has_step:
                    saved = {"step": np.array(entry["step"], dtype=np.float32)} | saved
                state[index] = saved
            groups, start = [], 0
            for group, count in zip(self.param_groups, self._group_sizes):
                saved_group = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
                saved_group["params"] = list(range(start, start + count))
                groups.append(saved_group)
                start += count
            return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a checkpoint made by :meth:`state_dict` (or torch's, as NumPy).

        Everything is validated first; on any mismatch nothing changes. The
        state arrays are copied (never kept), so a checkpoint may hold any
        arrays, even views of the parameters or of this optimizer's state.
        """
        with self._in_use:
            self._check_structure()
            groups, states = self._validate_state_dict(state_dict)
            self._storage_load([states.get(i, (0, {})) for i in range(len(self._params))])
            for group, new in zip(self.param_groups, groups):
                group.clear()
                group.update(new)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join([*lines, ")"])

    # ------------------------------------------------------------ checks
    def _check_structure(self) -> None:
        """``param_groups`` still has the groups and group sizes it was built with.

        O(groups); that each ``'params'`` holds the registered arrays is
        checked where the arrays are used (the C++ step, or the reference's).
        """
        groups, sizes = self.param_groups, self._group_sizes
        if not isinstance(groups, list) or len(groups) != len(sizes):
            found = f"{len(groups)} groups" if isinstance(groups, list) else type(groups).__name__
            raise ValueError(
                f"param_groups is now {found}, the optimizer was built with {len(sizes)} "
                "groups: fusedopt updates the groups it was given (add_param_group adds one; "
                "to drop or reorder groups, build a new optimizer)"
            )
        for k, (group, size) in enumerate(zip(groups, sizes)):
            if not isinstance(group, dict):
                raise TypeError(f"param_groups[{k}] must be a dict, got {type(group).__name__}")
            params = group.get("params")
            if not isinstance(params, list) or len(params) != size:
                found = (
                    f"{len(params)} arrays" if isinstance(params, list) else type(params).__name__
                )
                raise ValueError(
                    f"param_groups[{k}]['params'] is now {found}, the optimizer was built with "
                    f"{size} arrays there: fusedopt updates the arrays it was given (to train "
                    "other arrays, use add_param_group or a new optimizer)"
                )

    def _check_hyperparameters(self, k: int, group: dict[str, Any]) -> None:
        if not group.keys() >= self._group_keys:
            missing = ", ".join(repr(key) for key in sorted(self._group_keys - group.keys()))
            raise ValueError(
                f"param_groups[{k}] has no {missing} (deleted?); every group needs "
                f"{sorted(self._group_keys)}"
            )
        self._check_group(group)
        if group.get("state_dtype") != self._state_dtypes[k]:
            raise ValueError(
                f"param_groups[{k}]['state_dtype'] is {group.get('state_dtype')!r}, but the "
                f"group's state is stored as {self._state_dtypes[k]!r} (None: each "
                "parameter's dtype): it is fixed when the parameters are added"
            )

    def _state_entries(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for index in range(len(self._params)):
            step, arrays = self._storage_get(index)
            if arrays or (self.has_step and step):
                out[index] = ({"step": step} if self.has_step else {}) | arrays
        return out

    # ------------------------------------------------------------ loading
    def _validate_state_dict(
        self, state_dict: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[int, tuple[int, dict[str, np.ndarray]]]]:
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("state_dict must be a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)):
            raise TypeError(
                "state_dict['param_groups'] must be a list of dicts, got "
                f"{type(saved_groups).__name__}"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"state_dict has {len(saved_groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        groups = []
        order: list[Any] = []  # the saved parameter indices, in our parameters' order
        for g, (ours, saved) in enumerate(zip(self.param_groups, saved_groups)):
            indices = self._saved_indices(g, saved, len(ours["params"]))
            group = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
            group["params"] = ours["params"]
            for key in self.defaults:
                if key not in group:
                    if key not in ours:
                        raise ValueError(
                            f"state_dict['param_groups'][{g}] has no {key!r}, and neither has "
                            f"the optimizer's param_groups[{g}]"
                        )
                    group[key] = ours[key]
            group.update(self.load_overrides)
            # The state's storage type is the optimizer's: loaded state is converted to it.
            group["state_dtype"] = self._state_dtypes[g]
            self._check_group(group)
            groups.append(group)
            order.extend(indices)
        position = {saved_index: k for k, saved_index in enumerate(order)}
        if len(position) != len(order):
            raise ValueError("state_dict['param_groups'] lists a parameter index twice")
        entries = state_dict["state"]
        if not isinstance(entries, Mapping):
            raise TypeError(f"state_dict['state'] must be a dict, got {type(entries).__name__}")
        states = {}
        for key, entry in entries.items():
            if key not in position:
                raise ValueError(f"state_dict['state'] has an entry for unknown parameter {key!r}")
            states[position[key]] = self._validate_entry(position[key], entry)
        return groups, states

    @staticmethod
    def _saved_indices(g: int, saved: Any, count: int) -> list[Any]:
        """The parameter indices of a saved group, checked."""
        label = f"state_dict['param_groups'][{g}]"
        if not isinstance(saved, Mapping):
            raise TypeError(f"{label} must be a dict, got {type(saved).__name__}")
        indices = saved.get("params")
        if not isinstance(indices, (list, tuple)):
            raise TypeError(f"{label}['params'] must be a list of indices, got {indices!r}")
        if len(indices) != count:
            raise ValueError(
                f"state_dict's param_groups[{g}] has {len(indices)} parameters, "
                f"the optimizer's has {count}"
            )
        for index in indices:
            if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"{label}['params'] must hold int indices, got {index!r}")
        return list(indices)

    def _buffer_dtype(self, index: int) -> np.dtype:
        """The dtype of parameter ``index``'s state buffers."""
        group = int(np.searchsorted(np.cumsum(self._group_sizes), index, side="right"))
        param = self._params[index]
        name = V.state_dtype_name(self._state_dtypes[group], param.dtype.name, f"params[{index}]")
        return V.numpy_dtype(name)

    def _validate_entry(self, index: int, entry: Any) -> tuple[int, dict[str, np.ndarray]]:
        label = f"state_dict['state'][{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{label} must be a dict")
        allowed = {*self.state_names, *self.scalar_names, *(("step",) if self.has_step else ())}
        unknown = set(entry) - allowed
        if unknown:
            raise ValueError(
                f"{label} has unknown keys {sorted(map(str, unknown))}; expected some of "
                f"{sorted(allowed)}"
            )
        param = self._params[index]
        arrays = {}
        for name in self.state_names:
            if name not in entry or entry[name] is None:
                continue
            value = _as_array(entry[name], f"{label}['{name}']")
            if value.dtype.kind not in "iuf" and not V.is_bfloat16(value.dtype):
                raise TypeError(f"{label}['{name}'] has dtype {value.dtype}, expected a real dtype")
            if value.shape != param.shape:
                raise ValueError(
                    f"{label}['{name}'] has shape {value.shape}, expected {param.shape}"
                )
            # Always a copy: the source may be a view of this optimizer's own
            # state, or of a parameter; the core never keeps the caller's memory.
            arrays[name] = np.array(value, dtype=self._buffer_dtype(index), order="C", copy=True)
        for name in self.scalar_names:
            if name not in entry:
                raise ValueError(f"{label} has no {name!r}")
            arrays[name] = _scalar_state(entry[name], f"{label}['{name}']")
        step = 1 if arrays else 0  # SGD keeps no count: a buffer means it has started
        if self.has_step:
            if "step" not in entry:
                raise ValueError(f"{label} has no 'step'")
            raw = _as_array(entry["step"], f"{label}['step']")
            if raw.shape != () or raw.dtype.kind not in "iuf" or not 0 <= float(raw) < 2**62:
                raise ValueError(f"{label}['step'] must be a count >= 0, got {entry['step']!r}")
            if float(raw) != int(float(raw)):
                raise ValueError(f"{label}['step'] must be a whole number, got {float(raw)}")
            step = int(float(raw))
        return step, arrays


def _scalar_state(value: Any, label: str) -> np.ndarray:
    """A scalar state (torch's 0-d tensor) as a 0-d array of a storage dtype.

    An array of a storage dtype (float32, float64, bfloat16, float16: torch's
    load casts these to the parameter's dtype) keeps it (the value is restored
    exactly, and later steps round in that type as torch's would); a number or
    another real dtype becomes float32, as torch's ``__setstate__`` makes it.
    """
    raw = _as_array(value, label)
    if raw.dtype.kind not in "iuf" and not V.is_bfloat16(raw.dtype):
        raise TypeError(f"{label} has dtype {raw.dtype}, expected a real number")
    if raw.size != 1:
        raise ValueError(f"{label} has shape {raw.shape}, expected one number (a 0-d array)")
    native = raw.dtype.newbyteorder("=")
    keep = hasattr(value, "dtype") and V.is_step_dtype(native)
    out = np.array(raw.reshape(()), dtype=native if keep else np.float32)
    if not np.isfinite(out):
        raise ValueError(f"{label} must be finite, got {float(out)!r}")
    return out


def _as_array(value: Any, label: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:  # e.g. a ragged list
        raise TypeError(f"{label} is not an array: {exc}") from None
