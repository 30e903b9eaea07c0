"""The NumPy reference against torch.optim itself, so the oracle is right too."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import fusedopt.reference as ref

from ._declared import PEER_CASES, case_id, torch_peer
from ._tolerance import TrajectoryBound, named_arrays
from .test_parity import LR, STEPS

torch = pytest.importorskip("torch")

SHAPES = [(1,), (17,), (3, 5), (), (2048,)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", PEER_CASES, ids=case_id)
def test_reference_matches_torch(case: tuple[str, dict[str, Any]], dtype: type) -> None:
    """Parameters and state (step counts exactly) within the bound of tests/_tolerance.py."""
    name, config = case
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy()) for a in arrays]
    ours = getattr(ref, name)(arrays, lr=LR, **config)
    theirs = torch_peer(name)(tensors, lr=LR, **config)
    bound = TrajectoryBound()
    bound.observe(named_arrays(theirs), initial=True)
    for step in range(STEPS):
        lr = LR * (1.0 + 0.5 * math.cos(step))
        ours.param_groups[0]["lr"] = theirs.param_groups[0]["lr"] = lr
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if step % 4 == 2:
            grads[1] = None
        ours.step(grads)
        for t, g in zip(tensors, grads):
            t.grad = None if g is None else torch.tensor(g)
        theirs.step()
        bound.observe(named_arrays(theirs))
    bound.assert_close(named_arrays(ours), f"fusedopt.reference.{name} vs {torch_peer(name)}")
