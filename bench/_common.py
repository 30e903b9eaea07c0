"""Helpers shared by the benchmark scripts in bench/ (the package's own, re-exported)."""

from __future__ import annotations

from fusedopt.bench.machine import cpu_model
from fusedopt.bench.timing import CpuMeter
from fusedopt.bench.workloads import GPT2_PARAMS, GPT2_TENSORS, Shape, gpt2_small_shapes

__all__ = [
    "GPT2_PARAMS",
    "GPT2_TENSORS",
    "NOISY",
    "CpuMeter",
    "Shape",
    "cpu_model",
    "gpt2_small_shapes",
    "print_noise",
]

NOISY = 0.10  # other processes' share of the CPUs above which a row is flagged


def print_noise(rows: list[tuple[str, float | None]], background: float | None) -> None:
    """Flags rows (label, other processes' CPU share) measured on a busy machine."""
    for label, share in rows:
        if share is not None and share > NOISY:
            print(
                f"NOISE WARNING: {label}: other processes used {100 * share:.0f}% of the CPUs "
                "meanwhile; rerun on a quiet machine before trusting this row"
            )
    if background is not None:
        print(
            f"background CPU use by other processes during the run: {100 * background:.0f}%"
            " of all CPUs"
        )
