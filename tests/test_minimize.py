"""fo.minimize: L-BFGS and OWL-QN against known minima, scipy and scikit-learn."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import fusedopt as fo

scipy_optimize = pytest.importorskip("scipy.optimize")


def rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(scipy_optimize.rosen(x)), scipy_optimize.rosen_der(x)


def extended_rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    """Moré–Garbow–Hillstrom problem 21: separable in pairs."""
    odd, even = x[0::2], x[1::2]
    r1, r2 = 10.0 * (even - odd**2), 1.0 - odd
    g = np.empty_like(x)
    g[0::2] = -40.0 * odd * r1 - 2.0 * r2
    g[1::2] = 20.0 * r1
    return float(r1 @ r1 + r2 @ r2), g


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


def start(n: int) -> np.ndarray:
    return np.tile([-1.2, 1.0], n // 2)


# ------------------------------------------------------------ basics
def test_rosenbrock_result_fields() -> None:
    res = fo.minimize(rosenbrock, [-1.2, 1.0])
    assert isinstance(res, fo.OptimizeResult)
    assert res.success and res.status in (0, 1)
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    assert res.fun == pytest.approx(rosenbrock(res.x)[0])
    np.testing.assert_allclose(res.jac, rosenbrock(res.x)[1])
    assert res.nfev == res.njev >= res.nit > 10
    assert res.message == fo.minimize.__globals__["STATUS_MESSAGES"][res.status]
    assert "success" in repr(res)


def test_shape_and_dtype_of_x() -> None:
    x0 = start(6).reshape(2, 3).astype(np.float32)
    seen = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        seen.append((x.shape, x.dtype))
        f, g = rosenbrock(x.ravel())
        return f, g.reshape(x.shape)

    res = fo.minimize(fun, x0)
    assert res.x.shape == (2, 3) and res.x.dtype == np.float64
    assert res.jac.shape == (2, 3)
    assert set(seen) == {((2, 3), np.dtype(np.float64))}
    assert x0.dtype == np.float32  # the caller's x0 is untouched
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)


@pytest.mark.parametrize("jac", ["callable", "numerical"])
def test_gradient_sources(jac: str) -> None:
    def f_only(x: np.ndarray, scale: float) -> float:
        return scale * rosenbrock(x)[0]

    def g_only(x: np.ndarray, scale: float) -> np.ndarray:
        return scale * rosenbrock(x)[1]

    res = fo.minimize(f_only, [-1.2, 1.0], args=(2.0,), jac=g_only if jac == "callable" else None)
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-3)


@pytest.mark.parametrize(
    "options",
    [
        {"line_search": "backtracking"},
        {"line_search": "backtracking", "backtracking_wolfe": True},
        {"history_size": 1},
        {"history_size": 50},
    ],
    ids=repr,
)
def test_line_searches_and_history_sizes(options: dict[str, Any]) -> None:
    res = fo.minimize(rosenbrock, start(10), options=options)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, 1.0, atol=1e-3)


def test_every_isa_reaches_the_minimum(isa: str) -> None:
    res = fo.minimize(extended_rosenbrock, start(200_000))  # threaded vector kernels
    assert res.success and res.fun < 1e-8


# ------------------------------------------------------------ against scipy
@pytest.mark.parametrize("n", [2, 10, 100, 1000, 10_000, 100_000])
def test_extended_rosenbrock_versus_scipy(n: int) -> None:
    ours = fo.minimize(extended_rosenbrock, start(n))
    theirs = scipy_optimize.minimize(extended_rosenbrock, start(n), jac=True, method="L-BFGS-B")
    assert ours.success
    assert ours.fun <= max(theirs.fun, 1e-10)
    assert ours.nfev <= 1.2 * theirs.nfev + 5


@pytest.mark.parametrize("n", [10, 100])
def test_chained_rosenbrock_versus_scipy(n: int) -> None:
    ours = fo.minimize(rosenbrock, start(n))
    theirs = scipy_optimize.minimize(rosenbrock, start(n), jac=True, method="L-BFGS-B")
    assert ours.success
    assert ours.fun <= max(theirs.fun, 1e-8)
    assert ours.nfev <= 1.2 * theirs.nfev + 5


# ------------------------------------------------------------ OWL-QN
def _lasso_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 40))
    w = np.zeros(40)
    w[:6] = [3.0, -2.0, 1.5, -1.0, 0.8, 0.5]
    return X, X @ w + 0.3 * rng.standard_normal(200)


def test_owlqn_lasso_matches_scikit_learn() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = _lasso_data()
    lam = 0.1

    def data_term(w: np.ndarray) -> tuple[float, np.ndarray]:
        r = X @ w - y
        return 0.5 * float(r @ r) / len(y), X.T @ r / len(y)

    ours = fo.minimize(data_term, np.zeros(40), l1=lam, options={"gtol": 1e-10, "ftol": 0.0})
    lasso = linear_model.Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=1_000_000)
    lasso.fit(X, y)
    theirs = data_term(lasso.coef_)[0] + lam * np.abs(lasso.coef_).sum()
    assert ours.success, ours.message
    np.testing.assert_array_equal(ours.x != 0, lasso.coef_ != 0)
    assert ours.fun <= theirs + 1e-12 * abs(theirs)
    assert ours.fun == pytest.approx(data_term(ours.x)[0] + lam * np.abs(ours.x).sum())


def test_owlqn_l1_logistic_regression_matches_scikit_learn() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    n, d = 400, 30
    X = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:5] = [2.0, -1.5, 1.0, -1.0, 0.5]
    y = (X @ w_true + 0.5 * rng.standard_normal(n) > 0).astype(float)
    C = 0.5

    def log_loss_sum(w: np.ndarray) -> tuple[float, np.ndarray]:
        """scikit-learn's objective scaled by C: C·Σ log(1 + exp(−yᵢ' xᵢ·w)), y' = ±1."""
        z = X @ w
        s = 2.0 * y - 1.0
        margins = s * z
        loss = np.logaddexp(0.0, -margins).sum()
        grad = X.T @ (-s / (1.0 + np.exp(margins)))
        return C * float(loss), C * grad

    ours = fo.minimize(log_loss_sum, np.zeros(d), l1=1.0, options={"gtol": 1e-9, "ftol": 0.0})
    sklearn = pytest.importorskip("sklearn")
    # scikit-learn 1.8 spells the L1 penalty l1_ratio=1 and deprecates penalty="l1".
    l1_penalty = {"l1_ratio": 1.0} if _version(sklearn.__version__) >= (1, 8) else {"penalty": "l1"}
    model = linear_model.LogisticRegression(
        **l1_penalty, C=C, solver="liblinear", fit_intercept=False, tol=1e-10, max_iter=100_000
    )
    with warnings.catch_warnings():
        # liblinear may not reach its tol; the objective comparison below decides.
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        model.fit(X, y)
    coef = model.coef_.ravel()
    theirs = log_loss_sum(coef)[0] + np.abs(coef).sum()
    assert ours.success, ours.message
    np.testing.assert_array_equal(ours.x != 0, np.abs(coef) > 1e-8)
    assert ours.fun <= theirs + 1e-9 * abs(theirs)


