"""Time one fp32 optimizer step: fusedopt against torch.optim's fused and foreach steps.

Usage::

    python bench/bench_step.py [--threads 2] [--rounds N | --quick] [--json PATH]

Workloads: one tensor of 2^20 elements ("1M", 4 MiB in fp32), one of 2^26 ("64M",
256 MiB), 1000 tensors of 1000 elements, and GPT-2 small's 148 parameter tensors
(124,439,808 elements). Each row prints PASS/FAIL against the project's target speedup
over torch fused (1M >= 1.2x, 64M >= 1.0x, 1000x1000 >= 5x, GPT-2 >= 1.0x).

Methodology (shared/docs/conventions.md, "Benchmark methodology"):

* Peers. For AdamW (lr=1e-3, weight_decay=1e-2) and SGD (lr=1e-3, momentum=0.9):
  ``fusedopt``, ``torch.optim`` with ``fused=True``, ``torch.optim`` with ``foreach=True``
  and a *roofline* peer (below). Every peer owns its parameters and optimizer state;
  all peers read the same gradient arrays (torch views them with ``torch.from_numpy``),
  which are produced once before any timing and never regenerated.
  Every array is allocated by torch's CPU allocator (64-byte aligned), so no peer gets
  an alignment advantage.
* Rounds. Peers are interleaved, A, B, C, R, A, B, C, R, ..., and the table shows the
  median over rounds. Within a round each peer takes one untimed warm-up step, then
  ``k`` timed steps (``time.perf_counter``, garbage collector off as in ``timeit``); a
  round's sample is the mean of those k.
  k = 20 for cache-resident workloads (1M, 1000x1000), k = 1 for DRAM-sized ones (64M,
  GPT-2). The table is therefore labelled **warm**: it is the kernel's own speed with
  its data as warm as its size allows, not the cold case of a step inside training.
* Threads. ``torch.set_num_threads(n)`` and ``fusedopt.set_num_threads(n)`` with the same
  ``n`` (``--threads``); both are checked before timing.
* Bytes. Counted by access pattern: AdamW reads p, g, m, v and writes p, m, v = 28 B per
  parameter; SGD with momentum reads p, g, b and writes p, b = 20 B.
* Roofline. Measured in the same rounds, at the same size and thread count, with the
  same bytes and the same read/write mix, every byte read-modify-written in place (so,
  like the optimizers, no write-allocate traffic): AdamW ``m += g; v *= c; p *= c``
  (28 B), SGD ``b += g; p *= c`` (20 B), as multi-threaded in-place torch ops on one
  flat tensor per buffer. It is a bandwidth reference, not a hard bound: it runs two or
  three passes where the optimizers run one, and at cache-resident sizes it includes
  the dispatch overhead of 2-3 torch calls (~5 us each).
  As a second reference the script also measures ``dst.copy_(src)`` on a 256 MB buffer,
  counted as read + write (512 MB per copy). torch's copy writes a separate buffer, so
  it pays a hidden write-allocate read: the memory really moves ~1.5x the counted bytes
  and an in-place optimizer step can exceed 100% of it.
* Parity. After timing, every optimizer peer has taken the same number of steps from
  the same start with the same gradients; the largest parameter difference between
  fusedopt and each torch peer is reported.
* Noise. The machine may be shared: the CPU time that other processes used during
  each block (``/proc/stat`` minus this process) is reported as "bg CPU", and rows
  above 10% are flagged. With as many threads as CPUs, one busy CPU stalls every
  OpenMP region of every peer until the scheduler runs the preempted thread (several
  ms), so such rows measure the neighbours, not the kernels. Memory-bandwidth
  contention from outside this machine (other VMs on the host) does not show there;
  at DRAM sizes the per-round paired ratios (IQR in the table) show how much it moved.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shlex
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from _common import (  # bench/ is on sys.path when run as a script
    CpuMeter,
    cpu_model,
    gpt2_small_shapes,
    print_noise,
)

import fusedopt as fo
from fusedopt.bench.timing import interleaved

Shape = tuple[int, ...]
StepFn = Callable[[], None]

BYTES_PER_PARAM = {"AdamW": 28, "SGD": 20}
FO_PEER, FUSED_PEER, FOREACH_PEER, ROOF_PEER = "fusedopt", "torch fused", "torch foreach", "roof"
ROOF_SCALE = 0.9999  # the roofline's multiplier: keeps values finite and normal
COPY_ELEMENTS = 64 * 2**20  # 256 MB of float32


@dataclass(frozen=True)
class Workload:
    """A list of parameter shapes and how many timed steps a round gives each peer."""

    key: str
    label: str
    shapes: tuple[Shape, ...]
    k: int
    target: float  # minimum speedup of fusedopt over torch fused

    @property
    def numel(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes)


@dataclass
class Row:
    """One (workload, optimizer) result; times in seconds per step, one per round."""

    workload: str
    optimizer: str
    numel: int
    tensors: int
    k: int
    target: float
    times: dict[str, list[float]] = field(default_factory=dict)
    parity: dict[str, float] = field(default_factory=dict)
    background_cpu: float | None = None

    def median(self, peer: str) -> float | None:
        return statistics.median(self.times[peer]) if peer in self.times else None

    def gbps(self, peer: str) -> float | None:
        t = self.median(peer)
        return BYTES_PER_PARAM[self.optimizer] * self.numel / t / 1e9 if t else None

    @property
    def speedup(self) -> float:
        return self.median(FUSED_PEER) / self.median(FO_PEER)  # type: ignore[operator]

    @property
    def passed(self) -> bool:
        return self.speedup >= self.target

    def paired_quartiles(self) -> tuple[float, float]:
        """Quartiles of the per-round ratios torch fused / fusedopt (adjacent in time)."""
        ratios = [b / a for a, b in zip(self.times[FO_PEER], self.times[FUSED_PEER])]
        if len(ratios) < 2:
            return ratios[0], ratios[0]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        return q1, q3

    @property
    def verdict(self) -> str:
        """PASS/FAIL on the ratio of medians; a FAIL whose quartiles reach the target
        is a tie within this run's noise."""
        if self.passed:
            return "PASS"
        return (
            "FAIL (tie: IQR reaches target)"
            if self.paired_quartiles()[1] >= self.target
            else "FAIL"
        )


