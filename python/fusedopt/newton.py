"""The Python half of ``fusedopt.minimize(method="newton" | "newton-cg")``.

The outer loop (line searches, stopping tests, counters) and Newton-CG's
conjugate gradients run in C++ (``csrc/newton/``); this module holds what
needs LAPACK or the user's Hessian: checking ``hess(x)``, and exact Newton's
step from it.

Exact Newton's step
-------------------
With ``g`` and ``H`` at the iterate:

1. The modified Newton step (Nocedal & Wright, *Numerical Optimization*, 2nd
   ed., Algorithm 3.3, Cholesky with added multiple of the identity): ``τ = 0``
   if ``min_i h_ii > 0``, else ``τ = β − min_i h_ii``; while the Cholesky
   factorisation of ``H + τI`` fails, ``τ = max(2τ, β)``; then ``s`` solves
   ``(H + τI) s = −g``. N&W use ``β = 10⁻³``; here ``β = √u·‖H‖_F/√n`` (``u``
   the float64 machine epsilon, ``‖H‖_F/√n`` the root-mean-square eigenvalue;
   ``β = √u`` when ``H = 0``): relative to the Hessian, so the shift means the
   same in any units, and small, so that τ is the smallest shift that works
   up to the doubling's factor of 2 (for indefinite ``H``,
   ``|λ_min| < τ ≤ 2|λ_min|``) rather than a floor of ``β``. Measured on the
   Moré–Garbow–Hillstrom set (``tests/test_newton.py``): with N&W's ``10⁻³``
   (absolute, or relative to ``‖H‖_F/√n``) the shift slows Newton to a linear
   rate wherever ``H`` is singular (Linear function rank 1: 5 iterations
   against L-BFGS's 2) and damps its steps in long indefinite stretches.
2. When ``τ > 0`` (``H`` is not positive definite), the most negative
   eigenpair ``(λ, u)`` of ``H``. If ``λ < −√u·‖H‖_F`` (clearly below the
   rounding error of the eigensolver), ``H`` is indefinite and:

   * along ``u``, ``H + τI`` has the eigenvalue ``τ − |λ|``, anywhere in
     ``(0, |λ|]`` depending on where the doubling of τ stopped, so the step's
     component ``−uᵀg/(τ − |λ|)`` along ``u`` is arbitrarily long. It is
     replaced by ``−uᵀg/max(|λ|, τ − |λ|)``: ``s`` then solves
     ``(H + τI + σuuᵀ) s = −g`` with ``σ = max(0, 2|λ| − τ)``, the Alg. 3.3
     matrix with its eigenvalue along ``u`` raised to ``|λ|`` (the value an
     eigenvalue modification ``|λ|`` would give it). ``s`` stays a descent
     direction. Measured: with the plain Alg. 3.3 step (β = 10⁻³ or √u)
     Osborne 2 ends at its local minimum f = 0.329 (scipy's trust-exact:
     0.0401); with the correction all 36 problems reach the documented
     minimum (or trust-exact's), each in no more iterations than L-BFGS.
   * the direction of negative curvature is ``d = ±|λ|·u``, signed so that
     ``gᵀd ≤ 0`` (``+`` when ``gᵀu = 0``). Scaling by ``|λ|`` makes ``d``
     vanish exactly when the negative curvature does, and keeps it nonzero at
     a saddle where ``g = 0`` (a ``d`` scaled to ``‖s‖`` would vanish there);
     ``dᵀHd = λ³``. (Measured: a unit ``d``, or ``‖d‖ = ‖s‖``, sends Osborne 1
     to f = 0.0467 instead of 5.46e-5.)

The C++ loop then backtracks along Moré & Sorensen's curvilinear path
``x(α) = x + α²s + αd``, ``α = 1, ½, ¼, …``, until
``f(x(α)) ≤ f(x) + c1·α²·(gᵀs + ½dᵀHd)`` (see ``csrc/newton/newton.cpp``).

Factorisations
--------------
Dense: ``scipy.linalg.cho_factor``/``cho_solve`` and ``scipy.linalg.eigh``
(the lowest eigenpair only, ``subset_by_index=[0, 0]``) when SciPy is
installed, else ``numpy.linalg.cholesky`` (with two triangular solves by
``numpy.linalg.solve``) and ``numpy.linalg.eigh``. Never a factorisation of
our own.

``scipy.sparse``: SciPy has no sparse Cholesky, so ``H + τI`` is factored by
SuperLU (``scipy.sparse.linalg.splu``) in symmetric mode with diagonal
pivoting (``diag_pivot_thresh=0``, a fill-reducing ordering of ``A + Aᵀ``,
``SymmetricMode``): when the rows are permuted like the columns, ``PAPᵀ =
LU`` with ``U = DLᵀ``, and by Sylvester's law of inertia ``H + τI`` is
positive definite exactly when every pivot ``U_ii`` is positive. A
factorisation with off-diagonal pivots or a pivot ``≤ 0`` counts as a failed
Cholesky. The lowest eigenpair comes from ARPACK (``scipy.sparse.linalg.eigsh``)
in shift-invert mode at ``σ = −τ``, reusing the LU factors of ``H + τI``:
every eigenvalue of ``H`` is above ``−τ`` and the lowest is the closest to it.

Checks
------
``hess(x)`` must return a real ``(n, n)`` array (or ``x.shape + x.shape``),
or a ``scipy.sparse`` matrix, with finite entries, symmetric to
``max|H − Hᵀ| ≤ 10⁻⁸·max|H|``; anything else raises ``ValueError`` (a
``TypeError`` for a non-real dtype) naming ``hess``. Newton needs the
symmetric Hessian: a clearly asymmetric ``H`` is a bug in ``hess`` (the
Hessian of a twice continuously differentiable ``f`` is symmetric), so it is
an error, not a warning. Within the tolerance, ``(H + Hᵀ)/2`` is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # SciPy is optional: faster dense factorisations, and scipy.sparse Hessians
    import scipy.linalg as _sla
    import scipy.sparse as _sparse
    import scipy.sparse.linalg as _spla
except ImportError:  # pragma: no cover - SciPy is a test dependency
    _sla = _sparse = _spla = None

__all__ = ["HessianProducts", "check_hessian", "newton_step", "step_function"]

_SQRT_EPS = math.sqrt(np.finfo(np.float64).eps)
BETA = _SQRT_EPS  # N&W Algorithm 3.3's β, relative to ‖H‖_F/√n
NEGATIVE_CURVATURE_RTOL = _SQRT_EPS  # λ_min < −rtol·‖H‖_F counts as negative curvature
SYMMETRY_RTOL = 1e-8
MAX_SHIFTS = 200  # τ doubles; 200 doublings pass any finite ‖H‖

Step = tuple[np.ndarray, "np.ndarray | None", float]


def is_sparse(value: Any) -> bool:
    return _sparse is not None and _sparse.issparse(value)


def check_hessian(value: Any, shape: tuple[int, ...]) -> Any:
    """``hess(x)``'s value as a symmetric float64 ``(n, n)`` ndarray or CSC matrix."""
    n = math.prod(shape)
    dtype = value.dtype if is_sparse(value) else np.asarray(value).dtype
    if dtype.kind not in "biuf":
        raise TypeError(f"hess(x) returned dtype {dtype}; expected a real (n, n) array")
    if is_sparse(value):
        matrix = _sparse.csc_matrix(value, dtype=np.float64)
        data = matrix.data
    else:
        array = np.asarray(value)
        if array.shape not in ((n, n), shape + shape):
            raise ValueError(
                f"hess(x) returned shape {array.shape}, expected ({n}, {n}) (x0.size = {n})"
            )
        matrix = data = np.asarray(array, dtype=np.float64).reshape(n, n)
    if matrix.shape != (n, n):
        raise ValueError(f"hess(x) returned shape {matrix.shape}, expected ({n}, {n})")
    if not np.all(np.isfinite(data)):
        raise ValueError("hess(x) returned a Hessian with NaN or inf entries")
    return _symmetrised(matrix, data)


