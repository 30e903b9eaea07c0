"""fo.minimize(method="newton" | "newton-cg"): the Moré–Garbow–Hillstrom set,
quadratic convergence, saddle points, scipy's Newton-CG and trust-exact, bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.newton

from .mgh_problems import PROBLEMS, Problem, extended_rosenbrock

scipy_optimize = pytest.importorskip("scipy.optimize")
scipy_sparse = pytest.importorskip("scipy.sparse")
expit = pytest.importorskip("scipy.special").expit

ids = [p.name for p in PROBLEMS]
TIGHT = {"gtol": 1e-9}  # every solver reaches the documented minima at this gtol
SQRT2 = np.sqrt(2.0)


@pytest.fixture(autouse=True)
def _overflow_is_not_an_error() -> Iterator[None]:
    """Long trial steps overflow exp() in some problems: f = inf is legitimate
    there, and the line search backtracks from it."""
    with np.errstate(over="ignore", invalid="ignore"):
        yield


def newton(problem: Problem, **options: Any) -> fo.OptimizeResult:
    return fo.minimize(
        problem.fun, np.array(problem.x0), method="newton", hess=problem.hess, options=options
    )


def trust_exact(problem: Problem) -> Any:
    return scipy_optimize.minimize(
        problem.fun, np.array(problem.x0), jac=True, hess=problem.hess, method="trust-exact"
    )


def f_tol(problem: Problem, f: float) -> float:
    return max(problem.f_tol, 1e-6 * abs(f))


# ------------------------------------------------------------ test functions
def saddle(x: np.ndarray) -> tuple[float, np.ndarray]:
    """x² − y² + y⁴/4: a saddle at (0, 0), minima f = −1 at (0, ±√2)."""
    return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4, np.array([2 * x[0], -2 * x[1] + x[1] ** 3])


def saddle_hess(x: np.ndarray) -> np.ndarray:
    return np.diag([2.0, -2.0 + 3.0 * x[1] ** 2])


def logistic_problem(
    m: int = 400, d: int = 20, lam: float = 1e-2, seed: int = 0
) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """L2-regularised logistic regression mean(log(1 + exp(−y·Xw))) + λ‖w‖²."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    y = np.where(X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(m) > 0, 1.0, -1.0)

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = y * (X @ w)
        g = -(X.T @ (y * expit(-z))) / m + 2 * lam * w
        return float(np.mean(np.logaddexp(0, -z)) + lam * w @ w), g

    def weights(w: np.ndarray) -> np.ndarray:
        z = y * (X @ w)
        return expit(z) * expit(-z)

    def hess(w: np.ndarray) -> np.ndarray:
        return (X.T * weights(w)) @ X / m + 2 * lam * np.eye(d)

    def hessp(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return X.T @ (weights(w) * (X @ v)) / m + 2 * lam * v

    return fun, hess, hessp


# ------------------------------------------------------------ Moré–Garbow–Hillstrom
@pytest.mark.parametrize("problem", PROBLEMS, ids=ids)
def test_exact_newton_reaches_a_documented_minimum(problem: Problem) -> None:
    """The global minimum, or (Freudenstein & Roth, Trigonometric, chained
    Rosenbrock) the documented local one that trust-exact also reaches."""
    res = newton(problem, **TIGHT)
    kind = problem.classify(res.fun)
    assert kind is not None, (res.fun, problem.f_min, res.message)
    if kind == "alternative":
        theirs = trust_exact(problem)
        assert res.fun <= theirs.fun + f_tol(problem, theirs.fun)


@pytest.mark.parametrize("problem", PROBLEMS, ids=ids)
def test_exact_newton_needs_no_more_iterations_than_lbfgs(problem: Problem) -> None:
    """Both to gtol = 1e-9, where both reach the documented minima (at the
    default 1e-5 L-BFGS stops early on Penalty II, 18 iterations at f = 2.943e-4
    against f* = 2.937e-4)."""
    ours = newton(problem, **TIGHT)
    lbfgs = fo.minimize(problem.fun, np.array(problem.x0), options=TIGHT)
    assert ours.nit <= lbfgs.nit


def test_exact_newton_against_trust_exact() -> None:
    """Same or lower f on every problem, and over the problems where
    trust-exact reaches a documented minimum, at most 15% more evaluations of
    f and g plus Hessians (gtol = 1e-8, trust-exact's default)."""
    ours_total = theirs_total = 0
    for problem in PROBLEMS:
        ours, theirs = newton(problem, gtol=1e-8), trust_exact(problem)
        assert ours.fun <= theirs.fun + f_tol(problem, theirs.fun), problem.name
        if problem.classify(theirs.fun) is not None:
            ours_total += ours.nfev + ours.nhev
            theirs_total += theirs.nfev + theirs.nhev
    assert ours_total <= 1.15 * theirs_total, (ours_total, theirs_total)


def test_newton_cg_against_scipy_newton_cg() -> None:
    """Both with the analytic hessp: same or lower f on every problem; over the
    problems where scipy reaches a documented minimum, at most 15% more
    evaluations (f and g, plus Hessian-vector products). scipy stops on its
    step-size test (xtol = 1e-5); fusedopt runs to gtol = 1e-8."""
    ours_total = theirs_total = 0
    for problem in PROBLEMS:
        ours = fo.minimize(
            problem.fun, np.array(problem.x0), method="newton-cg", hessp=problem.hessp,
            options={"gtol": 1e-8},
        )  # fmt: skip
        theirs = scipy_optimize.minimize(
            problem.fun, np.array(problem.x0), jac=True, hessp=problem.hessp, method="Newton-CG"
        )
        assert ours.fun <= theirs.fun + f_tol(problem, theirs.fun), problem.name
        if problem.classify(theirs.fun) is not None:
            ours_total += ours.nfev + ours.nhev
            theirs_total += theirs.nfev + theirs.nhev
    assert ours_total <= 1.15 * theirs_total, (ours_total, theirs_total)


@pytest.mark.parametrize("problem", PROBLEMS, ids=ids)
def test_newton_cg_with_finite_differences_is_no_worse_than_scipy(problem: Problem) -> None:
    ours = fo.minimize(
        problem.fun, np.array(problem.x0), method="newton-cg", options={"gtol": 1e-8}
    )
    theirs = scipy_optimize.minimize(
        problem.fun, np.array(problem.x0), jac=True, method="Newton-CG"
    )
    assert ours.fun <= theirs.fun + f_tol(problem, theirs.fun)


# ------------------------------------------------------------ convergence rate
@pytest.mark.parametrize(
    ("method", "source"), [("newton", "hess"), ("newton-cg", "hessp"), ("newton-cg", None)]
)
def test_quadratic_convergence_on_logistic_regression(method: str, source: str | None) -> None:
    """‖g_{k+1}‖ ≤ C‖g_k‖² once ‖g_k‖ < 0.05 (measured C ≈ 4.7). Newton-CG's
    forcing term (Eisenstat–Walker choice 2, α = 2) keeps the rate quadratic."""
    fun, hess, hessp = logistic_problem()
    kwargs = {"hess": hess, "hessp": hessp}
    norms = [float(np.linalg.norm(fun(np.zeros(20))[1]))]
    res = fo.minimize(
        fun, np.zeros(20), method=method, options={"gtol": 1e-14},
        callback=lambda w: norms.append(float(np.linalg.norm(fun(w)[1]))),
        **({source: kwargs[source]} if source else {}),
    )  # fmt: skip
    assert res.success and norms[-1] < 1e-13
    pairs = [(a, b) for a, b in zip(norms, norms[1:]) if a < 0.05]
    assert len(pairs) >= 3, norms
    for a, b in pairs:
        assert b <= 10.0 * a**2, norms


def test_logistic_hessian_passes_hesscheck() -> None:
    fun, hess, hessp = logistic_problem()
    w = np.random.default_rng(1).standard_normal(20)
    assert fo.hesscheck(lambda v: fun(v)[1], hess, w)
    v = np.random.default_rng(2).standard_normal(20)
    np.testing.assert_allclose(hessp(w, v), hess(w) @ v, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------ saddle points
SADDLE_STARTS = [(1.0, 0.0), (1.0, 1e-6), (0.5, 0.3), (-2.0, -0.1), (0.0, 0.0)]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("x0", SADDLE_STARTS, ids=str)
def test_newton_leaves_the_saddle(x0: tuple[float, float], sparse: bool) -> None:
    """From (1, 0) the gradient has no part along the negative curvature; (0, 0)
    is the saddle itself (g = 0): the direction of negative curvature moves
    both to a minimiser (0, ±√2)."""
    hess = (lambda x: scipy_sparse.csr_matrix(saddle_hess(x))) if sparse else saddle_hess
    res = fo.minimize(saddle, x0, method="newton", hess=hess)
    assert res.success
    np.testing.assert_allclose(np.abs(res.x), [0.0, SQRT2], atol=1e-6)
    assert res.fun == pytest.approx(-1.0)


def test_modification_alone_stops_at_the_saddle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the direction of negative curvature, modified Newton from (1, 0)
    converges to the saddle (0, 0): the test above can fail."""
    step = fusedopt.newton.newton_step
    monkeypatch.setattr(fusedopt.newton, "newton_step", lambda h, g: (step(h, g)[0], None, 0.0))
    res = fo.minimize(saddle, [1.0, 0.0], method="newton", hess=saddle_hess)
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-5)
    assert res.success and abs(res.fun) < 1e-10  # "converged", at the saddle


def test_newton_step_along_negative_curvature() -> None:
    """The documented rule: s solves the shifted system except along u, where
    its eigenvalue is max(|λ|, τ − |λ|); d = ±|λ|u with gᵀd ≤ 0, dᵀHd = λ³."""
    h = np.diag([2.0, -2.0])
    g = np.array([2.0, 0.5])
    s, d, curvature = fusedopt.newton.newton_step(h, g)
    assert d is not None
    np.testing.assert_allclose(np.abs(d), [0.0, 2.0])
    assert g @ d <= 0 and curvature == pytest.approx(-8.0)
    assert s[1] == pytest.approx(-0.5 / 2.0)  # −uᵀg / |λ|: τ ≤ 2|λ| here
    assert s[0] < 0 and g @ s < 0
    # positive definite: the plain Newton step, no d
    s, d, _ = fusedopt.newton.newton_step(np.diag([2.0, 4.0]), g)
    assert d is None
    np.testing.assert_allclose(s, [-1.0, -0.125])


def test_dense_factorisations_without_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    """NumPy's cholesky/eigh when SciPy is missing: the same iterates."""
    problem = next(p for p in PROBLEMS if p.name == "osborne2")
    with_scipy = newton(problem, **TIGHT)
    monkeypatch.setattr(fusedopt.newton, "_sla", None)
    without = newton(problem, **TIGHT)
    assert without.nit == with_scipy.nit
    assert without.fun == pytest.approx(with_scipy.fun, rel=1e-8)


@pytest.mark.parametrize("name", ["broyden_tridiagonal", "chained_rosenbrock10", "osborne2"])
def test_sparse_hessian_follows_the_dense_path(name: str) -> None:
    problem = next(p for p in PROBLEMS if p.name == name)
    dense = newton(problem, **TIGHT)
    sparse = fo.minimize(
        problem.fun, np.array(problem.x0), method="newton",
        hess=lambda x: scipy_sparse.csc_matrix(problem.hess(x)), options=TIGHT,
    )  # fmt: skip
    assert sparse.nit == dense.nit
    assert sparse.fun == pytest.approx(dense.fun, rel=1e-6, abs=1e-20)


# ------------------------------------------------------------ Newton-CG
def test_newton_cg_finite_differences_extended_rosenbrock_small() -> None:
    problem = extended_rosenbrock(1000)
    res = fo.minimize(problem.fun, np.array(problem.x0), method="newton-cg")
    assert res.success and res.fun < 1e-8
    assert res.nfev > res.nit + res.nhev - 1  # the products are gradient evaluations


@pytest.mark.slow
def test_newton_cg_finite_differences_extended_rosenbrock_100k() -> None:
    problem = extended_rosenbrock(100_000)
    res = fo.minimize(problem.fun, np.array(problem.x0), method="newton-cg")
    assert res.success and res.fun < 1e-8
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)


@pytest.mark.parametrize("source", ["hessp", "hess", "differences"])
def test_evaluation_counts(source: str) -> None:
    """nfev counts every call of fun (finite-difference products included),
    nhev the hessp calls, the hess calls, or the difference products."""
    problem = next(p for p in PROBLEMS if p.name == "box_3d")
    calls = {"fun": 0, "hess": 0, "hessp": 0}

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any) -> Any:
            calls[name] += 1
            return fn(*a)

        return wrapper

    kwargs: dict[str, Any] = {}
    if source == "hessp":
        kwargs["hessp"] = counted("hessp", problem.hessp)
    elif source == "hess":
        kwargs["hess"] = counted("hess", problem.hess)
    res = fo.minimize(
        counted("fun", problem.fun), np.array(problem.x0), method="newton-cg", **kwargs
    )
    assert res.success
    assert res.nfev == res.njev == calls["fun"]
    if source == "differences":
        assert res.nhev > 0 and res.nfev >= res.nit + 1 + res.nhev
    else:
        assert res.nhev == calls[source] > 0
    if source == "hess":
        assert res.nhev == res.nit + 1 or res.nhev == res.nit


