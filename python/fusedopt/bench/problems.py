"""Smooth test objectives of the solver benchmarks: ``fun(x) -> (f, g)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
Hess = Callable[[np.ndarray], Any]
HessP = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Problem:
    """An objective, its start, and (for Newton's methods) its Hessian or products."""

    name: str
    n: int
    fun: Objective
    x0: np.ndarray
    hess: Hess | None = None
    hessp: HessP | None = None


def extended_rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    """MGH 21: Σ 100(x_{2i} − x_{2i−1}²)² + (1 − x_{2i−1})² and its gradient (n even)."""
    odd, even = x[0::2], x[1::2]  # x_{2i-1}, x_{2i} in 1-based indexing
    t = even - odd * odd
    u = 1.0 - odd
    f = float(np.sum(100.0 * (t * t) + u * u))  # no BLAS: same cost at any BLAS thread count
    g = np.empty_like(x)
    g[0::2] = -400.0 * odd * t - 2.0 * u
    g[1::2] = 200.0 * t
    return f, g


def chained_rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    """scipy.optimize.rosen and rosen_der: Σ 100(x_{i+1} − x_i²)² + (1 − x_i)²."""
    from scipy.optimize import rosen, rosen_der

    return float(rosen(x)), rosen_der(x)


def rosenbrock_start(n: int) -> np.ndarray:
    """MGH's standard start (−1.2, 1, −1.2, 1, ...)."""
    return np.tile([-1.2, 1.0], n // 2)


def make_logistic(n_samples: int, n_features: int, lam: float, seed: int) -> Objective:
    """L2-regularised logistic loss (mean) + lam·‖w‖² on seeded synthetic data."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_samples, n_features))
    w_true = rng.standard_normal(n_features)
    labels = np.where(features @ w_true + rng.standard_normal(n_samples) > 0, 1.0, -1.0)

    def logistic(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = labels * (features @ w)
        f = float(np.logaddexp(0.0, -margin).mean()) + lam * float(w @ w)
        residual = -labels * _expit(-margin) / n_samples
        return f, features.T @ residual + 2.0 * lam * w

    return logistic


def _expit(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(−z)) without overflow warnings (scipy.special.expit, NumPy only)."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out
