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


def is_bfloat16(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is ml_dtypes' bfloat16 (NumPy has none of its own)."""
    return dtype.kind == "V" and dtype.itemsize == 2 and dtype.name == "bfloat16"


def is_step_dtype(dtype: np.dtype) -> bool:
    """Whether the optimizer kernels store parameters, gradients and state of
    this dtype: float32, float64, float16, and ml_dtypes' bfloat16 (native
    byte order)."""
    return dtype in FLOAT_DTYPES or dtype == np.float16 or (is_bfloat16(dtype) and dtype.isnative)


def math_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the kernels compute in for buffers of ``dtype``: float64 for
    float64, float32 for everything else (float32, bfloat16, float16)."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


#: The values of the optimizers' ``state_dtype`` option besides None.
STATE_DTYPES = ("float32", "bfloat16", "float16")


def check_state_dtype(value: Any, name: str) -> None:
    if value is not None and value not in STATE_DTYPES:
        raise ValueError(f"{name} must be None or one of {STATE_DTYPES}, got {value!r}")


def state_dtype_name(state_dtype: str | None, own: str, label: str) -> str:
    """The dtype name of a parameter's state buffers under a group's
    ``state_dtype`` (None: the parameter's own dtype, named ``own``). float64
    math mixes with no other type: a float64 parameter with another state
    dtype is refused, naming the parameter (``label``)."""
    chosen = own if state_dtype is None else state_dtype
    if (own == "float64") != (chosen == "float64"):
        raise ValueError(
            f"{label} is {own} and its group's state_dtype is {state_dtype!r}: float64 "
            "parameters keep float64 state (float64 math mixes with no other type)"
        )
    return chosen


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a storage type's name ('bfloat16': ml_dtypes')."""
    if name != "bfloat16":
        return np.dtype(name)
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(
            "bfloat16 state in NumPy arrays needs the ml_dtypes package (pip install ml_dtypes)"
        ) from None
    return np.dtype(ml_dtypes.bfloat16)


def check_float_array(value: Any, label: str, *, reduced: bool = False) -> np.ndarray:
    """Return ``value`` if it is a C-contiguous float32/float64 ndarray (with
    ``reduced``: also bfloat16/float16), else raise."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{label} must be a numpy.ndarray, got {type(value).__name__}")
    if not (is_step_dtype(value.dtype) if reduced else value.dtype in FLOAT_DTYPES):
        wanted = (
            "float32, float64, bfloat16 (ml_dtypes) or float16" if reduced else "float32 or float64"
        )
        raise TypeError(
            f"{label} has dtype {value.dtype}; fusedopt takes {wanted} arrays (native byte order)"
        )
    if not value.flags.c_contiguous:
        raise ValueError(
            f"{label} is not C-contiguous; fusedopt writes arrays in place and never a "
            "hidden copy: pass np.ascontiguousarray(...) and keep using that array"
        )
    return value


def check_param(param: Any, label: str, *, reduced: bool = False) -> np.ndarray:
    """Return ``param`` if fusedopt can write it in place (the kernels' T*), else raise.
    ``reduced`` also accepts bfloat16/float16 (the optimizers do)."""
    check_float_array(param, label, reduced=reduced)
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


def grad_dtype_fits(grad: np.dtype, param: np.dtype) -> bool:
    """Whether the kernels read a gradient of dtype ``grad`` for a parameter of
    dtype ``param`` as it is: the same dtype, or float32/bfloat16/float16
    mixed (float64 mixes with nothing)."""
    if grad == param:
        return True
    return is_step_dtype(grad) and np.float64 not in (grad, param)


def coerce_grad(grad: Any, index: int, param: np.ndarray) -> np.ndarray:
    """Return a gradient as a C-contiguous array of ``param``'s shape, in a
    dtype the kernels read with the parameter's: its own if it fits
    (``grad_dtype_fits``), else converted to ``param``'s.

    Called only for gradients that are not already in that form. The result is
    a new array (or ``grad`` or a view of it); ``param`` is never touched.
    """
    array = np.asarray(grad)
    if array.dtype.kind not in "biuf" and not is_bfloat16(array.dtype):
        raise TypeError(
            f"grads[{index}] has dtype {array.dtype}; expected a real array convertible to "
            f"{param.dtype}"
        )
    if array.shape != param.shape:
        raise ValueError(
            f"grads[{index}] has shape {array.shape}, expected {param.shape} "
            f"(the shape of params[{index}])"
        )
    dtype = array.dtype if grad_dtype_fits(array.dtype, param.dtype) else param.dtype
    # np.ascontiguousarray would turn a 0-d array into shape (1,).
    return np.require(array, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])


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
