"""Helpers shared by the benchmark scripts in bench/."""

from __future__ import annotations

import os
import time


class CpuMeter:
    """CPU seconds used by other processes while the meter runs (Linux only)."""

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
        """Other processes' CPU use as a fraction of all CPUs' time since start."""
        busy0, own0, wall0 = self.start
        busy1, own1, wall1 = self._machine_busy(), self._own(), time.perf_counter()
        if busy0 is None or busy1 is None:
            return None
        cpus = os.cpu_count() or 1
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / ((wall1 - wall0) * cpus)