def test_owlqn_gives_exact_zeros_and_zero_l1_is_lbfgs() -> None:
    X, y = _lasso_data(2)

    def data_term(w: np.ndarray) -> tuple[float, np.ndarray]:
        r = X @ w - y
        return 0.5 * float(r @ r) / len(y), X.T @ r / len(y)

    sparse = fo.minimize(data_term, np.zeros(40), l1=0.2)
    dense = fo.minimize(data_term, np.zeros(40), l1=0.0)
    assert np.count_nonzero(sparse.x == 0) >= 25
    assert np.count_nonzero(dense.x == 0) == 0


# ------------------------------------------------------------ stopping and failures
def test_callback_sees_every_iterate_and_can_stop() -> None:
    iterates: list[np.ndarray] = []
    res = fo.minimize(rosenbrock, [-1.2, 1.0], callback=iterates.append)
    assert len(iterates) == res.nit
    np.testing.assert_array_equal(iterates[-1], res.x)
    assert not np.shares_memory(iterates[0], iterates[1])

    def stop_at_five(x: np.ndarray) -> None:
        iterates.append(x)
        if len(iterates) == 5:
            raise StopIteration

    iterates.clear()
    res = fo.minimize(rosenbrock, [-1.2, 1.0], callback=stop_at_five)
    assert not res.success and res.status == 5 and res.nit == 5
    assert "StopIteration" in res.message


