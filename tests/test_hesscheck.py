"""Finite-difference Hessians (fusedopt.numerical_hessian, fusedopt.hesscheck) and the
analytic Hessians of the MGH test problems (``Problem.hess``, ``Problem.hessp``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import scipy.sparse

import fusedopt as fo
from fusedopt.gradcheck import default_eps

from . import mgh_problems as mgh
from .mgh_problems import PROBLEMS, Problem
from .test_mgh_problems import _ids, _near, _rng

DTYPES = (np.float32, np.float64)
METHODS = ("central", "forward")
Fn = Callable[[np.ndarray], Any]

# ------------------------------------------------------------------ test functions
_RNG = np.random.default_rng(7)
_A = _RNG.standard_normal((5, 5))
Q = _A @ _A.T / 5 + np.eye(5)
B = _RNG.standard_normal(5)


def _f64(x: np.ndarray) -> np.ndarray:
    """The gradients below accumulate in float64 (the module docstring's advice for float32)."""
    return x.astype(np.float64)


# name -> (grad, exact Hessian of the flattened x, shape of x, sampling half-width)
FUNCTIONS: dict[str, tuple[Fn, Fn, tuple[int, ...], float]] = {
    "quadratic": (lambda x: Q @ _f64(x) + B, lambda x: Q, (5,), 2.0),
    "rosenbrock": (
        lambda x: scipy.optimize.rosen_der(_f64(x)),
        lambda x: scipy.optimize.rosen_hess(_f64(x)),
        (6,),
        1.5,
    ),
    "matrix_sin": (  # f = Σ sin(X) + (Σ X)² / 2 on a (2, 3) matrix: H = ones - diag(sin x)
        lambda x: np.cos(_f64(x)) + _f64(x).sum(),
        lambda x: np.ones((x.size, x.size)) - np.diag(np.sin(_f64(x).reshape(-1))),
        (2, 3),
        2.0,
    ),
}

# max |N - H| / max |H| allowed for numerical_hessian with the default eps.
# float64: rounding u·|g|/h ≈ 2e-10·|g| (measured <= 1e-9 over 200 points).
# float32 (h = 1e-3): truncation h²·|∇⁴f|/6 (measured <= 1e-6); the quadratic has
# none, so only the float64 rounding of g over the larger step remains (<= 2e-13).
TOL = {
    ("quadratic", np.float64): 1e-8,
    ("quadratic", np.float32): 1e-10,
    ("rosenbrock", np.float64): 1e-8,
    ("rosenbrock", np.float32): 1e-5,
    ("matrix_sin", np.float64): 1e-8,
    ("matrix_sin", np.float32): 1e-5,
}


def point(name: str, dtype: Any, seed: int = 0) -> np.ndarray:
    _, _, shape, width = FUNCTIONS[name]
    return np.random.default_rng(seed).uniform(-width, width, shape).astype(dtype)


def _with_wrong_entry(hess: Fn, i: int, j: int, delta: float = 1e-2) -> Fn:
    """``hess`` with entry (i, j) alone off by ``delta·max(1, |H_ij|)`` (10x the default rtol)."""

    def wrong(x: np.ndarray) -> np.ndarray:
        h = np.array(hess(x), dtype=np.float64)
        h[i, j] += delta * max(1.0, abs(h[i, j]))
        return h

    return wrong


def _rosen_grad(x: np.ndarray) -> np.ndarray:
    return scipy.optimize.rosen_der(_f64(x))


def _rosen_hess(x: np.ndarray) -> np.ndarray:
    return scipy.optimize.rosen_hess(_f64(x))


# ------------------------------------------------------------------ numerical_hessian
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numerical_hessian_matches_exact(name: str, dtype: Any, seed: int) -> None:
    grad, hess, _, _ = FUNCTIONS[name]
    x = point(name, dtype, seed)
    numerical = fo.numerical_hessian(grad, x)
    exact = hess(x)
    assert numerical.dtype == np.float64 and numerical.shape == (x.size, x.size)
    np.testing.assert_array_equal(numerical, numerical.T)  # symmetrised
    error = np.max(np.abs(numerical - exact)) / np.max(np.abs(exact))
    assert error <= TOL[name, dtype], error


@pytest.mark.parametrize("dtype", DTYPES)
def test_numerical_hessian_forward(dtype: Any) -> None:
    """Forward differences are O(h): good to ≈ √u relative on the quadratic."""
    x = point("quadratic", dtype)
    numerical = fo.numerical_hessian(FUNCTIONS["quadratic"][0], x, method="forward")
    tol = 1e-6 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(numerical, Q, rtol=0, atol=tol * np.max(np.abs(Q)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_numerical_hessian_default_eps(dtype: Any) -> None:
    """The default step is default_eps(dtype, method): u^(1/3) scale for central."""
    x = point("rosenbrock", dtype)
    for method in METHODS:
        eps = default_eps(dtype, method)
        a = fo.numerical_hessian(_rosen_grad, x, method=method)
        b = fo.numerical_hessian(_rosen_grad, x, eps=eps, method=method)
        np.testing.assert_array_equal(a, b)
    assert default_eps(dtype, "central") == (1e-6 if dtype == np.float64 else 1e-3)


def test_numerical_hessian_zero_dim_and_empty() -> None:
    x = np.array(0.7)
    h = fo.numerical_hessian(lambda v: 3 * v**2, x)
    assert h.shape == (1, 1) and h[0, 0] == pytest.approx(6 * 0.7, rel=1e-8)
    assert fo.numerical_hessian(lambda v: v, np.zeros((0, 2))).shape == (0, 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", METHODS)
def test_grad_called_with_x_itself_and_x_unchanged(dtype: Any, method: str) -> None:
    x = np.array([0.1, -0.0, 3.3, 1e-30, -7.0], dtype=dtype)
    before = x.tobytes()
    seen: list[bool] = []

    def grad(v: np.ndarray) -> np.ndarray:
        seen.append(v is x)
        return Q @ _f64(v)

    fo.numerical_hessian(grad, x, method=method)
    assert all(seen) and len(seen) == (2 * x.size if method == "central" else x.size + 1)
    assert x.tobytes() == before


def _raising_on(call: int, grad: Fn) -> Fn:
    count = [0]

    def failing(v: np.ndarray) -> Any:
        count[0] += 1
        if count[0] == call:
            raise RuntimeError(f"boom on call {call}")
        return grad(v)

    return failing


@pytest.mark.parametrize("call", [1, 2, 5, 6])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["numerical_hessian", "hesscheck"])
def test_x_restored_bit_for_bit_when_grad_raises(
    which: str, dtype: Any, method: str, call: int
) -> None:
    """Raising on the plus or the minus evaluation of some column leaves x's bits intact."""
    x = np.array([0.1, -0.0, 1.0 / 3.0, -5e-39, 2.5e7], dtype=dtype)
    before = x.tobytes()
    grad = _raising_on(call, lambda v: Q @ _f64(v))
    with pytest.raises(RuntimeError, match=f"boom on call {call}"):
        if which == "numerical_hessian":
            fo.numerical_hessian(grad, x, method=method)
        else:
            fo.hesscheck(grad, Q, x, method=method)
    assert x.tobytes() == before


@pytest.mark.parametrize("method", METHODS)
def test_x_restored_when_grad_raises_in_directional_check(method: str) -> None:
    x = point("rosenbrock", np.float64)
    before = x.tobytes()
    calls = 2 * 3 if method == "central" else 1 + 3  # 3 sampled columns, then the direction
    grad = _raising_on(calls + 1, _rosen_grad)
    with pytest.raises(RuntimeError, match="boom"):
        fo.hesscheck(grad, _rosen_hess, x, method=method, max_coords=3, seed=0)
    assert x.tobytes() == before


# ------------------------------------------------------------------ hesscheck
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_correct_hessian_passes(name: str, dtype: Any) -> None:
    grad, hess, _, _ = FUNCTIONS[name]
    x = point(name, dtype, seed=3)
    atol = 1e-5 if dtype == np.float64 else 1e-3
    result = fo.hesscheck(grad, hess, x, atol=atol)
    assert isinstance(result, fo.GradcheckResult)
    assert result.ok and bool(result), repr(result)
    assert result.kind == "Hessian" and result.checked == x.size**2
    assert result.analytic.shape == result.numerical.shape == (x.size, x.size)
    assert result.checked_mask.all() and result.directional_ok is None
    assert "Hessian check passed" in repr(result)


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda h: h, id="callable"),
        pytest.param(lambda h: lambda x: scipy.sparse.csr_matrix(h(x)), id="csr_matrix"),
        pytest.param(lambda h: lambda x: scipy.sparse.csr_array(h(x)), id="csr_array"),
        pytest.param(lambda h: lambda x: h(x).tolist(), id="nested_list"),
    ],
)
def test_hess_forms(wrap: Callable[[Fn], Fn]) -> None:
    x = point("rosenbrock", np.float64)
    assert fo.hesscheck(_rosen_grad, wrap(_rosen_hess), x).ok
    assert fo.hesscheck(_rosen_grad, _rosen_hess(x), x).ok  # the matrix itself


