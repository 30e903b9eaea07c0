"""fusedopt under shared cores: default threads against one thread, with k busy processes.

Training loops share the cores (data loading, torch's intra-op threads, other jobs). A
parallel step must then stay close to single-threaded speed instead of waiting for a
descheduled thread. For each load k (k pure-Python busy processes, started and stopped
here, each bounded in time) this times, in interleaved rounds, with fusedopt's default
thread count and with one thread:

- fp32 AdamW steps on 1e5 and 1e6 elements (one tensor) and on 1000 tensors of 1000;
- ``fo.minimize`` on the extended Rosenbrock function, n = 1e5 (one whole solve);
- a ``fusedopt.torch`` AdamW step right after a forward/backward pass, so torch's own
  intra-op threads have just been busy (torch fused AdamW beside it as the peer).

Each step is timed on its own (medians and 90th percentiles over all rounds). Target:
the default-thread median is at most 1.3x the one-thread median at every k. Peers,
timing loop, busy processes and load readings are :mod:`fusedopt.bench`'s; the
methodology is in bench/README.md, "Methodology".

    python bench/bench_contention.py                        # loads 0, 1, 2, 6
    python bench/bench_contention.py --loads 0 --json a.json
    python bench/bench_contention.py --loads 0 --compare a.json  # k = 0 against a.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import fusedopt as fo
from fusedopt.bench import peers as P
from fusedopt.bench import workloads as W
from fusedopt.bench.load import CpuMeter, busy_processes
from fusedopt.bench.machine import cpu_model
from fusedopt.bench.problems import extended_rosenbrock, rosenbrock_start
from fusedopt.bench.step import random_arrays
from fusedopt.bench.timing import SelfTimed, StepFn, interleaved, median, percentile

TARGET = 1.3  # default-thread median over one-thread median, at every load
BUSY_LIMIT_S = 900  # no busy process outlives this, whatever happens to the benchmark
SETTINGS = {"1": 1, "default": 0}  # fusedopt.set_num_threads(0): the default count
ADAMW = P.SPECS["adamw"]


@dataclass
class Workload:
    name: str
    steps_per_round: int  # individually timed calls per round and thread setting
    make: Callable[[], StepFn]  # builds state once; returns one timed call


def adamw_workload(name: str, shapes: Sequence[int], steps: int) -> Workload:
    def make() -> StepFn:
        arrays = W.Workload(name, tuple((n,) for n in shapes), "model")
        params = random_arrays(arrays, np.dtype(np.float32), 1.0, seed=0)
        grads = random_arrays(arrays, np.dtype(np.float32), 1.0, seed=1)
        return P.fusedopt_peer(ADAMW, params, grads)

    return Workload(name, steps, make)


def rosenbrock_workload() -> Workload:
    def make() -> StepFn:
        x0 = rosenbrock_start(100_000)
        return lambda: fo.minimize(extended_rosenbrock, x0)

    return Workload("minimize, ext. Rosenbrock n=1e5", 1, make)


def torch_workloads() -> list[Workload]:
    """A fusedopt.torch / torch fused AdamW step timed right after backward()."""
    try:
        import torch
    except ImportError:
        return []

    def make_for(peer: str) -> Callable[[], StepFn]:
        def make() -> StepFn:
            torch.manual_seed(0)
            model = torch.nn.Sequential(
                torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024),
                torch.nn.ReLU(), torch.nn.Linear(1024, 10),
            )  # fmt: skip
            opt = P.torch_optimizer(peer, ADAMW, model.parameters())
            x, y = torch.randn(256, 784), torch.randint(0, 10, (256,))

            def step() -> float:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                t0 = time.perf_counter()  # only the optimizer step is timed
                opt.step()
                return time.perf_counter() - t0

            return SelfTimed(step)

        return make

    return [
        Workload("fusedopt.torch AdamW after backward (1.9M)", 10, make_for("fusedopt-torch")),
        Workload("torch fused AdamW after backward (1.9M)", 10, make_for("torch-fused")),
    ]


def workloads() -> list[Workload]:
    return [
        adamw_workload("AdamW fp32 1e5", [100_000], 20),
        adamw_workload("AdamW fp32 1e6", [1_000_000], 10),
        adamw_workload("AdamW fp32 1000 x 1k", [1000] * 1000, 10),
        rosenbrock_workload(),
        *torch_workloads(),
    ]


def measure_load(k: int, rounds: int, loads: list[Workload]) -> dict[str, Any]:
    """Interleaved rounds: every workload, one thread then default threads, per round."""
    calls = {w.name: w.make() for w in loads}
    keys = [(w, setting) for w in loads for setting in SETTINGS]
    steps = {f"{w.name}|{s}": calls[w.name] for w, s in keys}
    setup = {f"{w.name}|{s}": (lambda n=SETTINGS[s]: fo.set_num_threads(n)) for w, s in keys}
    counts = {f"{w.name}|{s}": w.steps_per_round for w, s in keys}
    with busy_processes(k, BUSY_LIMIT_S):
        meter = CpuMeter()
        try:
            timing = interleaved(steps, rounds, counts, each=True, setup=setup)
        finally:
            fo.set_num_threads(0)
        loadavg = meter.loadavg()
        other_share = meter.background()
    rows = []
    for w in loads:
        one, default = (timing.times[f"{w.name}|{s}"] for s in SETTINGS)
        rows.append(
            {
                "workload": w.name,
                "k": k,
                "one_median": median(one),
                "one_p90": percentile(one, 90),
                "default_median": median(default),
                "default_p90": percentile(default, 90),
                "ratio": median(default) / median(one),
                "samples": len(one),
            }
        )
    return {"k": k, "rows": rows, "loadavg": list(loadavg), "other_cpu_share": other_share}


def fmt_load(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_ms(seconds: float) -> str:
    ms = 1e3 * seconds
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | busy k | 1 thread median ms (p90) | default threads median ms (p90) "
        f"| default / 1 | target <= {TARGET} |",
        "|---|---:|---:|---:|---:|---|",
    ]
    by_workload: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for row in result["rows"]:
            by_workload.setdefault(row["workload"], []).append(row)
    for name, rows in by_workload.items():
        for r in rows:
            # The peer row (torch fused) has no target of fusedopt's to meet.
            verdict = "peer" if name.startswith("torch ") else (
                "PASS" if r["ratio"] <= TARGET else "FAIL")  # fmt: skip
            lines.append(
                f"| {name} | {r['k']} | {fmt_ms(r['one_median'])} ({fmt_ms(r['one_p90'])}) "
                f"| {fmt_ms(r['default_median'])} ({fmt_ms(r['default_p90'])}) "
                f"| {r['ratio']:.2f} | {verdict} |"
            )
    return "\n".join(lines)


def comparison(results: list[dict[str, Any]], baseline: dict[str, Any]) -> str:
    """Default-thread medians at k = 0 against another run's (e.g. an older build)."""
    old = {(r["workload"], r["k"]): r for res in baseline["results"] for r in res["rows"]}
    lines = [
        f"| workload | k | this run ms | {baseline['label']} ms | this / {baseline['label']} |",
        "|---|---:|---:|---:|---:|",
    ]
    for res in results:
        for r in res["rows"]:
            base = old.get((r["workload"], r["k"]))
            if base:
                lines.append(
                    f"| {r['workload']} | {r['k']} | {fmt_ms(r['default_median'])} "
                    f"| {fmt_ms(base['default_median'])} "
                    f"| {r['default_median'] / base['default_median']:.3f} |"
                )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", default="0,1,2,6", help="busy process counts (default 0,1,2,6)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per load")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--label", default="this build", help="name of this run in --json")
    parser.add_argument("--compare", help="a --json file of another run: print k = 0 ratios")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    loads = [int(k) for k in args.loads.split(",")]
    work = workloads()
    print(f"{cpu_model()}, {os.cpu_count()} CPUs, fusedopt {fo.info()}")
    results = []
    for k in loads:
        results.append(measure_load(k, args.rounds, work))
        print(table(results[-1:]), flush=True)  # one load at a time: a long run shows progress
    print(table(results))
    for res in results:
        share = res["other_cpu_share"]
        print(
            f"k={res['k']}: load average {fmt_load(res['loadavg'][0])} -> "
            f"{fmt_load(res['loadavg'][1])}, "
            f"other processes' CPU share {'n/a' if share is None else f'{100 * share:.0f}%'}"
        )
    out = {"label": args.label, "cpu": cpu_model(), "info": fo.info(), "results": results}
    if args.compare:
        with open(args.compare) as f:
            print(comparison(results, json.load(f)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    failed = [
        r for res in results for r in res["rows"]
        if not r["workload"].startswith("torch ") and r["ratio"] > TARGET
    ]  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
