"""Second-order solvers: fusedopt's Newton and Newton-CG against scipy, and against L-BFGS.

Usage::

    python bench/bench_newton.py [--rounds N | --quick] [--json PATH]

Two tables (markdown on stdout):

1. **Large n.** Extended Rosenbrock (Moré–Garbow–Hillstrom 21, from (−1.2, 1, …)) at
   n = 1 000, 10 000 and 100 000 (``--quick``: 1 000 and 10 000), and the L2-regularised
   logistic regression of ``fusedopt bench lbfgs`` (20 000 × 200): fusedopt Newton-CG
   with forward-difference Hessian-vector products and with the analytic ``hessp``,
   fusedopt exact Newton (``scipy.sparse`` Hessian for Rosenbrock), fusedopt L-BFGS,
   scipy Newton-CG with ``hessp``, and scipy trust-exact (dense, n ≤ 2 000). Wall time
   is the median over ``--rounds`` interleaved rounds (default 5; ``--quick``: 2), after
   one untimed solve per solver up to n = 10 000; the solvers and problems are those of
   :mod:`fusedopt.bench.second_order` (whose ``compare_second_order`` feeds ``fusedopt bench
   lbfgs``).
2. **Moré–Garbow–Hillstrom.** All 36 problems of ``tests/mgh_problems.py`` with their
   analytic Hessians: fusedopt newton / newton-cg (hessp) / L-BFGS, scipy Newton-CG
   (hessp) / trust-exact: final f (marked ``*`` where it is not a documented minimum),
   nit, nfev, nhev; totals at the bottom. Every solver runs with its own defaults
   (fusedopt: gtol 1e-5 on the infinity norm; scipy Newton-CG: xtol 1e-5 on the step;
   trust-exact: gtol 1e-8), and once more with fusedopt at gtol 1e-8 (``tight``).

The header gives the CPU, thread settings and the CPU time other processes used during
the run ("bg CPU"): the machine is shared, so compare rows of the same run only. The
timing is :mod:`fusedopt.bench`'s; the methodology is in bench/README.md, "Methodology".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import fusedopt as fo
from fusedopt.bench import second_order as so
from fusedopt.bench.load import CpuMeter
from fusedopt.bench.machine import cpu_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/mgh_problems.py
from tests.mgh_problems import PROBLEMS, Problem  # noqa: E402

LARGE_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
LOGISTIC_SHAPE = (20_000, 200)


# ----------------------------------------------------------------------------- large n
def large_n(sizes: tuple[int, ...], rounds: int) -> list[dict[str, Any]]:
    have_scipy = True
    problems = [so.extended_rosenbrock_problem(n) for n in sizes]
    problems.append(so.logistic_problem(*LOGISTIC_SHAPE))
    rows = []
    for problem in problems:
        print(f"# {problem.name} n={problem.n}", file=sys.stderr, flush=True)
        meter = CpuMeter()
        block = so.bench_problem(problem, so.solvers(problem, have_scipy), rounds)
        background = meter.background()
        for row in block:
            row["bg_cpu"] = background
        rows += block
    return rows


def large_n_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| problem | n | solver | time ms | nit | nfev | nhev | final f | success | bg CPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        bg = "" if r["bg_cpu"] is None else f"{r['bg_cpu']:.0%}"
        lines.append(
            f"| {r['problem']} | {r['n']:,} | {r['solver']} | {r['seconds'] * 1e3:.1f} | "
            f"{r['nit']} | {r['nfev']} | {r['nhev']} | {r['f']:.3e} | "
            f"{'yes' if r['success'] else 'NO'} | {bg} |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- MGH
def mgh_solvers(gtol: float | None) -> dict[str, Any]:
    from scipy.optimize import minimize as scipy_minimize

    opts = None if gtol is None else {"gtol": gtol}

    def ours(method: str, source: str | None) -> Any:
        def solve(p: Problem) -> Any:
            extra = {source: getattr(p, source)} if source else {}
            return fo.minimize(p.fun, np.array(p.x0), method=method, options=opts, **extra)

        return solve

    return {
        "fo newton": ours("newton", "hess"),
        "fo newton-cg": ours("newton-cg", "hessp"),
        "fo L-BFGS": ours("lbfgs", None),
        "scipy Newton-CG": lambda p: scipy_minimize(
            p.fun, np.array(p.x0), jac=True, hessp=p.hessp, method="Newton-CG"
        ),
        "scipy trust-exact": lambda p: scipy_minimize(
            p.fun, np.array(p.x0), jac=True, hess=p.hess, method="trust-exact"
        ),
    }


def mgh(gtol: float | None) -> list[dict[str, Any]]:
    solvers = mgh_solvers(gtol)
    rows = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for problem in PROBLEMS:
            for name, solve in solvers.items():
                res = solve(problem)
                rows.append(_mgh_row(problem, name, res))
    return rows


def _mgh_row(problem: Problem, solver: str, res: Any) -> dict[str, Any]:
    return dict(
        problem=problem.name, solver=solver, f=float(res.fun), nit=int(res.nit),
        nfev=int(res.nfev), nhev=int(res.get("nhev", 0)),
        at_minimum=problem.classify(float(res.fun)) is not None,
    )  # fmt: skip


def mgh_table(rows: list[dict[str, Any]]) -> str:
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    head = "| problem | " + " | ".join(f"{s}: f / nit / nfev / nhev" for s in solvers) + " |"
    lines = [head, "|---|" + "---|" * len(solvers)]
    by_problem: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_problem.setdefault(r["problem"], {})[r["solver"]] = r
    for name, cells in by_problem.items():
        lines.append(f"| {name} | " + " | ".join(_cell(cells[s]) for s in solvers) + " |")
    lines.append("| **total** | " + " | ".join(_total(rows, s) for s in solvers) + " |")
    return "\n".join(lines)


def _cell(r: dict[str, Any]) -> str:
    mark = "" if r["at_minimum"] else "*"
    return f"{r['f']:.3e}{mark} / {r['nit']} / {r['nfev']} / {r['nhev']}"


def _total(rows: list[dict[str, Any]], solver: str) -> str:
    mine = [r for r in rows if r["solver"] == solver]
    at_min = sum(r["at_minimum"] for r in mine)
    sums = [sum(r[k] for r in mine) for k in ("nit", "nfev", "nhev")]
    return f"{at_min}/{len(mine)} at a minimum / {sums[0]} / {sums[1]} / {sums[2]}"


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    threads = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    print(f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); {fo.info()['isa']}, "
          f"fusedopt threads {fo.info()['num_threads']}; {threads}; rounds {rounds}\n")  # fmt: skip
    large = large_n(QUICK_SIZES if args.quick else LARGE_SIZES, rounds)
    print("## Large n (median wall time)\n")
    print(large_n_table(large))
    defaults, tight = mgh(None), mgh(1e-8)
    print("\n## Moré–Garbow–Hillstrom, every solver with its default tolerance\n")
    print(mgh_table(defaults))
    print("\n## Moré–Garbow–Hillstrom, fusedopt with gtol = 1e-8 (scipy: defaults)\n")
    print(mgh_table(tight))
    if args.json:
        args.json.write_text(json.dumps({"large": large, "mgh": defaults, "mgh_tight": tight}))


if __name__ == "__main__":
    main()
