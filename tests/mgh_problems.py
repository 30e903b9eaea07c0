"""Unconstrained least-squares test problems of Moré, Garbow & Hillstrom.

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing Unconstrained
Optimization Software", ACM TOMS 7(1), 17-41, 1981 ("MGH" below).

Every problem is a sum of squares ``f(x) = Σ_{i=1}^m r_i(x)²`` (MGH writes
``f_i`` for the residuals ``r_i``), implemented here from the paper's formulas
with its standard starting point ``x0``. ``Problem.fun(x)`` returns
``(f, g)``: ``f`` a Python float, ``g = 2 Jᵀr`` the analytic gradient as a new
float64 array. The small problems build the residuals ``r`` and the Jacobian
``J`` densely; :func:`extended_rosenbrock`, :func:`chained_rosenbrock` and
:func:`extended_powell_singular` are vectorised without a Jacobian and are fast
at any ``n``.

Second derivatives
------------------
``Problem.hess(x)`` is the analytic Hessian ``H = 2(JᵀJ + Σ r_i ∇²r_i)`` as a
dense float64 ``(n, n)`` array and ``Problem.hessp(x, p)`` the product ``H p``,
both written from the formulas. The small problems supply ``Σ w_i ∇²r_i`` for
weights ``w`` (``_<name>_curv(x, w)``; evaluated at ``w = r``). The vectorised
problems store ``H`` as its bands (tridiagonal, or 2×2/4×4 diagonal blocks):
``hessp`` costs O(n) at any ``n``, and ``hess`` refuses ``n > MAX_DENSE_N``
(2000) rather than allocate ``n²`` floats.

Minimum values
--------------
``f_min`` is MGH's documented minimum. The paper prints nonzero minima to 6
significant digits; where the MINPACK-1 test suite (file17, Moré, Garbow &
Hillstrom 1980) lists the minimiser and ``‖r(x*)‖`` to ~15 digits, ``f_min``
is that norm squared (it agrees with the paper's 6 digits) and ``note`` says
so; otherwise ``f_min`` is the paper's 6-digit value. ``x_min`` is the minimiser where MGH
(or, marked in ``note``, MINPACK-1) gives one. ``f_tol`` is an *absolute*
tolerance on ``f``: ``1e-8`` for zero-residual problems, and for ``f* > 0``
derived from a relative tolerance (``1e-5·f*`` unless ``note`` says
otherwise).

``alternative_minima`` lists the other values MGH documents (local minima, or
infima approached as some ``x_j → ±∞``); a solver started at ``x0`` may
legitimately end at them. Use :meth:`Problem.classify` to tell which one a
final ``f`` reached.

Arrays in a :class:`Problem` (``x0``, ``x_min``) are read-only: copy them
before modifying.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PROBLEMS",
    "Problem",
    "bard",
    "beale",
    "biggs_exp6",
    "box_3d",
    "brown_almost_linear",
    "brown_badly_scaled",
    "brown_dennis",
    "broyden_banded",
    "broyden_tridiagonal",
    "chained_rosenbrock",
    "chebyquad",
    "discrete_boundary_value",
    "discrete_integral_equation",
    "extended_powell_singular",
    "extended_rosenbrock",
    "freudenstein_roth",
    "gaussian",
    "gulf_research",
    "helical_valley",
    "jennrich_sampson",
    "kowalik_osborne",
    "linear_full_rank",
    "linear_rank1",
    "meyer",
    "osborne1",
    "osborne2",
    "penalty1",
    "penalty2",
    "powell_badly_scaled",
    "powell_singular",
    "rosenbrock",
    "scipy_fun",
    "split_fun",
    "trigonometric",
    "variably_dimensioned",
    "watson",
    "wood",
]

Array = np.ndarray
Fun = Callable[[Array], tuple[float, Array]]
Hess = Callable[[Array], Array]
HessP = Callable[[Array, Array], Array]
ResidualJacobian = Callable[[Array], tuple[Array, Array]]
#: ``(x, w) -> Σ_i w_i ∇²r_i(x)``, an ``(n, n)`` array.
Curvature = Callable[[Array, Array], Array]

#: Default relative tolerance used to derive ``f_tol`` (and alternative-minimum
#: tolerances) from a nonzero documented value.
RTOL = 1e-5
#: Absolute ``f_tol`` for zero-residual problems.
ZERO_TOL = 1e-8
#: Largest ``n`` for which the vectorised problems build a dense Hessian.
MAX_DENSE_N = 2000


def _frozen(values: object) -> Array:
    """A read-only float64 copy of ``values``."""
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Problem:
    """One MGH test problem ``f(x) = Σ r_i(x)²``.

    Attributes
    ----------
    name : str
        Short identifier (also the pytest id).
    number : int or None
        MGH problem number (1-35); ``None`` for problems not in the paper.
    n, m : int
        Number of variables and of residuals.
    x0 : numpy.ndarray
        Standard starting point (read-only).
    fun : callable
        ``fun(x) -> (f, g)``: float value and float64 analytic gradient.
    hess : callable
        ``hess(x) -> H``: the analytic Hessian, a float64 ``(n, n)`` array
        (vectorised problems: ``ValueError`` for ``n > MAX_DENSE_N``).
    hessp : callable
        ``hessp(x, p) -> H p``: the Hessian-vector product, float64 ``(n,)``;
        O(n) for the vectorised problems.
    f_min : float
        Documented (global) minimum value ``f*``.
    x_min : numpy.ndarray or None
        A minimiser with ``f(x_min) ≈ f_min`` (read-only), if documented.
    alternative_minima : tuple of float
        Other documented values a solver may legitimately reach (local minima
        or infima at infinity).
    alternative_x_min : tuple of (numpy.ndarray or None)
        Points attaining ``alternative_minima`` (``None`` where at infinity or
        not documented); same length as ``alternative_minima``.
    f_tol : float
        Absolute tolerance for ``|f - f_min|``.
    note : str
        Provenance of ``f_min``/``x_min`` and caveats.
    """

    name: str
    number: int | None
    n: int
    m: int
    x0: Array
    fun: Fun
    hess: Hess
    hessp: HessP
    f_min: float
    x_min: Array | None = None
    alternative_minima: tuple[float, ...] = ()
    alternative_x_min: tuple[Array | None, ...] = ()
    f_tol: float = ZERO_TOL
    note: str = ""

    def __post_init__(self) -> None:
        if self.x0.shape != (self.n,):
            raise ValueError(f"{self.name}: x0 has shape {self.x0.shape}, expected ({self.n},)")
        if self.alternative_x_min and len(self.alternative_x_min) != len(self.alternative_minima):
            raise ValueError(f"{self.name}: alternative_x_min and alternative_minima differ")

    def alternative_tol(self, value: float) -> float:
        """Absolute tolerance for reaching the alternative minimum ``value``."""
        return max(self.f_tol, RTOL * abs(value))

    def classify(self, f: float) -> str | None:
        """``"global"`` if ``f <= f_min + f_tol``, ``"alternative"`` if ``f`` is
        within tolerance of an alternative minimum, else ``None``."""
        if f <= self.f_min + self.f_tol:
            return "global"
        if any(abs(f - v) <= self.alternative_tol(v) for v in self.alternative_minima):
            return "alternative"
        return None

    def value(self, x: Array) -> float:
        """``f(x)`` only."""
        return self.fun(x)[0]

    def grad(self, x: Array) -> Array:
        """``∇f(x)`` only."""
        return self.fun(x)[1]


def scipy_fun(problem: Problem) -> Fun:
    """``x -> (f, g)`` for ``scipy.optimize.minimize(..., jac=True)``."""

    def fg(x: Array) -> tuple[float, Array]:
        return problem.fun(np.asarray(x, dtype=np.float64))

    return fg


def split_fun(problem: Problem) -> tuple[Callable[[Array], float], Callable[[Array], Array]]:
    """``(f, grad)`` as two callables (for ``fusedopt.gradcheck``, ``jac=grad``)."""
    return problem.value, problem.grad


def _vector(p: object, n: int) -> Array:
    """``p`` as a float64 vector of length ``n``."""
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (n,):
        raise ValueError(f"p has shape {p.shape}, expected ({n},)")
    return p


def _least_squares(
    residual_jacobian: ResidualJacobian, curvature: Curvature
) -> tuple[Fun, Hess, HessP]:
    """``fun``, ``hess`` and ``hessp`` of ``f = Σ r²`` from ``x -> (r, J)`` and
    ``(x, w) -> Σ w_i ∇²r_i``: ``g = 2Jᵀr``, ``H = 2(JᵀJ + Σ r_i ∇²r_i)``.

    ``hess`` is exactly symmetric (Cholesky-based solvers read one triangle).
    """

    def fun(x: Array) -> tuple[float, Array]:
        r, jac = residual_jacobian(np.asarray(x, dtype=np.float64))
        return float(r @ r), 2.0 * (jac.T @ r)

    def hess(x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        r, jac = residual_jacobian(x)
        half = jac.T @ jac + curvature(x, r)
        return half + half.T

    def hessp(x: Array, p: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        r, jac = residual_jacobian(x)
        p = _vector(p, x.size)
        return 2.0 * (jac.T @ (jac @ p) + curvature(x, r) @ p)

    return fun, hess, hessp


def _symmetric(n: int, entries: dict[tuple[int, int], float]) -> Array:
    """An ``(n, n)`` symmetric matrix from its upper-triangle ``entries``, else 0."""
    out = np.zeros((n, n))
    for (i, j), value in entries.items():
        out[i, j] = out[j, i] = value
    return out


def _zero_curvature(n: int) -> Curvature:
    """Linear residuals: ``∇²r_i = 0``."""
    return lambda x, w: np.zeros((n, n))


def _check_dense(name: str, n: int) -> None:
    if n > MAX_DENSE_N:
        raise ValueError(
            f"{name}: n={n} > MAX_DENSE_N={MAX_DENSE_N}, no dense Hessian; use hessp(x, p)"
        )


def _block_diagonal(name: str, n: int, blocks: Callable[[Array], Array]) -> tuple[Hess, HessP]:
    """``hess`` and O(n) ``hessp`` of a Hessian made of ``k×k`` diagonal blocks,
    ``blocks(x)`` of shape ``(n // k, k, k)``."""

    def hess(x: Array) -> Array:
        _check_dense(name, n)
        b = blocks(np.asarray(x, dtype=np.float64))
        count, k, _ = b.shape
        start = k * np.arange(count)[:, None, None]
        out = np.zeros((n, n))
        out[start + np.arange(k)[:, None], start + np.arange(k)] = b
        return out

    def hessp(x: Array, p: Array) -> Array:
        b = blocks(np.asarray(x, dtype=np.float64))
        k = b.shape[1]
        return np.einsum("bij,bj->bi", b, _vector(p, n).reshape(-1, k)).reshape(n)

    return hess, hessp


def _tridiagonal(
    name: str, n: int, bands: Callable[[Array], tuple[Array, Array]]
) -> tuple[Hess, HessP]:
    """``hess`` and O(n) ``hessp`` of a tridiagonal Hessian, ``bands(x) ->
    (diagonal (n,), off-diagonal (n-1,))``."""

    def hess(x: Array) -> Array:
        _check_dense(name, n)
        diagonal, off = bands(np.asarray(x, dtype=np.float64))
        return np.diag(diagonal) + np.diag(off, 1) + np.diag(off, -1)

    def hessp(x: Array, p: Array) -> Array:
        diagonal, off = bands(np.asarray(x, dtype=np.float64))
        p = _vector(p, n)
        out = diagonal * p
        out[:-1] += off * p[1:]
        out[1:] += off * p[:-1]
        return out

    return hess, hessp


def _rel_tol(f_min: float, rtol: float = RTOL) -> float:
    return ZERO_TOL if f_min == 0.0 else rtol * abs(f_min)


# ---------------------------------------------------------------- problem 1
def _rosenbrock_rj(x: Array) -> tuple[Array, Array]:
    r = np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])
    jac = np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])
    return r, jac


