"""Time ``opt.step()`` as a PyTorch user calls it: fusedopt.torch against torch.optim.

Usage::

    python bench/bench_torch.py [--rounds N | --quick] [--json PATH]

What is timed is the whole ``opt.step()`` call of a ``torch.optim.Optimizer`` with ``.grad``
already set on every parameter, so fusedopt.torch's adapter (its Python pass over the
parameters, its checks and the C++ call) is included, and so is torch.optim's own Python
(the ``profile_hook_step`` wrapper, ``_init_group``, grouping by device and dtype).

Workloads, each for fp32 AdamW (lr=1e-3, weight_decay=1e-2) and SGD (lr=1e-3, momentum=0.9):

* **GPT-2 small**: its 148 parameter tensors, 124,439,808 elements (DRAM-sized).
  Target: fusedopt.torch >= 1.0x the best torch peer, and >= 1.0x DeepSpeedCPUAdam when
  it is importable.
* **1000 x 1000 el.**: 1000 tensors of 1000 elements (cache-resident, 4 MB per buffer).
  Target: fusedopt.torch >= 5x torch fused.
* **Overhead** (not a target): 1000 one-element tensors, where the step is all per-tensor
  host work; reported in us per tensor for fusedopt.torch, torch fused and, as the C++
  core's own cost, fusedopt's NumPy API (``fusedopt.AdamW(...).step(grads)``), so the
  difference is what the torch adapter itself adds.

Peers: ``fusedopt.torch.<Opt>``; ``torch.optim.<Opt>`` as a for-loop (``foreach=False``), with
``foreach=True`` and with ``fused=True``; ``deepspeed.ops.adam.DeepSpeedCPUAdam``
(``adamw_mode=True``, AdamW only) when ``import deepspeed`` works, otherwise listed as
skipped; on the overhead workload fusedopt's NumPy API. k = 20 timed steps per round
for the cache-resident workloads (1000 x 1000, overhead), k = 1 for GPT-2: the tables are
**warm**. Speedup: median peer / median fusedopt.torch; PASS/FAIL uses this ratio of
medians, and a FAIL whose upper quartile of the per-round paired ratios reaches the
target is labelled a tie within this run's noise. Minor page faults per timed step are
recorded per peer (torch's for-loop and foreach steps allocate temporaries the size of
each parameter, which at GPT-2 size are fresh pages on every step).

Everything is measured by :mod:`fusedopt.bench` (peers, bytes per parameter, interleaved
rounds, background load, parity, the check that no peer wrote the gradients); the
methodology is in bench/README.md, "Methodology".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fusedopt.bench import peers as P
from fusedopt.bench import step as S
from fusedopt.bench.load import CpuMeter, noise_lines
from fusedopt.bench.machine import machine_info
from fusedopt.bench.workloads import Workload, gpt2_small_shapes

OPTIMIZERS = ("adamw", "sgd")
FOT, LOOP, FOREACH, FUSED, DS, CORE = (
    "fusedopt-torch", "torch-forloop", "torch-foreach", "torch-fused", "deepspeed", "fusedopt",
)  # fmt: skip
LABELS = {
    FOT: "fusedopt.torch",
    LOOP: "torch for-loop",
    FOREACH: "torch foreach",
    FUSED: "torch fused",
    DS: "DeepSpeedCPUAdam",
    CORE: "fusedopt NumPy API",
}
TORCH_PEERS = (LOOP, FOREACH, FUSED)
OVERHEAD_TENSORS = 1000
DEFAULT_ROUNDS, QUICK_ROUNDS = 15, 5  # ~1.5 min and ~0.5 min on a quiet machine


@dataclass(frozen=True)
class Case:
    """A workload, timed steps per round, the peers, and the target."""

    key: str
    workload: Workload
    k: int
    target: float
    target_peer: str  # FUSED, or "best" = the fastest torch peer (and DeepSpeed)
    peers: tuple[str, ...] = (FOT, LOOP, FOREACH, FUSED, DS)


CASES = {
    "gpt2": Case("gpt2", Workload("GPT-2 small", gpt2_small_shapes(), "model"), 1, 1.0, "best"),
    "1000x1000": Case(
        "1000x1000", Workload("1000 x 1000 el.", ((1000,),) * 1000, "model"), 20, 5.0, FUSED
    ),
}
OVERHEAD = Case(
    "overhead", Workload("1000 x 1 el.", ((1,),) * OVERHEAD_TENSORS, "model"), 20, 0.0, FUSED,
    peers=(FOT, FUSED, CORE),
)  # fmt: skip


@dataclass
class Row:
    """One (workload, optimizer) result."""

    case: Case
    optimizer: str  # AdamW, SGD
    bytes_per_param: int
    m: S.Measurement
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.case.workload.name

    def median(self, peer: str) -> float | None:
        """Median seconds per step, None for a peer that was not measured."""
        return self.m.timing.median(peer) if peer in self.m.timing.times else None

    def seconds(self, peer: str) -> float:
        """Median seconds per step of a measured peer."""
        return self.m.timing.median(peer)

    def speedup(self, peer: str) -> float | None:
        t, base = self.median(peer), self.median(FOT)
        return t / base if t and base else None

    def gbps(self) -> float:
        return self.bytes_per_param * self.case.workload.numel / self.seconds(FOT) / 1e9

    @property
    def best_torch(self) -> str:
        measured = [p for p in TORCH_PEERS if p in self.m.timing.times]
        return min(measured, key=self.seconds)

    @property
    def targets(self) -> list[str]:
        """The peers fusedopt.torch must beat by the workload's target factor."""
        if self.case.target_peer != "best":
            return [self.case.target_peer]
        return [self.best_torch] + ([DS] if DS in self.m.timing.times else [])

    def paired_quartiles(self, peer: str) -> tuple[float, float]:
        """Quartiles of the per-round ratios peer / fusedopt.torch (adjacent in time)."""
        return self.m.timing.paired_quartiles(peer, FOT)

    @property
    def passed(self) -> bool:
        return all((self.speedup(p) or 0.0) >= self.case.target for p in self.targets)

    @property
    def verdict(self) -> str:
        if self.passed:
            return "PASS"
        tie = all(self.paired_quartiles(p)[1] >= self.case.target for p in self.targets)
        return "FAIL (tie: IQR reaches target)" if tie else "FAIL"

    def target_text(self) -> str:
        if self.case.target_peer == "best":
            who = f"best torch ({LABELS[self.best_torch].removeprefix('torch ')})"
            if DS in self.m.timing.times:
                who += " & DeepSpeed"
        else:
            who = LABELS[self.case.target_peer]
        return f">= {self.case.target:g}x {who}"

    @property
    def parity(self) -> dict[str, float]:
        return {LABELS[p]: self.m.max_abs_diff(p) for p in self.m.params if p != FOT}


