"""Argument checks shared by the fused optimizers and the NumPy reference.

Every check names the argument it rejects and runs before anything is modified.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_float_array(value: Any, label: str) -> np.ndarray:
    """Return ``value`` if it is a C-contiguous float32/float64 ndarray, else raise."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{label} must be a numpy.ndarray, got {type(value).__name__}")
    if value.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{label} has dtype {value.dtype}; fusedopt takes float32 or float64 arrays "
            "(native byte order)"
        )
    if not value.flags.c_contiguous:
        raise ValueError(
            f"{label} is not C-contiguous; fusedopt writes arrays in place and never a "
            "hidden copy: pass np.ascontiguousarray(...) and keep using that array"
        )
    return value


def check_param(param: Any, label: str) -> np.ndarray:
    """Return ``param`` if fusedopt can write it in place (the kernels' T*), else raise."""
    check_float_array(param, label)
    if not param.flags.writeable:
        raise ValueError(f"{label} is read-only")
    if not param.flags.aligned:
        raise ValueError(f"{label} is not aligned to its dtype (np.frombuffer at an odd offset?)")
    return param


def _span(array: np.ndarray) -> tuple[int, int]:
    start = array.__array_interface__["data"][0]
    return start, start + array.nbytes


class MemoryIndex:
    """The byte intervals of disjoint C-contiguous arrays, for overlap queries."""

    def __init__(self, arrays: Sequence[np.ndarray], labels: Sequence[str]) -> None:
        spans = sorted((*_span(a), label) for a, label in zip(arrays, labels) if a.nbytes > 0)
        self._starts = [start for start, _, _ in spans]
        self._spans = spans

    def owner(self, array: np.ndarray) -> str | None:
        """Label of an indexed array sharing memory with ``array``'s extent, if any."""
        if array.nbytes == 0:
            return None
        start, end = _span(array)
        # Disjoint intervals: only the last one starting before `end` can reach `start`.
        k = bisect.bisect_left(self._starts, end) - 1
        if k >= 0 and self._spans[k][1] > start:
            return self._spans[k][2]
        return None


def check_disjoint(arrays: Sequence[np.ndarray], labels: Sequence[str]) -> None:
    """Raise if two of ``arrays`` are the same object or share memory.

    The arrays are C-contiguous, so each occupies exactly one byte interval;
    sorting the intervals finds an overlap in O(n log n).
    """
    seen: dict[int, str] = {}
    for array, label in zip(arrays, labels):
        if id(array) in seen:
            raise ValueError(f"{label} is the same array as {seen[id(array)]}")
        seen[id(array)] = label
    spans = sorted(
        (*_span(array), label) for array, label in zip(arrays, labels) if array.nbytes > 0
    )
    reach_end, reach_label = -1, ""
    for start, end, label in spans:
        if start < reach_end:
            raise ValueError(f"{label} shares memory with {reach_label}")
        if end > reach_end:
            reach_end, reach_label = end, label


def coerce_grad(grad: Any, index: int, param: np.ndarray) -> np.ndarray:
    """Convert a gradient to a C-contiguous array of ``param``'s dtype and shape.

    Called only for gradients that are not already in that form. The result is
    a new array (or a view of ``grad``); ``param`` is never touched.
    """
    array = np.asarray(grad)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"grads[{index}] has dtype {array.dtype}; expected a real array convertible to "
            f"{param.dtype}"
        )
    if array.shape != param.shape:
        raise ValueError(
            f"grads[{index}] has shape {array.shape}, expected {param.shape} "
            f"(the shape of params[{index}])"
        )
    # np.ascontiguousarray would turn a 0-d array into shape (1,).
    return np.require(array, dtype=param.dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])


def grad_list(grads: Any, count: int) -> list[Any]:
    """Return ``grads`` as a list of ``count`` entries, or raise."""
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
        raise TypeError(
            "grads must be a list with one gradient (or None) per parameter, got "
            f"{type(grads).__name__}"
        )
    grads = grads if type(grads) is list else list(grads)
    if len(grads) != count:
        raise ValueError(f"grads has {len(grads)} entries, expected {count} (one per parameter)")
    return grads


# ------------------------------------------------------------ hyperparameters
def nonneg(value: Any, name: str) -> None:
    if not _is_real(value) or not value >= 0.0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def finite(value: Any, name: str) -> None:
    if not _is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def unit_interval(value: Any, name: str, *, closed: bool) -> None:
    real = _is_real(value)
    upper_ok = real and ((value <= 1.0) if closed else (value < 1.0))
    if not real or not (value >= 0.0 and upper_ok):
        bracket = "]" if closed else ")"
        raise ValueError(f"{name} must be in [0, 1{bracket}, got {value!r}")


def betas(value: Any, name: str) -> None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    unit_interval(value[0], f"{name}[0]", closed=False)
    unit_interval(value[1], f"{name}[1]", closed=False)


def pair(value: Any, name: str, labels: str) -> tuple[Any, Any]:
    """``value`` as a pair of real numbers (``labels`` names them in the message)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(map(_is_real, value)):
        raise ValueError(f"{name} must be a pair {labels} of numbers, got {value!r}")
    return value[0], value[1]


def flag(value: Any, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