def test_hess_of_matrix_x_may_have_shape_x_shape_twice() -> None:
    grad, hess, shape, _ = FUNCTIONS["matrix_sin"]
    x = point("matrix_sin", np.float64)
    result = fo.hesscheck(grad, lambda v: hess(v).reshape(shape + shape), x)
    assert result.ok and result.analytic.shape == (6, 6)


@pytest.mark.parametrize("entry", [(0, 0), (1, 3), (4, 2), (5, 5)])
def test_wrong_entry_is_caught_and_named(entry: tuple[int, int]) -> None:
    x = point("rosenbrock", np.float64, seed=4)
    result = fo.hesscheck(_rosen_grad, _with_wrong_entry(_rosen_hess, *entry), x)
    assert not result.ok and result.failures == 1
    assert result.worst_index == entry
    report = repr(result)
    assert "Hessian check FAILED" in report and "worst entries" in report
    row = next(line for line in report.splitlines() if line.strip().startswith(str(entry)))
    assert row.endswith("FAIL")
    with pytest.raises(fo.GradcheckError, match=rf"worst_index=\({entry[0]}, {entry[1]}\)") as info:
        fo.hesscheck(_rosen_grad, _with_wrong_entry(_rosen_hess, *entry), x, raise_exception=True)
    assert isinstance(info.value, AssertionError) and info.value.result.worst_index == entry


