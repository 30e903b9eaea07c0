"""L-BFGS wall time and solver overhead: ``fusedopt.minimize`` against scipy's L-BFGS-B.

Usage::

    python bench/bench_lbfgs.py [--rounds N | --quick] [--json PATH]
                                [--configs blas1,defaults,single] [--settle SECONDS]

Problems (every one returns ``(f, g)``; both solvers are handed the *same* function
object, a timing wrapper around it):

* ``extended`` -- the extended Rosenbrock function (Moré, Garbow & Hillstrom problem 21),
  separable in pairs, ``Σ 100(x_{2i} − x_{2i−1}²)² + (1 − x_{2i−1})²``, vectorised NumPy,
  from ``(−1.2, 1, −1.2, 1, ...)``, at n = 1 000, 10 000, 100 000 and 1 000 000 (not with
  ``--quick``). About 40 iterations at any n: it measures the per-iteration vector work
  (two-loop recursion, line search bookkeeping) at large n. It calls no BLAS (no
  ``np.dot``), so its cost does not depend on the BLAS thread count.
* ``chained`` -- ``scipy.optimize.rosen`` / ``rosen_der`` (the chained Rosenbrock) at
  n = 100 and 1 000 from the same start: ~500 and ~5 000 iterations of a cheap objective,
  so it measures the fixed per-iteration cost of each solver (Python <-> solver crossings,
  argument checking, allocations, scipy's ``ScalarFunction`` wrapper).
* ``logistic`` -- L2-regularised logistic regression, ``mean(log(1 + exp(−y·Xw))) + λ‖w‖²``
  (λ = 1e-4, the project's L2 convention R = λ·Σw²) on seeded synthetic data,
  X ~ N(0, 1) of 20 000 × 200, y = sign(X w* + ε). The objective (two dense
  mat-vecs) dominates: both solvers should tie.

Solvers: ``fusedopt.minimize(fun, x0, jac=True)`` with default options, and
``scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B")`` with default options
except ``maxiter = maxfun = 15000`` (fusedopt's ``max_iter`` / ``max_fev``). Both keep
10 curvature pairs, stop on gtol 1e-5 (infinity norm of the gradient) or ftol 2.2e-9.

Configurations. Each runs in a subprocess of this script (``--_worker``), because thread
counts must be fixed by environment variables before NumPy / SciPy / OpenMP load; the
worker prints its results as JSON, and configurations run one after the other, never
concurrently. The default run has two:

- ``blas1``: ``OPENBLAS_NUM_THREADS=1`` (``OMP_NUM_THREADS`` removed). NumPy's and
  SciPy's OpenBLAS are single-threaded; fusedopt's kernels are *not* affected and use up
  to ``fusedopt.info()["num_threads"]`` threads from n ≈ 65 000 up.
- ``defaults``: both variables removed: every library picks its own thread count.

``--configs single`` (or ``blas1,defaults,single``) adds ``single``:
``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1``, everything single-threaded, the like-for-like
comparison of the two solvers' code.

Rounds (``--rounds``, default 5; ``--quick``: 3), settling before every solve
(``--settle``, 0.2 s), warm-up (none at n = 1 000 000: cold there), repeats of short
solves and the objective-time wrapper (``overhead µs/iter = (total − objective time) /
nit``) are those of :func:`fusedopt.bench.second_order.time_problem`; the methodology is
in bench/README.md, "Methodology". Results (nit, nfev, final f, success) are those of
the last round; a row is flagged ``*`` if they changed between rounds.

Targets (PASS/FAIL, per configuration): extended Rosenbrock n = 100 000: fusedopt total
wall time ≥ 2× faster than scipy; chained Rosenbrock n = 1 000: fusedopt overhead
≤ 10 µs per iteration (scipy's is reported alongside).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy

import fusedopt as fo
from fusedopt.bench import second_order as so
from fusedopt.bench.load import NOISY, CpuMeter
from fusedopt.bench.machine import cpu_model
from fusedopt.bench.problems import (
    Problem,
    chained_rosenbrock,
    extended_rosenbrock,
    make_logistic,
    rosenbrock_start,
)
from fusedopt.bench.timing import median

FO, SCIPY = "fusedopt", "scipy"
SOLVERS = {FO: so.fusedopt_solver("lbfgs", None), SCIPY: so.scipy_solver("L-BFGS-B", None)}
MIN_SAMPLE_SECONDS = 0.02  # solves shorter than this are repeated within a round
MAX_REPEATS = 20
DRAM_N = 1_000_000  # no warm-up solve at this size: the table is cold there

LOGISTIC_SHAPE = (20_000, 200)
LOGISTIC_LAMBDA = 1e-4
LOGISTIC_SEED = 20240611

TARGET_EXT_N, TARGET_EXT_SPEEDUP = 100_000, 2.0
TARGET_CHAINED_N, TARGET_OVERHEAD_US = 1_000, 10.0

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
# name -> environment variables (None: removed). "single" is not in the default run.
CONFIGS: dict[str, dict[str, str | None]] = {
    "blas1": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": None},
    "defaults": {"OPENBLAS_NUM_THREADS": None, "OMP_NUM_THREADS": None},
    "single": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
}
DEFAULT_CONFIGS = ("blas1", "defaults")


# ----------------------------------------------------------------------------- problems
def problems(quick: bool) -> list[Problem]:
    ext_sizes = [1_000, 10_000, 100_000] + ([] if quick else [DRAM_N])
    out = [Problem("extended", n, extended_rosenbrock, rosenbrock_start(n)) for n in ext_sizes]
    out += [Problem("chained", n, chained_rosenbrock, rosenbrock_start(n)) for n in (100, 1_000)]
    samples, features = LOGISTIC_SHAPE
    logistic = make_logistic(samples, features, LOGISTIC_LAMBDA, LOGISTIC_SEED)
    out.append(Problem("logistic", features, logistic, np.zeros(features)))
    return out


def bench_problem(problem: Problem, rounds: int, settle: float) -> dict[str, Any]:
    meter = CpuMeter()
    warm = problem.n < DRAM_N
    samples, _, repeats = so.time_problem(
        problem, SOLVERS, rounds, warm_up=warm, settle=settle,
        min_sample=MIN_SAMPLE_SECONDS, max_repeats=MAX_REPEATS,
    )  # fmt: skip
    solvers = {}
    for name, s in samples.items():
        overhead = s.overhead_per_iteration()
        solvers[name] = {
            "total_s": s.seconds,
            "objective_s": s.objective_seconds,
            "calls": s.objective_calls,
            "outcome": s.last,
            "consistent": s.consistent,
            "median_total_s": median(s.seconds),
            "median_objective_s": median(s.objective_seconds),
            "overhead_us_per_iter": None if overhead is None else 1e6 * overhead,
        }
    return {
        "problem": problem.name,
        "n": problem.n,
        "warm": warm,
        "repeats": repeats,
        "bg_cpu": meter.background(),
        "solvers": solvers,
    }


# ----------------------------------------------------------------------------- worker


def thread_pools() -> list[dict[str, Any]]:
    """What threadpoolctl sees (BLAS and OpenMP pools), if it is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {
            "api": p.get("internal_api"),
            "threads": p.get("num_threads"),
            "lib": os.path.basename(str(p.get("filepath", ""))),
        }
        for p in threadpool_info()
    ]


