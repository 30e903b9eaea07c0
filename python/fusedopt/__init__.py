"""fusedopt: the fastest optimizer step on a CPU, for NumPy and PyTorch.

Each step updates all parameter tensors in one fused C++ pass (SIMD chosen
at import for this CPU, OpenMP across cores). ``fusedopt.reference`` holds the
plain NumPy implementations every kernel is tested against.
"""

from __future__ import annotations

import operator
import os
from typing import Any

import numpy as np

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
from .optim import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    NAdam,
    RAdam,
    RMSprop,
    Rprop,
)
from .regularizers import L1, L2, ElasticNet, Regularizer

__version__: str = _core.__version__
__all__ = [
    "ASGD",
    "L1",
    "L2",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "ElasticNet",
    "GradcheckError",
    "GradcheckResult",
    "Lion",
    "NAdam",
    "OptimizeResult",
    "RAdam",
    "RMSprop",
    "Regularizer",
    "Rprop",
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


#: The most threads :func:`set_num_threads` takes: far more than any CPU has
#: cores, far fewer than would exhaust the threads a process may start.
MAX_THREADS = 1024


def set_num_threads(n: int) -> None:
    """Threads per step, from 0 to :data:`MAX_THREADS`; ``0`` returns to OpenMP's
    default (``OMP_NUM_THREADS``). Any integer type is accepted (``np.int64``)."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"n must be an integer, got {n!r}")
    try:
        count = operator.index(n)
    except TypeError:
        raise TypeError(f"n must be an integer, got {n!r}") from None
    if not 0 <= count <= MAX_THREADS:
        raise ValueError(f"n must be in [0, {MAX_THREADS}] (0: OpenMP's default), got {n!r}")
    _core.set_num_threads(count)


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
