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
import fusedopt._validation as V
import fusedopt.reference as ref

from ._declared import NAMES, case_id, option_grid
from ._dtypes import STEP_DTYPE_IDS, STEP_DTYPES, bfloat16
from ._tolerance import TrajectoryBound, named_arrays, unit_roundoff

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


@pytest.mark.parametrize("dtype", STEP_DTYPES, ids=STEP_DTYPE_IDS)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_reference(isa: str, case: tuple[str, dict[str, Any]], dtype: type) -> None:
    fused, bound = run_case(*case, dtype)
    bound.assert_close(named_arrays(fused), f"{isa} {case_id(case)}")


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_mixed_dtypes(isa: str, name: str) -> None:
    """Groups with their own hyperparameters, every storage dtype in one step."""
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
        ((65,), bfloat16),
        ((9, 3), np.float16),
        ((300,), bfloat16),
    ]
    params = [rng.standard_normal(s).astype(d) for s, d in shapes_dtypes]
    fused, reference = make(fo, params), make(ref, [p.copy() for p in params])
    bound = TrajectoryBound()
    for _ in range(STEPS):
        grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        step_in_lockstep(fused, reference, list(grads), bound)
    bound.assert_close(named_arrays(fused))  # each array against its own dtype's bound


# (parameter dtype, gradient dtype, state_dtype): buffers of different dtypes, float32 math.
MIXED = [
    (np.float32, bfloat16, None),  # autocast-style: bfloat16 gradients into float32 weights
    (np.float32, np.float16, None),
    (bfloat16, np.float32, None),
    (np.float16, bfloat16, None),
    (np.float32, np.float32, "bfloat16"),  # half the state's bytes
    (np.float32, bfloat16, "bfloat16"),
    (bfloat16, bfloat16, "float32"),
    (np.float16, np.float16, "float32"),
    (np.float32, np.float32, "float16"),
]


@pytest.mark.parametrize(
    "dtypes", MIXED, ids=lambda d: "-".join(np.dtype(x).name for x in d[:2]) + f"-state={d[2]}"
)
@pytest.mark.parametrize("case", CASES[::5], ids=case_id)
def test_mixed_buffer_dtypes(isa: str, case: tuple[str, dict[str, Any]], dtypes: Any) -> None:
    """A gradient of another dtype than its parameter is read as it is (no
    conversion to the parameter's dtype first), state kept in its group's
    state_dtype, on every ISA path."""
    name, config = case
    param_dtype, grad_dtype, state_dtype = dtypes
    rng = np.random.default_rng(zlib.crc32(case_id(case).encode()))
    params = [rng.standard_normal(shape).astype(param_dtype) for shape in SHAPES]
    config = {**config, "state_dtype": state_dtype}
    fused = getattr(fo, name)(params, lr=LR, **config)
    reference = getattr(ref, name)([p.copy() for p in params], lr=LR, **config)
    stored = [np.dtype(param_dtype), np.dtype(grad_dtype)]
    stored += [V.numpy_dtype(state_dtype)] if state_dtype else []
    coarsest = max(stored, key=unit_roundoff)
    bound = TrajectoryBound(storage=coarsest)
    for _ in range(STEPS // 2):
        grads = [rng.standard_normal(p.shape).astype(grad_dtype) for p in params]
        step_in_lockstep(fused, reference, list(grads), bound)
    bound.assert_close(named_arrays(fused), f"{isa} {case_id(case)}")
    for entry in fused.state.values():
        for key in set(entry) & set(fused.state_names):
            assert entry[key].dtype == (
                V.numpy_dtype(state_dtype) if state_dtype else params[0].dtype
            )


def _all_float32_patterns(count: int, seed: int) -> np.ndarray:
    """Random float32 bit patterns (NaNs, infinities, subnormals included) and
    the values where rounding to 16 bits is delicate: ties, the largest
    float16, overflow, the smallest subnormals."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, count, dtype=np.uint64).astype(np.uint32)
    ties = (rng.integers(0, 2**16, count // 4, dtype=np.uint32) << 16) | 0x8000
    special = np.array(
        [65504, 65519.996, 65520, 1e5, 2.0**-24, 2.0**-25, 1.5 * 2.0**-25, 6.1e-5, 0.0, -0.0],
        dtype=np.float32,
    )
    values = np.concatenate([bits.view(np.float32), ties.view(np.float32), special, -special])
    return values


@pytest.mark.parametrize("dtype", [bfloat16, np.dtype(np.float16)], ids=["bf16", "f16"])
def test_rounding_to_16_bits_matches_numpy(isa: str, dtype: np.dtype) -> None:
    """The kernels round float32 to bfloat16/float16 exactly as ml_dtypes and
    NumPy do (nearest, ties to even, overflow to inf, subnormals kept): SGD
    with lr = 1 from 0 stores 0 - g, for float32 gradients of every kind; and a
    zero step stores every 16-bit value back unchanged."""
    g = _all_float32_patterns(200_000, seed=1)
    p = np.zeros(g.shape, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = (np.float32(0) - g).astype(dtype)  # 0 - 0 is +0
        fo.SGD([p], lr=1.0).step([g])
    same = (p.view(np.uint16) == expected.view(np.uint16)) | (np.isnan(p) & np.isnan(expected))
    assert same.all(), f"{np.count_nonzero(~same)} values differ, e.g. g = {g[~same][:5]}"
    every = np.arange(2**16, dtype=np.uint16).view(dtype)
    kept = every.copy()
    fo.SGD([kept], lr=1.0).step([np.zeros(kept.shape, dtype)])
    finite = ~np.isnan(every)
    assert (kept.view(np.uint16)[finite] == every.view(np.uint16)[finite]).all()
    assert np.isnan(kept[~finite]).all()


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


@pytest.mark.parametrize("impl", [fo, ref], ids=["fused", "reference"])
def test_state_dtype_is_fixed_when_parameters_are_added(impl: Any) -> None:
    """A group's state is stored in the state_dtype it had when its parameters
    were added: changing it later is refused, naming it, and nothing changes."""
    params = [np.ones(5, np.float32)]
    opt = impl.Adam(params, lr=0.1, state_dtype="bfloat16")
    opt.step([np.ones(5, np.float32)])
    before = (params[0].copy(), {k: np.copy(v) for k, v in opt.state[0].items()})
    opt.param_groups[0]["state_dtype"] = "float32"
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['state_dtype'\]"):
        opt.step([np.ones(5, np.float32)])
    np.testing.assert_array_equal(params[0], before[0])
    assert all(np.array_equal(v, before[1][k]) for k, v in opt.state[0].items())
    opt.param_groups[0]["state_dtype"] = "bfloat16"
    sd = opt.state_dict()
    sd["param_groups"][0]["state_dtype"] = None  # a checkpoint's value: converted to ours
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["state_dtype"] == "bfloat16"
    assert opt.state[0]["exp_avg"].dtype == bfloat16


@pytest.mark.parametrize("impl", [fo, ref], ids=["fused", "reference"])
def test_float64_parameters_keep_float64_state(impl: Any) -> None:
    with pytest.raises(ValueError, match=r"params\[1\] is float64 .* state_dtype"):
        impl.SGD([np.ones(2, np.float32), np.ones(2)], lr=0.1, state_dtype="float32")
