"""``fusedopt bench lbfgs``: fusedopt.minimize (L-BFGS, Newton, Newton-CG) against
scipy.optimize.minimize (L-BFGS-B, Newton-CG, trust-exact).

The problems and solvers are those of :mod:`.second_order` (extended Rosenbrock at
several sizes, L2-regularised logistic regression); this module runs them with a
progress report and prints the table. Each solver uses its own default tolerances.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from . import second_order as so


def run(quick: bool, rounds: int, progress: Callable[[str], None]) -> dict[str, Any]:
    have_scipy = importlib.util.find_spec("scipy") is not None
    skipped = []
    if not have_scipy:
        reason = "scipy is not installed (pip install scipy)"
        skipped = [{"peer": "scipy (L-BFGS-B, Newton-CG, trust-exact)", "reason": reason}]
    rows: list[dict[str, Any]] = []
    for problem in so.problems(quick):
        progress(f"{problem.name} n={problem.n}")
        rows += so.bench_problem(problem, so.solvers(problem, have_scipy), rounds)
    return {"rows": rows, "skipped": skipped}


def count_problems(quick: bool) -> int:
    return len(so.problems(quick))


def table(result: dict[str, Any]) -> str:
    header = (
        f"{'problem':<16} {'n':>9} {'solver':<27} {'time':>10} {'nit':>6} {'nfev':>6} "
        f"{'nhev':>6} {'final f':>11} ok"
    )
    lines = [header]
    for r in result["rows"]:
        lines.append(
            f"{r['problem']:<16} {r['n']:>9} {r['solver']:<27} {r['seconds'] * 1e3:7.1f} ms "
            f"{r['nit']:>6} {r['nfev']:>6} {r['nhev']:>6} {r['f']:11.4e} "
            f"{'yes' if r['success'] else 'NO'}"
        )
    lines.append(
        "nfev: evaluations of f and g (one call of fun); nhev: Hessians (newton) or "
        "Hessian-vector products (newton-cg; FD: each one more call of fun, counted in nfev too)."
    )
    return "\n".join(lines)
