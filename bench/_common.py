"""Helpers shared by the benchmark scripts in bench/."""

from __future__ import annotations

import os
import platform
import time

import numpy as np

Shape = tuple[int, ...]
GPT2_TENSORS, GPT2_PARAMS = 148, 124_439_808


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


def gpt2_small_shapes() -> tuple[Shape, ...]:
    """GPT-2 small's parameters in HF order: wte, wpe, 12 blocks, ln_f."""
    d, vocab, ctx = 768, 50257, 1024
    block: list[Shape] = [
        (d,), (d,),  # ln_1 weight, bias
        (d, 3 * d), (3 * d,),  # attn.c_attn
        (d, d), (d,),  # attn.c_proj
        (d,), (d,),  # ln_2 weight, bias
        (d, 4 * d), (4 * d,),  # mlp.c_fc
        (4 * d, d), (d,),  # mlp.c_proj
    ]  # fmt: skip
    shapes = [(vocab, d), (ctx, d), *block * 12, (d,), (d,)]
    total = sum(int(np.prod(s)) for s in shapes)
    assert len(shapes) == GPT2_TENSORS, len(shapes)
    assert total == GPT2_PARAMS, total
    return tuple(shapes)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