def _rosenbrock_curv(x: Array, w: Array) -> Array:
    return _symmetric(2, {(0, 0): -20.0 * w[0]})


def rosenbrock() -> Problem:
    """MGH 1, Rosenbrock: ``r = (10(x2 - x1²), 1 - x1)``; f* = 0 at (1, 1)."""
    return Problem(
        "rosenbrock", 1, 2, 2, _frozen([-1.2, 1.0]),
        *_least_squares(_rosenbrock_rj, _rosenbrock_curv), 0.0, _frozen([1.0, 1.0]),
    )  # fmt: skip


# ---------------------------------------------------------------- problem 2
def _freudenstein_roth_rj(x: Array) -> tuple[Array, Array]:
    x1, x2 = x
    r = np.array(
        [
            -13.0 + x1 + ((5.0 - x2) * x2 - 2.0) * x2,
            -29.0 + x1 + ((x2 + 1.0) * x2 - 14.0) * x2,
        ]
    )
    jac = np.array(
        [
            [1.0, (10.0 - 3.0 * x2) * x2 - 2.0],
            [1.0, (3.0 * x2 + 2.0) * x2 - 14.0],
        ]
    )
    return r, jac


def _freudenstein_roth_curv(x: Array, w: Array) -> Array:
    x2 = x[1]
    return _symmetric(2, {(1, 1): w[0] * (10.0 - 6.0 * x2) + w[1] * (6.0 * x2 + 2.0)})


def freudenstein_roth() -> Problem:
    """MGH 2, Freudenstein & Roth: global f* = 0 at (5, 4); local 48.9842... .

    Solvers started at the standard x0 = (0.5, -2) usually end at the local
    minimum f = 48.98425367924 at (11.4128, -0.896805); both are acceptable.
    """
    x_local = _frozen([11.412778846, -0.896805270])
    return Problem(
        "freudenstein_roth", 2, 2, 2, _frozen([0.5, -2.0]),
        *_least_squares(_freudenstein_roth_rj, _freudenstein_roth_curv), 0.0, _frozen([5.0, 4.0]),
        alternative_minima=(48.98425367924,), alternative_x_min=(x_local,),
        note="local minimum f = 48.9842... (MGH) is what the standard start usually reaches; "
        "its minimiser refined here by Levenberg-Marquardt from MINPACK-1's (11.41, -0.8968)",
    )  # fmt: skip


# ---------------------------------------------------------------- problem 3
def _powell_badly_scaled_rj(x: Array) -> tuple[Array, Array]:
    e1, e2 = math.exp(-x[0]), math.exp(-x[1])
    r = np.array([1e4 * x[0] * x[1] - 1.0, e1 + e2 - 1.0001])
    jac = np.array([[1e4 * x[1], 1e4 * x[0]], [-e1, -e2]])
    return r, jac


def _powell_badly_scaled_curv(x: Array, w: Array) -> Array:
    e1, e2 = math.exp(-x[0]), math.exp(-x[1])
    return _symmetric(2, {(0, 0): w[1] * e1, (0, 1): 1e4 * w[0], (1, 1): w[1] * e2})


def powell_badly_scaled() -> Problem:
    """MGH 3, Powell badly scaled: f* = 0 at (1.098...e-5, 9.106...)."""
    return Problem(
        "powell_badly_scaled", 3, 2, 2, _frozen([0.0, 1.0]),
        *_least_squares(_powell_badly_scaled_rj, _powell_badly_scaled_curv), 0.0,
        _frozen([1.0981593296997374e-05, 9.106146739867187]),
        note="x_min: MGH's (1.098e-5, 9.106) refined to double precision by Newton's method",
    )  # fmt: skip


# ---------------------------------------------------------------- problem 4
def _brown_badly_scaled_rj(x: Array) -> tuple[Array, Array]:
    r = np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])
    jac = np.array([[1.0, 0.0], [0.0, 1.0], [x[1], x[0]]])
    return r, jac


def _brown_badly_scaled_curv(x: Array, w: Array) -> Array:
    return _symmetric(2, {(0, 1): w[2]})


def brown_badly_scaled() -> Problem:
    """MGH 4, Brown badly scaled (m = 3): f* = 0 at (1e6, 2e-6)."""
    return Problem(
        "brown_badly_scaled", 4, 2, 3, _frozen([1.0, 1.0]),
        *_least_squares(_brown_badly_scaled_rj, _brown_badly_scaled_curv), 0.0,
        _frozen([1e6, 2e-6]),
    )  # fmt: skip


# ---------------------------------------------------------------- problem 5
_BEALE_Y = np.array([1.5, 2.25, 2.625])


def _beale_rj(x: Array) -> tuple[Array, Array]:
    i = np.arange(1, 4)
    r = _BEALE_Y - x[0] * (1.0 - x[1] ** i)
    jac = np.column_stack([-(1.0 - x[1] ** i), x[0] * i * x[1] ** (i - 1)])
    return r, jac


def _beale_curv(x: Array, w: Array) -> Array:
    i = np.arange(1, 4)
    d12 = w @ (i * x[1] ** (i - 1))
    d22 = x[0] * (w @ (i * (i - 1) * x[1] ** np.maximum(i - 2, 0)))  # no 0 * x2^-1
    return _symmetric(2, {(0, 1): d12, (1, 1): d22})


def beale() -> Problem:
    """MGH 5, Beale (m = 3): f* = 0 at (3, 0.5)."""
    return Problem(
        "beale", 5, 2, 3, _frozen([1.0, 1.0]), *_least_squares(_beale_rj, _beale_curv), 0.0,
        _frozen([3.0, 0.5]),
    )  # fmt: skip


# ---------------------------------------------------------------- problem 6
_JENNRICH_I = np.arange(1.0, 11.0)


def _jennrich_sampson_rj(x: Array) -> tuple[Array, Array]:
    i = _JENNRICH_I
    e1, e2 = np.exp(i * x[0]), np.exp(i * x[1])
    r = 2.0 + 2.0 * i - (e1 + e2)
    jac = np.column_stack([-i * e1, -i * e2])
    return r, jac


