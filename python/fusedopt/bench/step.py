"""The optimizer-step measurement behind ``fusedopt bench``, bench/bench_step.py and
bench/bench_torch.py.

For every optimizer and workload, each peer (:mod:`.peers`) gets its own copy of the
same initial parameters and reads the same gradients; the peers and the roofline pass
are timed interleaved (:mod:`.timing`) and reported as medians over rounds. After
timing, every peer has taken the same steps from the same start, and its largest
parameter difference to fusedopt is recorded (a wrong peer shows there, not as speed).
"""

from __future__ import annotations

import importlib.util
import math
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import peers as P
from .load import CpuMeter
from .timing import Timing, interleaved, time_once
from .workloads import Workload

Progress = Callable[[str], None]
ROOFLINE = "roofline"
ALIGNMENT = 64  # bytes: a cache line, and what torch's CPU allocator gives every peer


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
    k: int | None = None  # timed steps per round; None: from ``sample``
    slow_step: float = float("inf")  # --quick: skip peers slower than this per step
    peers: Sequence[str] = field(default_factory=lambda: list(P.OPTIMIZER_PEERS))
    base: str = "fusedopt"  # the peer the others are compared with
    roofline: bool = True  # time the roofline pass beside the peers


@dataclass
class Measurement:
    """One optimizer x workload: per-round samples of every peer that ran (and of
    ``"roofline"``), each peer's parameters after timing, and what else was seen."""

    timing: Timing
    params: dict[str, list[np.ndarray]]
    base: str
    rounds: int
    k: int
    background_cpu: float | None
    grads_unchanged: bool

    def max_abs_diff(self, peer: str) -> float:
        return P.max_abs_diff(self.params[peer], self.params[self.base])


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


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array starting on an :data:`ALIGNMENT`-byte boundary, so that
    no peer gets an alignment advantage over another."""
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def aligned_copy(array: np.ndarray) -> np.ndarray:
    out = aligned_empty(array.shape, array.dtype)
    np.copyto(out, array)
    return out


def random_arrays(workload: Workload, dtype: np.dtype, scale: float, seed: int) -> list[Any]:
    """Aligned arrays of scale · N(0, 1) (the values do not change a step's speed)."""
    rng = np.random.default_rng(seed)
    return [
        aligned_copy((scale * rng.standard_normal(shape, dtype=np.float32)).astype(dtype))
        for shape in workload.shapes
    ]


def _checksum(arrays: list[np.ndarray]) -> int:
    crc = 0
    for a in arrays:
        crc = zlib.crc32(a.data, crc)
    return crc


def measure(
    spec: P.Spec, workload: Workload, options: StepOptions, skipped: list[dict[str, str]]
) -> Measurement:
    """Times every available peer of ``options.peers`` on one optimizer x workload;
    peers that cannot run are appended to ``skipped`` (with the optimizer's name left
    for the caller to add)."""
    dtype = np.dtype(options.dtype)
    init = random_arrays(workload, dtype, 0.1, seed=1)
    grads = random_arrays(workload, dtype, 1e-2, seed=2)
    for g in grads:
        g.flags.writeable = False  # no NumPy peer may change them; torch's are checked
    checksum = _checksum(grads)
    owned: dict[str, list[np.ndarray]] = {}
    steps: dict[str, P.StepFn] = {}
    for peer in options.peers:
        params = [aligned_copy(p) for p in init]
        try:
            steps[peer] = P.PEERS[peer](spec, params, grads)
        except P.Skip as reason:
            skipped.append({"peer": peer, "reason": str(reason)})
            continue
        except (TypeError, ValueError, RuntimeError) as error:  # e.g. torch has no fused RMSprop
            skipped.append({"peer": peer, "reason": f"{error}".split("\n")[0]})
            continue
        owned[peer] = params
    if options.base not in owned:
        reasons = "; ".join(s["reason"] for s in skipped if s["peer"] == options.base)
        raise RuntimeError(f"{options.base} cannot run: {reasons}")
    if options.roofline:
        steps[ROOFLINE] = P.roofline_peer(spec, workload.numel, dtype)
    for step in steps.values():  # lazy state allocation is not what is timed
        step()
    first = {peer: time_once(step) for peer, step in steps.items()}
    slow = [p for p, t in first.items() if t > options.slow_step and p in owned]
    for peer in [p for p in slow if p != options.base]:
        reason = f"too slow for --quick ({first[peer]:.2f} s per step)"
        skipped.append({"peer": peer, "workload": workload.name, "reason": reason})
        del steps[peer], owned[peer]
    k = options.k or int(np.clip(options.sample / max(first[options.base], 1e-9), 1, 100))
    per_round = sum(first[p] * (k + 1) for p in steps)
    rounds = int(
        np.clip(options.budget / max(per_round, 1e-9), options.min_rounds, options.max_rounds)
    )
    meter = CpuMeter()
    timing = interleaved(steps, rounds, k)
    background = meter.background()
    return Measurement(
        timing, owned, options.base, rounds, k, background, _checksum(grads) == checksum
    )


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
    skips: list[dict[str, str]] = []
    m = measure(spec, workload, options, skips)
    skipped += [{**s, "optimizer": name} for s in skips]
    row.update(rounds=m.rounds, k=m.k, background_cpu=m.background_cpu)
    row.update(_summarise(m, row["numel"], row["bytes_per_param"]))
    return row


def _summarise(m: Measurement, numel: int, bpp: int) -> dict[str, Any]:
    roof = m.timing.median(ROOFLINE)
    roof_gbps = numel * bpp / roof / 1e9
    out: dict[str, Any] = {"roofline": {"seconds": roof, "gbps": roof_gbps}, "peers": {}}
    ours = m.timing.median(m.base)
    for peer in m.params:
        t = m.timing.median(peer)
        gbps = numel * bpp / t / 1e9
        out["peers"][peer] = {
            "seconds": t,
            "gparams_per_s": numel / t / 1e9,
            "gbps": gbps,
            "roofline_pct": 100.0 * gbps / roof_gbps,
            "fusedopt_speedup": t / ours,
            "max_abs_diff": m.max_abs_diff(peer),
        }
    return out


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
    """The same thread count for fusedopt, torch and DeepSpeed (OMP_NUM_THREADS, read
    when DeepSpeed's op loads); checked, as a benchmark with unequal counts is void."""
    from .. import _core, set_num_threads

    if n is not None:
        set_num_threads(n)
        os.environ["OMP_NUM_THREADS"] = str(n)
    threads = int(_core.num_threads())
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)
        if torch.get_num_threads() != threads:
            raise RuntimeError(
                f"thread counts differ: torch {torch.get_num_threads()}, fusedopt {threads}"
            )
    return threads
