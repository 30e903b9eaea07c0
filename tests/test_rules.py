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
    name: str, start: list[float], grads: list[list[float]], dtype: type, **options: Any
) -> dict[str, Any]:
    """One parameter from ``start``, one step per gradient on every implementation;
    each within the bound of tests/_tolerance.py of torch.optim (non-finite
    values exactly). Returns torch.optim's run (named_arrays)."""
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
    for g in grads:
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