WORKLOADS = {
    "1m": Workload("1m", "1M: 1 x 2^20", ((2**20,),), k=20, target=1.2),
    "64m": Workload("64m", "64M: 1 x 2^26", ((2**26,),), k=1, target=1.0),
    "1000x1000": Workload("1000x1000", "1000 x 1000 el.", ((1000,),) * 1000, k=20, target=5.0),
    "gpt2": Workload("gpt2", "GPT-2 small", gpt2_small_shapes(), k=1, target=1.0),
}


# ------------------------------------------------------------------ arrays
def empty(shape: Shape) -> np.ndarray:
    """An uninitialised float32 array from torch's (64-byte aligned) allocator."""
    return torch.empty(shape, dtype=torch.float32).numpy()


def copy_of(array: np.ndarray) -> np.ndarray:
    out = empty(array.shape)
    np.copyto(out, array)
    return out


def random_arrays(shapes: Sequence[Shape], scale: float, seed: int) -> list[np.ndarray]:
    """Arrays uniform in [-scale, scale): the values do not change the speed of a step."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        a = empty(shape)
        rng.random(out=a, dtype=np.float32)
        a -= np.float32(0.5)
        a *= np.float32(2 * scale)
        arrays.append(a)
    return arrays


# ------------------------------------------------------------------ peers
@dataclass
class Peer:
    step: StepFn
    params: list[np.ndarray]  # for the parity check; empty for the roofline


def fusedopt_peer(opt: str, init: list[np.ndarray], grads: list[np.ndarray]) -> Peer:
    params = [copy_of(p) for p in init]
    if opt == "AdamW":
        o: Any = fo.AdamW(params, lr=1e-3, weight_decay=1e-2)
    else:
        o = fo.SGD(params, lr=1e-3, momentum=0.9)
    grad_list = list(grads)
    return Peer(lambda: o.step(grad_list), params)


def torch_peer(opt: str, init: list[np.ndarray], grads: list[np.ndarray], mode: str) -> Peer:
    tensors = [torch.from_numpy(copy_of(p)) for p in init]
    for t, g in zip(tensors, grads):
        t.grad = torch.from_numpy(g)
    fused, foreach = (True, None) if mode == "fused" else (None, True)
    if opt == "AdamW":
        o: torch.optim.Optimizer = torch.optim.AdamW(
            tensors, lr=1e-3, weight_decay=1e-2, foreach=foreach, fused=fused
        )
    else:
        o = torch.optim.SGD(tensors, lr=1e-3, momentum=0.9, foreach=foreach, fused=fused)
    return Peer(o.step, [t.numpy() for t in tensors])


def roofline_peer(opt: str, numel: int) -> Peer:
    """Same bytes/param and read/write mix as the optimizer, in place, as torch passes."""
    g = torch.full((numel,), 1e-2)
    p = torch.ones(numel)
    m = torch.zeros(numel)
    if opt == "AdamW":
        v = torch.ones(numel)

        def step() -> None:  # read p, g, m, v; write p, m, v
            m.add_(g)
            v.mul_(ROOF_SCALE)
            p.mul_(ROOF_SCALE)
    else:

        def step() -> None:  # read p, g, b; write p, b
            m.add_(g)
            p.mul_(ROOF_SCALE)

    return Peer(step, [])


# ------------------------------------------------------------------ timing


def max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y), initial=0.0)) for x, y in zip(a, b))


def bench_workload(
    w: Workload,
    opt: str,
    rounds: int,
    foreach: bool,
    init: list[np.ndarray],
    grads: list[np.ndarray],
) -> Row:
    peers = {
        FO_PEER: fusedopt_peer(opt, init, grads),
        FUSED_PEER: torch_peer(opt, init, grads, "fused"),
    }
    if foreach:
        peers[FOREACH_PEER] = torch_peer(opt, init, grads, "foreach")
    peers[ROOF_PEER] = roofline_peer(opt, w.numel)
    meter = CpuMeter()
    times = interleaved({name: p.step for name, p in peers.items()}, rounds, w.k)
    row = Row(
        w.label,
        opt,
        w.numel,
        len(w.shapes),
        w.k,
        w.target,
        times,
        background_cpu=meter.background(),
    )
    for name in (FUSED_PEER, FOREACH_PEER):
        if name in peers:
            row.parity[name] = max_difference(peers[FO_PEER].params, peers[name].params)
    return row


def copy_bandwidth(rounds: int) -> float:
    """GB/s of torch's multi-threaded ``dst.copy_(src)``, counting read + write."""
    src = torch.ones(COPY_ELEMENTS)
    dst = torch.zeros(COPY_ELEMENTS)

    def copy() -> None:
        dst.copy_(src)

    times = interleaved({"copy": copy}, max(rounds, 5), 1)["copy"]
    return 2 * 4 * COPY_ELEMENTS / statistics.median(times) / 1e9


