"""fusedopt: the fastest optimizer step on a CPU, for NumPy and PyTorch.

Each step updates all parameter tensors in one fused C++ pass (SIMD chosen
at import for this CPU, OpenMP across cores). ``fusedopt.reference`` holds the
plain NumPy implementations every kernel is tested against.
"""

from __future__ import annotations

import os
from typing import Any

from . import _core, schedules
from .gradcheck import (
    GradcheckError,
    GradcheckResult,
    gradcheck,
    hesscheck,
    numerical_gradient,
    numerical_hessian,
)
from .minimize import OptimizeResult, minimize
from .optim import SGD, Adam, AdamW, RMSprop
from .regularizers import L1, L2, ElasticNet, Regularizer

__version__: str = _core.__version__
__all__ = [
    "L1",
    "L2",
    "SGD",
    "Adam",
    "AdamW",
    "ElasticNet",
    "GradcheckError",
    "GradcheckResult",
    "OptimizeResult",
    "RMSprop",
    "Regularizer",
    "available_isas",
    "get_isa",
    "gradcheck",
    "hesscheck",
    "info",
    "minimize",
    "numerical_gradient",
    "numerical_hessian",
    "schedules",
    "set_isa",
    "set_num_threads",
]


def available_isas() -> list[str]:
    """Kernel builds this CPU can run, lowest first (e.g. ``['baseline', 'avx2']``)."""
    return list(_core.available_isas())


def get_isa() -> str:
    """The kernel build in use: ``'baseline'``, ``'avx2'`` or ``'avx512'``."""
    return str(_core.current_isa())


def set_isa(name: str) -> None:
    """Use the kernel build ``name`` from now on (for testing and comparison).

    Raises ValueError if the name is unknown or this CPU cannot run it.
    """
    if name not in ("baseline", "avx2", "avx512"):
        raise ValueError(f"isa must be 'baseline', 'avx2' or 'avx512', got {name!r}")
    _core.set_isa(name)


def set_num_threads(n: int) -> None:
    """Threads per step; ``0`` returns to OpenMP's default (``OMP_NUM_THREADS``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    _core.set_num_threads(n)


def info() -> dict[str, Any]:
    """What this build of fusedopt runs with: version, ISA, threads."""
    return {
        "version": __version__,
        "isa": get_isa(),
        "available_isas": available_isas(),
        "compiled_isas": list(_core.compiled_isas()),
        "num_threads": int(_core.num_threads()),
        "openmp_max_threads": int(_core.openmp_max_threads()),
        "openmp_version": int(_core.openmp_version()),
    }


def _isa_from_environment() -> None:
    name = os.environ.get("FUSEDOPT_ISA", "").strip().lower()
    if not name:
        return
    try:
        set_isa(name)
    except ValueError as exc:
        raise ImportError(f"FUSEDOPT_ISA={name!r}: {exc} (available: {available_isas()})") from None


_isa_from_environment()
