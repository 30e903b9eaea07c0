"""Time one fp32 optimizer step: fusedopt against torch.optim's fused and foreach steps.

Usage::

    python bench/bench_step.py [--threads 2] [--rounds N | --quick] [--json PATH]

Workloads: one tensor of 2^20 elements ("1M", 4 MiB in fp32), one of 2^26 ("64M",
256 MiB), 1000 tensors of 1000 elements, and GPT-2 small's 148 parameter tensors
(124,439,808 elements). Each row prints PASS/FAIL against the project's target speedup
over torch fused (1M >= 1.2x, 64M >= 1.0x, 1000x1000 >= 5x, GPT-2 >= 1.0x).

Peers: ``fusedopt``, ``torch.optim`` with ``fused=True`` and with ``foreach=True``, and the
roofline pass, for AdamW (lr=1e-3, weight_decay=1e-2) and SGD (lr=1e-3, momentum=0.9).
k = 20 timed steps per round for the cache-resident workloads (1M, 1000x1000), k = 1 for
the DRAM-sized ones (64M, GPT-2), so the table is labelled **warm**. Speedup is median
torch fused / median fusedopt; in brackets the quartiles of the per-round paired ratios.
Everything is measured by :mod:`fusedopt.bench` (peers, roofline, bytes per parameter,
interleaved rounds, background load); the methodology is in bench/README.md,
"Methodology".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fusedopt.bench import peers as P
from fusedopt.bench import step as S
from fusedopt.bench.load import CpuMeter, noise_lines
from fusedopt.bench.machine import machine_info
from fusedopt.bench.workloads import Workload, gpt2_small_shapes

OPTIMIZERS = ("adamw", "sgd")
FO, FUSED, FOREACH, ROOF = "fusedopt", "torch-fused", "torch-foreach", S.ROOFLINE
PEERS = (FO, FUSED, FOREACH)


@dataclass(frozen=True)
class Case:
    """A workload, the timed steps a round gives each peer, and the target."""

    workload: Workload
    k: int
    target: float  # minimum speedup of fusedopt over torch fused


@dataclass
class Row:
    """One (workload, optimizer) result."""

    case: Case
    optimizer: str  # AdamW, SGD
    bytes_per_param: int
    m: S.Measurement

    @property
    def workload(self) -> str:
        return self.case.workload.name

    def median(self, peer: str) -> float | None:
        return self.m.timing.median(peer) if peer in self.m.timing.times else None

    def gbps(self, peer: str) -> float | None:
        t = self.median(peer)
        return self.bytes_per_param * self.case.workload.numel / t / 1e9 if t else None

    @property
    def speedup(self) -> float:
        return self.m.timing.median(FUSED) / self.m.timing.median(FO)

    @property
    def passed(self) -> bool:
        return self.speedup >= self.case.target

    def paired_quartiles(self) -> tuple[float, float]:
        """Quartiles of the per-round ratios torch fused / fusedopt (adjacent in time)."""
        return self.m.timing.paired_quartiles(FUSED, FO)

    @property
    def verdict(self) -> str:
        """PASS/FAIL on the ratio of medians; a FAIL whose quartiles reach the target
        is a tie within this run's noise."""
        if self.passed:
            return "PASS"
        tie = self.paired_quartiles()[1] >= self.case.target
        return "FAIL (tie: IQR reaches target)" if tie else "FAIL"

    @property
    def parity(self) -> dict[str, float]:
        return {p: self.m.max_abs_diff(p) for p in self.m.params if p != FO}


def _case(name: str, shapes: tuple[tuple[int, ...], ...], k: int, target: float) -> Case:
    return Case(Workload(name, shapes, "size" if len(shapes) == 1 else "model"), k, target)


CASES = {
    "1m": _case("1M: 1 x 2^20", ((2**20,),), k=20, target=1.2),
    "64m": _case("64M: 1 x 2^26", ((2**26,),), k=1, target=1.0),
    "1000x1000": _case("1000 x 1000 el.", ((1000,),) * 1000, k=20, target=5.0),
    "gpt2": _case("GPT-2 small", gpt2_small_shapes(), k=1, target=1.0),
}


def bench_case(case: Case, optimizer: str, rounds: int, foreach: bool) -> Row:
    spec = P.SPECS[optimizer]
    options = S.StepOptions(
        optimizers=[optimizer], workloads=[case.workload], k=case.k, min_rounds=rounds,
        max_rounds=rounds, peers=[FO, FUSED, *([FOREACH] if foreach else [])],
    )  # fmt: skip
    skipped: list[dict[str, str]] = []
    m = S.measure(spec, case.workload, options, skipped)
    if FUSED not in m.params:
        raise SystemExit(f"torch fused cannot run: {skipped}")
    return Row(case, spec.algo, P.bytes_per_param(spec, 4), m)


