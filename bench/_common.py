"""Helpers shared by the benchmark scripts in bench/ (the package's own, re-exported)."""

from __future__ import annotations

from fusedopt.bench.machine import cpu_model
from fusedopt.bench.timing import CpuMeter
from fusedopt.bench.workloads import GPT2_PARAMS, GPT2_TENSORS, Shape, gpt2_small_shapes

__all__ = ["GPT2_PARAMS", "GPT2_TENSORS", "CpuMeter", "Shape", "cpu_model", "gpt2_small_shapes"]
