"""Finite-difference gradients and gradient checks (fusedopt.gradcheck)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.optimize

from fusedopt.gradcheck import (
    GradcheckError,
    GradcheckResult,
    default_eps,
    gradcheck,
    numerical_gradient,
)

DTYPES = (np.float32, np.float64)
METHODS = ("central", "forward")
Fn = Callable[[np.ndarray], Any]

# Constant data of the test functions (float64; the functions compute in x's dtype).
_RNG = np.random.default_rng(1234)
A55 = _RNG.standard_normal((5, 5))
Q = A55 @ A55.T / 5 + np.eye(5)  # symmetric positive definite
B5 = _RNG.standard_normal(5)
A34 = _RNG.standard_normal((3, 3)) / 2
B44 = _RNG.standard_normal((4, 4)) / 2
C34 = _RNG.standard_normal((3, 4))
W42 = _RNG.standard_normal((4, 2)) / 2


def _cast(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    return a.astype(x.dtype)


# name -> (f, exact gradient computed in float64, shape of x)
FUNCTIONS: dict[str, tuple[Fn, Fn, tuple[int, ...]]] = {
    "quadratic": (
        lambda x: 0.5 * x @ _cast(Q, x) @ x + _cast(B5, x) @ x,
        lambda x: Q @ x + B5,
        (5,),
    ),
    "sin_exp": (
        lambda x: np.sum(np.sin(x) * np.exp(0.5 * x)),
        lambda x: np.exp(0.5 * x) * (np.cos(x) + 0.5 * np.sin(x)),
        (6,),
    ),
    "matrix_lstsq": (  # ½‖A X B − C‖²_F
        lambda x: 0.5 * np.sum((_cast(A34, x) @ x @ _cast(B44, x) - _cast(C34, x)) ** 2),
        lambda x: A34.T @ (A34 @ x @ B44 - C34) @ B44.T,
        (3, 4),
    ),
    "matrix_tanh": (  # Σ tanh(X W)
        lambda x: np.sum(np.tanh(x @ _cast(W42, x))),
        lambda x: (1 - np.tanh(x @ W42) ** 2) @ W42.T,
        (3, 4),
    ),
}

# Absolute error of the difference quotient, in units of max(1, |f(x)|, max|g|):
# float64 central ≈ 1e-10, forward ≈ 1e-8 (√u); float32 central ≈ 3e-4, forward ≈ 3e-3.
TOL = {
    (np.float64, "central"): 1e-8,
    (np.float64, "forward"): 1e-6,
    (np.float32, "central"): 1e-3,
    (np.float32, "forward"): 1e-2,
}


def point(shape: tuple[int, ...], dtype: Any, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype(dtype)


def counting(f: Fn) -> tuple[Fn, list[int]]:
    """``f`` wrapped to count its calls."""
    calls = [0]

    def wrapped(x: np.ndarray) -> Any:
        calls[0] += 1
        return f(x)

    return wrapped, calls


# ------------------------------------------------------- numerical_gradient
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numerical_gradient_matches_analytic(name: str, dtype: Any, method: str) -> None:
    f, g, shape = FUNCTIONS[name]
    x = point(shape, dtype)
    exact = g(x.astype(np.float64))
    numerical = numerical_gradient(f, x, method=method)
    assert numerical.shape == x.shape
    assert numerical.dtype == np.float64
    scale = max(1.0, abs(float(f(x))), float(np.max(np.abs(exact))))
    np.testing.assert_allclose(numerical, exact, rtol=0, atol=TOL[dtype, method] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_default_eps(dtype: Any) -> None:
    u = float(np.finfo(dtype).eps)
    assert default_eps(dtype, "central") == (1e-6 if dtype == np.float64 else 1e-3)
    assert default_eps(dtype, "forward") == pytest.approx(np.sqrt(u))
    assert default_eps(np.float64, "forward") == pytest.approx(1.49e-8, rel=1e-3)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_forward_matches_scipy_approx_fprime(name: str) -> None:
    f, _, shape = FUNCTIONS[name]
    x = point(shape, np.float64, seed=3) * 3.0  # some |x_i| > 1: the step scales
    eps = 1e-7
    ours = numerical_gradient(f, x, eps=eps, method="forward")
    flat = x.reshape(-1)
    theirs = scipy.optimize.approx_fprime(
        flat, lambda v: f(v.reshape(shape)), eps * np.maximum(1.0, np.abs(flat))
    )
    np.testing.assert_allclose(ours.reshape(-1), theirs, rtol=1e-12, atol=1e-12)


def test_forward_default_eps_matches_scipy_default() -> None:
    f, _, shape = FUNCTIONS["sin_exp"]
    x = point(shape, np.float64, seed=4) * 0.9  # |x_i| < 1: no scaling
    theirs = scipy.optimize.approx_fprime(x.copy(), f)
    np.testing.assert_allclose(numerical_gradient(f, x, method="forward"), theirs, rtol=1e-12)


def test_divides_by_the_step_actually_taken() -> None:
    # x_i = 3 in float32: fl(3 + 3e-3) - 3 differs from 3e-3 by ~1e-4 relative.
    # f is exactly linear when evaluated in float64, so the quotient is exactly 1.
    x = np.array([3.0, -0.7], dtype=np.float32)
    grad = numerical_gradient(lambda v: float(v.astype(np.float64) @ [1.0, 2.0]), x)
    np.testing.assert_array_equal(grad, [1.0, 2.0])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_x_unchanged_and_perturbed_in_place(dtype: Any, method: str) -> None:
    x = np.array([[0.1, -0.0, 1e-30], [12345.678, -2.5, 1.0]], dtype=dtype)
    before = x.tobytes()
    seen: list[bool] = []

    weights = np.arange(1.0, 7.0).reshape(2, 3)

    def f(arg: np.ndarray) -> float:
        seen.append(arg is x)
        return float(np.sum(weights * x))  # closes over x; linear in float64

    grad = numerical_gradient(f, x, method=method)
    assert x.tobytes() == before
    assert all(seen)
    assert len(seen) == (2 * x.size if method == "central" else x.size + 1)
    np.testing.assert_allclose(grad, weights, rtol=1e-3)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_x_restored_when_f_raises(dtype: Any, method: str) -> None:
    x = np.array([0.1, -0.0, 7.25, -3e-8], dtype=dtype)
    before = x.tobytes()
    calls = [0]

    def f(arg: np.ndarray) -> float:
        calls[0] += 1
        if calls[0] == 3:
            raise RuntimeError("boom on call 3")
        return float(np.sum(arg))

    with pytest.raises(RuntimeError, match="boom on call 3"):
        numerical_gradient(f, x, method=method)
    assert calls[0] == 3
    assert x.tobytes() == before


def test_x_restored_when_f_raises_in_directional_check() -> None:
    x = point((50,), np.float64)
    before = x.tobytes()
    f, calls = counting(lambda v: float(np.sum(v**2)))

    def failing(v: np.ndarray) -> float:
        if calls[0] == 2 * 4:  # 4 coordinates × 2, then the first directional call
            raise RuntimeError("boom in direction")
        return float(f(v))

    with pytest.raises(RuntimeError, match="boom in direction"):
        gradcheck(failing, lambda v: 2 * v, x, max_coords=4, seed=0)
    assert x.tobytes() == before


def test_zero_dim_and_empty_x() -> None:
    x0 = np.array(1.5)
    assert numerical_gradient(lambda v: float(v) ** 3, x0) == pytest.approx(3 * 1.5**2)
    r = gradcheck(lambda v: float(v) ** 3, lambda v: 3 * v**2, x0)
    assert r.ok and r.worst_index == ()
    empty = np.zeros((0, 3))
    assert numerical_gradient(lambda v: 0.0, empty).shape == (0, 3)
    r = gradcheck(lambda v: 0.0, np.zeros((0, 3)), empty, max_coords=2, seed=0)
    assert r.ok and r.checked == 0 and r.worst_index is None and r.directional_ok is None


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_correct_gradient_passes(name: str, method: str) -> None:
    f, g, shape = FUNCTIONS[name]
    x = point(shape, np.float64, seed=5)
    result = gradcheck(f, g, x, method=method)
    assert isinstance(result, GradcheckResult)
    assert result.ok and bool(result)
    assert result.checked == x.size and result.failures == 0
    assert result.checked_mask.all()
    assert result.directional_ok is None and result.directional_error is None
    assert result.rel_error < 1e-6
    assert "passed" in repr(result)
    # The array form of grad gives the same verdict.
    assert gradcheck(f, g(x), x, method=method).ok


def test_analytic_gradient_evaluated_at_unperturbed_x() -> None:
    x = point((4,), np.float64)
    before = x.copy()
    seen: list[np.ndarray] = []

    def grad(v: np.ndarray) -> np.ndarray:
        seen.append(v.copy())
        return 2 * v

    assert gradcheck(lambda v: float(v @ v), grad, x).ok
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], before)


def test_analytic_result_is_copied() -> None:
    x = point((4,), np.float64)
    buffer = 2 * x
    result = gradcheck(lambda v: float(v @ v), lambda v: buffer, x)
    buffer[:] = 0.0
    np.testing.assert_array_equal(result.analytic, 2 * x)


def test_wrong_coordinate_is_located() -> None:
    f, g, shape = FUNCTIONS["matrix_lstsq"]
    x = point(shape, np.float64)

    def wrong(v: np.ndarray) -> np.ndarray:
        out = g(v)
        out[2, 1] += 0.5
        return out

    result = gradcheck(f, wrong, x)
    assert not result.ok and not bool(result)
    assert result.failures == 1
    assert result.worst_index == (2, 1)
    assert result.max_abs_error == pytest.approx(0.5, rel=1e-6)
    text = repr(result)
    assert "FAILED" in text and "(2, 1)" in text
    # The report lists at most five coordinates, the failing one first.
    rows = text.split("worst coordinates:")[1].strip().splitlines()[1:]
    assert len(rows) == 5
    assert rows[0].lstrip().startswith("(2, 1)") and rows[0].rstrip().endswith("FAIL")
    # rel_error is ‖a − n‖ / max(‖a‖, ‖n‖, tiny).
    a, n = result.analytic, result.numerical
    expected = np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n))
    assert result.rel_error == pytest.approx(expected)


def test_nan_from_f_fails_and_is_located() -> None:
    x = np.array([0.3, -0.2, 0.9])
    x1 = x[1]
    result = gradcheck(lambda v: float(v @ v) if v[1] == x1 else float("nan"), 2 * x, x)
    assert not result.ok
    assert result.worst_index == (1,)
    assert np.isnan(result.numerical[1])


def test_raise_exception() -> None:
    f, g, shape = FUNCTIONS["sin_exp"]
    x = point(shape, np.float64)
    bad = g(x)
    bad[4] *= -1.5
    with pytest.raises(GradcheckError, match=r"\(4,\)") as info:
        gradcheck(f, bad, x, raise_exception=True)
    assert isinstance(info.value, AssertionError)
    assert info.value.result.worst_index == (4,)
    assert str(info.value) == repr(info.value.result)
    # A passing check returns normally.
    assert gradcheck(f, g, x, raise_exception=True).ok


# ------------------------------------------------------------- max_coords
def _big() -> tuple[Fn, Fn, np.ndarray]:
    x = point((10, 20), np.float64, seed=7)
    return (
        lambda v: float(np.sum(np.sin(v)) + 0.5 * np.sum(v**2)),
        lambda v: np.cos(v) + v,
        x,
    )


def test_max_coords_is_reproducible_and_checks_that_many() -> None:
    f, g, x = _big()
    counted, calls = counting(f)
    r1 = gradcheck(counted, g, x, max_coords=15, seed=3)
    assert calls[0] == 2 * 15 + 2  # 15 coordinates and one direction, central
    r2 = gradcheck(f, g, x, max_coords=15, seed=3)
    assert r1.ok and r2.ok and r1.directional_ok
    assert r1.checked == 15 and int(r1.checked_mask.sum()) == 15
    np.testing.assert_array_equal(r1.checked_mask, r2.checked_mask)
    np.testing.assert_array_equal(r1.numerical, r2.numerical)  # NaN == NaN here
    assert r1.directional_numerical == r2.directional_numerical
    assert np.isnan(r1.numerical[~r1.checked_mask]).all()
    assert np.isfinite(r1.numerical[r1.checked_mask]).all()
    np.testing.assert_array_equal(r1.analytic, g(x))  # analytic stays complete
    assert "random direction" in repr(r1)
    other = gradcheck(f, g, x, max_coords=15, seed=4)
    assert not np.array_equal(other.checked_mask, r1.checked_mask)


def test_max_coords_at_least_size_checks_everything() -> None:
    f, g, _ = FUNCTIONS["quadratic"]
    x = point((5,), np.float64)
    result = gradcheck(f, g, x, max_coords=50, seed=0)
    assert result.checked == 5 and result.ok and result.directional_ok


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(5))
def test_directional_check_catches_unsampled_error(seed: int, method: str) -> None:
    f, g, x = _big()
    mask = gradcheck(f, g, x, max_coords=10, seed=seed, method=method).checked_mask
    wrong_at = tuple(int(i) for i in np.argwhere(~mask)[seed])
    bad = g(x)
    bad[wrong_at] += 1.0
    result = gradcheck(f, bad, x, max_coords=10, seed=seed, method=method)
    np.testing.assert_array_equal(result.checked_mask, mask)
    assert result.failures == 0  # every sampled coordinate is right...
    assert result.directional_ok is False  # ...but the direction sees the error
    assert not result.ok
    assert result.directional_error > 1e-3


# ----------------------------------------------------------------- float32
@pytest.mark.parametrize("seed", range(10))
def test_float32_default_eps_passes_with_float64_accumulation(seed: int) -> None:
    x = point((3, 4), np.float32, seed=seed)

    def f(v: np.ndarray) -> float:
        w = v.astype(np.float64)
        return float(np.sum(np.sin(w)) + 0.5 * np.sum(w * w))

    result = gradcheck(f, lambda v: np.cos(v) + v, x)  # float32 analytic gradient
    assert result.ok, repr(result)


@pytest.mark.parametrize("seed", range(10))
def test_float32_default_eps_with_float32_f_and_documented_atol(seed: int) -> None:
    x = point((3, 4), np.float32, seed=seed)

    def f(v: np.ndarray) -> np.float32:
        return np.sum(np.sin(v)) + np.float32(0.5) * np.sum(v * v)

    atol = 5e-4 * max(1.0, abs(float(f(x))))
    result = gradcheck(f, lambda v: np.cos(v) + v, x, atol=atol)
    assert result.ok, repr(result)


# ------------------------------------------------------------- bad arguments
def _square(v: np.ndarray) -> float:
    return float(np.sum(v * v))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "backward"}, ValueError, r"^method must be"),
        ({"method": None}, ValueError, r"^method must be"),
        ({"eps": -1}, ValueError, r"^eps must be"),
        ({"eps": 0.0}, ValueError, r"^eps must be"),
        ({"eps": float("inf")}, ValueError, r"^eps must be"),
        ({"eps": "1e-6"}, ValueError, r"^eps must be"),
        ({"eps": 1e-30}, ValueError, r"^eps=.*no usable step at x\[0\]"),
    ],
)
@pytest.mark.parametrize("which", ["numerical_gradient", "gradcheck"])
def test_bad_options(which: str, kwargs: dict[str, Any], error: type, match: str) -> None:
    x = np.array([1.0, 2.0])
    before = x.tobytes()
    with pytest.raises(error, match=match):
        if which == "numerical_gradient":
            numerical_gradient(_square, x, **kwargs)
        else:
            gradcheck(_square, 2 * x, x, **kwargs)
    assert x.tobytes() == before


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.arange(3), TypeError, r"^x has dtype int"),
        (np.ones(3, dtype=np.float16), TypeError, r"^x has dtype float16"),
        ([1.0, 2.0], TypeError, r"^x must be a numpy.ndarray"),
        (np.array([1.0, np.nan]), ValueError, r"^x contains NaN"),
    ],
)
def test_bad_x(x: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        numerical_gradient(_square, x)
    with pytest.raises(error, match=match):
        gradcheck(_square, np.zeros(np.shape(x)), x)


def test_read_only_x() -> None:
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=r"^x is read-only"):
        numerical_gradient(_square, x)
    with pytest.raises(ValueError, match=r"^x is read-only"):
        gradcheck(_square, 2 * x, x)


def test_f_must_return_a_scalar() -> None:
    x = np.array([1.0, 2.0, 3.0])
    before = x.tobytes()
    with pytest.raises(TypeError, match=r"^f must return a real scalar, got an array"):
        numerical_gradient(lambda v: v * v, x)
    with pytest.raises(TypeError, match=r"^f must return a real scalar"):
        gradcheck(lambda v: np.array([float(v @ v)]), 2 * x, x)
    with pytest.raises(TypeError, match=r"^f must return a real scalar"):
        numerical_gradient(lambda v: complex(v[0]), x)
    with pytest.raises(TypeError, match=r"^f must be callable"):
        numerical_gradient(None, x)  # type: ignore[arg-type]
    assert x.tobytes() == before
    # 0-d arrays and NumPy scalars are scalars.
    numerical_gradient(lambda v: np.asarray(v @ v), x)
    numerical_gradient(lambda v: np.float32(v @ v), x)


@pytest.mark.parametrize(
    ("grad", "error", "match"),
    [
        (np.ones(4), ValueError, r"^grad is shape \(4,\), expected \(3,\)"),
        (lambda v: np.ones((3, 1)), ValueError, r"^grad\(x\) returned shape \(3, 1\)"),
        (np.array(["a", "b", "c"]), TypeError, r"^grad is dtype <U1"),
    ],
)
def test_bad_grad(grad: Any, error: type, match: str) -> None:
    x = np.array([1.0, 2.0, 3.0])
    f, calls = counting(_square)
    with pytest.raises(error, match=match):
        gradcheck(f, grad, x)
    assert calls[0] == 0  # rejected before any evaluation of f


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rtol": -1.0}, ValueError, r"^rtol must be"),
        ({"atol": float("nan")}, ValueError, r"^atol must be"),
        ({"raise_exception": 1}, TypeError, r"^raise_exception must be a bool"),
        ({"max_coords": 0}, ValueError, r"^max_coords must be >= 1"),
        ({"max_coords": 2.5}, TypeError, r"^max_coords must be an int"),
        ({"max_coords": True}, TypeError, r"^max_coords must be an int"),
    ],
)
def test_bad_gradcheck_options(kwargs: dict[str, Any], error: type, match: str) -> None:
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(error, match=match):
        gradcheck(_square, 2 * x, x, **kwargs)