def bench_row(case: Case, optimizer: str, rounds: int) -> Row:
    spec = P.SPECS[optimizer]
    options = S.StepOptions(
        optimizers=[optimizer], workloads=[case.workload], k=case.k, min_rounds=rounds,
        max_rounds=rounds, peers=list(case.peers), base=FOT, roofline=False,
    )  # fmt: skip
    skipped: list[dict[str, str]] = []
    m = S.measure(spec, case.workload, options, skipped)
    reasons = {s["peer"]: f"skipped: {s['reason']}" for s in skipped}
    return Row(case, spec.algo, P.bytes_per_param(spec, 4), m, reasons)


# ------------------------------------------------------------------ report
def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def markdown(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def bg_cell(r: Row) -> str:
    return "-" if r.m.background_cpu is None else f"{100 * r.m.background_cpu:.0f}%"


def main_table(rows: list[Row]) -> str:
    peers = (FOT, LOOP, FOREACH, FUSED, DS)
    head = [
        "workload",
        "opt",
        *(f"{LABELS[p]} ms" for p in peers),
        *(f"speedup vs {LABELS[p].removeprefix('torch ')}" for p in peers[1:]),
        "vs target (IQR)",
        f"{LABELS[FOT]} GB/s",
        "bg CPU",
        "target",
        "result",
    ]
    body = []
    for r in rows:
        medians = {p: r.median(p) for p in peers}
        ms = [r.skipped.get(p, "-") if t is None else f"{1e3 * t:.3f}" for p, t in medians.items()]
        speedups = [fmt(r.speedup(p), ".2f") + ("x" if r.speedup(p) else "") for p in peers[1:]]
        target_cells = []
        for p in r.targets:
            q1, q3 = r.paired_quartiles(p)
            target_cells.append(f"{r.speedup(p):.2f}x ({q1:.2f}-{q3:.2f})")
        body.append(
            [
                r.label, r.optimizer, *ms, *speedups, "; ".join(target_cells),
                f"{r.gbps():.1f}", bg_cell(r), r.target_text(), r.verdict,
            ]
        )  # fmt: skip
    return markdown(head, body)


def overhead_table(rows: list[Row]) -> str:
    n = OVERHEAD_TENSORS
    peers = (FOT, FUSED, CORE)
    head = [
        "workload",
        "opt",
        *(f"{LABELS[p]} us/step" for p in peers),
        *(f"{LABELS[p]} us/tensor" for p in peers),
        "adapter's own us/tensor",
        "bg CPU",
    ]
    body = []
    for r in rows:
        us = {p: 1e6 * r.seconds(p) for p in peers}
        body.append(
            [
                r.label,
                r.optimizer,
                *(f"{us[p]:.1f}" for p in peers),
                *(f"{us[p] / n:.3f}" for p in peers),
                f"{(us[FOT] - us[CORE]) / n:.3f}",
                bg_cell(r),
            ]
        )
    return markdown(head, body)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="threads for every peer (2)")
    ap.add_argument(
        "--rounds", type=int, default=None, help=f"interleaved rounds ({DEFAULT_ROUNDS})"
    )
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    keys = [*CASES, OVERHEAD.key]
    ap.add_argument(
        "--workloads", default=",".join(keys), help=f"comma-separated subset of {','.join(keys)}"
    )
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be >= 1")
    unknown = set(args.workloads.split(",")) - set(keys)
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}")
    return args