def test_asymmetric_hessian_fails() -> None:
    x = point("quadratic", np.float64)
    asymmetric = Q + np.triu(np.full((5, 5), 0.1), 1)
    result = fo.hesscheck(FUNCTIONS["quadratic"][0], asymmetric, x)
    assert not result.ok and result.failures == 10
    assert result.worst_index is not None and result.worst_index[0] < result.worst_index[1]


def test_nan_in_hessian_fails_and_is_named() -> None:
    x = point("quadratic", np.float64)
    bad = Q.copy()
    bad[3, 1] = np.nan
    result = fo.hesscheck(FUNCTIONS["quadratic"][0], bad, x)
    assert not result.ok and result.worst_index == (3, 1) and np.isnan(result.max_abs_error)


def test_hess_called_once_at_unperturbed_x() -> None:
    x = point("rosenbrock", np.float64)
    seen: list[np.ndarray] = []

    def hess(v: np.ndarray) -> np.ndarray:
        seen.append(v.copy())
        return _rosen_hess(v)

    fo.hesscheck(_rosen_grad, hess, x)
    assert len(seen) == 1 and seen[0].tobytes() == x.tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_coords_checks_rows_and_columns_and_direction(seed: int) -> None:
    x = point("rosenbrock", np.float64)
    result = fo.hesscheck(_rosen_grad, _rosen_hess, x, max_coords=2, seed=seed)
    assert result.ok and result.directional_ok is True
    columns = np.flatnonzero(result.checked_mask.all(axis=0))
    assert len(columns) == 2
    expected = np.zeros((6, 6), dtype=bool)
    expected[:, columns] = expected[columns, :] = True
    np.testing.assert_array_equal(result.checked_mask, expected)
    assert np.isnan(result.numerical[~expected]).all()
    assert result.checked == int(expected.sum())
    again = fo.hesscheck(_rosen_grad, _rosen_hess, x, max_coords=2, seed=seed)
    np.testing.assert_array_equal(again.checked_mask, result.checked_mask)


@pytest.mark.parametrize("seed", range(4))
def test_directional_check_catches_error_outside_sampled_rows(seed: int) -> None:
    x = point("rosenbrock", np.float64)
    probe = fo.hesscheck(_rosen_grad, _rosen_hess, x, max_coords=1, seed=seed)
    i, j = np.flatnonzero(~probe.checked_mask.all(axis=0))[:2]  # neither sampled
    wrong = _with_wrong_entry(_rosen_hess, i, j, 100.0)
    result = fo.hesscheck(_rosen_grad, wrong, x, max_coords=1, seed=seed)
    assert not result.checked_mask[i, j] and result.failures == 0
    assert result.directional_ok is False and not result.ok
    assert "random direction" in repr(result)


# ------------------------------------------------------------------ bad input
def _quad_grad(x: np.ndarray) -> np.ndarray:
    return Q[:3, :3] @ _f64(x)


