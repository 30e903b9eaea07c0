"""First- against second-order solvers: fusedopt's Newton, Newton-CG and L-BFGS beside
scipy's Newton-CG and trust-exact, on problems with analytic Hessians.

:func:`compare_second_order` returns one row per (problem, solver): final f,
iterations, evaluations of f/g (``nfev``, ``njev``), Hessian evaluations or
Hessian-vector products (``nhev``), median wall time over interleaved rounds, and
success. Problems:

* extended Rosenbrock (MGH 21) from (−1.2, 1, …), whose Hessian is block-diagonal
  (2×2 blocks): ``hessp`` in O(n); ``hess`` as a ``scipy.sparse`` matrix (dense
  only where n ≤ :data:`MAX_DENSE_N` without SciPy);
* L2-regularised logistic regression on the seeded synthetic data of
  :func:`fusedopt.bench.problems.make_logistic` (the same problem as
  ``fusedopt bench lbfgs``): ``H = Xᵀ diag(σ(1−σ)) X / m + 2λI``.

Each solver uses its own default tolerances (fusedopt: gtol 1e-5 on the infinity norm
of the gradient; scipy Newton-CG: xtol 1e-5 on the step; trust-exact: gtol 1e-8), so
the final f differs in the last digits. trust-exact factors a dense Hessian and is run
only up to n = :data:`MAX_DENSE_N`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

from ..minimize import minimize
from .problems import Problem, _expit, extended_rosenbrock, rosenbrock_start
from .timing import SolveSamples, TimedObjective, interleaved_solves, median

__all__ = [
    "MAX_DENSE_N",
    "bench_problem",
    "compare_second_order",
    "fusedopt_solver",
    "problems",
    "scipy_solver",
    "solvers",
    "time_problem",
]

#: Largest n for which a dense Hessian is formed (trust-exact; Newton without SciPy).
MAX_DENSE_N = 2000
#: One untimed solve per solver first, up to this n (above it every solve is cold anyway).
WARM_UP_MAX_N = 10_000
#: Pause before every timed solve: OpenBLAS's threads spin ~0.1 s after a BLAS call
#: and would take a CPU from the next solver on a 2-CPU machine (measured: fusedopt
#: Newton-CG right after a dense Newton solve ran 1.9x slower).
SETTLE_SECONDS = 0.2
LOGISTIC_LAMBDA = 1e-4
LOGISTIC_SEED = 7


# ----------------------------------------------------------------------------- problems
def _rosenbrock_blocks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 2×2 diagonal blocks [[a, b], [b, 200]] of extended Rosenbrock's Hessian."""
    odd, even = x[0::2], x[1::2]
    return 1200.0 * odd * odd - 400.0 * even + 2.0, -400.0 * odd, np.full_like(odd, 200.0)