# ------------------------------------------------------------------ report
def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(rows: list[Row]) -> str:
    head = [
        "workload", "opt", "fusedopt ms", "torch fused ms", "torch foreach ms",
        "speedup vs fused (IQR)", "fusedopt GB/s", "roofline GB/s", "% roofline", "bg CPU",
        "target", "result",
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        fo_gbps, roof_gbps = r.gbps(FO), r.gbps(ROOF)
        cells = [
            r.workload,
            r.optimizer,
            *(
                fmt(None if t is None else t * 1e3, ".3f")
                for t in map(r.median, (FO, FUSED, FOREACH))
            ),
            "{:.2f}x ({:.2f}-{:.2f})".format(r.speedup, *r.paired_quartiles()),
            fmt(fo_gbps, ".1f"),
            fmt(roof_gbps, ".1f"),
            f"{100 * fo_gbps / roof_gbps:.0f}%" if fo_gbps and roof_gbps else "-",
            "-" if r.m.background_cpu is None else f"{100 * r.m.background_cpu:.0f}%",
            f">= {r.case.target:g}x",
            r.verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def row_json(r: Row) -> dict[str, Any]:
    return {
        "workload": r.workload,
        "optimizer": r.optimizer,
        "numel": r.case.workload.numel,
        "tensors": r.case.workload.tensors,
        "k": r.case.k,
        "bytes_per_param": r.bytes_per_param,
        "median_s": {p: r.median(p) for p in r.m.timing.times},
        "gbps": {p: r.gbps(p) for p in r.m.timing.times},
        "times_s": r.m.timing.times,
        "speedup_vs_fused": r.speedup,
        "target": r.case.target,
        "pass": r.passed,
        "paired_ratio_quartiles": r.paired_quartiles(),
        "parity_max_abs_diff": r.parity,
        "gradients_unchanged": r.m.grads_unchanged,
        "background_cpu": r.m.background_cpu,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="threads for both peers (2)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (15)")
    ap.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument(
        "--workloads",
        default=",".join(CASES),
        help=f"comma-separated subset of {','.join(CASES)}",
    )
    ap.add_argument("--no-foreach", action="store_true", help="skip the torch foreach peer")
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 5 if args.quick else 15
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be >= 1")
    unknown = set(args.workloads.split(",")) - set(CASES)
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}; choose from {list(CASES)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info(S.set_threads(args.threads))
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    print(f"command: {command}")
    print(f"fusedopt.info(): {machine['fusedopt']}")
    print(f"torch {machine['torch']}, numpy {machine['numpy']}, python {machine['python']}")
    print(
        f"cpu: {machine['cpu']}, {machine['cpus']} logical CPUs; "
        f"OpenMP runtime: {machine['openmp_runtime']}"
    )
    print(f"threads: {args.threads} (torch and fusedopt); rounds: {args.rounds}", flush=True)

    meter = CpuMeter()
    rows: list[Row] = []
    for key in args.workloads.split(","):
        case = CASES[key]
        for optimizer in OPTIMIZERS:
            rows.append(bench_case(case, optimizer, args.rounds, not args.no_foreach))
            gc.collect()
            print(f"  done: {case.workload.name} {optimizer}", file=sys.stderr, flush=True)
    background = meter.background()

    print()
    print(
        f"### fp32 optimizer step, warm ({args.threads} threads, median of "
        f"{args.rounds} interleaved rounds; k = 20 timed steps/round at 1M and "
        f"1000x1000, 1 at 64M and GPT-2)"
    )
    print()
    print(table(rows))
    print()
    print(
        "Speedup: median torch fused / median fusedopt; in brackets the quartiles of the "
        "per-round paired ratios. PASS/FAIL uses the ratio of medians."
    )
    print(
        "GB/s count 28 B/param for AdamW, 20 B/param for SGD (momentum). Roofline: "
        "fusedopt.bench's in-place pass with the same reads and writes per element, at the "
        "same size and threads, measured in the same rounds."
    )
    for r in rows:
        if not max(r.parity.values(), default=0.0) < 1e-4:
            print(f"PARITY WARNING: {r.workload} {r.optimizer}: max |dtheta| {r.parity}")
        if not r.m.grads_unchanged:
            print(f"GRADIENT WARNING: {r.workload} {r.optimizer}: a peer wrote the gradients")
    print(
        "parity: max |theta_fusedopt - theta_torch| over all rows = "
        f"{max((v for r in rows for v in r.parity.values()), default=0.0):.2e}"
    )
    labels = [(f"{r.workload} {r.optimizer}", r.m.background_cpu) for r in rows]
    print("\n".join(noise_lines(labels, background)))
    print(f"targets: {sum(r.passed for r in rows)}/{len(rows)} PASS")

    if args.json:
        doc = {
            "command": command,
            "machine": machine,
            "threads": args.threads,
            "rounds": args.rounds,
            "mode": "warm",
            "background_cpu": background,
            "rows": [row_json(r) for r in rows],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