def test_newton_cg_with_hess_matches_hessp() -> None:
    problem = next(p for p in PROBLEMS if p.name == "watson9")
    a = fo.minimize(problem.fun, np.array(problem.x0), method="newton-cg", hessp=problem.hessp)
    b = fo.minimize(problem.fun, np.array(problem.x0), method="newton-cg", hess=problem.hess)
    assert a.nit == b.nit  # the same iterates up to the rounding of H @ p
    np.testing.assert_allclose(a.x, b.x, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------ API
@pytest.mark.parametrize("method", ["newton", "Newton", "NEWTON-CG", "newton-cg", "LBFGS"])
def test_method_names_are_case_insensitive(method: str) -> None:
    kwargs = {} if method.lower() == "lbfgs" else {"hess": saddle_hess}
    res = fo.minimize(saddle, [1.0, 0.5], method=method, **kwargs)
    assert res.success and ("nhev" in res) == (method.lower() != "lbfgs")


def test_result_fields() -> None:
    problem = PROBLEMS[0]
    res = newton(problem)
    assert isinstance(res, fo.OptimizeResult) and res.success
    assert res.nfev == res.njev >= res.nit and res.nhev == res.nit + 1
    assert res.message == fo.minimize.__globals__["STATUS_MESSAGES"][res.status]
    np.testing.assert_allclose(res.jac, problem.fun(res.x)[1])


def test_x0_shape_is_kept_for_hess_and_hessp() -> None:
    fun, hess, hessp = logistic_problem()
    seen = []

    def fun2(w: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = fun(w.ravel())
        return f, g.reshape(w.shape)

    def hess2(w: np.ndarray) -> np.ndarray:
        seen.append(w.shape)
        return hess(w.ravel()).reshape(4, 5, 4, 5)

    def hessp2(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        seen.append((w.shape, v.shape))
        return hessp(w.ravel(), v.ravel()).reshape(4, 5)

    a = fo.minimize(fun2, np.zeros((4, 5)), method="newton", hess=hess2)
    b = fo.minimize(fun2, np.zeros((4, 5)), method="newton-cg", hessp=hessp2)
    assert a.x.shape == b.x.shape == (4, 5)
    assert set(seen) == {(4, 5), ((4, 5), (4, 5))}
    flat_a = fo.minimize(fun, np.zeros(20), method="newton", hess=hess)
    flat_b = fo.minimize(fun, np.zeros(20), method="newton-cg", hessp=hessp)
    np.testing.assert_allclose(a.x.ravel(), flat_a.x, rtol=1e-12)
    np.testing.assert_allclose(b.x.ravel(), flat_b.x, rtol=1e-12)


def test_status_codes() -> None:
    problem = PROBLEMS[0]
    assert newton(problem, max_iter=3).status == 2
    assert newton(problem, max_fev=5).status == 3

    def stop(x: np.ndarray) -> None:
        raise StopIteration

    res = fo.minimize(
        problem.fun, np.array(problem.x0), method="newton", hess=problem.hess, callback=stop
    )
    assert res.status == 5 and res.nit == 1 and not res.success


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["hess", "hessp"])
def test_exceptions_in_hess_and_hessp_propagate_unchanged(where: str) -> None:
    error = Boom(where)

    def raises(*args: Any) -> Any:
        raise error

    method = "newton" if where == "hess" else "newton-cg"
    with pytest.raises(Boom) as info:
        fo.minimize(saddle, [1.0, 0.5], method=method, **{where: raises})
    assert info.value is error


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "bfgs"}, ValueError, r"lbfgs.*newton.*newton-cg"),
        ({"method": 3}, ValueError, "method"),
        ({"method": "newton"}, ValueError, "needs hess"),
        ({"method": "newton", "hess": saddle_hess, "hessp": np.dot}, ValueError, "hessp"),
        ({"method": "newton", "hess": saddle_hess, "l1": 0.1}, ValueError, "l1"),
        ({"method": "newton-cg", "l1": 0.1}, ValueError, "l1"),
        ({"hess": saddle_hess}, ValueError, "hess and hessp"),
        ({"hessp": np.dot}, ValueError, "hess and hessp"),
        ({"method": "newton", "hess": "H"}, TypeError, "hess"),
        ({"method": "newton", "hess": saddle_hess, "jac": None}, ValueError, "gradient"),
        ({"method": "newton", "hess": saddle_hess, "step_scale": 0.5}, ValueError, "step_scale"),
        (
            {"method": "newton", "hess": saddle_hess, "options": {"history_size": 5}},
            ValueError,
            "unknown options",
        ),
        ({"method": "newton-cg", "options": {"max_cg": 0}}, ValueError, "max_cg"),
        ({"method": "newton-cg", "options": {"eta_max": 1.0}}, ValueError, "eta_max"),
        ({"method": "newton-cg", "options": {"gtol": -1.0}}, ValueError, "gtol"),
        ({"options": {"max_cg": 5}}, ValueError, "unknown options"),
    ],
    ids=lambda v: repr(v)[:50],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type, match: str) -> None:
    x0 = np.array([1.0, 0.5])
    before = x0.copy()
    with pytest.raises(error, match=match):
        fo.minimize(saddle, x0, **kwargs)
    np.testing.assert_array_equal(x0, before)


