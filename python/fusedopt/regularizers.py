"""Regularizers: penalties added to the loss, computed by C++ SIMD kernels.

The full loss is ``L_data(W) + R(W)`` with

.. code-block:: text

    L2(lam):                 R = lam·Σw²                          ∇R = 2·lam·w
    L1(lam):                 R = lam·Σ|w|                         ∇R = lam·sign(w)   (0 at 0)
    ElasticNet(lam, alpha):  R = lam·(alpha·Σ|w| + (1−alpha)·Σw²)

Every regularizer is ``R = l1·Σ|w| + l2·Σw²`` for its own ``l1`` and ``l2``.
Pass one to an optimizer (``fo.SGD(params, lr, regularizer=fo.L1(1e-4))``, or
per parameter group) and ∇R is added to the gradient inside the optimizer's
single fused pass: no extra pass over memory, no temporary array. Like torch's
``weight_decay``, the penalty always pulls towards zero, also with
``maximize=True``. Note ``L2(lam)`` equals torch's ``weight_decay = 2·lam``.

Proximal mode (``L1(lam, proximal=True)``, ``ElasticNet(..., proximal=True)``)
applies the L1 part after the update as soft-thresholding instead of adding
its subgradient, which gives exact zeros:

.. code-block:: text

    w ← sign(w)·max(|w| − τ, 0)

With SGD, τ = lr·l1: proximal gradient descent (ISTA), which converges to the
Lasso solution with its exact support. The adaptive optimizers scale τ like
their step, per coordinate: Adam/AdamW τᵢ = lr/(1−β1ᵗ)·l1/denᵢ, RMSprop
τᵢ = lr·l1/denᵢ, where denᵢ is the denominator of that coordinate's update
(Adamax: denᵢ = uᵢ; Adadelta τᵢ = lr·l1·√(accᵢ + eps)/√(vᵢ + eps)). Rprop
refuses proximal mode: its step ignores the gradient's magnitude, so no
threshold makes its fixed points those of the L1 problem; the subgradient
mode works there (∇R joins g before the sign is taken).
This is the proximal step in the optimizer's own diagonal metric: a fixed
point w* = S_τ(w* − ηᵢ·∇f) with τᵢ = ηᵢ·l1 satisfies 0 ∈ ∇f + l1·∂|w*| for any
positive step ηᵢ, i.e. it solves the stated problem. A plain τ = lr·l1 with a
per-coordinate step ηᵢ would instead solve 0 ∈ ∇f + (lr/ηᵢ)·l1·∂|w*|: a
different penalty for every coordinate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from . import _core
from . import _validation as V

__all__ = ["L1", "L2", "ElasticNet", "Regularizer"]

ArrayOrList = Union[np.ndarray, Sequence[np.ndarray]]


def _check_lam(lam: float) -> None:
    V.nonneg(lam, "lam")


def _aligned(w: np.ndarray) -> np.ndarray:
    """``w`` as the kernels may read it: a misaligned array (np.frombuffer at an
    odd offset) is copied; it is only read, so the copy changes nothing."""
    return w if w.flags.aligned else w.copy()


class Regularizer:
    """``R(w) = l1·Σ|w| + l2·Σw²``; see the module docstring."""

    proximal: bool = False

    @property
    def l1(self) -> float:
        """Coefficient of Σ|w|."""
        raise NotImplementedError

    @property
    def l2(self) -> float:
        """Coefficient of Σw²."""
        raise NotImplementedError

    def value(self, w: ArrayOrList) -> float:
        """R(w), summed over a list of arrays if given one.

        Accumulated in double precision (also for float32); deterministic for
        a given thread count.
        """
        if not isinstance(w, (np.ndarray, list, tuple)):
            raise TypeError(f"w must be a numpy.ndarray or a list of them, got {type(w).__name__}")
        arrays = [w] if isinstance(w, np.ndarray) else list(w)
        labels = ["w"] if isinstance(w, np.ndarray) else [f"w[{i}]" for i in range(len(arrays))]
        arrays = [_aligned(V.check_float_array(a, label)) for a, label in zip(arrays, labels)]
        return float(_core.regularizer_value(arrays, self.l1, self.l2))

    def grad(
        self, w: np.ndarray, out: np.ndarray | None = None, *, accumulate: bool = False
    ) -> np.ndarray:
        """∇R(w) = l1·sign(w) + 2·l2·w (sign(0) = 0), in w's dtype and shape.

        Parameters
        ----------
        w : ndarray
            C-contiguous float32 or float64 array (copied first if it is not
            aligned to its dtype).
        out : ndarray, optional
            Where to write the result (same dtype and shape as ``w``, writeable,
            aligned, not overlapping ``w``), e.g. the data gradient's own buffer.
        accumulate : bool, default False
            Add ∇R to ``out`` instead of overwriting it (needs ``out``).
        """
        V.check_float_array(w, "w")
        V.flag(accumulate, "accumulate")
        if out is None:
            if accumulate:
                raise ValueError("accumulate=True needs out (the buffer to add into)")
            out = np.empty_like(w)
        else:
            V.check_param(out, "out")  # written in place, like a parameter: never a copy
            if out.dtype != w.dtype or out.shape != w.shape:
                raise ValueError(
                    f"out has dtype {out.dtype} and shape {out.shape}; expected w's "
                    f"{w.dtype} and {w.shape}"
                )
            if np.shares_memory(out, w):
                raise ValueError("out shares memory with w")
        _core.regularizer_grad(_aligned(w), out, self.l1, self.l2, accumulate)
        return out


@dataclass(frozen=True)
class L2(Regularizer):
    """Ridge penalty ``R = lam·Σw²``, ``∇R = 2·lam·w`` (torch weight_decay = 2·lam).

    Parameters
    ----------
    lam : float
        Penalty strength, >= 0.
    """

    lam: float

    def __post_init__(self) -> None:
        _check_lam(self.lam)

    @property
    def l1(self) -> float:
        return 0.0

    @property
    def l2(self) -> float:
        return float(self.lam)


@dataclass(frozen=True)
class L1(Regularizer):
    """Lasso penalty ``R = lam·Σ|w|``, ``∇R = lam·sign(w)`` (0 at 0).

    Parameters
    ----------
    lam : float
        Penalty strength, >= 0.
    proximal : bool, default False
        In an optimizer, apply the penalty by soft-thresholding after the
        update (exact zeros) instead of adding its subgradient.
    """

    lam: float
    proximal: bool = False

    def __post_init__(self) -> None:
        _check_lam(self.lam)
        V.flag(self.proximal, "proximal")

    @property
    def l1(self) -> float:
        return float(self.lam)

    @property
    def l2(self) -> float:
        return 0.0


@dataclass(frozen=True)
class ElasticNet(Regularizer):
    """``R = lam·(alpha·Σ|w| + (1−alpha)·Σw²)``.

    Parameters
    ----------
    lam : float
        Penalty strength, >= 0.
    alpha : float
        Share of the L1 part, in [0, 1] (1 is L1, 0 is L2).
    proximal : bool, default False
        Apply the L1 part by soft-thresholding after the update (see the
        module docstring); the L2 part always enters the gradient.
    """

    lam: float
    alpha: float
    proximal: bool = False

    def __post_init__(self) -> None:
        _check_lam(self.lam)
        V.unit_interval(self.alpha, "alpha", closed=True)
        V.flag(self.proximal, "proximal")

    @property
    def l1(self) -> float:
        return float(self.lam * self.alpha)

    @property
    def l2(self) -> float:
        return float(self.lam * (1.0 - self.alpha))


def check_regularizer(value: object, name: str = "regularizer") -> None:
    """Raise TypeError unless ``value`` is None or a Regularizer."""
    if value is not None and not isinstance(value, Regularizer):
        raise TypeError(
            f"{name} must be None or a fusedopt regularizer (L1, L2, ElasticNet), got {value!r}"
        )


def core_fields(value: Regularizer | None) -> dict[str, float | bool]:
    """The fields the C++ core reads for a group's regularizer (none: no fields)."""
    if value is None:
        return {}
    return {"l1": value.l1, "l2": value.l2, "l1_proximal": bool(value.proximal)}