def worker(rounds: int, quick: bool, settle: float) -> dict[str, Any]:
    results = []
    for problem in problems(quick):
        results.append(bench_problem(problem, rounds, settle))
        print(f"    done: {problem.name} n={problem.n}", file=sys.stderr, flush=True)
    return {
        "env": {var: os.environ.get(var) for var in THREAD_VARS},
        "fo_info": fo.info(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "thread_pools": thread_pools(),
        "results": results,
    }


def run_config(name: str, rounds: int, quick: bool, settle: float) -> dict[str, Any]:
    env = dict(os.environ)
    for var, value in CONFIGS[name].items():
        if value is None:
            env.pop(var, None)
        else:
            env[var] = value
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", "--rounds", str(rounds)]
    cmd += ["--settle", str(settle)]
    if quick:
        cmd.append("--quick")
    print(f"  configuration {name!r} ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(proc.stdout)


# ----------------------------------------------------------------------------- report


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def fmt_opt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(results: list[dict[str, Any]]) -> str:
    head = [
        "problem",
        "n",
        "solver",
        "time ms",
        "speedup (scipy/fo)",
        "nit",
        "nfev",
        "final f",
        "success",
        "overhead µs/iter",
        "objective ms",
        "bg CPU",
    ]
    align = ["---", "---:", "---", *["---:"] * 5, "---", *["---:"] * 3]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for r in results:
        fo_s, sp_s = r["solvers"][FO], r["solvers"][SCIPY]
        speedup = sp_s["median_total_s"] / fo_s["median_total_s"]
        bg = r["bg_cpu"]
        bg_text = fmt_opt(None if bg is None else 100 * bg, ".0f") + ("%" if bg is not None else "")
        if bg is not None and bg > NOISY:
            bg_text += " (noisy)"
        label = r["problem"] + ("" if r["warm"] else " (cold)")
        for name in SOLVERS:
            s = r["solvers"][name]
            o = s["outcome"]
            nit = str(o["nit"]) + ("" if s["consistent"] else "*")
            lines.append(
                "| "
                + " | ".join(
                    [
                        label,
                        f"{r['n']:,}",
                        name,
                        fmt_ms(s["median_total_s"]),
                        f"{speedup:.2f}x" if name == FO else "",
                        nit,
                        str(o["nfev"]),
                        f"{o['f']:.3e}",
                        "yes" if o["success"] else "NO",
                        fmt_opt(s["overhead_us_per_iter"], ".1f"),
                        fmt_ms(s["median_objective_s"]),
                        bg_text,
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def find(results: list[dict[str, Any]], problem: str, n: int) -> dict[str, Any] | None:
    return next((r for r in results if r["problem"] == problem and r["n"] == n), None)


def verdicts(results: list[dict[str, Any]]) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True
    ext = find(results, "extended", TARGET_EXT_N)
    if ext is not None:
        fo_s, sp_s = ext["solvers"][FO], ext["solvers"][SCIPY]
        speedup = sp_s["median_total_s"] / fo_s["median_total_s"]
        paired = sorted(s / f for s, f in zip(sp_s["total_s"], fo_s["total_s"]))
        passed = speedup >= TARGET_EXT_SPEEDUP
        ok &= passed
        lines.append(
            f"- {'PASS' if passed else 'FAIL'}: extended Rosenbrock n={TARGET_EXT_N:,}: "
            f"fusedopt {speedup:.2f}x faster than scipy (target >= {TARGET_EXT_SPEEDUP:g}x; "
            f"per-round ratios {paired[0]:.2f}-{paired[-1]:.2f}x)"
        )
    ch = find(results, "chained", TARGET_CHAINED_N)
    if ch is not None:
        fo_us = ch["solvers"][FO]["overhead_us_per_iter"]
        sp_us = ch["solvers"][SCIPY]["overhead_us_per_iter"]
        passed = fo_us is not None and fo_us <= TARGET_OVERHEAD_US
        ok &= passed
        lines.append(
            f"- {'PASS' if passed else 'FAIL'}: chained Rosenbrock n={TARGET_CHAINED_N:,}: "
            f"fusedopt overhead {fmt_opt(fo_us, '.1f')} µs/iter "
            f"(target <= {TARGET_OVERHEAD_US:g}); scipy {fmt_opt(sp_us, '.1f')} µs/iter"
        )
    return lines, ok


def report(command: str, rounds: int, settle: float, configs: dict[str, dict[str, Any]]) -> str:
    first = next(iter(configs.values()))
    out = [
        f"command: {command}",
        f"scipy {first['scipy']}, numpy {first['numpy']}, python {platform.python_version()}; "
        f"cpu: {cpu_model()}, {os.cpu_count()} logical CPUs; rounds: {rounds}; "
        f"settle: {settle:g} s",
    ]
    for name, c in configs.items():
        env = " ".join(f"{k}={'(unset)' if v is None else v}" for k, v in c["env"].items())
        out.append(f"[{name}] env: {env}")
        out.append(f"[{name}] fusedopt.info(): {c['fo_info']}")
        if c["thread_pools"]:
            pools = ", ".join(f"{p['lib']} ({p['api']}): {p['threads']}" for p in c["thread_pools"])
            out.append(f"[{name}] threadpoolctl: {pools}")
    all_ok = True
    summary: list[str] = []
    for name, c in configs.items():
        out += ["", f"### {name}", "", table(c["results"]), ""]
        lines, ok = verdicts(c["results"])
        all_ok &= ok
        out += lines
        summary += [f"[{name}] {line[2:]}" for line in lines]
    out += [
        "",
        "time ms, objective ms: medians over rounds of one complete solve (warm unless "
        "marked cold); overhead µs/iter = median over rounds of (time − objective time) / nit; "
        "speedup = median scipy time / median fusedopt time; * = nit/nfev/f changed "
        "between rounds.",
        "",
        "Summary:",
        *summary,
        f"overall: {'PASS' if all_ok else 'FAIL'}",
    ]
    return "\n".join(out)


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5; --quick 3)")
    ap.add_argument(
        "--quick", action="store_true", help="3 rounds, no n = 1 000 000 extended Rosenbrock"
    )
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument(
        "--configs",
        default=",".join(DEFAULT_CONFIGS),
        help=f"comma-separated, from {','.join(CONFIGS)} (default {','.join(DEFAULT_CONFIGS)})",
    )
    ap.add_argument(
        "--settle",
        type=float,
        default=so.SETTLE_SECONDS,
        help=f"seconds of idle before every sample ({so.SETTLE_SECONDS})",
    )
    ap.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.rounds < 1 or args.settle < 0:
        ap.error("--rounds must be >= 1 and --settle >= 0")
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(args.configs) - set(CONFIGS)
    if unknown or not args.configs:
        ap.error(f"unknown configurations {sorted(unknown)}; choose from {list(CONFIGS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args._worker:
        print(json.dumps(worker(args.rounds, args.quick, args.settle)))
        return 0
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    t0 = time.perf_counter()
    configs = {
        name: run_config(name, args.rounds, args.quick, args.settle) for name in args.configs
    }
    print(f"  total {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    text = report(command, args.rounds, args.settle, configs)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            meta = {"command": command, "rounds": args.rounds, "settle": args.settle}
            json.dump({**meta, "configs": configs}, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
