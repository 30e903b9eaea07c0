"""Memory safety and torch-like non-finite behaviour (from the C++ review)."""

from __future__ import annotations

import numpy as np
import pytest

import fusedopt as fo

from ._declared import BY_NAME, NAMES, torch_peer
from ._tolerance import TrajectoryBound, named_arrays


def test_state_view_survives_loading_a_state_without_it() -> None:
    w = np.ones(1000)
    opt = fo.Adam([w])
    opt.step([np.ones(1000)])
    view = opt.state[0]["exp_avg"]
    fresh = fo.Adam([np.ones(1000)]).state_dict()
    opt.load_state_dict(fresh)  # drops parameter 0's state
    assert 0 not in opt.state
    np.testing.assert_array_equal(view, 0.0)  # the memory is still ours, zeroed
    view[:] = 5.0  # writing into it is safe and does not resurrect the state
    assert 0 not in opt.state
    opt.step([np.ones(1000)])
    np.testing.assert_allclose(opt.state[0]["exp_avg"], 0.1)


def test_loading_the_live_state_into_itself() -> None:
    w = np.linspace(-1, 1, 100)
    opt = fo.RMSprop([w], momentum=0.9, centered=True)
    opt.step([np.cos(w)])
    live = {"state": {0: opt.state[0]}, "param_groups": opt.state_dict()["param_groups"]}
    live["state"][0]["step"] = np.float32(live["state"][0]["step"])
    before = {k: np.array(v) for k, v in opt.state[0].items()}
    opt.load_state_dict(live)
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state[0][key], value)


@pytest.mark.parametrize("name", NAMES)
def test_infinite_parameter_without_weight_decay_matches_torch(name: str) -> None:
    """torch skips a zero weight decay, so 0·inf never turns into NaN."""
    torch = pytest.importorskip("torch")
    declared = {h.name for h in BY_NAME[name].hypers}  # Rprop has no weight_decay
    kwargs = {k: v for k, v in {"weight_decay": 0.0, "momentum": 0.9}.items() if k in declared}
    w = np.array([np.inf, -np.inf, 1.0])
    t = torch.tensor(w.copy(), requires_grad=True)
    ours = getattr(fo, name)([w], lr=0.1, **kwargs)
    theirs = torch_peer(name)([t], lr=0.1, **kwargs)
    g = np.array([0.5, -0.5, 0.5])
    bound = TrajectoryBound()
    bound.observe(named_arrays(theirs), initial=True)
    for _ in range(3):
        ours.step([g])
        t.grad = torch.tensor(g)
        theirs.step()
        bound.observe(named_arrays(theirs))
    bound.assert_close(named_arrays(ours))  # infinities and NaNs where torch has them
    for key, value in ours.state[0].items():
        # No NaN from 0·inf: finite where torch's is (everywhere, but for ASGD's
        # average of the iterates, which is infinite where they are).
        if key != "step":
            expected = np.isfinite(theirs.state[t][key].numpy())
            np.testing.assert_array_equal(np.isfinite(value), expected, err_msg=key)


def test_misaligned_parameter_is_rejected() -> None:
    raw = np.zeros(4 * 10 + 1, np.uint8)
    misaligned = np.frombuffer(raw.data, np.float32, count=10, offset=1)
    assert not misaligned.flags.aligned
    with pytest.raises(ValueError, match="aligned"):
        fo.SGD([misaligned], lr=0.1)


def test_misaligned_gradient_is_copied_not_dereferenced() -> None:
    raw = np.zeros(8 * 10 + 1, np.uint8)
    grad = np.frombuffer(raw.data, np.float64, count=10, offset=1).copy()  # aligned copy...
    grad[:] = 1.0
    misaligned = np.frombuffer(bytes(1) + grad.tobytes(), np.float64, count=10, offset=1)
    w = np.zeros(10)
    fo.SGD([w], lr=0.5).step([misaligned])
    np.testing.assert_array_equal(w, -0.5)


def test_resized_parameter_is_rejected() -> None:
    w = np.zeros(10)
    opt = fo.SGD([w], lr=0.1)
    w.resize(20, refcheck=False)
    with pytest.raises(ValueError, match="resized"):
        opt.step([np.ones(20)])
