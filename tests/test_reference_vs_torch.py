"""The NumPy reference against torch.optim itself, so the oracle is right too."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import fusedopt.reference as ref

from .test_parity import ADAM_CONFIGS, BASE_LR, RMSPROP_CONFIGS, SGD_CONFIGS, STEPS, assert_close

torch = pytest.importorskip("torch")

CASES = (
    [("SGD", c) for c in SGD_CONFIGS]
    + [("RMSprop", c) for c in RMSPROP_CONFIGS]
    + [("Adam", c) for c in ADAM_CONFIGS]
    + [("AdamW", c) for c in ADAM_CONFIGS]
)
SHAPES = [(1,), (17,), (3, 5), (), (2048,)]


def _torch_state(opt: Any, params: list[Any]) -> list[dict[str, np.ndarray]]:
    out = []
    for p in params:
        state = opt.state.get(p, {})
        out.append({k: v.numpy() for k, v in state.items() if k != "step" and v is not None})
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + str(sorted(c[1].items())))
def test_reference_matches_torch(case: tuple[str, dict[str, Any]], dtype: type) -> None:
    name, config = case
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy()) for a in arrays]
    ours = getattr(ref, name)(arrays, lr=BASE_LR[name], **config)
    theirs = getattr(torch.optim, name)(tensors, lr=BASE_LR[name], **config)
    for step in range(STEPS):
        lr = BASE_LR[name] * (1.0 + 0.5 * math.cos(step))
        ours.param_groups[0]["lr"] = theirs.param_groups[0]["lr"] = lr
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if step % 4 == 2:
            grads[1] = None
        ours.step(grads)
        for t, g in zip(tensors, grads):
            t.grad = None if g is None else torch.tensor(g)
        theirs.step()
    for a, t in zip(arrays, tensors):
        assert_close(a, t.numpy(), dtype)
    torch_state = _torch_state(theirs, tensors)
    for index, entry in ours.state.items():
        arrays_only = {k: v for k, v in entry.items() if k != "step"}
        assert arrays_only.keys() == torch_state[index].keys()
        for key, value in arrays_only.items():
            assert_close(value, torch_state[index][key], dtype, key)
        if "step" in entry:
            assert entry["step"] == int(theirs.state[tensors[index]]["step"])
