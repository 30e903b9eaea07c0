"""Interleaved timing: peers A, B, C, A, B, C, ... so that the machine's drift (other
processes, frequency, memory contention) lands on every peer alike."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Mapping

StepFn = Callable[[], None]


def time_once(step: StepFn) -> float:
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0


def interleaved(
    steps: Mapping[str, StepFn], rounds: int, k: int, tick: Callable[[], None] = lambda: None
) -> dict[str, list[float]]:
    """Per round and peer: one untimed warm-up step, then the mean of ``k`` timed steps
    (garbage collector off, as in timeit). Every peer takes rounds * (k + 1) steps."""
    samples: dict[str, list[float]] = {name: [] for name in steps}
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, step in steps.items():
                step()
                t0 = time.perf_counter()
                for _ in range(k):
                    step()
                samples[name].append((time.perf_counter() - t0) / k)
            tick()
    finally:
        gc.enable()
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class CpuMeter:
    """CPU time other processes used while the meter ran, as a fraction of all CPUs
    (Linux /proc/stat; None elsewhere). A busy neighbour stalls every OpenMP region."""

    def __init__(self) -> None:
        self.start = (self._machine_busy(), self._own(), time.perf_counter())

    @staticmethod
    def _machine_busy() -> float | None:
        try:
            with open("/proc/stat") as f:
                ticks = [int(x) for x in f.readline().split()[1:9]]
        except OSError:
            return None
        busy = sum(ticks) - ticks[3] - ticks[4]  # minus idle, iowait
        return busy / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system

    def background(self) -> float | None:
        busy0, own0, wall0 = self.start
        busy1, own1, wall1 = self._machine_busy(), self._own(), time.perf_counter()
        if busy0 is None or busy1 is None or wall1 <= wall0:
            return None
        cpus = os.cpu_count() or 1
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / ((wall1 - wall0) * cpus)
