"""Per-parameter scalar states (NAdam's ``mu_product``, ...): torch's 0-d state
tensors besides ``step``, declared once in C++ (names, initial values, update)
and kept per parameter by the core.

torch makes them float32 0-d tensors and updates them in place, so their
rounding is float32's; its load_state_dict casts them to the parameters'
dtype (float64 for float64 parameters), after which they round in float64.
Both front ends and the reference must reproduce the values bit for bit, keep
the dtype a loaded value has, and treat them like every other state entry
(state_dict keys, all-or-nothing loads, refused steps change nothing).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference as ref

from ._declared import BY_NAME, NAMES, peer_grid, torch_peer

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")

WITH_SCALARS = tuple(name for name in NAMES if BY_NAME[name].scalar_names)
SHAPES = ((3, 4), (5,), ())
TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _options(name: str) -> dict[str, Any]:
    """Every option the torch peer has on (the last of its grid), and a learning rate."""
    return {"lr": 0.01, **peer_grid(name)[-1]}


def _grads(shapes: Any, dtype: Any, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _torch_run(opt: Any, tensors: list[Any], seeds: range) -> None:
    for seed in seeds:
        for t, g in zip(tensors, _grads([t.shape for t in tensors], np.float64, seed)):
            t.grad = torch.tensor(g, dtype=t.dtype)
        opt.step()


def _numpy_run(opt: Any, params: list[np.ndarray], seeds: range) -> None:
    for seed in seeds:
        opt.step([g.astype(p.dtype) for p, g in zip(params, _grads(SHAPES, np.float64, seed))])


def _scalars_of(entry: Any, name: str) -> dict[str, tuple[Any, float]]:
    """{scalar name: (numpy dtype, value)} of one parameter's state entry."""
    out = {}
    for key in BY_NAME[name].scalar_names:
        value = entry[key]
        array = value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)
        assert array.shape == (), f"{key} is not 0-d"
        out[key] = (array.dtype, float(array))
    return out


@pytest.mark.parametrize("name", [n for n in NAMES if BY_NAME[n].in_torch])
def test_declared_scalars_are_torchs_0d_state(name: str) -> None:
    """The declaration's scalar states are exactly torch's 0-d entries besides 'step'."""
    p = torch.ones(3, requires_grad=True)
    opt = torch_peer(name)([p], **_options(name))
    p.grad = torch.ones(3)
    opt.step()
    zero_d = {k for k, v in opt.state[p].items() if k != "step" and v.dim() == 0}
    assert set(BY_NAME[name].scalar_names) == zero_d
    for key in zero_d:
        assert opt.state[p][key].dtype is torch.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", WITH_SCALARS)
def test_values_and_dtypes_are_torchs_bit_for_bit(name: str, dtype: Any) -> None:
    """After 23 steps (a parameter skipped now and then), then after torch's own
    load into the same parameters (float64 scalars for float64 parameters) and
    11 more steps: every front end holds torch's values in torch's dtype."""
    params = [np.asarray(g) for g in _grads(SHAPES, dtype, 0)]
    tensors = [torch.tensor(p.copy()) for p in params]
    theirs = torch_peer(name)(tensors, **_options(name))
    tparams = [t.detach().clone() for t in tensors]
    runs: dict[str, tuple[Any, list[Any]]] = {
        "fused": (fo, [p.copy() for p in params]),
        "reference": (ref, [p.copy() for p in params]),
        "torch": (ft, tparams),
    }
    opts = {k: getattr(module, name)(ps, **_options(name)) for k, (module, ps) in runs.items()}

    def step_all(seeds: range) -> None:
        for seed in seeds:
            grads = _grads(SHAPES, dtype, seed)
            skipped = seed % 3  # this parameter has no gradient now
            for k, opt in opts.items():
                ps = runs[k][1]
                if k == "torch":
                    for i, (t, g) in enumerate(zip(ps, grads)):
                        t.grad = None if i == skipped else torch.tensor(g)
                    opt.step()
                else:
                    opt.step([None if i == skipped else g for i, g in enumerate(grads)])
            for i, (t, g) in enumerate(zip(tensors, grads)):
                t.grad = None if i == skipped else torch.tensor(g)
            theirs.step()

    def assert_same() -> None:
        for i, t in enumerate(tensors):
            expected = _scalars_of(theirs.state[t], name)
            for k, opt in opts.items():
                key = runs[k][1][i] if k == "torch" else i
                assert _scalars_of(opt.state[key], name) == expected, (k, i)

    step_all(range(1, 24))
    assert_same()
    checkpoint = copy.deepcopy(theirs.state_dict())
    theirs.load_state_dict(copy.deepcopy(checkpoint))
    # The NumPy front ends keep a loaded scalar's dtype: given what torch holds
    # after its load (cast to the parameters' dtype), they continue as torch does.
    as_loaded = theirs.state_dict()
    numpy_checkpoint = {
        "state": {i: {k: v.numpy() for k, v in e.items()} for i, e in as_loaded["state"].items()},
        "param_groups": as_loaded["param_groups"],
    }
    for k, opt in opts.items():
        opt.load_state_dict(copy.deepcopy(checkpoint if k == "torch" else numpy_checkpoint))
    for k, (_, ps) in runs.items():  # all continue from torch's parameters
        for p, t in zip(ps, tensors):
            p[...] = t.detach() if k == "torch" else t.detach().numpy()
    step_all(range(24, 35))
    assert_same()


