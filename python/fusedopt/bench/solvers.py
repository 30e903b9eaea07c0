"""``fusedopt bench lbfgs``: fusedopt.minimize against scipy.optimize.minimize.

Each problem is solved by every solver from the same start, interleaved over rounds
(median wall time); iterations, evaluations and the final f are those of the last round
(the solvers are deterministic). Solvers use their own default tolerances, listed with
the table.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..minimize import minimize
from .problems import Objective, extended_rosenbrock, make_logistic, rosenbrock_start
from .timing import median

Solve = Callable[[Objective, np.ndarray], dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    name: str
    n: int
    make: Callable[[], tuple[Objective, np.ndarray]]


def problems(quick: bool) -> list[Problem]:
    sizes = (100, 10_000, 100_000) if quick else (100, 10_000, 100_000, 1_000_000)
    out = [
        Problem("ext. Rosenbrock", n, lambda n=n: (extended_rosenbrock, rosenbrock_start(n)))
        for n in sizes
    ]
    samples, features = (2_000, 100) if quick else (20_000, 200)
    out.append(
        Problem(
            "logistic (L2)",
            features,
            lambda: (make_logistic(samples, features, 1e-4, seed=7), np.zeros(features)),
        )
    )
    return out


def _fusedopt(fun: Objective, x0: np.ndarray) -> dict[str, Any]:
    res = minimize(fun, x0, jac=True)
    return dict(f=res.fun, nit=res.nit, nfev=res.nfev, success=bool(res.success))


def _scipy(fun: Objective, x0: np.ndarray) -> dict[str, Any]:
    from scipy.optimize import minimize as scipy_minimize

    res = scipy_minimize(
        fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": 15000, "maxfun": 15000}
    )
    return dict(f=float(res.fun), nit=int(res.nit), nfev=int(res.nfev), success=bool(res.success))


SOLVERS: dict[str, Solve] = {"fusedopt L-BFGS": _fusedopt, "scipy L-BFGS-B": _scipy}


def run(quick: bool, rounds: int, progress: Callable[[str], None]) -> dict[str, Any]:
    solvers = dict(SOLVERS)
    skipped = []
    if importlib.util.find_spec("scipy") is None:
        del solvers["scipy L-BFGS-B"]
        skipped.append({"peer": "scipy L-BFGS-B", "reason": "scipy is not installed"})
    rows = []
    for problem in problems(quick):
        progress(f"{problem.name} n={problem.n}")
        rows += _bench_problem(problem, solvers, rounds)
    return {"rows": rows, "skipped": skipped}


def _bench_problem(problem: Problem, solvers: dict[str, Solve], rounds: int) -> list[dict]:
    fun, x0 = problem.make()
    times: dict[str, list[float]] = {name: [] for name in solvers}
    last: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for name, solve in solvers.items():
            t0 = time.perf_counter()
            last[name] = solve(fun, x0.copy())
            times[name].append(time.perf_counter() - t0)
    return [
        dict(
            problem=problem.name,
            n=problem.n,
            solver=name,
            seconds=median(times[name]),
            **last[name],
        )
        for name in solvers
    ]


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{'problem':<18} {'n':>9} {'solver':<18} {'time':>10} {'nit':>6} {'nfev':>6} "
        f"{'final f':>12} ok"
    ]
    for r in result["rows"]:
        lines.append(
            f"{r['problem']:<18} {r['n']:>9} {r['solver']:<18} {r['seconds'] * 1e3:8.1f} ms "
            f"{r['nit']:>6} {r['nfev']:>6} {r['f']:12.4e} {'yes' if r['success'] else 'NO'}"
        )
    return "\n".join(lines)
