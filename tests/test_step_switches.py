"""Update rules that switch with the step count, checked step by step on both
sides of the switch against torch.optim: RAdam's rectification (the adaptive
step only once ρₜ > 5) and ASGD's averaging (``ax`` a copy of the iterate
while μ = 1, an average once the step count passes t0 + 1).

The generated tests compare the trajectories after many steps; here every
step is compared, so a switch taken one step early or late on any side (the
fused kernels on every ISA, fusedopt.torch, the reference) is named."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference as ref

from ._tolerance import TrajectoryBound, as_numpy, named_arrays

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")

SHAPES = ((17,), (3, 5), ())
STEPS = 12


def _lockstep(name: str, options: dict[str, Any], dtype: Any, check: Any = None) -> None:
    """STEPS steps of torch.optim.<name> and of fusedopt's three implementations,
    compared after every step; after each, ``check(step, what, states, params)``
    runs for each of the four (states: per parameter, its state entry)."""
    rng = np.random.default_rng(4)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy()) for a in start]
    theirs = getattr(torch.optim, name)(tensors, **options)
    modules = {"fused": fo, "reference": ref}
    numpy_params = {k: [a.copy() for a in start] for k in modules}
    ours = {k: getattr(m, name)(numpy_params[k], **options) for k, m in modules.items()}
    torch_params = [torch.tensor(a.copy()) for a in start]
    ours["fusedopt.torch"] = getattr(ft, name)(torch_params, **options)
    bound = TrajectoryBound()
    bound.observe(named_arrays(theirs), initial=True)
    for step in range(1, STEPS + 1):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        for t, q, g in zip(tensors, torch_params, grads):
            t.grad, q.grad = torch.tensor(g), torch.tensor(g)
        theirs.step()
        ours["fusedopt.torch"].step()
        ours["fused"].step(grads)
        ours["reference"].step(grads)
        bound.observe(named_arrays(theirs))
        for what, opt in ours.items():
            bound.assert_close(named_arrays(opt), f"{what}, step {step}")
        if check is None:
            continue
        check(step, "torch.optim", [theirs.state[t] for t in tensors], tensors)
        check(step, "fusedopt.torch", [ours["fusedopt.torch"].state[t] for t in torch_params],
              torch_params)  # fmt: skip
        for what, params in numpy_params.items():
            check(step, what, [ours[what].state[i] for i in range(len(params))], params)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    ("betas", "first_rectified"),
    [((0.9, 0.999), 6), ((0.5, 0.9), 6), ((0.9, 0.6), None), ((0.0, 0.0), None)],
    ids=["default", "beta2=0.9", "rho_inf=4", "betas=0"],
)
def test_radam_rectification_switch(isa: str, betas: Any, first_rectified: Any, dtype: Any) -> None:
    """ρₜ > 5 from step 6 on with β2 = 0.999 or 0.9; never when ρ∞ ≤ 5."""
    rectified = [t for t in range(1, STEPS + 1) if ref.radam_rectification(betas[1], t)]
    assert (rectified[0] if rectified else None) == first_rectified
    if rectified:  # both sides of the switch are stepped
        assert rectified == list(range(first_rectified, STEPS + 1))
    _lockstep("RAdam", {"lr": 0.01, "betas": betas, "weight_decay": 0.1}, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("t0", [0.0, 3.0, 4.5, 1e6])
def test_asgd_averaging_switch(isa: str, t0: float, dtype: Any) -> None:
    """ax is the iterate itself (bit for bit) while μ = 1, i.e. up to step
    t0 + 2 (μ of step t is 1/max(1, t − 1 − t0)); an average after that."""

    def check(step: int, what: str, states: list[Any], params: list[Any]) -> None:
        copies = step - 1 - t0 <= 1  # μ used by this step is 1
        for state, p in zip(states, params):
            same = np.array_equal(as_numpy(state["ax"]), as_numpy(p))
            assert same == copies, (what, step, same)

    _lockstep("ASGD", {"lr": 0.05, "lambd": 0.01, "t0": t0}, dtype, check)
