"""The optimizer-step benchmark behind ``fusedopt bench``.

For every optimizer and workload, each peer (:mod:`.peers`) gets its own copy of the
same initial parameters and reads the same gradients; the peers and the roofline pass
are timed interleaved (:mod:`.timing`) and reported as medians over rounds. After
timing, every peer has taken the same steps from the same start, and its largest
parameter difference to fusedopt is recorded (a wrong peer shows there, not as speed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import peers as P
from .timing import CpuMeter, interleaved, median, time_once
from .workloads import Workload

Progress = Callable[[str], None]


@dataclass
class StepOptions:
    optimizers: Sequence[str]
    workloads: Sequence[Workload]
    dtype: str = "float32"
    quick: bool = False
    budget: float = 4.0  # seconds of timing per (optimizer, workload), at least min_rounds
    min_rounds: int = 3
    max_rounds: int = 25
    sample: float = 2e-3  # seconds per timed sample: k steps of fusedopt
    slow_step: float = float("inf")  # --quick: skip peers slower than this per step
    peers: Sequence[str] = field(default_factory=lambda: list(P.OPTIMIZER_PEERS))


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes (None where there is no such file)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def memory_needed(spec: P.Spec, workload: Workload, itemsize: int, peers: int) -> int:
    """Parameters and state per peer, shared gradients, the roofline's arrays, and
    the naive peer's temporaries (a few parameter-sized arrays at a time)."""
    per_param = (spec.reads - 1) * peers + 1 + spec.reads + 4
    return per_param * workload.numel * itemsize


def random_arrays(workload: Workload, dtype: np.dtype, scale: float, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [
        (scale * rng.standard_normal(shape, dtype=np.float32)).astype(dtype, copy=False)
        for shape in workload.shapes
    ]


def run_row(
    name: str, workload: Workload, options: StepOptions, skipped: list[dict[str, str]]
) -> dict[str, Any]:
    """Times every available peer on one optimizer x workload; returns the row."""
    spec, dtype = P.SPECS[name], np.dtype(options.dtype)
    row: dict[str, Any] = {
        "optimizer": name,
        "workload": workload.name,
        "kind": workload.kind,
        "tensors": workload.tensors,
        "numel": workload.numel,
        "bytes_per_param": P.bytes_per_param(spec, dtype.itemsize),
    }
    needed = memory_needed(spec, workload, dtype.itemsize, len(options.peers))
    free = available_memory()
    if free is not None and needed > 0.8 * free:
        row["skipped"] = f"needs ~{needed / 2**30:.1f} GiB, {free / 2**30:.1f} GiB available"
        return row
    init = random_arrays(workload, dtype, 0.1, seed=1)
    grads = random_arrays(workload, dtype, 1e-2, seed=2)
    for g in grads:
        g.flags.writeable = False  # no peer may change them
    owned: dict[str, list[np.ndarray]] = {}
    steps: dict[str, P.StepFn] = {}
    for peer in options.peers:
        params = [p.copy() for p in init]
        try:
            steps[peer] = P.OPTIMIZER_PEERS[peer](spec, params, grads)
        except P.Skip as reason:
            skipped.append({"peer": peer, "optimizer": name, "reason": str(reason)})
            continue
        except (TypeError, ValueError, RuntimeError) as error:  # e.g. torch has no fused RMSprop
            skipped.append({"peer": peer, "optimizer": name, "reason": f"{error}".split("\n")[0]})
            continue
        owned[peer] = params
    steps["roofline"] = P.roofline_peer(spec, workload.numel, dtype)
    for step in steps.values():  # lazy state allocation is not what is timed
        step()
    first = {peer: time_once(step) for peer, step in steps.items()}
    for peer in [p for p, t in first.items() if t > options.slow_step and p != "fusedopt"]:
        reason = f"too slow for --quick ({first[peer]:.2f} s per step)"
        skipped.append(
            {"peer": peer, "optimizer": name, "workload": workload.name, "reason": reason}
        )
        del steps[peer], owned[peer]
    k = int(np.clip(options.sample / max(first["fusedopt"], 1e-9), 1, 100))
    per_round = sum(first[p] * (k + 1) for p in steps)
    rounds = int(
        np.clip(options.budget / max(per_round, 1e-9), options.min_rounds, options.max_rounds)
    )
    meter = CpuMeter()
    samples = interleaved(steps, rounds, k)
    row.update(rounds=rounds, k=k, background_cpu=meter.background())
    row.update(_summarise(samples, owned, row["numel"], row["bytes_per_param"]))
    return row


def _summarise(
    samples: dict[str, list[float]], owned: dict[str, list[np.ndarray]], numel: int, bpp: int
) -> dict[str, Any]:
    roof = median(samples["roofline"])
    roof_gbps = numel * bpp / roof / 1e9
    out: dict[str, Any] = {"roofline": {"seconds": roof, "gbps": roof_gbps}, "peers": {}}
    ours = median(samples["fusedopt"])
    for peer, times in samples.items():
        if peer == "roofline":
            continue
        t = median(times)
        gbps = numel * bpp / t / 1e9
        out["peers"][peer] = {
            "seconds": t,
            "gparams_per_s": numel / t / 1e9,
            "gbps": gbps,
            "roofline_pct": 100.0 * gbps / roof_gbps,
            "fusedopt_speedup": t / ours,
            "max_abs_diff": _max_diff(owned[peer], owned["fusedopt"]),
        }
    return out


def _max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max((float(np.max(np.abs(x - y))) for x, y in zip(a, b) if x.size), default=0.0)


def run(options: StepOptions, progress: Progress) -> dict[str, Any]:
    rows, skipped = [], []
    for name in options.optimizers:
        for workload in options.workloads:
            progress(f"{name} {workload.name}")
            rows.append(run_row(name, workload, options, skipped))
    return {"rows": rows, "skipped": _unique(skipped)}


def _unique(skipped: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for entry in skipped:
        key = tuple(sorted(entry.items()))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def set_threads(n: int | None) -> int:
    """The same thread count for fusedopt, torch and DeepSpeed (OMP_NUM_THREADS)."""
    from .. import _core, set_num_threads

    if n is not None:
        set_num_threads(n)
        os.environ["OMP_NUM_THREADS"] = str(n)
    threads = int(_core.num_threads())
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    return threads
