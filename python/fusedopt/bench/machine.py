"""What the benchmark ran on: CPU, threads, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
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
        "threads": threads,
        "fusedopt": info(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "scipy": _version("scipy"),
        "deepspeed": _version("deepspeed"),
    }