def _rosenbrock_hessp(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    a, b, c = _rosenbrock_blocks(x)
    out = np.empty_like(p)
    out[0::2] = a * p[0::2] + b * p[1::2]
    out[1::2] = b * p[0::2] + c * p[1::2]
    return out


def _rosenbrock_hess(x: np.ndarray) -> Any:
    a, b, c = _rosenbrock_blocks(x)
    diagonal = np.empty_like(x)
    diagonal[0::2], diagonal[1::2] = a, c
    off = np.zeros(x.size - 1)
    off[0::2] = b
    if importlib.util.find_spec("scipy") is not None:
        import scipy.sparse

        return scipy.sparse.diags([off, diagonal, off], [-1, 0, 1], format="csc")
    return np.diag(diagonal) + np.diag(off, 1) + np.diag(off, -1)


def extended_rosenbrock_problem(n: int) -> Problem:
    return Problem(
        "ext. Rosenbrock", n, extended_rosenbrock, rosenbrock_start(n),
        hess=_rosenbrock_hess, hessp=_rosenbrock_hessp,
    )  # fmt: skip


def logistic_problem(n_samples: int, n_features: int) -> Problem:
    """make_logistic's data (same seed, same draws) with its Hessian."""
    rng = np.random.default_rng(LOGISTIC_SEED)
    features = rng.standard_normal((n_samples, n_features))
    w_true = rng.standard_normal(n_features)
    labels = np.where(features @ w_true + rng.standard_normal(n_samples) > 0, 1.0, -1.0)
    lam = LOGISTIC_LAMBDA

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = labels * (features @ w)
        f = float(np.logaddexp(0.0, -margin).mean()) + lam * float(w @ w)
        return f, features.T @ (-labels * _expit(-margin) / n_samples) + 2.0 * lam * w

    cache: dict[str, np.ndarray] = {}

    def weights(w: np.ndarray) -> np.ndarray:
        """σ(1 − σ)/m at w, kept for the products at the same w (as a user's
        hessp would: every product at one iterate shares them)."""
        if "w" not in cache or not np.array_equal(cache["w"], w):
            sigma = _expit(labels * (features @ w))
            cache["w"], cache["weights"] = w.copy(), sigma * (1.0 - sigma) / n_samples
        return cache["weights"]

    def hess(w: np.ndarray) -> np.ndarray:
        return (features.T * weights(w)) @ features + 2.0 * lam * np.eye(n_features)

    def hessp(w: np.ndarray, p: np.ndarray) -> np.ndarray:
        return features.T @ (weights(w) * (features @ p)) + 2.0 * lam * p

    return Problem("logistic (L2)", n_features, fun, np.zeros(n_features), hess=hess, hessp=hessp)


def problems(quick: bool) -> list[Problem]:
    sizes = (1_000, 100_000) if quick else (1_000, 100_000, 1_000_000)
    samples, features = (2_000, 100) if quick else (20_000, 200)
    return [extended_rosenbrock_problem(n) for n in sizes] + [logistic_problem(samples, features)]


# ----------------------------------------------------------------------------- solvers
Solve = Callable[[Problem, np.ndarray], dict[str, Any]]


def _row(res: Any) -> dict[str, Any]:
    nfev = int(res.get("nfev", 0))
    return dict(
        f=float(res.fun), nit=int(res.nit), nfev=nfev, njev=int(res.get("njev", nfev)),
        nhev=int(res.get("nhev", 0)), success=bool(res.success),
    )  # fmt: skip


def fusedopt_solver(method: str, source: str | None) -> Solve:
    """``fusedopt.minimize`` with ``method`` and its defaults; ``source``: the problem's
    ``"hess"`` or ``"hessp"`` handed to it, or None."""

    def solve(problem: Problem, x0: np.ndarray) -> dict[str, Any]:
        extra = {source: getattr(problem, source)} if source else {}
        return _row(minimize(problem.fun, x0, method=method, **extra))

    return solve


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else matrix


def scipy_solver(method: str, source: str | None) -> Solve:
    """``scipy.optimize.minimize`` with ``method`` and its defaults (L-BFGS-B: 15000
    iterations and evaluations, fusedopt's limits)."""

    def solve(problem: Problem, x0: np.ndarray) -> dict[str, Any]:
        from scipy.optimize import minimize as scipy_minimize

        extra: dict[str, Any] = {}
        if source is not None:  # trust-exact factors a dense ndarray only
            given = getattr(problem, source)
            extra[source] = (lambda x: _dense(given(x))) if source == "hess" else given
        if method == "L-BFGS-B":
            extra["options"] = {"maxiter": 15000, "maxfun": 15000}
        return _row(scipy_minimize(problem.fun, x0, jac=True, method=method, **extra))

    return solve


def solvers(problem: Problem, have_scipy: bool) -> dict[str, Solve]:
    """The solvers that apply to ``problem`` on this installation."""
    out: dict[str, Solve] = {}
    if have_scipy or problem.n <= MAX_DENSE_N:
        out["fusedopt newton"] = fusedopt_solver("newton", "hess")
    out["fusedopt newton-cg (hessp)"] = fusedopt_solver("newton-cg", "hessp")
    out["fusedopt newton-cg (FD)"] = fusedopt_solver("newton-cg", None)
    out["fusedopt L-BFGS"] = fusedopt_solver("lbfgs", None)
    if have_scipy:
        out["scipy L-BFGS-B"] = scipy_solver("L-BFGS-B", None)
        out["scipy Newton-CG (hessp)"] = scipy_solver("Newton-CG", "hessp")
        if problem.n <= MAX_DENSE_N:
            out["scipy trust-exact"] = scipy_solver("trust-exact", "hess")
    return out


def compare_second_order(quick: bool) -> list[dict[str, Any]]:
    """Rows ``problem, n, solver, f, nit, nfev, njev, nhev, seconds, success``.

    ``quick``: extended Rosenbrock n = 1 000 and logistic regression 2 000 × 100, one
    round; otherwise also n = 100 000 and logistic 20 000 × 200, median of 3
    interleaved rounds. Up to n = :data:`WARM_UP_MAX_N` every solver first solves once
    untimed. fusedopt's ``nfev == njev`` (fun returns both); for Newton-CG
    with finite differences every product is one more call of fun (in nfev and nhev).
    """
    have_scipy = importlib.util.find_spec("scipy") is not None
    rounds = 1 if quick else 3
    rows: list[dict[str, Any]] = []
    for problem in problems(quick):
        rows += bench_problem(problem, solvers(problem, have_scipy), rounds)
    return rows


def time_problem(
    problem: Problem,
    solve: dict[str, Solve],
    rounds: int,
    *,
    warm_up: bool,
    settle: float | None = None,
    min_sample: float = 0.0,
    max_repeats: int = 1,
) -> tuple[dict[str, SolveSamples], TimedObjective, int]:
    """``solve``'s solvers interleaved over ``rounds`` on ``problem``, every one calling
    the same :class:`~.timing.TimedObjective` around ``problem.fun`` (see
    :func:`.timing.interleaved_solves`), ``settle`` seconds (default
    :data:`SETTLE_SECONDS`) before every solve. Returns the samples, the wrapper and
    the repeat count."""
    objective = TimedObjective(problem.fun)
    timed = dataclasses.replace(problem, fun=objective)
    calls = {name: (lambda x0, fn=fn: fn(timed, x0)) for name, fn in solve.items()}
    samples, repeats = interleaved_solves(
        calls, problem.x0, objective, rounds, warm_up=warm_up,
        settle=SETTLE_SECONDS if settle is None else settle,
        min_sample=min_sample, max_repeats=max_repeats,
    )  # fmt: skip
    return samples, objective, repeats


def bench_problem(problem: Problem, solve: dict[str, Solve], rounds: int) -> list[dict[str, Any]]:
    """The rows of one problem: ``solve``'s solvers interleaved over ``rounds`` (one
    untimed solve each first up to n = :data:`WARM_UP_MAX_N`: the first calls load
    LAPACK, allocate, fault pages in)."""
    samples, _, _ = time_problem(problem, solve, rounds, warm_up=problem.n <= WARM_UP_MAX_N)
    rows = []
    for name, s in samples.items():
        row = dict(problem=problem.name, n=problem.n, solver=name, **s.last)
        row["seconds"] = median(s.seconds)
        row["success"] = row.pop("success")  # the documented column order
        rows.append(row)
    return rows
