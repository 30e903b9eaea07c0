"""Branches of single update rules that the declared parametrisation (random
gradients, default switches) does not reach: each scripted so that every side
of the branch is taken, and checked against torch.optim on all four
implementations (fusedopt, fusedopt.reference, fusedopt.torch, torch.optim).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference as ref

from ._tolerance import TrajectoryBound, named_arrays

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")

nan = np.nan
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


def run_all(
    name: str,
    start: list[float],
    grads: list[list[float]],
    dtype: type,
    lrs: list[float] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """One parameter from ``start``, one step per gradient on every implementation
    (``lrs``: the group's lr set before each step, as a schedule would); each
    within the bound of tests/_tolerance.py of torch.optim (non-finite values
    exactly). Returns torch.optim's run (named_arrays)."""
    tensors = {"torch.optim": torch.tensor(start, dtype=getattr(torch, np.dtype(dtype).name))}
    tensors["fusedopt.torch"] = tensors["torch.optim"].clone()
    arrays = {impl: np.array(start, dtype) for impl in ("fusedopt", "fusedopt.reference")}
    opts = {
        "torch.optim": getattr(torch.optim, name)([tensors["torch.optim"]], **options),
        "fusedopt.torch": getattr(ft, name)([tensors["fusedopt.torch"]], **options),
        "fusedopt": getattr(fo, name)([arrays["fusedopt"]], **options),
        "fusedopt.reference": getattr(ref, name)([arrays["fusedopt.reference"]], **options),
    }
    bound = TrajectoryBound()
    bound.observe(named_arrays(opts["torch.optim"]), initial=True)
    for k, g in enumerate(grads):
        if lrs is not None:
            for opt in opts.values():
                opt.param_groups[0]["lr"] = lrs[k]
        for impl, t in tensors.items():
            t.grad = torch.tensor(g, dtype=t.dtype)
            opts[impl].step()
        for impl in arrays:
            opts[impl].step([np.array(g, dtype)])
        bound.observe(named_arrays(opts["torch.optim"]))
    for impl, opt in opts.items():
        bound.assert_close(named_arrays(opt), f"{name} {impl}")
    return bound.expected()


# ------------------------------------------------------------------ Adamax
@DTYPES
def test_adamax_infinity_norm_keeps_nan_from_either_side(dtype: type) -> None:
    """exp_inf = max(β2·exp_inf, |g| + eps) as torch.maximum: a NaN gradient
    makes it NaN (the |g| side), and it stays NaN (the β2·exp_inf side) when
    later gradients are finite."""
    expected = run_all(
        "Adamax",
        [1.0, 2.0, 3.0, 4.0],
        [[0.1, nan, -0.2, 3.0], [0.3, 0.1, 0.1, 0.1], [-0.2, 0.5, 0.0, 0.2]],
        dtype,
        eps=0.05,
    )
    u = expected["state[0]['exp_inf']"]
    assert np.isnan(u[1]) and np.isfinite(u[[0, 2, 3]]).all()
    # Element 2 saw |g| = 0.2, 0.1, 0: the maximum decays, eps is inside it.
    assert u[2] == pytest.approx(max(0.999**2 * 0.25, 0.15, 0.05), rel=1e-6)


# ------------------------------------------------------------------ Adadelta
@DTYPES
@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1, "maximize": True}], ids=str)
def test_adadelta_lr_scales_the_applied_step_not_the_accumulated_one(
    dtype: type, options: dict[str, Any]
) -> None:
    """torch's Adadelta: Δ = √(u + eps)/√(v + eps)·g enters acc_delta unscaled,
    and θ moves by lr·Δ (lr = 1 is the paper's rule). A large eps and lr make
    the step large enough to see in float32."""
    theta, g = np.array([1.0, -2.0, 0.5]), np.array([0.4, 1.0, -3.0])
    lr, rho, eps = 0.5, 0.9, 0.1
    expected = run_all(
        "Adadelta", list(theta), [list(g), [0.1, -0.2, 0.3], [1.0, 1.0, -1.0]], dtype,
        lr=lr, rho=rho, eps=eps, **options,
    )  # fmt: skip
    # The first step by hand, in float64.
    first = run_all("Adadelta", list(theta), [list(g)], dtype, lr=lr, rho=rho, eps=eps, **options)
    sign = -1.0 if options.get("maximize") else 1.0
    g_eff = sign * g + options.get("weight_decay", 0.0) * theta
    v = (1 - rho) * g_eff**2
    delta = np.sqrt(eps) / np.sqrt(v + eps) * g_eff
    rtol = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(first["state[0]['acc_delta']"], (1 - rho) * delta**2, rtol=rtol)
    np.testing.assert_allclose(first["params[0]"], theta - lr * delta, rtol=rtol)
    assert np.abs(expected["params[0]"] - theta).max() > 0.1  # the steps are not lost in θ