def row_json(r: Row) -> dict[str, Any]:
    timing = r.m.timing
    return {
        "workload": r.label,
        "optimizer": r.optimizer,
        "numel": r.case.workload.numel,
        "tensors": r.case.workload.tensors,
        "k": r.case.k,
        "bytes_per_param": r.bytes_per_param,
        "median_s": {LABELS[p]: r.median(p) for p in timing.times},
        "times_s": {LABELS[p]: t for p, t in timing.times.items()},
        "minor_faults_per_step": {LABELS[p]: f for p, f in timing.minor_faults.items()},
        "speedup": {LABELS[p]: r.speedup(p) for p in timing.times if p != FOT},
        "skipped": {LABELS[p]: reason for p, reason in r.skipped.items()},
        "fusedopt_torch_gbps": r.gbps(),
        "target": r.target_text() if r.case.target else None,
        "target_peers": [LABELS[p] for p in r.targets] if r.case.target else [],
        "pass": r.passed if r.case.target else None,
        "parity_max_abs_diff": r.parity,
        "gradients_unchanged": r.m.grads_unchanged,
        "background_cpu": r.m.background_cpu,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wall0 = time.perf_counter()
    machine = machine_info(S.set_threads(args.threads))  # also OMP_NUM_THREADS for DeepSpeed
    ds_status = P.deepspeed_status()
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    print(f"command: {command}")
    print(f"fusedopt.info(): {machine['fusedopt']}")
    print(f"torch {machine['torch']}, numpy {machine['numpy']}, python {machine['python']}")
    print(f"{LABELS[DS]}: {ds_status}")
    print(f"cpu: {machine['cpu']}, {machine['cpus']} logical CPUs")
    print(f"threads: {args.threads} (torch and fusedopt); rounds: {args.rounds}", flush=True)

    meter = CpuMeter()
    rows: list[Row] = []
    overhead: list[Row] = []
    for key in args.workloads.split(","):
        case = OVERHEAD if key == OVERHEAD.key else CASES[key]
        for optimizer in OPTIMIZERS:
            (overhead if case is OVERHEAD else rows).append(bench_row(case, optimizer, args.rounds))
            gc.collect()
            print(f"  done: {case.workload.name} {optimizer}", file=sys.stderr, flush=True)
    background = meter.background()

    if rows:
        print()
        print(
            f"### fp32 `opt.step()` incl. the adapter's Python, warm ({args.threads} threads, "
            f"median of {args.rounds} interleaved rounds; k = 20 timed steps/round at "
            "1000x1000, 1 at GPT-2)"
        )
        print()
        print(main_table(rows))
        print()
        print(
            "Speedup: median peer / median fusedopt.torch. 'vs target': the target peer(s), "
            "in brackets the quartiles of the per-round paired ratios; PASS/FAIL uses the "
            "ratio of medians."
        )
        print(
            "GB/s count 28 B/param for AdamW, 20 B/param for SGD (momentum). "
            f"{LABELS[DS]} is AdamW only."
        )
        for r in rows:
            if r.case.key == "gpt2":
                faults = ", ".join(
                    f"{LABELS[p]} {f:,.0f}" for p, f in r.m.timing.minor_faults.items()
                )
                print(f"minor page faults per step, {r.label} {r.optimizer}: {faults}")
    if overhead:
        print()
        print(
            f"### Per-tensor overhead: `opt.step()` on {OVERHEAD_TENSORS} one-element fp32 "
            f"tensors, warm ({args.threads} threads, median of {args.rounds} interleaved "
            "rounds, k = 20)"
        )
        print()
        print(overhead_table(overhead))
        print()
        print(
            f"us/tensor = step time / {OVERHEAD_TENSORS}. {LABELS[CORE]}: fusedopt.{{AdamW,SGD}}"
            "(numpy arrays).step(grads), the same C++ core without the torch adapter; "
            "adapter's own = fusedopt.torch - NumPy API."
        )
    print()
    all_rows = rows + overhead
    worst = max((v for r in all_rows for v in r.parity.values()), default=0.0)
    for r in all_rows:
        if not max(r.parity.values(), default=0.0) < 1e-4:
            print(f"PARITY WARNING: {r.label} {r.optimizer}: max |dtheta| {r.parity}")
    untouched = all(r.m.grads_unchanged for r in all_rows)
    print(f"parity: max |theta_fusedopt.torch - theta_peer| over all rows = {worst:.2e}")
    print(f"gradients unchanged by every peer: {'yes' if untouched else 'NO'}")
    labels = [(f"{r.label} {r.optimizer}", r.m.background_cpu) for r in all_rows]
    print("\n".join(noise_lines(labels, background)))
    wall = time.perf_counter() - wall0
    verdicts = f"{sum(r.passed for r in rows)}/{len(rows)} PASS" if rows else "none run"
    print(f"targets: {verdicts}; wall time {wall:.0f} s")

    if args.json:
        doc = {
            "command": command,
            "machine": machine,
            "deepspeed": ds_status,
            "threads": args.threads,
            "rounds": args.rounds,
            "mode": "warm",
            "background_cpu": background,
            "gradients_unchanged": untouched,
            "wall_s": wall,
            "rows": [row_json(r) for r in rows],
            "overhead": [
                row_json(r)
                | {
                    "us_per_tensor": {
                        LABELS[p]: 1e6 * r.seconds(p) / OVERHEAD_TENSORS for p in r.m.timing.times
                    }
                }
                for r in overhead
            ],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
