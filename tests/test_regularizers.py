"""Regularizers: C++ value/grad kernels, fusion into every optimizer, proximal L1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference as ref

from ._declared import NAMES, option_grid
from ._tolerance import (
    TrajectoryBound,
    assert_close_one_step,
    named_arrays,
    summation_rtol,
)
from .test_parity import LR, SHAPES, step_in_lockstep

REGULARIZERS = [
    fo.L2(0.03),
    fo.L1(0.02),
    fo.L1(0.02, proximal=True),
    fo.ElasticNet(0.05, 0.3),
    fo.ElasticNet(0.05, 0.7, proximal=True),
]
# Each optimizer with its defaults and with every option on.
OPTIMIZERS: list[tuple[str, dict[str, Any]]] = [
    (name, config) for name in NAMES for config in (option_grid(name)[0], option_grid(name)[-1])
]


def _takes(name: str, reg: fo.Regularizer) -> bool:
    """The optimizer accepts the regularizer (Rprop refuses proximal mode)."""
    return not (name == "Rprop" and reg.proximal)


# Every optimizer with every regularizer it takes.
FUSED_CASES = [(opt, reg) for opt in OPTIMIZERS for reg in REGULARIZERS if _takes(opt[0], reg)]


def _sparse_start(shape: tuple[int, ...], dtype: type, rng: np.random.Generator) -> np.ndarray:
    """Values around zero and some exact zeros, where L1's sign matters."""
    w = np.asarray(rng.standard_normal(shape) * 0.05, dtype=dtype)
    w[rng.random(shape) < 0.2] = 0
    return w


