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

Methodology (shared/docs/conventions.md, "Benchmark methodology"):

* Peers. ``fusedopt.torch.<Opt>``; ``torch.optim.<Opt>`` as a for-loop (``foreach=False``),
  with ``foreach=True`` and with ``fused=True``; and ``deepspeed.ops.adam.DeepSpeedCPUAdam``
  (``adamw_mode=True``, AdamW only) when ``import deepspeed`` works, otherwise listed as
  skipped. Every peer owns its ``nn.Parameter`` tensors (copies of the same initial
  values) and its own optimizer state. All peers' ``p.grad`` are the same gradient
  tensors, made once before any timing and never regenerated (no peer writes them: this
  is checked at the end).
* Rounds. Peers are interleaved, A, B, C, D, A, B, C, D, ..., and the tables show the
  median over rounds. Within a round each peer takes one untimed warm-up step, then ``k``
  timed steps (``time.perf_counter``, garbage collector off as in ``timeit``); a round's
  sample is the mean of those k. k = 20 for the cache-resident workloads (1000 x 1000,
  overhead), k = 1 for GPT-2. The tables are therefore **warm**: each step's data is as
  warm as its size allows, not the cold case of a step inside training.
* Threads. ``torch.set_num_threads(n)`` and ``fusedopt.set_num_threads(n)`` with the same
  ``n`` (2 unless ``--threads``), checked before timing; ``OMP_NUM_THREADS`` is also set
  before DeepSpeed is imported.
* Bytes. fusedopt.torch's GB/s counts 28 B per parameter for AdamW (read p, g, m, v;
  write p, m, v) and 20 B for SGD with momentum (read p, g, b; write p, b).
* Speedup. Median peer / median fusedopt.torch; PASS/FAIL uses this ratio of medians.
  The quartiles of the per-round paired ratios against the target peer are shown: a FAIL
  whose upper quartile reaches the target is labelled a tie within this run's noise.
* Parity. After timing every peer has taken the same steps from the same start with the
  same gradients; the largest parameter difference to fusedopt.torch is reported.
* Noise. Other processes' CPU use during each block (``/proc/stat`` minus this process)
  is reported as "bg CPU", rows above 10% are flagged. Minor page faults per timed step
  are recorded per peer (torch's for-loop and foreach steps allocate temporaries the size
  of each parameter, which at GPT-2 size are fresh pages on every step).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import resource
import shlex
import statistics
import sys
import time
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
import fusedopt.torch as fot

Shape = tuple[int, ...]
StepFn = Callable[[], Any]

OPTIMIZERS = ("AdamW", "SGD")
HYPERS: dict[str, dict[str, float]] = {
    "AdamW": {"lr": 1e-3, "weight_decay": 1e-2},
    "SGD": {"lr": 1e-3, "momentum": 0.9},
}
BYTES_PER_PARAM = {"AdamW": 28, "SGD": 20}
FOT, LOOP, FOREACH, FUSED, DS, CORE = (
    "fusedopt.torch",
    "torch for-loop",
    "torch foreach",
    "torch fused",
    "DeepSpeedCPUAdam",
    "fusedopt NumPy API",
)
TORCH_PEERS = (LOOP, FOREACH, FUSED)
OVERHEAD_TENSORS = 1000
DEFAULT_ROUNDS, QUICK_ROUNDS = 15, 5  # ~1.5 min and ~0.5 min on a quiet machine


@dataclass(frozen=True)
class Workload:
    """A list of parameter shapes, timed steps per round, and the target."""

    key: str
    label: str
    shapes: tuple[Shape, ...]
    k: int
    target: float
    target_peer: str  # FUSED, or "best" = the fastest torch peer (and DeepSpeed)

    @property
    def numel(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes)


WORKLOADS = {
    "gpt2": Workload("gpt2", "GPT-2 small", gpt2_small_shapes(), 1, 1.0, "best"),
    "1000x1000": Workload("1000x1000", "1000 x 1000 el.", ((1000,),) * 1000, 20, 5.0, FUSED),
}
OVERHEAD = Workload("overhead", "1000 x 1 el.", ((1,),) * OVERHEAD_TENSORS, 20, 0.0, FUSED)