BAD_HESSIAN_IDS = "3x3 vector nan inf asymmetric complex sparse-3x3 sparse-asymmetric sparse-nan"


def _asymmetric(x: np.ndarray) -> np.ndarray:
    return saddle_hess(x) + np.array([[0.0, 1e-3], [0.0, 0.0]])


@pytest.mark.parametrize(
    ("hess", "error", "match"),
    [
        (lambda x: np.eye(3), ValueError, r"hess\(x\) returned shape \(3, 3\)"),
        (lambda x: np.ones(2), ValueError, r"hess\(x\) returned shape \(2,\)"),
        (lambda x: np.array([[np.nan, 0.0], [0.0, 1.0]]), ValueError, "hess.*NaN or inf"),
        (lambda x: np.array([[np.inf, 0.0], [0.0, 1.0]]), ValueError, "hess.*NaN or inf"),
        (_asymmetric, ValueError, "hess.*non-symmetric"),
        (lambda x: saddle_hess(x).astype(complex), TypeError, "hess"),
        (lambda x: scipy_sparse.csr_matrix(np.eye(3)), ValueError, "hess"),
        (lambda x: scipy_sparse.csr_matrix(_asymmetric(x)), ValueError, "non-symmetric"),
        (lambda x: scipy_sparse.csr_matrix([[np.nan, 0], [0, 1.0]]), ValueError, "NaN or inf"),
    ],
    ids=BAD_HESSIAN_IDS.split(),
)
@pytest.mark.parametrize("method", ["newton", "newton-cg"])
def test_bad_hessian(hess: Any, error: type, match: str, method: str) -> None:
    x0 = np.array([1.0, 0.5])
    before = x0.copy()
    with pytest.raises(error, match=match):
        fo.minimize(saddle, x0, method=method, hess=hess)
    np.testing.assert_array_equal(x0, before)