# ------------------------------------------------------------------ report
def openmp_runtime() -> str:
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "omp" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return ", ".join(sorted(libs)) or "none"


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(rows: list[Row], copy_gbps: float) -> str:
    head = [
        "workload",
        "opt",
        "fusedopt ms",
        "torch fused ms",
        "torch foreach ms",
        "speedup vs fused (IQR)",
        "fusedopt GB/s",
        "roofline GB/s",
        "% roofline",
        "% copy",
        "bg CPU",
        "target",
        "result",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ms = {peer: r.median(peer) for peer in (FO_PEER, FUSED_PEER, FOREACH_PEER)}
        fo_gbps, roof_gbps = r.gbps(FO_PEER), r.gbps(ROOF_PEER)
        cells = [
            r.workload,
            r.optimizer,
            *(fmt(None if t is None else t * 1e3, ".3f") for t in ms.values()),
            "{:.2f}x ({:.2f}-{:.2f})".format(r.speedup, *r.paired_quartiles()),
            fmt(fo_gbps, ".1f"),
            fmt(roof_gbps, ".1f"),
            f"{100 * fo_gbps / roof_gbps:.0f}%" if fo_gbps and roof_gbps else "-",
            f"{100 * fo_gbps / copy_gbps:.0f}%" if fo_gbps else "-",
            "-" if r.background_cpu is None else f"{100 * r.background_cpu:.0f}%",
            f">= {r.target:g}x",
            r.verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="threads for both peers (2)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (15)")
    ap.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)}",
    )
    ap.add_argument("--no-foreach", action="store_true", help="skip the torch foreach peer")
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 5 if args.quick else 15
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be >= 1")
    unknown = set(args.workloads.split(",")) - set(WORKLOADS)
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}; choose from {list(WORKLOADS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    fo.set_num_threads(args.threads)
    info = fo.info()
    if torch.get_num_threads() != args.threads or info["num_threads"] != args.threads:
        raise SystemExit(
            f"thread counts differ: torch {torch.get_num_threads()}, fusedopt "
            f"{info['num_threads']}, asked {args.threads}"
        )
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    print(f"command: {command}")
    print(f"fusedopt.info(): {info}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    print(f"cpu: {cpu_model()}, {os.cpu_count()} logical CPUs; OpenMP runtime: {openmp_runtime()}")
    print(f"threads: {args.threads} (torch and fusedopt); rounds: {args.rounds}", flush=True)

    meter = CpuMeter()
    copy_gbps = copy_bandwidth(args.rounds)
    rows: list[Row] = []
    for key in args.workloads.split(","):
        w = WORKLOADS[key]
        init = random_arrays(w.shapes, 0.02, seed=1)
        grads = random_arrays(w.shapes, 1e-2, seed=2)
        for opt in ("AdamW", "SGD"):
            rows.append(bench_workload(w, opt, args.rounds, not args.no_foreach, init, grads))
            gc.collect()
            print(f"  done: {w.label} {opt}", file=sys.stderr, flush=True)
        del init, grads
        gc.collect()
    background = meter.background()

    print()
    print(
        f"### fp32 optimizer step, warm ({args.threads} threads, median of "
        f"{args.rounds} interleaved rounds; k = 20 timed steps/round at 1M and "
        f"1000x1000, 1 at 64M and GPT-2)"
    )
    print()
    print(table(rows, copy_gbps))
    print()
    print(
        "Speedup: median torch fused / median fusedopt; in brackets the quartiles of the "
        "per-round paired ratios. PASS/FAIL uses the ratio of medians."
    )
    print(
        "GB/s count 28 B/param for AdamW, 20 B/param for SGD (momentum). "
        "Roofline: the same bytes and read/write mix, in place, at the same size and "
        "threads, as torch passes (AdamW m+=g, v*=c, p*=c; SGD b+=g, p*=c), measured "
        "in the same rounds."
    )
    print(
        f"Copy reference: torch dst.copy_(src), 256 MB, read+write counted: "
        f"{copy_gbps:.1f} GB/s (pays an uncounted write-allocate, so >100% is possible)."
    )
    for r in rows:
        worst = max(r.parity.values(), default=0.0)
        if not worst < 1e-4:
            print(f"PARITY WARNING: {r.workload} {r.optimizer}: max |dtheta| {r.parity}")
    print(
        "parity: max |theta_fusedopt - theta_torch| over all rows = "
        f"{max((v for r in rows for v in r.parity.values()), default=0.0):.2e}"
    )
    print_noise([(f"{r.workload} {r.optimizer}", r.background_cpu) for r in rows], background)
    print(f"targets: {sum(r.passed for r in rows)}/{len(rows)} PASS")

    if args.json:
        doc = {
            "command": command,
            "fusedopt_info": info,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "cpu": cpu_model(),
            "openmp_runtime": openmp_runtime(),
            "threads": args.threads,
            "rounds": args.rounds,
            "mode": "warm",
            "copy_gbps": copy_gbps,
            "background_cpu": background,
            "rows": [
                {
                    "workload": r.workload,
                    "optimizer": r.optimizer,
                    "numel": r.numel,
                    "tensors": r.tensors,
                    "k": r.k,
                    "bytes_per_param": BYTES_PER_PARAM[r.optimizer],
                    "median_s": {p: r.median(p) for p in r.times},
                    "gbps": {p: r.gbps(p) for p in r.times},
                    "times_s": r.times,
                    "speedup_vs_fused": r.speedup,
                    "target": r.target,
                    "pass": r.passed,
                    "paired_ratio_quartiles": r.paired_quartiles(),
                    "parity_max_abs_diff": r.parity,
                    "background_cpu": r.background_cpu,
                }
                for r in rows
            ],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