# ------------------------------------------------------------------ DeepSpeed
def deepspeed_adam() -> tuple[type | None, str]:
    """DeepSpeedCPUAdam if ``import deepspeed`` works, else None and the reason."""
    if importlib.util.find_spec("deepspeed") is None:
        return None, "skipped: deepspeed not installed"
    try:
        import deepspeed
        from deepspeed.ops.adam import DeepSpeedCPUAdam
    except Exception as exc:  # an installed but broken deepspeed is still a skip
        return None, f"skipped: import deepspeed failed ({type(exc).__name__}: {exc})"
    return DeepSpeedCPUAdam, f"deepspeed {getattr(deepspeed, '__version__', '?')}"


# ------------------------------------------------------------------ tensors
def random_tensors(shapes: Sequence[Shape], scale: float, seed: int) -> list[torch.Tensor]:
    """Tensors uniform in [-scale, scale): the values do not change the speed of a step."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for shape in shapes:
        t = torch.rand(shape, generator=gen)
        t.sub_(0.5).mul_(2 * scale)
        out.append(t)
    return out


@dataclass
class Peer:
    step: StepFn
    params: list[torch.Tensor]  # for the parity check
    optimizer: Any  # kept alive with its state


def torch_params(init: list[torch.Tensor], grads: list[torch.Tensor]) -> list[torch.Tensor]:
    params = [torch.nn.Parameter(t.clone()) for t in init]
    for p, g in zip(params, grads):
        p.grad = g
    return params


def make_peer(
    name: str, opt: str, init: list[torch.Tensor], grads: list[torch.Tensor], ds: type | None
) -> Peer:
    hypers = HYPERS[opt]
    if name == CORE:  # fusedopt's NumPy API over the same memory layout
        arrays = [t.clone().numpy() for t in init]
        grad_arrays = [g.numpy() for g in grads]
        core: Any = getattr(fo, opt)(arrays, **hypers)
        return Peer(lambda: core.step(grad_arrays), [torch.from_numpy(a) for a in arrays], core)
    params = torch_params(init, grads)
    if name == FOT:
        o: Any = getattr(fot, opt)(params, **hypers)
    elif name == DS:
        assert ds is not None and opt == "AdamW"
        o = ds(params, lr=hypers["lr"], weight_decay=hypers["weight_decay"], adamw_mode=True)
    else:
        mode = {
            LOOP: {"foreach": False},
            FOREACH: {"foreach": True},
            FUSED: {"fused": True},
        }[name]
        o = getattr(torch.optim, opt)(params, **hypers, **mode)
    return Peer(o.step, params, o)


# ------------------------------------------------------------------ timing
@dataclass
class Timing:
    times: dict[str, list[float]]  # seconds per step, one per round
    faults: dict[str, float]  # minor page faults per timed step


def run_rounds(peers: dict[str, StepFn], rounds: int, k: int) -> Timing:
    """Interleave the peers; per round: one warm-up step, then the mean of k timed steps."""
    times: dict[str, list[float]] = {name: [] for name in peers}
    faults = dict.fromkeys(peers, 0)
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):  # plain opt.step() calls, as in a training loop
            for name, step in peers.items():
                step()
                f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                t0 = time.perf_counter()
                for _ in range(k):
                    step()
                times[name].append((time.perf_counter() - t0) / k)
                faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    finally:
        gc.enable()
    return Timing(times, {n: f / (rounds * k) for n, f in faults.items()})


def max_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max(float((x.detach() - y.detach()).abs().max()) for x, y in zip(a, b))


@dataclass
class Row:
    """One (workload, optimizer) result."""

    workload: Workload
    optimizer: str
    timing: Timing
    skipped: dict[str, str] = field(default_factory=dict)
    parity: dict[str, float] = field(default_factory=dict)
    background_cpu: float | None = None

    def median(self, peer: str) -> float | None:
        """Median seconds per step, None for a peer that was not measured."""
        t = self.timing.times.get(peer)
        return statistics.median(t) if t else None

    def seconds(self, peer: str) -> float:
        """Median seconds per step of a measured peer."""
        return statistics.median(self.timing.times[peer])

    def speedup(self, peer: str) -> float | None:
        t, base = self.median(peer), self.median(FOT)
        return t / base if t and base else None

    def gbps(self) -> float:
        return BYTES_PER_PARAM[self.optimizer] * self.workload.numel / self.seconds(FOT) / 1e9

    @property
    def best_torch(self) -> str:
        measured = [p for p in TORCH_PEERS if p in self.timing.times]
        return min(measured, key=self.seconds)

    @property
    def targets(self) -> list[str]:
        """The peers fusedopt.torch must beat by the workload's target factor."""
        if self.workload.target_peer != "best":
            return [self.workload.target_peer]
        return [self.best_torch] + ([DS] if DS in self.timing.times else [])

    def paired_quartiles(self, peer: str) -> tuple[float, float]:
        """Quartiles of the per-round ratios peer / fusedopt.torch (adjacent in time)."""
        ratios = [b / a for a, b in zip(self.timing.times[FOT], self.timing.times[peer])]
        if len(ratios) < 2:
            return ratios[0], ratios[0]
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        return q1, q3

    @property
    def passed(self) -> bool:
        return all((self.speedup(p) or 0.0) >= self.workload.target for p in self.targets)

    @property
    def verdict(self) -> str:
        if self.passed:
            return "PASS"
        tie = all(self.paired_quartiles(p)[1] >= self.workload.target for p in self.targets)
        return "FAIL (tie: IQR reaches target)" if tie else "FAIL"

    def target_text(self) -> str:
        if self.workload.target_peer == "best":
            who = f"best torch ({self.best_torch.removeprefix('torch ')})"
            if DS in self.timing.times:
                who += " & DeepSpeed"
        else:
            who = self.workload.target_peer
        return f">= {self.workload.target:g}x {who}"