def _symmetrised(matrix: Any, data: np.ndarray) -> Any:
    scale = float(np.max(np.abs(data))) if data.size else 0.0
    asymmetry = matrix - matrix.T
    worst = float(abs(asymmetry).max()) if asymmetry.shape[0] else 0.0
    if worst > SYMMETRY_RTOL * scale:
        raise ValueError(
            f"hess(x) returned a non-symmetric matrix: max |H - H.T| = {worst:.3g} against "
            f"max |H| = {scale:.3g}; Newton's method needs the (symmetric) Hessian"
        )
    symmetric = (matrix + matrix.T) * 0.5
    return symmetric.tocsc() if is_sparse(symmetric) else symmetric


def newton_step(hessian: Any, g: np.ndarray) -> Step:
    """``(s, d, dᵀHd)``: the modified Newton step and, where ``H`` has a clearly
    negative eigenvalue, the direction of negative curvature (else ``None``)."""
    n = g.size
    norm = _frobenius(hessian)
    beta = BETA * norm / math.sqrt(n) if norm > 0 else BETA
    ops = _SparseOps(hessian) if is_sparse(hessian) else _DenseOps(hessian)
    factor, tau = _shifted_factor(ops, beta)
    s = -ops.solve(factor, g)
    if tau == 0.0:
        return s, None, 0.0
    lam, u = ops.lowest_eigenpair(factor, tau)
    if not lam < -NEGATIVE_CURVATURE_RTOL * norm:
        return s, None, 0.0
    # Along u, take the step of eigenvalue max(|λ|, τ − |λ|), not τ − |λ|.
    s -= ((u @ s) + (u @ g) / max(-lam, tau + lam)) * u
    d = -lam * u
    if g @ d > 0:
        d = -d
    return s, d, lam**3