def test_rounding_asymmetry_is_accepted() -> None:
    """An asymmetry at the rounding level (here 1e-13 relative) is symmetrised."""
    res = fo.minimize(
        saddle, [1.0, 0.5], method="newton",
        hess=lambda x: saddle_hess(x) + np.array([[0.0, 1e-13], [0.0, 0.0]]),
    )  # fmt: skip
    assert res.success


@pytest.mark.parametrize(
    ("hessp", "error", "match"),
    [
        (
            lambda x, p: np.zeros(3),
            ValueError,
            r"hessp\(x, p\) returned H p of shape \(3,\); expected x0's shape \(2,\)",
        ),
        (lambda x, p: np.zeros((2, 1)), ValueError, r"hessp.*shape \(2, 1\)"),
        (lambda x, p: np.array([np.nan, 1.0]), ValueError, "hessp.*NaN or inf"),
        (lambda x, p: np.zeros(2, complex), TypeError, "hessp.*complex128; expected a real array"),
        (lambda x, p: None, TypeError, "hessp.*None; expected a real array"),
    ],
    ids=["length", "2-d", "nan", "complex", "none"],
)
def test_bad_hessp(hessp: Any, error: type, match: str) -> None:
    x0 = np.array([1.0, 0.5])
    before = x0.copy()
    with pytest.raises(error, match=match):
        fo.minimize(saddle, x0, method="newton-cg", hessp=hessp)
    np.testing.assert_array_equal(x0, before)


def test_non_finite_objective_backtracks() -> None:
    """f = inf beyond |x| > 3: the line search backtracks from it."""

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        if np.max(np.abs(x)) > 3:
            return float("inf"), np.full(2, np.inf)
        return saddle(x)

    res = fo.minimize(fun, [0.0, 0.0], method="newton", hess=lambda x: 0.01 * saddle_hess(x))
    assert res.success
    np.testing.assert_allclose(np.abs(res.x), [0.0, SQRT2], atol=1e-5)