def bench_row(
    w: Workload,
    opt: str,
    peer_names: Sequence[str],
    rounds: int,
    init: list[torch.Tensor],
    grads: list[torch.Tensor],
    ds: type | None,
    ds_status: str,
) -> Row:
    skipped: dict[str, str] = {}
    names = list(peer_names)
    if DS in names:
        if opt != "AdamW":
            names.remove(DS)
            skipped[DS] = "n/a (AdamW only)"
        elif ds is None:
            names.remove(DS)
            skipped[DS] = ds_status
    peers: dict[str, Peer] = {}
    for name in names:
        try:
            peers[name] = make_peer(name, opt, init, grads, ds)
        except Exception as exc:
            if name != DS:
                raise
            skipped[DS] = f"skipped: construction failed ({type(exc).__name__}: {exc})"
    meter = CpuMeter()
    timing = run_rounds({n: p.step for n, p in peers.items()}, rounds, w.k)
    row = Row(w, opt, timing, skipped, background_cpu=meter.background())
    for name, peer in peers.items():
        if name != FOT:
            row.parity[name] = max_difference(peers[FOT].params, peer.params)
    return row


# ------------------------------------------------------------------ report
def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def markdown(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def main_table(rows: list[Row]) -> str:
    peers = (FOT, LOOP, FOREACH, FUSED, DS)
    head = [
        "workload",
        "opt",
        *(f"{p} ms" for p in peers),
        *(f"speedup vs {p.removeprefix('torch ')}" for p in peers[1:]),
        "vs target (IQR)",
        f"{FOT} GB/s",
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
                r.workload.label,
                r.optimizer,
                *ms,
                *speedups,
                "; ".join(target_cells),
                f"{r.gbps():.1f}",
                "-" if r.background_cpu is None else f"{100 * r.background_cpu:.0f}%",
                r.target_text(),
                r.verdict,
            ]
        )
    return markdown(head, body)