def test_max_iter_and_max_fev() -> None:
    res = fo.minimize(rosenbrock, start(100), options={"max_iter": 7})
    assert res.status == 2 and res.nit == 7 and not res.success
    res = fo.minimize(rosenbrock, start(100), options={"max_fev": 30})
    assert res.status == 3 and res.nfev <= 30 and not res.success


def test_non_finite_region_makes_the_line_search_backtrack() -> None:
    def guarded(x: np.ndarray) -> tuple[float, np.ndarray]:
        if np.any(np.abs(x) > 1.5):
            return np.inf, np.full_like(x, np.nan)
        return rosenbrock(x)

    res = fo.minimize(guarded, [-1.2, 1.0])
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)


def test_unrecoverable_non_finite_returns_last_finite_iterate() -> None:
    calls = []

    def breaks_down(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(x.copy())
        if len(calls) > 10:
            return np.nan, np.full_like(x, np.nan)
        return rosenbrock(x)

    res = fo.minimize(breaks_down, [-1.2, 1.0])
    assert not res.success and res.status == 6
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.fun == pytest.approx(rosenbrock(res.x)[0])


def test_non_finite_start_is_reported() -> None:
    res = fo.minimize(lambda x: (np.inf, np.zeros_like(x)), [1.0, 2.0])
    assert res.status == 6 and not res.success


class Boom(Exception):
    pass


def test_exceptions_in_fun_and_callback_propagate_unchanged() -> None:
    error = Boom("from fun")

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        if x[0] > -1.0:
            raise error
        return rosenbrock(x)

    with pytest.raises(Boom) as info:
        fo.minimize(fun, [-1.2, 1.0])
    assert info.value is error

    def callback(x: np.ndarray) -> None:
        raise KeyError("from callback")

    with pytest.raises(KeyError, match="from callback"):
        fo.minimize(rosenbrock, [-1.2, 1.0], callback=callback)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x0": [np.nan, 1.0]}, ValueError, "x0"),
        ({"x0": [np.inf, 1.0]}, ValueError, "x0"),
        ({"x0": [1 + 1j, 1.0]}, TypeError, "x0"),
        ({"options": {"history_size": 0}}, ValueError, "history_size"),
        ({"options": {"history_size": -3}}, ValueError, "history_size"),
        ({"options": {"gtol": -1.0}}, ValueError, "gtol"),
        ({"options": {"ftol": float("nan")}}, ValueError, "ftol"),
        ({"options": {"max_iter": 1.5}}, ValueError, "max_iter"),
        ({"options": {"maxiter": 10}}, ValueError, "unknown options"),
        ({"options": {"c1": 0.0}}, ValueError, "c1"),
        ({"options": {"c1": 0.5, "c2": 0.4}}, ValueError, "c2"),
        ({"options": {"line_search": "wolfe"}}, ValueError, "line_search"),
        ({"l1": 0.1, "options": {"line_search": "strong_wolfe"}}, ValueError, "line_search"),
        ({"l1": -0.1}, ValueError, "l1"),
        ({"jac": "yes"}, TypeError, "jac"),
        ({"callback": 3}, TypeError, "callback"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type, match: str) -> None:
    call: dict[str, Any] = {"x0": [-1.2, 1.0], **kwargs}
    with pytest.raises(error, match=match):
        fo.minimize(rosenbrock, **call)


@pytest.mark.parametrize(
    ("gradient", "error", "match"),
    [
        (lambda x: np.zeros(3), ValueError, r"shape \(3,\); expected x0's shape \(2,\)"),
        (lambda x: np.zeros((2, 1)), ValueError, r"shape \(2, 1\); expected x0's shape"),
        (lambda x: np.zeros(2, complex), TypeError, "complex128; expected a real array"),
        (lambda x: "abc", TypeError, "str.*expected a real array"),
    ],
)
def test_bad_gradient_from_fun(gradient: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        fo.minimize(lambda x: (1.0, gradient(x)), [1.0, 2.0])


def test_fun_must_return_a_pair() -> None:
    with pytest.raises(ValueError, match=r"\(f, g\)"):
        fo.minimize(lambda x: 1.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="fun"):
        fo.minimize("rosen", [1.0, 2.0])  # type: ignore[arg-type]