def _frobenius(hessian: Any) -> float:
    data = hessian.data if is_sparse(hessian) else hessian
    return float(np.sqrt(np.sum(np.square(data))))


def _shifted_factor(ops: _DenseOps | _SparseOps, beta: float) -> tuple[Any, float]:
    """N&W Algorithm 3.3: the factor of ``H + τI`` for the first ``τ`` that works."""
    min_diagonal = float(np.min(ops.diagonal()))
    tau = 0.0 if min_diagonal > 0 else beta - min_diagonal
    for _ in range(MAX_SHIFTS):
        factor = ops.cholesky(tau)
        if factor is not None:
            return factor, tau
        tau = max(2.0 * tau, beta)
    raise np.linalg.LinAlgError(f"H + tau I is not positive definite even at tau = {tau:.3g}")


class _DenseOps:
    def __init__(self, hessian: np.ndarray) -> None:
        self.h = hessian

    def diagonal(self) -> np.ndarray:
        return np.diagonal(self.h)

    def cholesky(self, tau: float) -> Any:
        shifted = self.h + tau * np.eye(self.h.shape[0]) if tau else self.h
        try:
            if _sla is not None:
                return _sla.cho_factor(shifted, lower=True, check_finite=False)
            return np.linalg.cholesky(shifted)
        except np.linalg.LinAlgError:
            return None

    def solve(self, factor: Any, b: np.ndarray) -> np.ndarray:
        if _sla is not None:
            return _sla.cho_solve(factor, b, check_finite=False)
        return np.linalg.solve(factor.T, np.linalg.solve(factor, b))

    def lowest_eigenpair(self, factor: Any, tau: float) -> tuple[float, np.ndarray]:
        if _sla is not None:
            w, v = _sla.eigh(self.h, subset_by_index=[0, 0], check_finite=False)
        else:
            w, v = np.linalg.eigh(self.h)
        return float(w[0]), v[:, 0]


class _SparseOps:
    def __init__(self, hessian: Any) -> None:
        self.h = hessian
        self.n = hessian.shape[0]

    def diagonal(self) -> np.ndarray:
        return self.h.diagonal()

    def cholesky(self, tau: float) -> Any:
        shifted = (self.h + tau * _sparse.identity(self.n, format="csc")).tocsc()
        try:
            lu = _spla.splu(
                shifted, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )  # fmt: skip
        except RuntimeError:  # exactly singular
            return None
        symmetric = np.array_equal(lu.perm_r, lu.perm_c)
        return lu if symmetric and np.all(lu.U.diagonal() > 0) else None

    def solve(self, factor: Any, b: np.ndarray) -> np.ndarray:
        return factor.solve(b)

    def lowest_eigenpair(self, factor: Any, tau: float) -> tuple[float, np.ndarray]:
        if self.n < 3:  # ARPACK needs k < n - 1
            return _DenseOps(self.h.toarray()).lowest_eigenpair(None, tau)
        inverse = _spla.LinearOperator((self.n, self.n), matvec=factor.solve, dtype=np.float64)
        w, v = _spla.eigsh(self.h, k=1, sigma=-tau, which="LM", OPinv=inverse, v0=np.ones(self.n))
        return float(w[0]), v[:, 0]


class HessianProducts:
    """``hessp(x, p, *args)`` for Newton-CG from a ``hess``: the Hessian is
    evaluated and checked once per iterate (the C++ loop passes the same ``x``
    object for all products at one iterate) and multiplied by each ``p``."""

    def __init__(self, hess: Callable[..., Any], shape: tuple[int, ...]) -> None:
        self._hess = hess
        self._shape = shape
        self._x: np.ndarray | None = None
        self._matrix: Any = None

    def __call__(self, x: np.ndarray, p: np.ndarray, *args: Any) -> np.ndarray:
        if x is not self._x:
            self._matrix = check_hessian(self._hess(x, *args), self._shape)
            self._x = x
        return np.asarray(self._matrix @ p.reshape(-1)).reshape(self._shape)


def step_function(
    hess: Callable[..., Any], shape: tuple[int, ...], args: tuple[Any, ...]
) -> Callable[[np.ndarray, np.ndarray], Step]:
    """``step(x, g)`` on flat arrays, as ``_core.newton_minimize`` calls it."""

    def step(x: np.ndarray, g: np.ndarray) -> Step:
        hessian = check_hessian(hess(x.reshape(shape), *args), shape)
        return newton_step(hessian, g)

    return step