def overhead_table(rows: list[Row]) -> str:
    n = OVERHEAD_TENSORS
    head = [
        "workload",
        "opt",
        f"{FOT} us/step",
        f"{FUSED} us/step",
        f"{CORE} us/step",
        f"{FOT} us/tensor",
        f"{FUSED} us/tensor",
        f"{CORE} us/tensor",
        "adapter's own us/tensor",
        "bg CPU",
    ]
    body = []
    for r in rows:
        us = {p: 1e6 * r.seconds(p) for p in (FOT, FUSED, CORE)}
        body.append(
            [
                r.workload.label,
                r.optimizer,
                *(f"{us[p]:.1f}" for p in (FOT, FUSED, CORE)),
                *(f"{us[p] / n:.3f}" for p in (FOT, FUSED, CORE)),
                f"{(us[FOT] - us[CORE]) / n:.3f}",
                "-" if r.background_cpu is None else f"{100 * r.background_cpu:.0f}%",
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
    ap.add_argument(
        "--workloads",
        default=",".join([*WORKLOADS, OVERHEAD.key]),
        help=f"comma-separated subset of {','.join([*WORKLOADS, OVERHEAD.key])}",
    )
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS
    if args.rounds < 1 or args.threads < 1:
        ap.error("--rounds and --threads must be >= 1")
    unknown = set(args.workloads.split(",")) - {*WORKLOADS, OVERHEAD.key}
    if unknown:
        ap.error(f"unknown workloads {sorted(unknown)}")
    return args


def row_json(r: Row) -> dict[str, Any]:
    return {
        "workload": r.workload.label,
        "optimizer": r.optimizer,
        "numel": r.workload.numel,
        "tensors": len(r.workload.shapes),
        "k": r.workload.k,
        "bytes_per_param": BYTES_PER_PARAM[r.optimizer],
        "median_s": {p: r.median(p) for p in r.timing.times},
        "times_s": r.timing.times,
        "minor_faults_per_step": r.timing.faults,
        "speedup": {p: r.speedup(p) for p in r.timing.times if p != FOT},
        "skipped": r.skipped,
        "fusedopt_torch_gbps": r.gbps(),
        "target": r.target_text() if r.workload.target else None,
        "target_peers": r.targets if r.workload.target else [],
        "pass": r.passed if r.workload.target else None,
        "parity_max_abs_diff": r.parity,
        "background_cpu": r.background_cpu,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wall0 = time.perf_counter()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # for DeepSpeed's own OpenMP
    torch.set_num_threads(args.threads)
    fo.set_num_threads(args.threads)
    info = fo.info()
    if torch.get_num_threads() != args.threads or info["num_threads"] != args.threads:
        raise SystemExit(
            f"thread counts differ: torch {torch.get_num_threads()}, fusedopt "
            f"{info['num_threads']}, asked {args.threads}"
        )
    ds, ds_status = deepspeed_adam()
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    print(f"command: {command}")
    print(f"fusedopt.info(): {info}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    print(f"{DS}: {ds_status}")
    print(f"cpu: {cpu_model()}, {os.cpu_count()} logical CPUs")
    print(f"threads: {args.threads} (torch and fusedopt); rounds: {args.rounds}", flush=True)

    meter = CpuMeter()
    rows: list[Row] = []
    overhead: list[Row] = []
    untouched = True
    for key in args.workloads.split(","):
        w = OVERHEAD if key == OVERHEAD.key else WORKLOADS[key]
        peer_names = (FOT, FUSED, CORE) if w is OVERHEAD else (FOT, LOOP, FOREACH, FUSED, DS)
        init = random_tensors(w.shapes, 0.02, seed=1)
        grads = random_tensors(w.shapes, 1e-2, seed=2)
        grads_before = [g.clone() for g in grads]
        for opt in OPTIMIZERS:
            row = bench_row(w, opt, peer_names, args.rounds, init, grads, ds, ds_status)
            (overhead if w is OVERHEAD else rows).append(row)
            gc.collect()
            print(f"  done: {w.label} {opt}", file=sys.stderr, flush=True)
        untouched &= all(torch.equal(a, b) for a, b in zip(grads, grads_before))
        del init, grads, grads_before
        gc.collect()
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
            f"GB/s count 28 B/param for AdamW, 20 B/param for SGD (momentum). {DS} is AdamW only."
        )
        for r in rows:
            if r.workload.key == "gpt2":
                faults = ", ".join(f"{p} {f:,.0f}" for p, f in r.timing.faults.items())
                print(f"minor page faults per step, {r.workload.label} {r.optimizer}: {faults}")
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
            f"us/tensor = step time / {OVERHEAD_TENSORS}. {CORE}: fusedopt.{{AdamW,SGD}}"
            "(numpy arrays).step(grads), the same C++ core without the torch adapter; "
            "adapter's own = fusedopt.torch - NumPy API."
        )
    print()
    all_rows = rows + overhead
    worst = max((v for r in all_rows for v in r.parity.values()), default=0.0)
    for r in all_rows:
        if not max(r.parity.values(), default=0.0) < 1e-4:
            print(f"PARITY WARNING: {r.workload.label} {r.optimizer}: max |dtheta| {r.parity}")
    print(f"parity: max |theta_fusedopt.torch - theta_peer| over all rows = {worst:.2e}")
    print(f"gradients unchanged by every peer: {'yes' if untouched else 'NO'}")
    print_noise(
        [(f"{r.workload.label} {r.optimizer}", r.background_cpu) for r in all_rows], background
    )
    wall = time.perf_counter() - wall0
    verdicts = f"{sum(r.passed for r in rows)}/{len(rows)} PASS" if rows else "none run"
    print(f"targets: {verdicts}; wall time {wall:.0f} s")

    if args.json:
        doc = {
            "command": command,
            "fusedopt_info": info,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "deepspeed": ds_status,
            "cpu": cpu_model(),
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
                        p: 1e6 * r.seconds(p) / OVERHEAD_TENSORS for p in r.timing.times
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