@pytest.mark.parametrize("impl", [fo, ref], ids=["fused", "reference"])
@pytest.mark.parametrize("name", WITH_SCALARS)
def test_numpy_load_keeps_a_scalars_dtype_and_makes_numbers_float32(impl: Any, name: str) -> None:
    params = [np.zeros(s, np.float32) for s in SHAPES]
    opt = impl.__dict__[name](params, **_options(name))
    _numpy_run(opt, params, range(3))
    sd = opt.state_dict()
    first, *_ = BY_NAME[name].scalar_names
    sd["state"][0][first] = np.float64(0.1)  # not a float32 value: kept exactly
    sd["state"][1][first] = 0.1  # a Python number: float32, as torch's __setstate__ makes it
    opt.load_state_dict(sd)
    assert opt.state[0][first].dtype == np.float64 and float(opt.state[0][first]) == 0.1
    assert opt.state[1][first].dtype == np.float32
    assert float(opt.state[1][first]) == float(np.float32(0.1))
    saved = opt.state_dict()["state"]
    assert saved[0][first].dtype == np.float64 and saved[1][first].dtype == np.float32


@pytest.mark.parametrize("name", WITH_SCALARS)
def test_torch_scalar_tensors_are_updated_in_place_and_edits_followed(name: str) -> None:
    """As torch's: the entry's 0-d tensor is the state (updated in place, a held
    reference sees each step), and a value written into it is used."""
    runs = []
    for make in (getattr(ft, name), torch_peer(name)):
        tensors = [torch.tensor(g) for g in _grads(SHAPES, np.float32, 0)]
        opt = make(tensors, **_options(name))
        _torch_run(opt, tensors, range(2))
        held = {k: opt.state[tensors[0]][k] for k in BY_NAME[name].scalar_names}
        for value in held.values():
            value.mul_(0.5)  # in place: followed
        _torch_run(opt, tensors, range(2, 4))
        assert all(opt.state[tensors[0]][k] is v for k, v in held.items())
        runs.append((tensors, opt))
    (ours, ours_opt), (theirs, theirs_opt) = runs
    for p, q in zip(ours, theirs):
        assert _scalars_of(ours_opt.state[p], name) == _scalars_of(theirs_opt.state[q], name)
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (None, ValueError, r"has no '{key}'"),
        (torch.ones(2), ValueError, r"'{key}' of params\[1\] has shape \(2,\)"),
        (torch.tensor(float("nan")), ValueError, r"'{key}' of params\[1\] must be finite"),
        ("0.5", TypeError, r"'{key}' of params\[1\] must be a tensor or a number"),
    ],
    ids=["missing", "two-elements", "nan", "a-string"],
)
@pytest.mark.parametrize("name", WITH_SCALARS)
def test_torch_load_of_a_bad_scalar_changes_nothing(
    name: str, value: Any, error: type, match: str
) -> None:
    tensors = [torch.tensor(g) for g in _grads(SHAPES, np.float32, 0)]
    opt = getattr(ft, name)(tensors, **_options(name))
    _torch_run(opt, tensors, range(2))
    before = copy.deepcopy(opt.state_dict())
    sd = copy.deepcopy(opt.state_dict())
    for entry in sd["state"].values():  # a checkpoint that differs everywhere
        for k, v in entry.items():
            if k != "step":
                v.mul_(0.5)
    key = BY_NAME[name].scalar_names[-1]
    if value is None:
        del sd["state"][1][key]
    else:
        sd["state"][1][key] = value
    with pytest.raises(error, match=match.format(key=key)):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    for i, entry in before["state"].items():
        for k, v in entry.items():
            assert torch.equal(after["state"][i][k], v), (i, k)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (torch.tensor(1, dtype=torch.int64), TypeError, r"has dtype torch.int64"),
        (torch.zeros(()).expand(3), ValueError, r"has shape \(3,\)"),
        ("0.5", TypeError, r"must be a tensor or a number"),
    ],
    ids=["int64", "expanded", "a-string"],
)
@pytest.mark.parametrize("name", WITH_SCALARS)
def test_torch_scalar_entry_assigned_a_bad_value_is_refused(
    name: str, value: Any, error: type, match: str
) -> None:
    tensors = [torch.tensor(g) for g in _grads(SHAPES, np.float32, 0)]
    opt = getattr(ft, name)(tensors, **_options(name))
    _torch_run(opt, tensors, range(2))
    key = BY_NAME[name].scalar_names[0]
    opt.state[tensors[2]][key] = value
    before = [t.detach().clone() for t in tensors]
    with pytest.raises(error, match=rf"state '{key}' of params\[2\] {match}"):
        _torch_run(opt, tensors, range(2, 3))
    assert all(torch.equal(t, b) for t, b in zip(tensors, before))
    opt.state[tensors[2]][key] = torch.tensor(0.5)  # valid again: the step works
    _torch_run(opt, tensors, range(2, 3))
