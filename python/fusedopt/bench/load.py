"""The machine's other load: how much CPU other processes used while a benchmark ran
(:class:`CpuMeter`), the flag for rows measured on a busy machine, and the busy
processes ``bench/bench_contention.py`` starts on purpose."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

#: Other processes' share of all CPUs above which a row is flagged as noisy.
NOISY = 0.10


class CpuMeter:
    """CPU time other processes used while the meter ran, as a fraction of all CPUs
    (Linux /proc/stat; None elsewhere). A busy neighbour stalls every parallel region.
    Also keeps the 1-minute load average at the start."""

    def __init__(self) -> None:
        self.start = (self._machine_busy(), self._own(), time.perf_counter())
        self.loadavg_start = _loadavg()

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

    def loadavg(self) -> tuple[float | None, float | None]:
        """The 1-minute load average when the meter started and now."""
        return self.loadavg_start, _loadavg()


def _loadavg() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def noise_lines(rows: Sequence[tuple[str, float | None]], background: float | None) -> list[str]:
    """A warning per row (label, other processes' CPU share) measured on a busy machine,
    then the whole run's share."""
    lines = [
        f"NOISE WARNING: {label}: other processes used {100 * share:.0f}% of the CPUs "
        "meanwhile; rerun on a quiet machine before trusting this row"
        for label, share in rows
        if share is not None and share > NOISY
    ]
    if background is not None:
        lines.append(
            f"background CPU use by other processes during the run: {100 * background:.0f}%"
            " of all CPUs"
        )
    return lines


# Each loop also ends when its parent does (a benchmark killed by a signal runs no cleanup).
BUSY_LOOP = (
    "import os, sys, time\nparent, end = os.getppid(), time.time() + float(sys.argv[1])\n"
    "while time.time() < end and os.getppid() == parent: pass\n"
)


@contextmanager
def busy_processes(k: int, limit: float) -> Iterator[None]:
    """k pure-Python busy loops, each exiting by itself after ``limit`` seconds or when
    this process ends; killed on leaving the block."""
    procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(limit)]) for _ in range(k)]
    try:
        time.sleep(0.5 if k else 0.0)  # let the scheduler spread them
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