# ------------------------------------------------------------------ Rprop
@DTYPES
@pytest.mark.parametrize("maximize", [False, True])
def test_rprop_sign_branches_clamps_and_nan(dtype: type, maximize: bool) -> None:
    """Every branch of torch's Rprop, per element (columns), over five steps:
    0: the same sign throughout: ×etaplus until the step size hits its max;
    1: alternating signs: ×etaminus down to the min, g zeroed at each flip (no
       move, prev = 0), so the next product is 0 (×1);
    2: a product that underflows to 0 in float32 only (×1 there, ×etaplus in float64);
    3: a NaN gradient: torch.sign(NaN) = 0, so its product is no sign (×1), θ
       does not move, prev is NaN and the next product is no sign either;
    4: zero gradients: ×1 and no move."""
    s = -1.0 if maximize else 1.0  # the sign torch gives the gradient
    tiny = 1e-30
    grads = [
        [s * 1.0, s * 1.0, s * tiny, s * 1.0, 0.0],
        [s * 2.0, -s * 1.0, s * tiny, s * 1.0, 0.0],
        [s * 1.0, s * 1.0, s * 1.0, nan, 0.0],
        [s * 3.0, -s * 1.0, s * 1.0, s * 1.0, s * 1.0],
        [s * 1.0, s * 1.0, s * 1.0, s * 1.0, 0.0],
    ]
    options = dict(lr=0.1, etas=(0.5, 1.2), step_sizes=(0.03, 0.15), maximize=maximize)
    expected = run_all("Rprop", [0.0] * 5, grads, dtype, **options)
    size, prev = expected["state[0]['step_size']"], expected["state[0]['prev']"]
    theta = expected["params[0]"]
    one = np.dtype(dtype).type
    # 0: 0.1 → 0.12 → 0.144 → 0.15 (clamped) → 0.15; moved every step.
    assert size[0] == one(0.15) and theta[0] == pytest.approx(-(0.1 + 0.12 + 0.144 + 0.3))
    # 1: 0.1, 0.05 (flip: no move), 0.05 (product 0), 0.03 (flip, clamped), 0.03.
    assert size[1] == one(0.03) and theta[1] == pytest.approx(-(0.1 + 0.05 + 0.03))
    assert prev[1] == 1.0  # the last step had no flip: prev is its gradient
    # 2: tiny·tiny is 0 in float32 (×1), 1e-60 > 0 in float64 (×1.2); then ×1.2 twice.
    second = 0.1 if dtype is np.float32 else 0.12
    assert size[2] == pytest.approx(min(second * 1.2 * 1.2 * 1.2, 0.15))
    # 3: 0.1, 0.12, 0.12 (NaN: no move), 0.12 (product NaN), 0.144; prev finite again.
    assert size[3] == pytest.approx(0.144) and theta[3] == pytest.approx(-0.484)
    assert size[4] == one(0.1) and theta[4] == pytest.approx(-0.1)  # moved at step 4 only


@DTYPES
def test_rprop_step_size_starts_at_the_lr_of_the_first_step(dtype: type) -> None:
    """step_size is made at a parameter's first step, filled with the group's lr
    then (a schedule may have changed it since construction); later changes of
    lr do nothing, as in torch."""
    expected = run_all(
        "Rprop", [1.0, -1.0], [[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]], dtype, lrs=[0.05, 1.0, 7.0],
        lr=0.2,
    )  # fmt: skip
    # 0.05, then ×1.2 and ×1.2 (same sign); element 1: 0.05, ×0.5 (flip), ×1 (prev 0).
    np.testing.assert_allclose(
        expected["state[0]['step_size']"], [0.05 * 1.2 * 1.2, 0.025], rtol=1e-6
    )
