"""The torch.optim.Optimizer contract on NumPy arrays.

:class:`Optimizer` owns what the fused optimizers and the NumPy reference have
in common: parameter groups, ``defaults``, validation, ``state_dict`` and
``load_state_dict``. A subclass supplies the algorithm (its hyperparameters and
state names, see ``fusedopt._algorithms``) and the storage of the state
(``_storage_*`` hooks) and ``_apply`` for the update itself.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Union

import numpy as np

from . import _validation as V

ParamsT = Union[Iterable[np.ndarray], Iterable[dict[str, Any]]]


class Optimizer:
    """Base class of fusedopt's NumPy optimizers (see :class:`fusedopt.SGD` etc.)."""

    #: names of the state buffers, in the order the C++ core indexes them
    state_names: ClassVar[tuple[str, ...]] = ()
    #: whether the state carries torch's per-parameter ``step`` count
    has_step: ClassVar[bool] = True

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._params: list[np.ndarray] = []
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

    # ------------------------------------------------------------ algorithm hooks
    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Raise ValueError/TypeError naming the first invalid hyperparameter."""
        raise NotImplementedError

    def _apply(self, grads: list[Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ storage hooks
    def _init_storage(self) -> None:
        raise NotImplementedError

    def _storage_add(self, params: list[np.ndarray], group_index: int) -> None:
        raise NotImplementedError

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        """Parameter ``index``'s step count and live state buffers (views)."""
        raise NotImplementedError

    def _storage_set(self, index: int, step: int, arrays: dict[str, np.ndarray]) -> None:
        """Replace parameter ``index``'s state with copies of ``arrays``."""
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters.

        Keys missing from ``param_group`` are filled from :attr:`defaults`.
        """
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
            V.check_param(param, label)
        V.check_disjoint(self._params + params, [f"params[{k}]" for k in range(first)] + labels)
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self._storage_add(params, len(self.param_groups))
        self.param_groups.append(group)
        self._params.extend(params)

    def step(self, grads: list[Any]) -> None:
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        grads : list
            One entry per parameter, in order of appearance across the groups:
            an array of the parameter's shape (converted to its dtype if
            needed), or ``None`` to leave that parameter and its state alone.
        """
        grads = V.grad_list(grads, len(self._params))
        for group in self.param_groups:
            self._check_group(group)
        self._apply(grads)

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """Live state by parameter index: ``{'step': int, name: array view}``.

        Writing into the arrays changes the optimizer's state.
        """
        out: dict[int, dict[str, Any]] = {}
        for index in range(len(self._params)):
            step, arrays = self._storage_get(index)
            if arrays or (self.has_step and step):
                out[index] = ({"step": step} if self.has_step else {}) | arrays
        return out

    def state_dict(self) -> dict[str, Any]:
        """A checkpoint in torch.optim's layout.

        ``{'state': {index: {'step': 0-d float32 array, name: array}},
        'param_groups': [{hyperparameters..., 'params': [indices]}]}``. Unlike
        torch, the arrays are copies: a checkpoint does not change as training
        goes on.
        """
        state: dict[int, dict[str, Any]] = {}
        for index, entry in self.state.items():
            saved = {k: np.array(v, copy=True) for k, v in entry.items() if k != "step"}
            if self.has_step:
                saved = {"step": np.array(entry["step"], dtype=np.float32)} | saved
            state[index] = saved
        groups, start = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            saved_group = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved_group["params"] = list(range(start, start + count))
            groups.append(saved_group)
            start += count
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a checkpoint made by :meth:`state_dict` (or torch's, as NumPy).

        Everything is validated first; on any mismatch nothing changes.
        """
        groups, states = self._validate_state_dict(state_dict)
        for index in range(len(self._params)):
            step, arrays = states.get(index, (0, {}))
            self._storage_set(index, step, arrays)
        for group, new in zip(self.param_groups, groups):
            group.clear()
            group.update(new)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join([*lines, ")"])

    # ------------------------------------------------------------ loading
    def _validate_state_dict(
        self, state_dict: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[int, tuple[int, dict[str, np.ndarray]]]]:
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("state_dict must be a dict with keys 'state' and 'param_groups'")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"state_dict has {len(saved_groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        groups = []
        for g, (ours, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(ours["params"]):
                raise ValueError(
                    f"state_dict's param_groups[{g}] has {len(saved['params'])} parameters, "
                    f"the optimizer's has {len(ours['params'])}"
                )
            group = {**copy.deepcopy({k: v for k, v in saved.items() if k != "params"})}
            group["params"] = ours["params"]
            for key in self.defaults:
                group.setdefault(key, ours[key])
            self._check_group(group)
            groups.append(group)
        # Saved indices refer to the saved groups' order, which matches ours.
        order = [i for saved in saved_groups for i in saved["params"]]
        position = {saved_index: k for k, saved_index in enumerate(order)}
        states = {}
        for key, entry in dict(state_dict["state"]).items():
            if key not in position:
                raise ValueError(f"state_dict['state'] has an entry for unknown parameter {key!r}")
            states[position[key]] = self._validate_entry(position[key], entry)
        return groups, states

    def _validate_entry(self, index: int, entry: Any) -> tuple[int, dict[str, np.ndarray]]:
        label = f"state_dict['state'][{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{label} must be a dict")
        allowed = {*self.state_names, *(("step",) if self.has_step else ())}
        unknown = set(entry) - allowed
        if unknown:
            raise ValueError(
                f"{label} has unknown keys {sorted(unknown)}; expected some of {sorted(allowed)}"
            )
        param = self._params[index]
        arrays = {}
        for name in self.state_names:
            if name not in entry or entry[name] is None:
                continue
            value = np.asarray(entry[name])
            if value.dtype.kind not in "iuf":
                raise TypeError(f"{label}['{name}'] has dtype {value.dtype}, expected a real dtype")
            if value.shape != param.shape:
                raise ValueError(
                    f"{label}['{name}'] has shape {value.shape}, expected {param.shape}"
                )
            # Always a copy: the source may be a view of this optimizer's own state.
            arrays[name] = np.array(value, dtype=param.dtype, order="C", copy=True)
        step = 1 if arrays else 0  # SGD keeps no count: a buffer means it has started
        if self.has_step:
            if "step" not in entry:
                raise ValueError(f"{label} has no 'step'")
            raw = np.asarray(entry["step"])
            if raw.shape != () or raw.dtype.kind not in "iuf" or not 0 <= float(raw) < 2**62:
                raise ValueError(f"{label}['step'] must be a count >= 0, got {entry['step']!r}")
            if float(raw) != int(float(raw)):
                raise ValueError(f"{label}['step'] must be a whole number, got {float(raw)}")
            step = int(float(raw))
        return step, arrays