_GOOD_X = np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((None, Q[:3, :3]), {}, TypeError, r"^grad must be callable, got NoneType"),
        ((np.ones(3), Q[:3, :3]), {}, TypeError, r"^grad must be callable, got ndarray"),
        ((_quad_grad, "Q"), {}, TypeError, r"^hess is dtype <U1; expected a real"),
        ((_quad_grad, None), {}, TypeError, r"^hess is dtype object"),
        ((_quad_grad, lambda x: "Q"), {}, TypeError, r"^hess\(x\) returned dtype <U1"),
        ((_quad_grad, lambda x: np.ones((3, 4))), {}, ValueError,
         r"^hess\(x\) returned shape \(3, 4\), expected \(3, 3\)"),
        ((_quad_grad, lambda x: np.ones(3)), {}, ValueError, r"^hess\(x\) returned shape \(3,\)"),
        ((_quad_grad, np.ones((4, 4))), {}, ValueError, r"^hess is shape \(4, 4\)"),
        ((lambda x: np.ones(4), Q[:3, :3]), {}, ValueError,
         r"^grad\(x\) returned shape \(4,\), expected \(3,\)"),
        ((lambda x: 1.0, Q[:3, :3]), {}, ValueError, r"^grad\(x\) returned shape \(\)"),
        ((_quad_grad, Q[:3, :3]), {"eps": 0.0}, ValueError, r"^eps must be"),
        ((_quad_grad, Q[:3, :3]), {"eps": 1e-30}, ValueError, r"^eps=.*no usable step"),
        ((_quad_grad, Q[:3, :3]), {"method": "backward"}, ValueError, r"^method must be"),
        ((_quad_grad, Q[:3, :3]), {"rtol": -1.0}, ValueError, r"^rtol must be"),
        ((_quad_grad, Q[:3, :3]), {"atol": np.nan}, ValueError, r"^atol must be"),
        ((_quad_grad, Q[:3, :3]), {"raise_exception": 1}, TypeError, r"^raise_exception must"),
        ((_quad_grad, Q[:3, :3]), {"max_coords": 0}, ValueError, r"^max_coords must be >= 1"),
        ((_quad_grad, Q[:3, :3]), {"max_coords": 1.5}, TypeError, r"^max_coords must be an int"),
    ],
)  # fmt: skip
def test_hesscheck_bad_arguments(
    args: tuple[Any, Any], kwargs: dict[str, Any], error: type, match: str
) -> None:
    x = _GOOD_X.copy()
    with pytest.raises(error, match=match):
        fo.hesscheck(*args, x, **kwargs)
    assert x.tobytes() == _GOOD_X.tobytes()


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.array([1.0, np.nan, 2.0]), ValueError, r"^x contains NaN or inf"),
        (np.array([1.0, np.inf, 2.0], dtype=np.float32), ValueError, r"^x contains NaN or inf"),
        (np.array([1, 2, 3]), TypeError, r"^x has dtype int64"),
        ([1.0, 2.0, 3.0], TypeError, r"^x must be a numpy.ndarray, got list"),
        (np.ones(3, dtype=np.float16), TypeError, r"^x has dtype float16"),
    ],
)
@pytest.mark.parametrize("which", ["numerical_hessian", "hesscheck"])
def test_bad_x(which: str, x: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        if which == "numerical_hessian":
            fo.numerical_hessian(_quad_grad, x)
        else:
            fo.hesscheck(_quad_grad, Q[:3, :3], x)


def test_read_only_x() -> None:
    x = _GOOD_X.copy()
    x.setflags(write=False)
    with pytest.raises(ValueError, match=r"^x is read-only"):
        fo.numerical_hessian(_quad_grad, x)


def test_numerical_hessian_bad_grad() -> None:
    with pytest.raises(TypeError, match=r"^grad must be callable"):
        fo.numerical_hessian(Q, _GOOD_X.copy())
    with pytest.raises(TypeError, match=r"^grad\(x\) returned dtype object"):
        fo.numerical_hessian(lambda x: None, _GOOD_X.copy())


# ------------------------------------------------------------------ MGH problems
# Central-difference error of H scales with |g| (≈ 2e-10·|g| in float64), so the
# absolute tolerance is relative to the problem's largest Hessian entry.
RTOL, ATOL_REL = 1e-4, 1e-6
# brown_badly_scaled (MGH 4): g ≈ 2e6 at x0 swamps 1e-6 steps in rounding; its
# gradient is at most quadratic in each coordinate, so central differences are
# exact for any step and a large one leaves only rounding.
HESSCHECK_EPS: dict[str, float] = {"brown_badly_scaled": 1e3}


def _points(problem: Problem) -> list[np.ndarray]:
    """x0, deterministic points within ~10% and ~50% of it, and within ~30% of x_min."""
    rng = _rng(problem, salt=8)
    points = [problem.x0.copy(), _near(problem.x0, rng, 0.1), _near(problem.x0, rng, 0.5)]
    if problem.x_min is not None:
        points.append(_near(problem.x_min, rng, 0.3))
    return points


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_mgh_hess_passes_hesscheck(problem: Problem) -> None:
    for x in _points(problem):
        hess = problem.hess(x)
        assert hess.dtype == np.float64 and hess.shape == (problem.n, problem.n)
        np.testing.assert_array_equal(hess, hess.T)
        atol = ATOL_REL * max(1.0, float(np.max(np.abs(hess))))
        eps = HESSCHECK_EPS.get(problem.name)
        result = fo.hesscheck(problem.grad, problem.hess, x, eps=eps, rtol=RTOL, atol=atol)
        assert result.ok, f"{problem.name} at x={x!r}\n{result!r}"


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_mgh_hessp_is_hess_times_p(problem: Problem) -> None:
    rng = _rng(problem, salt=9)
    for x in _points(problem):
        hess = problem.hess(x)
        for p in (rng.standard_normal(problem.n), np.eye(problem.n)[-1]):
            hp = problem.hessp(x, p)
            assert hp.dtype == np.float64 and hp.shape == (problem.n,)
            scale = np.max(np.abs(hess)) * np.sum(np.abs(p))
            np.testing.assert_allclose(hp, hess @ p, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_mgh_hess_leaves_x_alone(problem: Problem) -> None:
    x = problem.x0.copy()
    problem.hess(x)
    problem.hessp(x, np.ones(problem.n))
    np.testing.assert_array_equal(x, problem.x0)


@pytest.mark.parametrize("problem", PROBLEMS, ids=_ids(PROBLEMS))
def test_mgh_hessp_rejects_wrong_p(problem: Problem) -> None:
    n = problem.n
    with pytest.raises(ValueError, match=rf"^p has shape \({n + 1},\), expected \({n},\)"):
        problem.hessp(problem.x0.copy(), np.ones(n + 1))


def test_extended_problems_are_blocks_of_the_small_ones() -> None:
    """Problems 21 and 22: block diagonal of problems 1 and 13 (formulas written apart)."""
    rng = np.random.default_rng(2122)
    for ext, base, k in ((mgh.extended_rosenbrock(10), mgh.rosenbrock(), 2),
                         (mgh.extended_powell_singular(12), mgh.powell_singular(), 4)):  # fmt: skip
        x = _near(ext.x0, rng, 0.3)
        expected = scipy.linalg.block_diag(*(base.hess(x[s : s + k]) for s in range(0, ext.n, k)))
        np.testing.assert_allclose(ext.hess(x), expected, rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 10])
def test_chained_rosenbrock_hess_matches_scipy(n: int) -> None:
    problem = mgh.chained_rosenbrock(n)
    x = _near(problem.x0, np.random.default_rng(n), 0.5)
    np.testing.assert_allclose(problem.hess(x), scipy.optimize.rosen_hess(x), rtol=1e-14)


@pytest.mark.parametrize(
    "factory",
    [mgh.extended_rosenbrock, mgh.chained_rosenbrock, mgh.extended_powell_singular],
    ids=lambda f: f.__name__,
)
def test_vectorised_hessp_at_large_n(factory: Callable[[int], Problem]) -> None:
    """n = 100 000: hessp works without a dense Hessian, and agrees with n = 12 on the
    first entries (the first six rows see only the first seven coordinates)."""
    big, small = factory(100_000), factory(12)
    x = _near(big.x0, np.random.default_rng(1), 0.3)
    p = np.random.default_rng(2).standard_normal(big.n)
    hp = big.hessp(x, p)
    assert hp.shape == (big.n,) and np.all(np.isfinite(hp))
    np.testing.assert_allclose(hp[:6], small.hessp(x[:12], p[:12])[:6], rtol=1e-14)
    if factory is mgh.chained_rosenbrock:
        np.testing.assert_allclose(hp, scipy.optimize.rosen_hess_prod(x, p), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "factory",
    [mgh.extended_rosenbrock, mgh.chained_rosenbrock, mgh.extended_powell_singular],
    ids=lambda f: f.__name__,
)
def test_vectorised_hess_is_dense_only_up_to_max_dense_n(
    factory: Callable[[int], Problem],
) -> None:
    assert mgh.MAX_DENSE_N == 2000
    assert factory(mgh.MAX_DENSE_N).hess(factory(mgh.MAX_DENSE_N).x0.copy()).shape == (2000, 2000)
    big = factory(mgh.MAX_DENSE_N + 4)
    with pytest.raises(ValueError, match=r"n=2004 > MAX_DENSE_N=2000.*use hessp"):
        big.hess(big.x0.copy())
