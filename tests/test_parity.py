"""Fused kernels against the NumPy reference: every optimizer x option x dtype x ISA.

Both do the same arithmetic in the parameter's dtype, but the kernel multiplies
by 1/sqrt(1 - beta2^t) where the reference divides, so parameters and state are
compared with the error bound of tests/_tolerance.py (derived from the dtype's
unit roundoff and the number of steps, stated in the README's "Accuracy"
section), not bit for bit. Every ISA build this CPU runs is tested (the ``isa``
fixture in conftest.py skips the others, saying why).
The ISA builds are compared with each other bit for bit: CMakeLists.txt compiles
every kernel build with ``-ffp-contract=off`` (FUSEDOPT_MATH), so no compiler may
contract a multiply and an add into an FMA and every ISA rounds the same operations
the same way.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference as ref

from ._declared import NAMES, case_id, option_grid
from ._tolerance import TrajectoryBound, named_arrays

# Every size class the vector loops care about: empty, one, below/at/above a
# vector width, odd, and large enough to be split across threads.
SHAPES = [(0,), (1,), (7,), (15,), (16,), (17,), (), (10, 100), (100003,)]
STEPS = 21


CASES = [(name, config) for name in NAMES for config in option_grid(name)]
LR = 0.01  # every optimizer's base learning rate here (a schedule changes it every step)


def _lr_at(step: int) -> float:
    """A learning rate that changes every step, as a schedule would."""
    return LR * (1.0 + 0.5 * math.sin(step))


def step_in_lockstep(
    optimizer: Any, reference: Any, grads: list[np.ndarray | None], bound: TrajectoryBound
) -> None:
    """One step of both on the same gradients; the reference's result is recorded."""
    if not bound.steps:
        bound.observe(named_arrays(reference), initial=True)
    optimizer.step(grads)
    reference.step(grads)
    bound.observe(named_arrays(reference))


def run_case(
    name: str, config: dict[str, Any], dtype: type, reference_class: Any = None
) -> tuple[fo.optim.FusedOptimizer, TrajectoryBound]:
    """STEPS steps of the fused optimizer and the reference (or ``reference_class``)."""
    # crc32, not hash(): str hashes change from run to run.
    rng = np.random.default_rng(zlib.crc32(case_id((name, config)).encode()))
    params = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    fused = getattr(fo, name)(params, lr=LR, **config)
    reference_class = reference_class or getattr(ref, name)
    reference = reference_class([p.copy() for p in params], lr=LR, **config)
    bound = TrajectoryBound()
    for step in range(STEPS):
        fused.param_groups[0]["lr"] = reference.param_groups[0]["lr"] = _lr_at(step)
        grads: list[np.ndarray | None] = [
            rng.standard_normal(p.shape).astype(dtype) for p in params
        ]
        if step % 5 == 3:  # a parameter without a gradient is skipped entirely
            grads[step % len(grads)] = None
        step_in_lockstep(fused, reference, grads, bound)
    assert all(p.flags.c_contiguous for p in params)
    return fused, bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference(isa: str, case: tuple[str, dict[str, Any]], dtype: type) -> None:
    fused, bound = run_case(*case, dtype)
    bound.assert_close(named_arrays(fused), f"{isa} {case_id(case)}")


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_mixed_dtypes(isa: str, name: str) -> None:
    """Groups with their own hyperparameters, float32 and float64 in one step."""
    rng = np.random.default_rng(7)
    extra = option_grid(name)[-1]  # every option on, in the second group only

    def make(module: Any, arrays: list[np.ndarray]) -> Any:
        groups = [
            {"params": arrays[:3]},
            {"params": arrays[3:], "lr": 0.003, **extra},
        ]
        return getattr(module, name)(groups, lr=0.02)

    shapes_dtypes = [
        ((33,), np.float32),
        ((5, 7), np.float64),
        ((1000,), np.float32),
        ((17,), np.float64),
        ((4099,), np.float32),
    ]
    params = [rng.standard_normal(s).astype(d) for s, d in shapes_dtypes]
    fused, reference = make(fo, params), make(ref, [p.copy() for p in params])
    bound = TrajectoryBound()
    for _ in range(STEPS):
        grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        step_in_lockstep(fused, reference, list(grads), bound)
    bound.assert_close(named_arrays(fused))  # each array against its own dtype's bound


@pytest.mark.parametrize("name", NAMES)
def test_thread_count_does_not_change_results(name: str) -> None:
    """Elementwise work split statically: 1 and 2 threads give identical bits."""
    rng = np.random.default_rng(3)
    shapes = [(70001,), (3,), (100003,), (64, 1000)]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(5)]
    results = []
    for threads in (1, 2):
        fo.set_num_threads(threads)
        try:
            params = [np.linspace(-1, 1, math.prod(s), dtype=np.float32).reshape(s) for s in shapes]
            opt = getattr(fo, name)(params, lr=0.01)
            for g in grads:
                opt.step(g)
            results.append(params)
        finally:
            fo.set_num_threads(0)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_many_small_tensors(isa: str) -> None:
    """A thousand tensors in one step, split unevenly across threads."""
    rng = np.random.default_rng(11)
    params = [rng.standard_normal(int(n)).astype(np.float32) for n in rng.integers(0, 300, 1000)]
    fused = fo.AdamW(params, lr=0.01)
    reference = ref.AdamW([p.copy() for p in params], lr=0.01)
    bound = TrajectoryBound()
    for _ in range(3):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
        step_in_lockstep(fused, reference, list(grads), bound)
    bound.assert_close(named_arrays(fused))


@pytest.mark.parametrize("case", CASES[::3], ids=case_id)
def test_isa_builds_agree_bit_for_bit(case: tuple[str, dict[str, Any]]) -> None:
    """Kernels are compiled without FMA contraction: every ISA rounds alike."""
    name, config = case
    results = []
    before = fo.get_isa()
    try:
        for isa_name in fo.available_isas():
            fo.set_isa(isa_name)
            rng = np.random.default_rng(2)
            params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
            opt = getattr(fo, name)(params, lr=LR, **config)
            for _ in range(5):
                opt.step([rng.standard_normal(p.shape).astype(np.float32) for p in params])
            results.append(params)
    finally:
        fo.set_isa(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