def _jennrich_sampson_curv(x: Array, w: Array) -> Array:
    i2w = _JENNRICH_I**2 * w
    return -np.diag([i2w @ np.exp(_JENNRICH_I * x[0]), i2w @ np.exp(_JENNRICH_I * x[1])])


def jennrich_sampson() -> Problem:
    """MGH 6, Jennrich & Sampson (m = 10): f* = 124.362 at x1 = x2 = 0.2578."""
    return Problem(
        "jennrich_sampson", 6, 2, 10, _frozen([0.3, 0.4]),
        *_least_squares(_jennrich_sampson_rj, _jennrich_sampson_curv), 124.36218247815843,
        _frozen([0.257819926636811, 0.257829976764542]), f_tol=_rel_tol(124.362),
        note="f* = 124.362 (MGH, m=10); f_min and x_min to 15 digits from MINPACK-1",
    )  # fmt: skip


# ---------------------------------------------------------------- problem 7
def _helical_valley_rj(x: Array) -> tuple[Array, Array]:
    x1, x2, x3 = x
    if x1 > 0.0:
        theta = math.atan(x2 / x1) / (2.0 * math.pi)
    elif x1 < 0.0:
        theta = math.atan(x2 / x1) / (2.0 * math.pi) + 0.5
    else:
        theta = math.copysign(0.25, x2)
    rho2 = x1 * x1 + x2 * x2
    rho = math.sqrt(rho2)
    dtheta1 = -x2 / (2.0 * math.pi * rho2)
    dtheta2 = x1 / (2.0 * math.pi * rho2)
    r = np.array([10.0 * (x3 - 10.0 * theta), 10.0 * (rho - 1.0), x3])
    jac = np.array(
        [
            [-100.0 * dtheta1, -100.0 * dtheta2, 10.0],
            [10.0 * x1 / rho, 10.0 * x2 / rho, 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    return r, jac


def _helical_valley_curv(x: Array, w: Array) -> Array:
    x1, x2 = x[0], x[1]
    rho2 = x1 * x1 + x2 * x2
    # Second derivatives of theta = atan(x2/x1) / 2π and rho = √(x1² + x2²).
    theta = np.array([[2.0 * x1 * x2, x2 * x2 - x1 * x1], [x2 * x2 - x1 * x1, -2.0 * x1 * x2]])
    theta /= 2.0 * math.pi * rho2 * rho2
    rho = np.array([[x2 * x2, -x1 * x2], [-x1 * x2, x1 * x1]]) / rho2**1.5
    out = np.zeros((3, 3))
    out[:2, :2] = -100.0 * w[0] * theta + 10.0 * w[1] * rho
    return out


def helical_valley() -> Problem:
    """MGH 7, helical valley: f* = 0 at (1, 0, 0)."""
    return Problem(
        "helical_valley", 7, 3, 3, _frozen([-1.0, 0.0, 0.0]),
        *_least_squares(_helical_valley_rj, _helical_valley_curv), 0.0, _frozen([1.0, 0.0, 0.0]),
    )  # fmt: skip


# ---------------------------------------------------------------- problem 8
_BARD_Y = np.array(
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
)


_BARD_U = np.arange(1.0, 16.0)
_BARD_V = 16.0 - _BARD_U
_BARD_W = np.minimum(_BARD_U, _BARD_V)


def _bard_rj(x: Array) -> tuple[Array, Array]:
    u, v, w = _BARD_U, _BARD_V, _BARD_W
    d = v * x[1] + w * x[2]
    r = _BARD_Y - (x[0] + u / d)
    jac = np.column_stack([-np.ones(15), u * v / d**2, u * w / d**2])
    return r, jac


def _bard_curv(x: Array, weights: Array) -> Array:
    v, w = _BARD_V, _BARD_W
    c = -2.0 * weights * _BARD_U / (v * x[1] + w * x[2]) ** 3
    return _symmetric(3, {(1, 1): c @ (v * v), (1, 2): c @ (v * w), (2, 2): c @ (w * w)})


def bard() -> Problem:
    """MGH 8, Bard (m = 15): f* = 8.21487e-3; 17.4286 as x2, x3 → -∞."""
    return Problem(
        "bard", 8, 3, 15, _frozen([1.0, 1.0, 1.0]), *_least_squares(_bard_rj, _bard_curv),
        0.008214877306581228,
        _frozen([0.0824105765758334, 1.1330366534715, 2.34369463894115]),
        alternative_minima=(17.4286,), alternative_x_min=(None,),
        f_tol=_rel_tol(8.21487e-3),
        note="f* = 8.21487e-3 (MGH); f_min, x_min from MINPACK-1. "
        "17.4286 is an infimum at (0.8406, -inf, -inf): only 6 digits known",
    )  # fmt: skip


# ---------------------------------------------------------------- problem 9
_GAUSSIAN_Y = np.array(
    [
        0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
        0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009,
    ]
)  # fmt: skip


_GAUSSIAN_T = (8.0 - np.arange(1.0, 16.0)) / 2.0


def _gaussian_rj(x: Array) -> tuple[Array, Array]:
    s = _GAUSSIAN_T - x[2]
    e = np.exp(-0.5 * x[1] * s**2)
    r = x[0] * e - _GAUSSIAN_Y
    jac = np.column_stack([e, -0.5 * x[0] * e * s**2, x[0] * e * x[1] * s])
    return r, jac


def _gaussian_curv(x: Array, w: Array) -> Array:
    x1, x2 = x[0], x[1]
    s = _GAUSSIAN_T - x[2]
    we = w * np.exp(-0.5 * x2 * s**2)
    return _symmetric(
        3,
        {
            (0, 1): -0.5 * (we @ s**2),
            (0, 2): x2 * (we @ s),
            (1, 1): 0.25 * x1 * (we @ s**4),
            (1, 2): x1 * (we @ (s - 0.5 * x2 * s**3)),
            (2, 2): x1 * x2 * (we @ (x2 * s**2 - 1.0)),
        },
    )


def gaussian() -> Problem:
    """MGH 9, Gaussian (m = 15): f* = 1.12793e-8."""
    return Problem(
        "gaussian", 9, 3, 15, _frozen([0.4, 1.0, 0.0]),
        *_least_squares(_gaussian_rj, _gaussian_curv), 1.12793e-8, f_tol=1e-12,
        note="f* = 1.12793e-8 known to 6 digits (MGH); x* not documented "
        "(≈ (0.3990, 1.0000, 0)); f_tol = 1e-12 absolute",
    )  # fmt: skip


# --------------------------------------------------------------- problem 10
_MEYER_Y = np.array(
    [
        34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
        8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
    ]
)  # fmt: skip


_MEYER_T = 45.0 + 5.0 * np.arange(1.0, 17.0)


def _meyer_rj(x: Array) -> tuple[Array, Array]:
    d = _MEYER_T + x[2]
    e = np.exp(x[1] / d)
    r = x[0] * e - _MEYER_Y
    jac = np.column_stack([e, x[0] * e / d, -x[0] * e * x[1] / d**2])
    return r, jac


def _meyer_curv(x: Array, w: Array) -> Array:
    x1, x2 = x[0], x[1]
    d = _MEYER_T + x[2]
    we = w * np.exp(x2 / d)
    return _symmetric(
        3,
        {
            (0, 1): we @ (1.0 / d),
            (0, 2): -x2 * (we @ d**-2),
            (1, 1): x1 * (we @ d**-2),
            (1, 2): -x1 * (we @ ((x2 + d) / d**3)),
            (2, 2): x1 * x2 * (we @ ((x2 + 2.0 * d) / d**4)),
        },
    )


def meyer() -> Problem:
    """MGH 10, Meyer (m = 16): f* = 87.9458."""
    return Problem(
        "meyer", 10, 3, 16, _frozen([0.02, 4000.0, 250.0]), *_least_squares(_meyer_rj, _meyer_curv),
        87.9458551711144,
        _frozen([0.00560963647102661, 6181.34634628659, 345.223634624144]),
        f_tol=_rel_tol(87.9458),
        note="f* = 87.9458 (MGH); f_min, x_min from MINPACK-1. Very badly scaled",
    )  # fmt: skip


# --------------------------------------------------------------- problem 11
def _gulf_data(m: int) -> tuple[Array, Array]:
    t = np.arange(1.0, m + 1.0) / 100.0
    y = 25.0 + (-50.0 * np.log(t)) ** (2.0 / 3.0)
    return t, y


def gulf_research(m: int = 99) -> Problem:
    """MGH 11, Gulf research and development (3 <= m <= 100): f* = 0 at (50, 25, 1.5).

    ``r_i = exp(-|y_i - x2|^x3 / x1) - t_i``. The default m = 99 avoids
    ``y_100 = 25 = x2*`` where ``∂/∂x3`` involves ``log 0``.
    """
    if not 3 <= m <= 100:
        raise ValueError(f"gulf_research needs 3 <= m <= 100, got {m}")
    t, y = _gulf_data(m)

    def rj(x: Array) -> tuple[Array, Array]:
        d = y - x[1]
        a = np.abs(d)
        p = a ** x[2]
        e = np.exp(-p / x[0])
        r = e - t
        jac = np.column_stack(
            [
                e * p / x[0] ** 2,
                e * x[2] * a ** (x[2] - 1.0) * np.sign(d) / x[0],
                -e * p * np.log(a) / x[0],
            ]
        )
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        x1, x2, x3 = x
        d = y - x2
        a, sign, log_a = np.abs(d), np.sign(d), np.log(np.abs(d))
        p = a**x3
        # Derivatives of p = |y - x2|^x3 in (x2, x3); then q = -p/x1, e = exp(q).
        p2 = -sign * x3 * a ** (x3 - 1.0)
        p3 = p * log_a
        p22 = x3 * (x3 - 1.0) * a ** (x3 - 2.0)
        p23 = -sign * a ** (x3 - 1.0) * (1.0 + x3 * log_a)
        p33 = p * log_a**2
        q = np.column_stack([p / x1**2, -p2 / x1, -p3 / x1])
        q2 = np.empty((m, 3, 3))
        q2[:, 0, 0] = -2.0 * p / x1**3
        q2[:, 0, 1] = q2[:, 1, 0] = p2 / x1**2
        q2[:, 0, 2] = q2[:, 2, 0] = p3 / x1**2
        q2[:, 1, 1] = -p22 / x1
        q2[:, 1, 2] = q2[:, 2, 1] = -p23 / x1
        q2[:, 2, 2] = -p33 / x1
        we = w * np.exp(-p / x1)  # ∇²e = e (∇q ∇qᵀ + ∇²q)
        return np.einsum("i,ij,ik->jk", we, q, q) + np.einsum("i,ijk->jk", we, q2)

    return Problem(
        "gulf_research", 11, 3, m, _frozen([5.0, 2.5, 0.15]), *_least_squares(rj, curv), 0.0,
        _frozen([50.0, 25.0, 1.5]),
    )  # fmt: skip


# --------------------------------------------------------------- problem 12
_BOX_T = 0.1 * np.arange(1.0, 11.0)


def _box_3d_rj(x: Array) -> tuple[Array, Array]:
    t = _BOX_T
    e1, e2 = np.exp(-t * x[0]), np.exp(-t * x[1])
    c = np.exp(-t) - np.exp(-10.0 * t)
    r = e1 - e2 - x[2] * c
    jac = np.column_stack([-t * e1, t * e2, -c])
    return r, jac


def _box_3d_curv(x: Array, w: Array) -> Array:
    t2w = _BOX_T**2 * w
    return np.diag([t2w @ np.exp(-_BOX_T * x[0]), -(t2w @ np.exp(-_BOX_T * x[1])), 0.0])


def box_3d() -> Problem:
    """MGH 12, Box three-dimensional (m = 10): f* = 0 at (1, 10, 1).

    Also 0 at (10, 1, -1) and wherever x1 = x2, x3 = 0.
    """
    return Problem(
        "box_3d", 12, 3, 10, _frozen([0.0, 10.0, 20.0]),
        *_least_squares(_box_3d_rj, _box_3d_curv), 0.0, _frozen([1.0, 10.0, 1.0]),
        note="zero also at (10, 1, -1) and on the line x1 = x2, x3 = 0",
    )  # fmt: skip


# --------------------------------------------------------------- problem 13
_SQRT5, _SQRT10 = math.sqrt(5.0), math.sqrt(10.0)
_POWELL_A = np.array([0.0, 1.0, -2.0, 0.0])  # ∇(x2 - 2 x3)
_POWELL_B = np.array([1.0, 0.0, 0.0, -1.0])  # ∇(x1 - x4)


def _powell_singular_rj(x: Array) -> tuple[Array, Array]:
    x1, x2, x3, x4 = x
    a, b = x2 - 2.0 * x3, x1 - x4
    r = np.array([x1 + 10.0 * x2, _SQRT5 * (x3 - x4), a * a, _SQRT10 * b * b])
    jac = np.array(
        [
            [1.0, 10.0, 0.0, 0.0],
            [0.0, 0.0, _SQRT5, -_SQRT5],
            [0.0, 2.0 * a, -4.0 * a, 0.0],
            [2.0 * _SQRT10 * b, 0.0, 0.0, -2.0 * _SQRT10 * b],
        ]
    )
    return r, jac


def _powell_singular_curv(x: Array, w: Array) -> Array:
    # r3 = a², r4 = √10 b² with a, b linear: ∇²r3 = 2∇a∇aᵀ, ∇²r4 = 2√10 ∇b∇bᵀ.
    return 2.0 * (
        w[2] * np.outer(_POWELL_A, _POWELL_A) + _SQRT10 * w[3] * np.outer(_POWELL_B, _POWELL_B)
    )


def powell_singular() -> Problem:
    """MGH 13, Powell singular: f* = 0 at the origin (singular Hessian there)."""
    return Problem(
        "powell_singular", 13, 4, 4, _frozen([3.0, -1.0, 0.0, 1.0]),
        *_least_squares(_powell_singular_rj, _powell_singular_curv), 0.0, _frozen(np.zeros(4)),
    )  # fmt: skip


# --------------------------------------------------------------- problem 14
_SQRT90 = math.sqrt(90.0)


def _wood_rj(x: Array) -> tuple[Array, Array]:
    x1, x2, x3, x4 = x
    r = np.array(
        [
            10.0 * (x2 - x1 * x1),
            1.0 - x1,
            _SQRT90 * (x4 - x3 * x3),
            1.0 - x3,
            _SQRT10 * (x2 + x4 - 2.0),
            (x2 - x4) / _SQRT10,
        ]
    )
    jac = np.array(
        [
            [-20.0 * x1, 10.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, -2.0 * _SQRT90 * x3, _SQRT90],
            [0.0, 0.0, -1.0, 0.0],
            [0.0, _SQRT10, 0.0, _SQRT10],
            [0.0, 1.0 / _SQRT10, 0.0, -1.0 / _SQRT10],
        ]
    )
    return r, jac


def _wood_curv(x: Array, w: Array) -> Array:
    return np.diag([-20.0 * w[0], 0.0, -2.0 * _SQRT90 * w[2], 0.0])


def wood() -> Problem:
    """MGH 14, Wood (m = 6): f* = 0 at (1, 1, 1, 1)."""
    return Problem(
        "wood", 14, 4, 6, _frozen([-3.0, -1.0, -3.0, -1.0]),
        *_least_squares(_wood_rj, _wood_curv), 0.0, _frozen(np.ones(4)),
    )  # fmt: skip


# --------------------------------------------------------------- problem 15
_KOWALIK_Y = np.array(
    [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
)
_KOWALIK_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def _kowalik_osborne_rj(x: Array) -> tuple[Array, Array]:
    u = _KOWALIK_U
    num = u * (u + x[1])
    den = u * (u + x[2]) + x[3]
    r = _KOWALIK_Y - x[0] * num / den
    jac = np.column_stack(
        [-num / den, -x[0] * u / den, x[0] * num * u / den**2, x[0] * num / den**2]
    )
    return r, jac


def _kowalik_osborne_curv(x: Array, w: Array) -> Array:
    u = _KOWALIK_U
    x1 = x[0]
    num = u * (u + x[1])
    den = u * (u + x[2]) + x[3]
    model = {  # second derivatives of x1·num/den; r = y - model
        (0, 1): u / den,
        (0, 2): -num * u / den**2,
        (0, 3): -num / den**2,
        (1, 2): -x1 * u * u / den**2,
        (1, 3): -x1 * u / den**2,
        (2, 2): 2.0 * x1 * num * u * u / den**3,
        (2, 3): 2.0 * x1 * num * u / den**3,
        (3, 3): 2.0 * x1 * num / den**3,
    }
    return _symmetric(4, {key: -(w @ value) for key, value in model.items()})


def kowalik_osborne() -> Problem:
    """MGH 15, Kowalik & Osborne (m = 11): f* = 3.07505e-4; 1.02734e-3 at infinity."""
    return Problem(
        "kowalik_osborne", 15, 4, 11, _frozen([0.25, 0.39, 0.415, 0.39]),
        *_least_squares(_kowalik_osborne_rj, _kowalik_osborne_curv), 0.0003075056045817707,
        _frozen([0.192807810476249, 0.191262653354071, 0.123052801046931, 0.136053221150517]),
        alternative_minima=(1.02734e-3,), alternative_x_min=(None,),
        f_tol=_rel_tol(3.07505e-4),
        note="f* = 3.07505e-4 (MGH); f_min, x_min from MINPACK-1. "
        "1.02734e-3 is an infimum at (+inf, -14.07..., -inf, -inf)",
    )  # fmt: skip


# --------------------------------------------------------------- problem 16
_BROWN_DENNIS_T = np.arange(1.0, 21.0) / 5.0


def _brown_dennis_rj(x: Array) -> tuple[Array, Array]:
    t = _BROWN_DENNIS_T
    s, c = np.sin(t), np.cos(t)
    a = x[0] + t * x[1] - np.exp(t)
    b = x[2] + x[3] * s - c
    r = a * a + b * b
    jac = np.column_stack([2.0 * a, 2.0 * a * t, 2.0 * b, 2.0 * b * s])
    return r, jac


def _brown_dennis_curv(x: Array, w: Array) -> Array:
    # r = a² + b² with a, b linear: ∇²r = 2(∇a∇aᵀ + ∇b∇bᵀ).
    t = _BROWN_DENNIS_T
    zero, one = np.zeros_like(t), np.ones_like(t)
    grad_a = np.column_stack([one, t, zero, zero])
    grad_b = np.column_stack([zero, zero, one, np.sin(t)])
    return 2.0 * ((grad_a.T * w) @ grad_a + (grad_b.T * w) @ grad_b)


def brown_dennis() -> Problem:
    """MGH 16, Brown & Dennis (m = 20): f* = 85822.2."""
    return Problem(
        "brown_dennis", 16, 4, 20, _frozen([25.0, 5.0, -5.0, -1.0]),
        *_least_squares(_brown_dennis_rj, _brown_dennis_curv), 85822.21500105604,
        _frozen([-11.59125141003, 13.2024883984741, -0.403574643314272, 0.236736269844604]),
        f_tol=_rel_tol(85822.2),
        note="f* = 85822.2 (MGH, m=20); f_min, x_min from MINPACK-1 (x_min to ~1e-5 only)",
    )  # fmt: skip


# --------------------------------------------------------------- problem 17
_OSBORNE1_Y = np.array(
    [
        0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
        0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
        0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
    ]
)  # fmt: skip


_OSBORNE1_T = 10.0 * np.arange(33.0)


def _osborne1_rj(x: Array) -> tuple[Array, Array]:
    t = _OSBORNE1_T
    e4, e5 = np.exp(-t * x[3]), np.exp(-t * x[4])
    r = _OSBORNE1_Y - (x[0] + x[1] * e4 + x[2] * e5)
    jac = np.column_stack([-np.ones(33), -e4, -e5, x[1] * t * e4, x[2] * t * e5])
    return r, jac


def _osborne1_curv(x: Array, w: Array) -> Array:
    t = _OSBORNE1_T
    twe4, twe5 = t * w * np.exp(-t * x[3]), t * w * np.exp(-t * x[4])
    return _symmetric(
        5, {(1, 3): twe4.sum(), (3, 3): -x[1] * (t @ twe4), (2, 4): twe5.sum(),
            (4, 4): -x[2] * (t @ twe5)},
    )  # fmt: skip


def osborne1() -> Problem:
    """MGH 17, Osborne 1 (m = 33): f* = 5.46489e-5."""
    return Problem(
        "osborne1", 17, 5, 33, _frozen([0.5, 1.5, -1.0, 0.01, 0.02]),
        *_least_squares(_osborne1_rj, _osborne1_curv), 5.464894697483567e-05,
        _frozen(
            [0.375410049244025, 1.93584654543108, -1.46468676748716,
             0.0128675339110439, 0.0221227011813076]
        ),
        f_tol=_rel_tol(5.46489e-5),
        note="f* = 5.46489e-5 (MGH); f_min, x_min from MINPACK-1",
    )  # fmt: skip


# --------------------------------------------------------------- problem 18
_BIGGS_T = 0.1 * np.arange(1.0, 14.0)


def _biggs_exp6_rj(x: Array) -> tuple[Array, Array]:
    t = _BIGGS_T
    y = np.exp(-t) - 5.0 * np.exp(-10.0 * t) + 3.0 * np.exp(-4.0 * t)
    e1, e2, e5 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    r = x[2] * e1 - x[3] * e2 + x[5] * e5 - y
    jac = np.column_stack([-t * x[2] * e1, t * x[3] * e2, e1, -e2, -t * x[5] * e5, e5])
    return r, jac


def _biggs_exp6_curv(x: Array, w: Array) -> Array:
    t = _BIGGS_T
    twe1, twe2, twe5 = (t * w * np.exp(-t * x[k]) for k in (0, 1, 4))
    return _symmetric(
        6, {(0, 0): x[2] * (t @ twe1), (0, 2): -twe1.sum(), (1, 1): -x[3] * (t @ twe2),
            (1, 3): twe2.sum(), (4, 4): x[5] * (t @ twe5), (4, 5): -twe5.sum()},
    )  # fmt: skip


def biggs_exp6() -> Problem:
    """MGH 18, Biggs EXP6 (m = 13): f* = 0 at (1, 10, 1, 5, 4, 3); local 5.65565e-3."""
    return Problem(
        "biggs_exp6", 18, 6, 13, _frozen([1.0, 2.0, 1.0, 1.0, 1.0, 1.0]),
        *_least_squares(_biggs_exp6_rj, _biggs_exp6_curv), 0.0,
        _frozen([1.0, 10.0, 1.0, 5.0, 4.0, 3.0]),
        alternative_minima=(5.65565e-3,), alternative_x_min=(None,),
        note="several minima; MGH lists f = 5.65565e-3 (m=13, 6 digits) besides the global 0",
    )  # fmt: skip


# --------------------------------------------------------------- problem 19
_OSBORNE2_Y = np.array(
    [
        1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
        0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
        0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
        0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
        0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
        0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
    ]
)  # fmt: skip


_OSBORNE2_T = np.arange(65.0) / 10.0


def _osborne2_rj(x: Array) -> tuple[Array, Array]:
    t = _OSBORNE2_T
    jac = np.zeros((65, 11))
    e = np.exp(-t * x[4])
    model = x[0] * e
    jac[:, 0] = -e
    jac[:, 4] = x[0] * t * e
    for k in (1, 2, 3):  # amplitude x[k], width x[k + 4], centre x[k + 7]
        s = t - x[k + 7]
        g = np.exp(-(s**2) * x[k + 4])
        model = model + x[k] * g
        jac[:, k] = -g
        jac[:, k + 4] = x[k] * s**2 * g
        jac[:, k + 7] = -2.0 * x[k] * x[k + 4] * s * g
    return _OSBORNE2_Y - model, jac


def _osborne2_curv(x: Array, w: Array) -> Array:
    t = _OSBORNE2_T
    twe = t * w * np.exp(-t * x[4])
    entries = {(0, 4): twe.sum(), (4, 4): -x[0] * (t @ twe)}  # r = y - model
    for k in (1, 2, 3):  # amplitude a = x[k], width c = x[k + 4], centre x[k + 7]
        a, c = x[k], x[k + 4]
        s = t - x[k + 7]
        wg = w * np.exp(-(s**2) * c)
        entries[k, k + 4] = wg @ s**2
        entries[k, k + 7] = -2.0 * c * (wg @ s)
        entries[k + 4, k + 4] = -a * (wg @ s**4)
        entries[k + 4, k + 7] = -2.0 * a * (wg @ (s * (1.0 - c * s**2)))
        entries[k + 7, k + 7] = -2.0 * a * c * (wg @ (2.0 * c * s**2 - 1.0))
    return _symmetric(11, entries)


def osborne2() -> Problem:
    """MGH 19, Osborne 2 (m = 65): f* = 4.01377e-2."""
    return Problem(
        "osborne2", 19, 11, 65,
        _frozen([1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5]),
        *_least_squares(_osborne2_rj, _osborne2_curv), 0.04013773630010321,
        _frozen(
            [1.30997663810096, 0.43155248076, 0.633661261602859, 0.599428560991695,
             0.754179768272449, 0.904300082378518, 1.36579949521007, 4.82373199748107,
             2.39868475104871, 4.56887554791452, 5.67534206273052]
        ),
        f_tol=_rel_tol(4.01377e-2),
        note="f* = 4.01377e-2 (MGH); f_min, x_min from MINPACK-1",
    )  # fmt: skip


# --------------------------------------------------------------- problem 20
_WATSON = {
    # n: (MGH f*, f* from MINPACK-1 ‖r(x*)‖², x* from MINPACK-1)
    6: (
        2.28767e-3,
        0.0022876700535725603,
        [-0.0157249615083782, 1.01243488232965, -0.232991722387673,
         1.26043101102818, -1.51373031394421, 0.99299727291842],
    ),
    9: (
        1.39976e-6,
        1.3997601380972122e-06,
        [-0.153070644166722e-4, 0.999789703934597, 0.0147639634910978,
         0.146342330145992, 1.00082109454817, -2.61773112070507,
         4.10440313943354, -3.14361226236241, 1.05262640378759],
    ),
    12: (4.72238e-10, 4.72238e-10, None),
}  # fmt: skip


def watson(n: int = 9) -> Problem:
    """MGH 20, Watson (m = 31, n in {6, 9, 12} here): f* = 2.28767e-3, 1.39976e-6, 4.72238e-10.

    ``r_i = Σ_{j=2}^n (j-1) x_j t_i^{j-2} - (Σ_{j=1}^n x_j t_i^{j-1})² - 1``,
    ``t_i = i/29`` (i = 1..29); ``r_30 = x1``, ``r_31 = x2 - x1² - 1``.
    """
    if n not in _WATSON:
        raise ValueError(f"watson: f* documented for n in {sorted(_WATSON)}, got {n}")
    paper, f_min, x_min = _WATSON[n]
    t = np.arange(1.0, 30.0) / 29.0
    powers = t[:, None] ** np.arange(n)[None, :]  # t^(j-1), j = 1..n
    j = np.arange(1.0, n)  # (j-1) for j = 2..n
    dpowers = np.zeros((29, n))
    dpowers[:, 1:] = j[None, :] * t[:, None] ** (j - 1.0)[None, :]  # (j-1) t^(j-2)

    def rj(x: Array) -> tuple[Array, Array]:
        s = powers @ x
        r = np.empty(31)
        r[:29] = dpowers @ x - s * s - 1.0
        r[29] = x[0]
        r[30] = x[1] - x[0] ** 2 - 1.0
        jac = np.zeros((31, n))
        jac[:29] = dpowers - 2.0 * s[:, None] * powers
        jac[29, 0] = 1.0
        jac[30, 0] = -2.0 * x[0]
        jac[30, 1] = 1.0
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        out = -2.0 * (powers.T * w[:29]) @ powers  # r_i = ... - s_i², s = powers @ x
        out[0, 0] -= 2.0 * w[30]  # r_31 = x2 - x1² - 1
        return out

    return Problem(
        f"watson{n}", 20, n, 31, _frozen(np.zeros(n)), *_least_squares(rj, curv), f_min,
        None if x_min is None else _frozen(x_min), f_tol=_rel_tol(paper),
        note=f"f* = {paper:g} (MGH, n={n})"
        + ("; f_min, x_min from MINPACK-1" if x_min is not None else "; 6 digits"),
    )  # fmt: skip


# --------------------------------------------------------------- problem 21
def extended_rosenbrock(n: int = 10) -> Problem:
    """MGH 21, extended Rosenbrock (n even): f* = 0 at (1, ..., 1).

    Independent pairs ``r_{2i-1} = 10(x_{2i} - x_{2i-1}²)``,
    ``r_{2i} = 1 - x_{2i-1}``; vectorised (no Python loop over coordinates).
    """
    if n < 2 or n % 2:
        raise ValueError(f"extended_rosenbrock needs an even n >= 2, got {n}")

    def fun(x: Array) -> tuple[float, Array]:
        x = np.asarray(x, dtype=np.float64)
        odd, even = x[0::2], x[1::2]
        r1 = 10.0 * (even - odd * odd)
        r2 = 1.0 - odd
        g = np.empty_like(x)
        g[0::2] = -40.0 * odd * r1 - 2.0 * r2
        g[1::2] = 20.0 * r1
        return float(r1 @ r1 + r2 @ r2), g

    def blocks(x: Array) -> Array:
        odd, even = x[0::2], x[1::2]
        out = np.empty((n // 2, 2, 2))
        out[:, 0, 0] = 1200.0 * odd * odd - 400.0 * even + 2.0
        out[:, 0, 1] = out[:, 1, 0] = -400.0 * odd
        out[:, 1, 1] = 200.0
        return out

    return Problem(
        "extended_rosenbrock", 21, n, n, _frozen(np.tile([-1.2, 1.0], n // 2)), fun,
        *_block_diagonal("extended_rosenbrock", n, blocks), 0.0, _frozen(np.ones(n)),
    )  # fmt: skip


_CHAINED_LOCAL_10 = (
    3.9865791123471377,
    [-0.993263372917, 0.996606039504, 0.998240611438, 0.998988433804, 0.999226153478,
     0.999073648217, 0.998454177496, 0.997056251841, 0.994179375579, 0.988392630826],
)  # fmt: skip


def chained_rosenbrock(n: int = 10) -> Problem:
    """Chained Rosenbrock (``scipy.optimize.rosen``; not in MGH): f* = 0 at (1, ..., 1).

    ``f = Σ_{i=1}^{n-1} 100(x_{i+1} - x_i²)² + (1 - x_i)²``, start
    (-1.2, 1, -1.2, 1, ...). For n >= 4 there is also a local minimum near
    (-1, 1, ..., 1); for n = 10 it is f = 3.98657911... (computed here by
    Levenberg-Marquardt, Hessian positive definite), recorded as an alternative.
    """
    if n < 2:
        raise ValueError(f"chained_rosenbrock needs n >= 2, got {n}")

    def fun(x: Array) -> tuple[float, Array]:
        x = np.asarray(x, dtype=np.float64)
        head, tail = x[:-1], x[1:]
        d = tail - head * head
        e = 1.0 - head
        g = np.zeros_like(x)
        g[:-1] = -400.0 * head * d - 2.0 * e
        g[1:] += 200.0 * d
        return float(100.0 * (d @ d) + e @ e), g

    def bands(x: Array) -> tuple[Array, Array]:
        head = x[:-1]
        diagonal = np.zeros(n)
        diagonal[:-1] = 1200.0 * head * head - 400.0 * x[1:] + 2.0
        diagonal[1:] += 200.0
        return diagonal, -400.0 * head

    x0 = np.tile([-1.2, 1.0], (n + 1) // 2)[:n]
    alternatives: tuple[float, ...] = ()
    alternative_x: tuple[Array | None, ...] = ()
    if n == 10:
        alternatives = (_CHAINED_LOCAL_10[0],)
        alternative_x = (_frozen(_CHAINED_LOCAL_10[1]),)
    return Problem(
        f"chained_rosenbrock{n}", None, n, 2 * (n - 1), _frozen(x0), fun,
        *_tridiagonal(f"chained_rosenbrock{n}", n, bands), 0.0, _frozen(np.ones(n)),
        alternative_minima=alternatives, alternative_x_min=alternative_x,
        note="scipy.optimize.rosen's chained form, not an MGH problem",
    )  # fmt: skip


# --------------------------------------------------------------- problem 22
def extended_powell_singular(n: int = 12) -> Problem:
    """MGH 22, extended Powell singular (n multiple of 4): f* = 0 at the origin.

    Problem 13 on each block of four coordinates; vectorised.
    """
    if n < 4 or n % 4:
        raise ValueError(f"extended_powell_singular needs n a positive multiple of 4, got {n}")

    def fun(x: Array) -> tuple[float, Array]:
        x = np.asarray(x, dtype=np.float64)
        x1, x2, x3, x4 = (x[k::4] for k in range(4))
        a, b = x2 - 2.0 * x3, x1 - x4
        r1 = x1 + 10.0 * x2
        r2 = _SQRT5 * (x3 - x4)
        r3 = a * a
        r4 = _SQRT10 * b * b
        f = r1 @ r1 + r2 @ r2 + r3 @ r3 + r4 @ r4
        g = np.empty_like(x)
        g[0::4] = 2.0 * (r1 + r4 * 2.0 * _SQRT10 * b)
        g[1::4] = 2.0 * (10.0 * r1 + r3 * 2.0 * a)
        g[2::4] = 2.0 * (_SQRT5 * r2 - r3 * 4.0 * a)
        g[3::4] = 2.0 * (-_SQRT5 * r2 - r4 * 2.0 * _SQRT10 * b)
        return float(f), g

    # f = (x1 + 10x2)² + 5(x3 - x4)² + a⁴ + 10b⁴ per block, a = x2 - 2x3, b = x1 - x4.
    v1 = np.array([1.0, 10.0, 0.0, 0.0])
    v2 = np.array([0.0, 0.0, 1.0, -1.0])
    quadratic = 2.0 * (np.outer(v1, v1) + 5.0 * np.outer(v2, v2))
    aa, bb = np.outer(_POWELL_A, _POWELL_A), np.outer(_POWELL_B, _POWELL_B)

    def blocks(x: Array) -> Array:
        a, b = x[1::4] - 2.0 * x[2::4], x[0::4] - x[3::4]
        return quadratic + 12.0 * (a * a)[:, None, None] * aa + 120.0 * (b * b)[:, None, None] * bb

    return Problem(
        "extended_powell_singular", 22, n, n, _frozen(np.tile([3.0, -1.0, 0.0, 1.0], n // 4)),
        fun, *_block_diagonal("extended_powell_singular", n, blocks), 0.0,
        _frozen(np.zeros(n)),
    )  # fmt: skip


# --------------------------------------------------------------- problem 23
_PENALTY_A = 1e-5
_SQRT_A = math.sqrt(_PENALTY_A)
_PENALTY1_FMIN = {4: 2.24997e-5, 10: 7.08765e-5}
_PENALTY2_FMIN = {4: 9.37629e-6, 10: 2.93660e-4}


def penalty1(n: int = 10) -> Problem:
    """MGH 23, penalty I (m = n + 1, n in {4, 10}): f* = 2.24997e-5 / 7.08765e-5.

    ``r_i = √a (x_i - 1)``, ``r_{n+1} = Σ x_j² - 1/4``, ``a = 1e-5``.
    """
    if n not in _PENALTY1_FMIN:
        raise ValueError(f"penalty1: f* documented for n in (4, 10), got {n}")

    def rj(x: Array) -> tuple[Array, Array]:
        r = np.append(_SQRT_A * (x - 1.0), x @ x - 0.25)
        jac = np.vstack([_SQRT_A * np.eye(n), 2.0 * x])
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return 2.0 * w[n] * np.eye(n)

    f_min = _PENALTY1_FMIN[n]
    return Problem(
        "penalty1", 23, n, n + 1, _frozen(np.arange(1.0, n + 1.0)), *_least_squares(rj, curv),
        f_min,
        f_tol=_rel_tol(f_min), note=f"f* = {f_min:g} (MGH, n={n}), 6 digits; x* not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 24
def penalty2(n: int = 10) -> Problem:
    """MGH 24, penalty II (m = 2n, n in {4, 10}): f* = 9.37629e-6 / 2.93660e-4.

    ``r_1 = x1 - 0.2``; ``r_i = √a (e^{x_i/10} + e^{x_{i-1}/10} - y_i)`` (2 <= i <= n);
    ``r_i = √a (e^{x_{i-n+1}/10} - e^{-1/10})`` (n < i < 2n);
    ``r_{2n} = Σ (n-j+1) x_j² - 1``; ``y_i = e^{i/10} + e^{(i-1)/10}``, ``a = 1e-5``.
    """
    if n not in _PENALTY2_FMIN:
        raise ValueError(f"penalty2: f* documented for n in (4, 10), got {n}")
    i = np.arange(2.0, n + 1.0)
    y = np.exp(i / 10.0) + np.exp((i - 1.0) / 10.0)
    weights = n - np.arange(n) * 1.0  # n - j + 1 for j = 1..n
    rows = np.arange(n - 1)

    def rj(x: Array) -> tuple[Array, Array]:
        e = np.exp(x / 10.0)
        r = np.empty(2 * n)
        r[0] = x[0] - 0.2
        r[1:n] = _SQRT_A * (e[1:] + e[:-1] - y)
        r[n : 2 * n - 1] = _SQRT_A * (e[1:] - math.exp(-0.1))
        r[2 * n - 1] = weights @ (x * x) - 1.0
        jac = np.zeros((2 * n, n))
        jac[0, 0] = 1.0
        jac[1 + rows, 1 + rows] = _SQRT_A * e[1:] / 10.0
        jac[1 + rows, rows] = _SQRT_A * e[:-1] / 10.0
        jac[n + rows, 1 + rows] = _SQRT_A * e[1:] / 10.0
        jac[2 * n - 1] = 2.0 * weights * x
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        e = _SQRT_A / 100.0 * np.exp(x / 10.0)  # (√a e^{x/10})'' = √a e^{x/10} / 100
        diagonal = 2.0 * weights * w[2 * n - 1]
        diagonal[1:] += e[1:] * (w[1:n] + w[n : 2 * n - 1])
        diagonal[:-1] += e[:-1] * w[1:n]
        return np.diag(diagonal)

    f_min = _PENALTY2_FMIN[n]
    return Problem(
        "penalty2", 24, n, 2 * n, _frozen(np.full(n, 0.5)), *_least_squares(rj, curv), f_min,
        f_tol=_rel_tol(f_min), note=f"f* = {f_min:g} (MGH, n={n}), 6 digits; x* not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 25
def variably_dimensioned(n: int = 10) -> Problem:
    """MGH 25, variably dimensioned (m = n + 2): f* = 0 at (1, ..., 1).

    ``r_i = x_i - 1``, ``r_{n+1} = s = Σ j (x_j - 1)``, ``r_{n+2} = s²``.
    """
    j = np.arange(1.0, n + 1.0)

    def rj(x: Array) -> tuple[Array, Array]:
        s = j @ (x - 1.0)
        r = np.concatenate([x - 1.0, [s, s * s]])
        jac = np.vstack([np.eye(n), j, 2.0 * s * j])
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return 2.0 * w[n + 1] * np.outer(j, j)

    return Problem(
        "variably_dimensioned", 25, n, n + 2, _frozen(1.0 - j / n), *_least_squares(rj, curv),
        0.0,
        _frozen(np.ones(n)),
    )  # fmt: skip


# --------------------------------------------------------------- problem 26
def trigonometric(n: int = 10) -> Problem:
    """MGH 26, trigonometric (m = n): f* = 0; for n = 10 also a local minimum ≈ 2.79506e-5.

    ``r_i = n - Σ cos x_j + i (1 - cos x_i) - sin x_i``, start x_j = 1/n.
    """
    i = np.arange(1.0, n + 1.0)

    def rj(x: Array) -> tuple[Array, Array]:
        c, s = np.cos(x), np.sin(x)
        r = n - c.sum() + i * (1.0 - c) - s
        jac = np.tile(s, (n, 1)) + np.diag(i * s - c)
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        c = np.cos(x)
        return np.diag(w.sum() * c + w * (i * c + np.sin(x)))

    alternatives = (2.79506e-5,) if n == 10 else ()
    return Problem(
        "trigonometric", 26, n, n, _frozen(np.full(n, 1.0 / n)), *_least_squares(rj, curv),
        0.0,
        alternative_minima=alternatives, alternative_x_min=(None,) * len(alternatives),
        note="x* not documented; for n=10 the standard start typically reaches a local "
        "minimum f ≈ 2.79506e-5 (value from the literature, not MGH; BFGS reaches 2.795056e-5)",
    )  # fmt: skip


# --------------------------------------------------------------- problem 27
def _products_but_one(x: Array) -> Array:
    """``Π_{k≠j} x_k`` for every ``j``, without dividing by ``x_j``."""
    prefix = np.concatenate([[1.0], np.cumprod(x[:-1])])
    suffix = np.concatenate([np.cumprod(x[::-1][:-1])[::-1], [1.0]])
    return prefix * suffix


def _products_but_two(x: Array) -> Array:
    """``Π_{l∉{j,k}} x_l`` at ``(j, k)``, ``j ≠ k``; 0 on the diagonal."""
    out = np.empty((x.size, x.size))
    for j in range(x.size):
        y = x.copy()
        y[j] = 1.0
        out[j] = _products_but_one(y)
    np.fill_diagonal(out, 0.0)
    return out


def brown_almost_linear(n: int = 10) -> Problem:
    """MGH 27, Brown almost-linear (m = n): f* = 0 at (1, ..., 1); f = 1 at (0, ..., 0, n+1).

    ``r_i = x_i + Σ x_j - (n + 1)`` (i < n), ``r_n = Π x_j - 1``. MGH: f = 0 at
    (α, ..., α, α^(1-n)) for every root α of ``n α^n - (n+1) α^(n-1) + 1``,
    in particular α = 1 (for n = 10 also α = 0.979430303349862, MINPACK-1).
    """
    if n < 2:
        raise ValueError(f"brown_almost_linear needs n >= 2, got {n}")

    def rj(x: Array) -> tuple[Array, Array]:
        r = np.empty(n)
        r[:-1] = x[:-1] + x.sum() - (n + 1.0)
        r[-1] = np.prod(x) - 1.0
        jac = np.ones((n, n)) + np.eye(n)
        jac[-1] = _products_but_one(x)
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return w[-1] * _products_but_two(x)  # only r_n = Π x_j - 1 is nonlinear

    x_local = np.zeros(n)
    x_local[-1] = n + 1.0
    return Problem(
        "brown_almost_linear", 27, n, n, _frozen(np.full(n, 0.5)), *_least_squares(rj, curv),
        0.0,
        _frozen(np.ones(n)), alternative_minima=(1.0,), alternative_x_min=(_frozen(x_local),),
        note="f = 1 at (0, ..., 0, n+1) (MGH) is a local minimum",
    )  # fmt: skip


# --------------------------------------------------------------- problem 28
def discrete_boundary_value(n: int = 10) -> Problem:
    """MGH 28, discrete boundary value (m = n): f* = 0.

    ``r_i = 2x_i - x_{i-1} - x_{i+1} + h² (x_i + t_i + 1)³ / 2``, ``h = 1/(n+1)``,
    ``t_i = i h``, ``x_0 = x_{n+1} = 0``; start ``x_j = t_j (t_j - 1)``.
    """
    h = 1.0 / (n + 1.0)
    t = h * np.arange(1.0, n + 1.0)
    band = 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)

    def rj(x: Array) -> tuple[Array, Array]:
        c = x + t + 1.0
        r = band @ x + 0.5 * h * h * c**3
        jac = band + np.diag(1.5 * h * h * c**2)
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return np.diag(3.0 * h * h * (x + t + 1.0) * w)

    return Problem(
        "discrete_boundary_value", 28, n, n, _frozen(t * (t - 1.0)), *_least_squares(rj, curv),
        0.0,
        note="x* (solution of the discretised BVP) not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 29
def discrete_integral_equation(n: int = 10) -> Problem:
    """MGH 29, discrete integral equation (m = n): f* = 0.

    ``r_i = x_i + h [(1 - t_i) Σ_{j<=i} t_j c_j + t_i Σ_{j>i} (1 - t_j) c_j] / 2``,
    ``c_j = (x_j + t_j + 1)³``; same h, t and start as problem 28.
    """
    h = 1.0 / (n + 1.0)
    t = h * np.arange(1.0, n + 1.0)
    lower = np.tril(np.ones((n, n), dtype=bool))  # j <= i
    kernel = np.where(lower, (1.0 - t)[:, None] * t[None, :], t[:, None] * (1.0 - t)[None, :])

    def rj(x: Array) -> tuple[Array, Array]:
        c = x + t + 1.0
        r = x + 0.5 * h * (kernel @ c**3)
        jac = np.eye(n) + 1.5 * h * kernel * (c**2)[None, :]
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return np.diag(3.0 * h * (x + t + 1.0) * (kernel.T @ w))

    return Problem(
        "discrete_integral_equation", 29, n, n, _frozen(t * (t - 1.0)),
        *_least_squares(rj, curv), 0.0, note="x* not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 30
def broyden_tridiagonal(n: int = 10) -> Problem:
    """MGH 30, Broyden tridiagonal (m = n): f* = 0.

    ``r_i = (3 - 2x_i) x_i - x_{i-1} - 2x_{i+1} + 1``, ``x_0 = x_{n+1} = 0``; start -1.
    """
    off = -np.eye(n, k=-1) - 2.0 * np.eye(n, k=1)

    def rj(x: Array) -> tuple[Array, Array]:
        r = (3.0 - 2.0 * x) * x + off @ x + 1.0
        jac = off + np.diag(3.0 - 4.0 * x)
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return np.diag(-4.0 * w)

    return Problem(
        "broyden_tridiagonal", 30, n, n, _frozen(np.full(n, -1.0)), *_least_squares(rj, curv),
        0.0,
        note="x* not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 31
def broyden_banded(n: int = 10, ml: int = 5, mu: int = 1) -> Problem:
    """MGH 31, Broyden banded (m = n): f* = 0.

    ``r_i = x_i (2 + 5x_i²) + 1 - Σ_{j∈J_i} x_j (1 + x_j)``,
    ``J_i = {j ≠ i : max(1, i - ml) <= j <= min(n, i + mu)}``, ml = 5, mu = 1; start -1.
    """
    idx = np.arange(n)
    diff = idx[None, :] - idx[:, None]  # j - i
    band = ((diff >= -ml) & (diff <= mu) & (diff != 0)).astype(np.float64)

    def rj(x: Array) -> tuple[Array, Array]:
        r = x * (2.0 + 5.0 * x * x) + 1.0 - band @ (x * (1.0 + x))
        jac = np.diag(2.0 + 15.0 * x * x) - band * (1.0 + 2.0 * x)[None, :]
        return r, jac

    def curv(x: Array, w: Array) -> Array:
        return np.diag(30.0 * x * w - 2.0 * (band.T @ w))

    return Problem(
        "broyden_banded", 31, n, n, _frozen(np.full(n, -1.0)), *_least_squares(rj, curv), 0.0,
        note="x* not documented",
    )  # fmt: skip


# --------------------------------------------------------------- problem 32
def linear_full_rank(n: int = 5, m: int = 10) -> Problem:
    """MGH 32, linear function - full rank (m >= n): f* = m - n at (-1, ..., -1).

    ``r_i = x_i - (2/m) Σ x_j - 1`` (i <= n), ``r_i = -(2/m) Σ x_j - 1`` (i > n).
    """
    if m < n:
        raise ValueError(f"linear_full_rank needs m >= n, got n={n}, m={m}")
    a = np.eye(m, n) - 2.0 / m

    def rj(x: Array) -> tuple[Array, Array]:
        return a @ x - 1.0, a

    return Problem(
        "linear_full_rank", 32, n, m, _frozen(np.ones(n)),
        *_least_squares(rj, _zero_curvature(n)), float(m - n),
        _frozen(-np.ones(n)), f_tol=_rel_tol(float(m - n), 1e-10),
        note="f* = m - n exactly; f_tol relative 1e-10",
    )  # fmt: skip


# --------------------------------------------------------------- problem 33
def linear_rank1(n: int = 5, m: int = 10) -> Problem:
    """MGH 33, linear function - rank 1 (m >= n): f* = m(m-1) / (2(2m+1)).

    ``r_i = i Σ j x_j - 1``; minimal wherever ``Σ j x_j = 3/(2m+1)``.
    """
    if m < n:
        raise ValueError(f"linear_rank1 needs m >= n, got n={n}, m={m}")
    a = np.outer(np.arange(1.0, m + 1.0), np.arange(1.0, n + 1.0))

    def rj(x: Array) -> tuple[Array, Array]:
        return a @ x - 1.0, a

    f_min = m * (m - 1.0) / (2.0 * (2.0 * m + 1.0))
    x_min = np.zeros(n)
    x_min[0] = 3.0 / (2.0 * m + 1.0)
    return Problem(
        "linear_rank1", 33, n, m, _frozen(np.ones(n)), *_least_squares(rj, _zero_curvature(n)),
        f_min,
        _frozen(x_min), f_tol=_rel_tol(f_min, 1e-10),
        note="f* exact; minimisers form a hyperplane; f_tol relative 1e-10",
    )  # fmt: skip


# --------------------------------------------------------------- problem 35
_CHEBYQUAD_FMIN = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0, 7: 0.0, 9: 0.0}
_CHEBYQUAD_FMIN.update({8: 3.516873741322673e-03, 10: 6.50395e-3})


def _chebyshev(y: Array, m: int) -> tuple[Array, Array, Array]:
    """``T_k(y)``, ``T_k'(y)``, ``T_k''(y)`` in row ``k - 1``, ``k = 1..m``."""
    t_prev, t_cur = np.ones_like(y), y.copy()  # T_0, T_1
    d_prev, d_cur = np.zeros_like(y), np.ones_like(y)  # T_0', T_1'
    s_prev, s_cur = np.zeros_like(y), np.zeros_like(y)  # T_0'', T_1''
    values, derivs, second = (np.empty((m, y.size)) for _ in range(3))
    for k in range(m):  # differentiate T_{k+1} = 2y T_k - T_{k-1} twice
        values[k], derivs[k], second[k] = t_cur, d_cur, s_cur
        t_prev, t_cur = t_cur, 2.0 * y * t_cur - t_prev
        d_prev, d_cur = d_cur, 2.0 * values[k] + 2.0 * y * d_cur - d_prev
        s_prev, s_cur = s_cur, 4.0 * derivs[k] + 2.0 * y * s_cur - s_prev
    return values, derivs, second


def chebyquad(n: int = 8) -> Problem:
    """MGH 35, Chebyquad (m = n here): f* = 3.51687e-3 (n = 8), 6.50395e-3 (n = 10), else 0.

    ``r_i = (1/n) Σ_j T_i(2x_j - 1) - ∫_0^1 T_i(2u - 1) du`` with the Chebyshev
    polynomials ``T_i``; the integral is 0 for odd i and ``-1/(i² - 1)`` for even i.
    """
    if n not in _CHEBYQUAD_FMIN:
        raise ValueError(f"chebyquad: f* documented for n in {sorted(_CHEBYQUAD_FMIN)}, got {n}")
    m = n
    i = np.arange(1, m + 1)
    integral = np.zeros(m)
    even = i % 2 == 0
    integral[even] = -1.0 / (i[even] ** 2 - 1.0)

    def rj(x: Array) -> tuple[Array, Array]:
        values, derivs, _ = _chebyshev(2.0 * x - 1.0, m)
        r = values.mean(axis=1) - integral
        return r, derivs * (2.0 / n)

    def curv(x: Array, w: Array) -> Array:
        second = _chebyshev(2.0 * x - 1.0, m)[2]
        return np.diag((4.0 / n) * (w @ second))  # d²/dx² T(2x - 1) = 4 T''

    f_min = _CHEBYQUAD_FMIN[n]
    note = f"f* = {f_min:g} (MGH, n=m={n})"
    if n == 8:
        note += "; f_min from MINPACK-1 ‖r(x*)‖ = 0.0593032355046727"
    return Problem(
        f"chebyquad{n}", 35, n, m, _frozen(np.arange(1.0, n + 1.0) / (n + 1.0)),
        *_least_squares(rj, curv), f_min, f_tol=_rel_tol(f_min), note=note,
    )  # fmt: skip


#: The default instances, one per problem (two for Watson).
PROBLEMS: list[Problem] = [
    rosenbrock(),
    freudenstein_roth(),
    powell_badly_scaled(),
    brown_badly_scaled(),
    beale(),
    jennrich_sampson(),
    helical_valley(),
    bard(),
    gaussian(),
    meyer(),
    gulf_research(),
    box_3d(),
    powell_singular(),
    wood(),
    kowalik_osborne(),
    brown_dennis(),
    osborne1(),
    biggs_exp6(),
    osborne2(),
    watson(6),
    watson(9),
    extended_rosenbrock(10),
    extended_powell_singular(12),
    penalty1(10),
    penalty2(10),
    variably_dimensioned(10),
    trigonometric(10),
    brown_almost_linear(10),
    discrete_boundary_value(10),
    discrete_integral_equation(10),
    broyden_tridiagonal(10),
    broyden_banded(10),
    linear_full_rank(5, 10),
    linear_rank1(5, 10),
    chebyquad(8),
    chained_rosenbrock(10),
]
