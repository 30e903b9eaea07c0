"""What the benchmark ran on: CPU, threads, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from typing import Any

import numpy as np


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def openmp_runtime() -> str:
    """The OpenMP libraries loaded into this process (Linux /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return "unknown"
    libs = sorted(p for p in paths if re.match(r"lib[gi]?omp\b", os.path.basename(p)))
    return ", ".join(libs) or "none"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info(threads: int) -> dict[str, Any]:
    from .. import info

    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "openmp_runtime": openmp_runtime(),
        "threads": threads,
        "fusedopt": info(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "scipy": _version("scipy"),
        "deepspeed": _version("deepspeed"),
    }
