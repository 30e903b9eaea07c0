"""Checks of the Moré-Garbow-Hillstrom test problems in :mod:`tests.mgh_problems`.

For every problem: the analytic gradient agrees with central differences
(``fusedopt.gradcheck``) at ``x0``, near ``x0`` and near ``x_min``; ``f(x_min)``
is the documented minimum; ``f(x0)`` is the documented starting value where
one is known. The vectorised Rosenbrock and Powell variants are checked against
the small problems and ``scipy.optimize.rosen``.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable

import numpy as np
import pytest
import scipy.optimize

import fusedopt

from . import mgh_problems as mgh
from .mgh_problems import PROBLEMS, Problem

RTOL, ATOL = 1e-4, 1e-6

# brown_badly_scaled (MGH 4): f(x0) ≈ 1e12, so a 1e-6 step in x2 changes f by
# less than one ulp and the default central difference of ∂f/∂x2 is pure noise.
# f is a quadratic polynomial in each coordinate separately, so central
# differences are exact for any step: a step of 1e3 leaves only rounding
# (≈ 1e-4 / 2e3) and the strict tolerances hold.
GRADCHECK_EPS: dict[str, float] = {"brown_badly_scaled": 1e3}

# Documented f(x0). MINPACK-1 (file17) lists ‖r(x0)‖ to ~15 digits; the others
# are evaluated by hand from the formulas at x0 (or are MGH-era literature values).
F_AT_X0: dict[str, float] = {
    "rosenbrock": 24.2,
    "freudenstein_roth": 20.0124960961895**2,  # = 400.5
    "powell_badly_scaled": 1.0 + (math.exp(-1.0) - 1e-4) ** 2,
    "brown_badly_scaled": (1.0 - 1e6) ** 2 + (1.0 - 2e-6) ** 2 + 1.0,
    "beale": 1.5**2 + 2.25**2 + 2.625**2,
    "jennrich_sampson": 64.5856498144943**2,
    "helical_valley": 2500.0,
    "bard": 6.45613629515967**2,
    "gaussian": 3.88811e-6,  # 6 digits
    "meyer": 41153.4665543031**2,
    "box_3d": 32.1115837449572**2,
    "powell_singular": 215.0,
    "wood": 19192.0,
    "kowalik_osborne": 0.0728915102882945**2,
    "brown_dennis": 2815.43839161816**2,
    "osborne1": 0.937564021037838**2,
    "osborne2": 1.44686540984712**2,
    "watson6": 30.0,
    "watson9": 30.0,
    "extended_rosenbrock": 5 * 24.2,
    "extended_powell_singular": 3 * 215.0,
    "penalty1": 1e-5 * 285.0 + (385.0 - 0.25) ** 2,
    "variably_dimensioned": 3.85 + 38.5**2 + 38.5**4,
    "brown_almost_linear": 16.5302162063499**2,
    "broyden_tridiagonal": 21.0,
    "broyden_banded": 360.0,
    "linear_full_rank": 25.0,
    "linear_rank1": 291.521868819476**2,
    "chebyquad8": 0.196513862833975**2,
    "chained_rosenbrock10": 2057.0,
}
F_AT_X0_RTOL: dict[str, float] = {"gaussian": 1e-5}

WITH_F_X0 = [p for p in PROBLEMS if p.name in F_AT_X0]
WITH_X_MIN = [p for p in PROBLEMS if p.x_min is not None]
WITH_ALT_X = [p for p in PROBLEMS if any(x is not None for x in p.alternative_x_min)]


def _ids(problems: list[Problem]) -> list[str]:
    return [p.name for p in problems]


def _rng(problem: Problem, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(problem.name.encode()) + salt)


def _near(x: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """``x`` plus Gaussian noise of ``scale`` relative size (absolute for zero entries)."""
    size = np.where(x != 0.0, np.abs(x), 1.0) * scale
    return x + size * rng.standard_normal(x.shape)


def _check_gradient(problem: Problem, x: np.ndarray) -> None:
    eps = GRADCHECK_EPS.get(problem.name)
    result = fusedopt.gradcheck(problem.value, problem.grad, x, eps=eps, rtol=RTOL, atol=ATOL)
    assert result.ok, f"{problem.name} at x={x!r}\n{result!r}"


def test_collection() -> None:
    """At least 18 distinct MGH problems, unique names."""
    names = [p.name for p in PROBLEMS]
    assert len(set(names)) == len(names)
    numbers = {p.number for p in PROBLEMS if p.number is not None}
    assert len(numbers) >= 18


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_shapes_and_types(problem: Problem) -> None:
    """x0 has n entries and is read-only; fun returns (float, float64 (n,)) and leaves x alone."""
    assert problem.x0.shape == (problem.n,)
    assert problem.m >= problem.n
    assert not problem.x0.flags.writeable
    assert len(problem.alternative_x_min) in (0, len(problem.alternative_minima))
    x = problem.x0.copy()
    f, g = problem.fun(x)
    assert type(f) is float and math.isfinite(f)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == (problem.n,)
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(x, problem.x0)
    assert problem.value(x) == f
    np.testing.assert_array_equal(problem.grad(x), g)
    assert mgh.scipy_fun(problem)(list(x))[0] == f


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_gradient_at_and_near_x0(problem: Problem) -> None:
    """gradcheck at x0 and at two random points within ~10% of x0."""
    rng = _rng(problem)
    for x in (problem.x0.copy(), _near(problem.x0, rng, 0.1), _near(problem.x0, rng, 0.1)):
        _check_gradient(problem, x)


@pytest.mark.parametrize("problem", WITH_X_MIN, ids=_ids(WITH_X_MIN))
def test_gradient_near_x_min(problem: Problem) -> None:
    """gradcheck at two random points within ~1% of x_min (a second region of x)."""
    assert problem.x_min is not None
    rng = _rng(problem, salt=1)
    for _ in range(2):
        _check_gradient(problem, _near(problem.x_min, rng, 1e-2))


@pytest.mark.parametrize("problem", WITH_X_MIN, ids=_ids(WITH_X_MIN))
def test_f_at_x_min(problem: Problem) -> None:
    """f(x_min) = f_min within f_tol, and x_min is (nearly) stationary."""
    assert problem.x_min is not None
    f, g = problem.fun(problem.x_min.copy())
    assert abs(f - problem.f_min) <= problem.f_tol, (f, problem.f_min)
    assert problem.classify(f) == "global"
    # MINPACK-1's minimisers are LM results, accurate to ~1e-5 relative at worst.
    assert np.linalg.norm(g) <= 1e-3 * max(1.0, problem.f_min)


@pytest.mark.parametrize("problem", WITH_ALT_X, ids=_ids(WITH_ALT_X))
def test_f_at_alternative_minima(problem: Problem) -> None:
    """Documented local minima: f there is the recorded alternative value, g ≈ 0."""
    for value, x in zip(problem.alternative_minima, problem.alternative_x_min):
        if x is None:
            continue
        f, g = problem.fun(x.copy())
        assert abs(f - value) <= problem.alternative_tol(value), (f, value)
        assert problem.classify(f) == "alternative"
        assert np.linalg.norm(g) <= 1e-3 * max(1.0, value)


@pytest.mark.parametrize("problem", WITH_F_X0, ids=_ids(WITH_F_X0))
def test_f_at_x0(problem: Problem) -> None:
    """f(x0) equals the documented starting value (where one is known)."""
    expected = F_AT_X0[problem.name]
    rtol = F_AT_X0_RTOL.get(problem.name, 1e-10)
    assert problem.value(problem.x0.copy()) == pytest.approx(expected, rel=rtol)


def test_f_at_x0_table_covers_most_problems() -> None:
    """Every F_AT_X0 entry names a problem, and most problems have one."""
    assert set(F_AT_X0) <= {p.name for p in PROBLEMS}
    assert len(WITH_F_X0) >= 25


def test_classify() -> None:
    """classify separates the global minimum, the alternatives and neither."""
    problem = mgh.freudenstein_roth()
    assert problem.classify(0.0) == "global"
    assert problem.classify(48.98425) == "alternative"
    assert problem.classify(50.0) is None
    bard = mgh.bard()
    assert bard.classify(bard.f_min * (1 + 1e-6)) == "global"
    assert bard.classify(17.4286) == "alternative"


def test_extended_rosenbrock_is_pairs_of_problem_1() -> None:
    """Problem 21 at n = 10 is the sum of problem 1 over the pairs (value and gradient)."""
    ext, base = mgh.extended_rosenbrock(10), mgh.rosenbrock()
    x = _near(ext.x0, np.random.default_rng(21), 0.3)
    f, g = ext.fun(x)
    pairs = [base.fun(x[k : k + 2]) for k in range(0, 10, 2)]
    assert f == pytest.approx(sum(p[0] for p in pairs), rel=1e-14)
    np.testing.assert_allclose(g, np.concatenate([p[1] for p in pairs]), rtol=1e-14)


def test_extended_rosenbrock_large_n_is_vectorised() -> None:
    """n = 100000: correct value and gradient, evaluated in well under 50 ms."""
    n = 100_000
    problem = mgh.extended_rosenbrock(n)
    x = problem.x0.copy()
    f, g = problem.fun(x)
    assert f == pytest.approx(12.1 * n, rel=1e-12)
    np.testing.assert_allclose(g, np.tile(mgh.rosenbrock().grad(x[:2]), n // 2), rtol=1e-14)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        problem.fun(x)
        best = min(best, time.perf_counter() - start)
    assert best < 0.05, f"extended_rosenbrock(1e5) took {best * 1e3:.1f} ms"


def test_extended_powell_is_blocks_of_problem_13() -> None:
    """Problem 22 at n = 12 is the sum of problem 13 over blocks of four."""
    ext, base = mgh.extended_powell_singular(12), mgh.powell_singular()
    x = _near(ext.x0, np.random.default_rng(22), 0.3)
    f, g = ext.fun(x)
    blocks = [base.fun(x[k : k + 4]) for k in range(0, 12, 4)]
    assert f == pytest.approx(sum(b[0] for b in blocks), rel=1e-14)
    np.testing.assert_allclose(g, np.concatenate([b[1] for b in blocks]), rtol=1e-13)


@pytest.mark.parametrize("n", [2, 3, 10, 1001])
def test_chained_rosenbrock_matches_scipy(n: int) -> None:
    """chained_rosenbrock is scipy.optimize.rosen / rosen_der, start (-1.2, 1, ...)."""
    problem = mgh.chained_rosenbrock(n)
    np.testing.assert_array_equal(problem.x0[:2], [-1.2, 1.0])
    for x in (problem.x0.copy(), _near(problem.x0, np.random.default_rng(n), 0.5)):
        f, g = problem.fun(x)
        assert f == pytest.approx(scipy.optimize.rosen(x), rel=1e-13)
        np.testing.assert_allclose(g, scipy.optimize.rosen_der(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("factory", "bad"),
    [
        (mgh.extended_rosenbrock, 3),
        (mgh.extended_powell_singular, 6),
        (mgh.watson, 7),
        (mgh.penalty1, 5),
        (mgh.chebyquad, 11),
    ],
)
def test_invalid_dimensions(factory: Callable[[int], Problem], bad: int) -> None:
    """Dimensions the formulas or the documented f* do not cover are rejected."""
    with pytest.raises(ValueError):
        factory(bad)