# ------------------------------------------------------------ value and grad kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reg", REGULARIZERS, ids=repr)
def test_value_and_grad_match_reference(isa: str, reg: fo.Regularizer, dtype: type) -> None:
    rng = np.random.default_rng(0)
    arrays = [_sparse_start(s, dtype, rng) for s in SHAPES]
    for w in arrays:
        expected = ref.regularizer_value(reg, w)
        # Both sum non-negative terms in double; only the order of the additions differs.
        assert reg.value(w) == pytest.approx(expected, rel=summation_rtol(2 * w.size), abs=0)
        assert_close_one_step(reg.grad(w), ref.regularizer_grad(reg, w), f"grad {w.shape}")
    total = 2 * sum(w.size for w in arrays)
    assert reg.value(arrays) == pytest.approx(
        ref.regularizer_value(reg, arrays), rel=summation_rtol(total)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_grad_out_and_accumulate(isa: str, dtype: type) -> None:
    reg = fo.ElasticNet(0.1, 0.5)
    rng = np.random.default_rng(1)
    w = _sparse_start((1001,), dtype, rng)
    data_grad = rng.standard_normal(w.shape).astype(dtype)
    buffer = data_grad.copy()
    result = reg.grad(w, buffer, accumulate=True)
    assert result is buffer
    assert_close_one_step(buffer, data_grad + ref.regularizer_grad(reg, w), "accumulated")
    out = np.full_like(w, 7.0)
    assert reg.grad(w, out=out) is out
    assert_close_one_step(out, ref.regularizer_grad(reg, w), "out")


def test_value_accumulates_in_double_for_float32() -> None:
    w = np.full(10_000_001, 0.1, np.float32)  # a float32 running sum would drift by ~1%
    exact = 10_000_001 * float(np.float32(0.1)) ** 2
    assert fo.L2(1.0).value(w) == pytest.approx(exact, rel=1e-9)


def test_value_is_deterministic_for_a_thread_count() -> None:
    rng = np.random.default_rng(2)
    w = rng.standard_normal(3_000_001).astype(np.float32)
    reg = fo.ElasticNet(0.5, 0.5)
    values = {reg.value(w) for _ in range(5)}
    assert len(values) == 1


def test_definitions() -> None:
    w = np.array([-2.0, 0.0, 3.0])
    assert fo.L2(0.5).value(w) == 0.5 * 13
    assert fo.L1(0.5).value(w) == 0.5 * 5
    assert fo.ElasticNet(0.5, 0.25).value(w) == 0.5 * (0.25 * 5 + 0.75 * 13)
    np.testing.assert_array_equal(fo.L1(0.5).grad(w), [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(fo.L2(0.5).grad(w), [-2.0, 0.0, 3.0])


# ------------------------------------------------------------ fused into the optimizers
def _case_id(case: tuple[tuple[str, dict[str, Any]], fo.Regularizer]) -> str:
    (name, config), reg = case
    return f"{name}{sorted(config.items())}-{reg!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", FUSED_CASES, ids=_case_id)
def test_fused_regularizer_matches_reference(
    isa: str, case: tuple[tuple[str, dict[str, Any]], fo.Regularizer], dtype: type
) -> None:
    (name, config), reg = case
    rng = np.random.default_rng(3)
    params = [_sparse_start(s, dtype, rng) for s in SHAPES]
    fused = getattr(fo, name)(params, lr=LR, regularizer=reg, **config)
    reference = getattr(ref, name)([p.copy() for p in params], lr=LR, regularizer=reg, **config)
    bound = TrajectoryBound()
    for _ in range(12):
        grads = [(0.05 * rng.standard_normal(p.shape)).astype(dtype) for p in params]
        step_in_lockstep(fused, reference, list(grads), bound)
    if reg.l1 > 0 and not reg.proximal:  # subgradient mode
        _assert_close_but_for_zero_crossings(bound, named_arrays(fused))
    else:
        bound.assert_close(named_arrays(fused))
    if reg.proximal:  # the same coordinates are exactly zero (but for rounding at the edge)
        zeros_fused = np.concatenate([np.ravel(p == 0) for p in params])
        zeros_ref = np.concatenate([np.ravel(q == 0) for q in reference._params])
        assert zeros_ref.sum() > 100
        assert np.mean(zeros_fused == zeros_ref) > 0.999


def _assert_close_but_for_zero_crossings(bound: TrajectoryBound, actual: dict[str, Any]) -> None:
    """The L1 subgradient l1·sign(w) jumps at 0: where rounding leaves w on the
    other side of 0 in one implementation, the two paths separate by ~lr·l1 per
    step. At most 0.1% of the elements may do so; all others must be within the
    bound."""
    expected = bound.expected()
    for name, value in actual.items():
        if name.endswith("['step']"):
            continue
        tol = bound.tolerance(name, value.dtype)
        far = np.abs(value - expected[name]) > tol
        assert np.count_nonzero(far) <= max(1, far.size // 1000), (name, np.flatnonzero(far)[:10])


def test_per_group_regularizer_leaves_biases_alone(isa: str) -> None:
    W = np.ones((4, 3))
    b = np.ones(3)
    opt = fo.SGD([{"params": [W], "regularizer": fo.L2(0.5)}, {"params": [b]}], lr=0.1)
    opt.step([np.zeros_like(W), np.zeros_like(b)])
    np.testing.assert_allclose(W, 1 - 0.1 * 2 * 0.5)
    np.testing.assert_array_equal(b, 1.0)


def test_l2_equals_torch_weight_decay_of_twice_lambda() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(50), None
    b = a.copy()
    with_reg = fo.Adam([a], lr=0.01, regularizer=fo.L2(0.05))
    with_wd = fo.Adam([b], lr=0.01, weight_decay=0.1)
    bound = TrajectoryBound()
    for _ in range(10):
        step_in_lockstep(with_reg, with_wd, [rng.standard_normal(50)], bound)
    bound.assert_close(named_arrays(with_reg))


def test_regularizer_pulls_to_zero_when_maximizing() -> None:
    w = np.array([1.0, -1.0])
    fo.SGD([w], lr=0.1, maximize=True, regularizer=fo.L1(1.0)).step([np.zeros(2)])
    np.testing.assert_allclose(w, [0.9, -0.9])


def test_state_dict_keeps_the_regularizer() -> None:
    w = np.ones(3)
    opt = fo.SGD([w], lr=0.1, regularizer=fo.L1(0.1, proximal=True))
    saved = opt.state_dict()
    assert saved["param_groups"][0]["regularizer"] == fo.L1(0.1, proximal=True)
    other = fo.SGD([np.ones(3)], lr=0.1)
    other.load_state_dict(saved)
    assert other.param_groups[0]["regularizer"] == fo.L1(0.1, proximal=True)


# ------------------------------------------------------------ proximal mode: exact zeros
def _lasso_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d = 200, 40
    X = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:6] = [3.0, -2.0, 1.5, -1.0, 0.8, 0.5]
    y = X @ w_true + 0.3 * rng.standard_normal(n)
    return X, y, w_true


def _lasso_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradient of (1/2n)·‖Xw − y‖², scikit-learn's Lasso data term."""
    return X.T @ (X @ w - y) / len(y)


def test_proximal_gives_exact_zeros_and_subgradient_does_not() -> None:
    X, y, _ = _lasso_problem()
    lr = 1.0 / np.linalg.eigvalsh(X.T @ X / len(y)).max()
    results = {}
    for proximal in (False, True):
        w = np.zeros(X.shape[1])
        opt = fo.SGD([w], lr=lr, regularizer=fo.L1(0.1, proximal=proximal))
        for _ in range(500):
            opt.step([_lasso_grad(X, y, w)])
        results[proximal] = w
    assert np.count_nonzero(results[True] == 0) >= 20
    assert np.count_nonzero(results[False] == 0) <= 2


def test_ista_converges_to_the_lasso_solution() -> None:
    """Proximal SGD on least squares is ISTA: same solution and support as a Lasso solver."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y, _ = _lasso_problem()
    lam = 0.1
    lasso = linear_model.Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000)
    lasso.fit(X, y)
    lr = 1.0 / np.linalg.eigvalsh(X.T @ X / len(y)).max()
    w = np.zeros(X.shape[1])
    opt = fo.SGD([w], lr=lr, regularizer=fo.L1(lam, proximal=True))
    for _ in range(3000):
        opt.step([_lasso_grad(X, y, w)])
    np.testing.assert_array_equal(w != 0, lasso.coef_ != 0)
    np.testing.assert_allclose(w, lasso.coef_, atol=1e-8)


def test_adaptive_proximal_threshold_solves_the_lasso() -> None:
    """Adam's per-coordinate threshold (step·l1/den) targets the Lasso optimum.

    A fixed point of w = S_τ(w − η∇f) with τ = η·l1 satisfies 0 ∈ ∇f + l1·∂|w|
    for any per-coordinate η: with a decaying lr Adam reaches the Lasso
    support and solution (a plain lr·l1 threshold would solve a problem with a
    different penalty per coordinate).
    """
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y, _ = _lasso_problem()
    lam = 0.1
    lasso = linear_model.Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000)
    lasso.fit(X, y)
    w = np.zeros(X.shape[1])
    opt = fo.Adam([w], lr=0.05, regularizer=fo.L1(lam, proximal=True))
    steps = 4000
    for t in range(steps):
        opt.param_groups[0]["lr"] = 0.05 * (1 - t / steps) + 1e-4
        opt.step([_lasso_grad(X, y, w)])
    np.testing.assert_array_equal(w != 0, lasso.coef_ != 0)
    np.testing.assert_allclose(w, lasso.coef_, atol=2e-3)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: fo.L2(-1.0), ValueError, "lam"),
        (lambda: fo.L1(float("nan")), ValueError, "lam"),
        (lambda: fo.L1(0.1, proximal=1), TypeError, "proximal"),
        (lambda: fo.ElasticNet(0.1, 1.5), ValueError, "alpha"),
        (lambda: fo.ElasticNet(0.1, -0.1), ValueError, "alpha"),
    ],
)
def test_bad_regularizer_arguments(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_bad_grad_arguments_change_nothing() -> None:
    reg = fo.L1(0.1)
    w = np.ones(5)
    out = np.full(5, 3.0)
    cases = [
        (lambda: reg.grad(np.ones(5, np.int64)), TypeError, "w"),
        (lambda: reg.grad(np.ones(10)[::2]), ValueError, "w"),
        (lambda: reg.grad(w, np.ones(4)), ValueError, "out"),
        (lambda: reg.grad(w, np.ones(5, np.float32)), ValueError, "out"),
        (lambda: reg.grad(w, w), ValueError, "out"),
        (lambda: reg.grad(w, accumulate=True), ValueError, "accumulate"),
        (lambda: reg.value([w, np.ones(3, np.int32)]), TypeError, r"w\[1\]"),
    ]
    readonly = np.full(5, 3.0)
    readonly.flags.writeable = False
    cases.append((lambda: reg.grad(w, readonly), ValueError, "out"))
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
        np.testing.assert_array_equal(w, 1.0)
        np.testing.assert_array_equal(out, 3.0)


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_rejects_a_non_regularizer(name: str) -> None:
    with pytest.raises(TypeError, match="regularizer"):
        getattr(fo, name)([np.ones(3)], regularizer=0.1)
    opt = getattr(fo, name)([np.ones(3)])
    opt.param_groups[0]["regularizer"] = "l1"
    w_before = opt._params[0].copy()
    with pytest.raises(TypeError, match="regularizer"):
        opt.step([np.ones(3)])
    np.testing.assert_array_equal(opt._params[0], w_before)


@pytest.mark.parametrize("module", [fo, ref], ids=["fused", "reference"])
@pytest.mark.parametrize("reg", [r for r in REGULARIZERS if r.proximal], ids=repr)
def test_rprop_refuses_proximal_mode_and_changes_nothing(module: Any, reg: fo.Regularizer) -> None:
    """Rprop's step ignores the gradient's magnitude, so no soft-threshold of it
    solves the L1 problem (the declaration's docstring says why): refused,
    naming the argument, at construction and when set between steps."""
    w = np.array([0.5, -0.2, 0.0])
    with pytest.raises(ValueError, match=r"regularizer=.*no proximal mode"):
        module.Rprop([w], regularizer=reg)
    opt = module.Rprop([w], regularizer=fo.L1(0.02))
    opt.step([np.ones(3)])
    before = (w.copy(), {k: v.copy() for k, v in opt.state[0].items() if k != "step"})
    opt.param_groups[0]["regularizer"] = reg
    with pytest.raises(ValueError, match="regularizer"):
        opt.step([np.ones(3)])
    np.testing.assert_array_equal(w, before[0])
    for key, value in before[1].items():
        np.testing.assert_array_equal(opt.state[0][key], value)


def test_rprop_l1_subgradient_settles_a_coordinate_at_zero() -> None:
    """Where |∂loss| < l1 the sign of g + l1·sign(θ) flips every step around 0,
    so Rprop halves that coordinate's step each time and θ ends within the
    minimal step size of 0, while a coordinate with |∂loss| > l1 moves on."""
    w = np.array([0.3, 0.3])
    opt = fo.Rprop([w], lr=0.01, step_sizes=(1e-9, 1.0), regularizer=fo.L1(0.5))
    for _ in range(200):
        opt.step([np.array([0.2, -1.0])])  # a linear loss: |0.2| < l1 < |-1.0|
    assert abs(w[0]) < 1e-6
    assert w[1] > 1.0
