"""state_dict / load_state_dict: torch.optim's layout, copies, round trips, validation.

A checkpoint made after 5 steps and loaded into a new optimizer must continue
the trajectory (bit-exactly within one implementation; across the fused and the
NumPy reference, and across fusedopt and torch.optim, within the rounding bound
of tests/_tolerance.py).
A rejected load must leave parameters, state and param_groups bit-identical.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import fusedopt
import fusedopt.reference

from ._declared import BY_NAME, group_keys, ours_only, peer_grid, state_keys, torch_peer
from ._dtypes import to_torch
from ._tolerance import TrajectoryBound, as_numpy, named_arrays
from .conftest import IMPLS, NAMES, frozen, snapshot

SHAPES = ((3, 4), (5,), (2, 3))
# Hyperparameters under which every algorithm keeps every state buffer it has
# (and that its torch peer takes too), and the plain defaults.
FULL: dict[str, dict[str, Any]] = {name: {"lr": 0.01, **peer_grid(name)[-1]} for name in NAMES}
PLAIN: dict[str, dict[str, Any]] = {name: {"lr": 0.01} for name in NAMES}
# Group keys fusedopt adds to torch's (torch's load_state_dict keeps them as they are).
FUSEDOPT_GROUP_KEYS = {"regularizer", "state_dtype"}
WITH_STEP = tuple(name for name in NAMES if BY_NAME[name].has_step)
WITH_SCALARS = tuple(name for name in NAMES if BY_NAME[name].scalar_names)
# Two groups with different hyperparameters (params [0, 1] and [2]).
GROUPS: dict[str, list[dict[str, Any]]] = {
    name: [{"lr": 0.01}, {"lr": 0.02, **peer_grid(name)[-1]}] for name in NAMES
}


# ------------------------------------------------------------------ helpers
def make_params(dtype: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def grads_at(params: list[np.ndarray], step: int) -> list[np.ndarray]:
    """Gradient of a noisy quadratic with minimum 0.5, a function of the params and the step."""
    rng = np.random.default_rng(1000 + step)
    return [(p - 0.5 + 0.1 * rng.standard_normal(p.shape)).astype(p.dtype) for p in params]


def run(opt: Any, params: list[np.ndarray], steps: range) -> None:
    for t in steps:
        opt.step(grads_at(params, t))


def copies(params: list[np.ndarray]) -> list[np.ndarray]:
    return [p.copy() for p in params]


def grouped(params: list[np.ndarray], name: str | None = None) -> list[dict[str, Any]]:
    overrides = GROUPS[name] if name else [{}, {}]
    return [{"params": params[:2], **overrides[0]}, {"params": params[2:], **overrides[1]}]


def frozen_state_dict(sd: dict[str, Any]) -> Any:
    return {
        "state": {i: {k: frozen(v) for k, v in e.items()} for i, e in sd["state"].items()},
        "param_groups": [{k: frozen(v) for k, v in g.items()} for g in sd["param_groups"]],
    }


@contextlib.contextmanager
def unchanged(opt: Any) -> Iterator[None]:
    """Assert that parameters, state and param_groups of ``opt`` stay bit-identical."""
    before = snapshot(opt)
    yield
    after = snapshot(opt)
    for key in before:
        assert after[key] == before[key], f"the rejected load changed the optimizer's {key}"


def assert_same(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    for a, e in zip(actual, expected):
        assert frozen(a) == frozen(e)


def _step(opt: Any, params: list[Any], grads: list[np.ndarray]) -> None:
    if params and hasattr(params[0], "detach"):  # a torch optimizer
        for x, g in zip(params, grads):
            x.grad = to_torch(g).to(x.dtype)
        opt.step()
    else:
        opt.step(grads)


def run_in_lockstep(
    expected: Any, expected_params: list[Any], actual: Any, actual_params: list[Any], steps: range
) -> TrajectoryBound:
    """Step both optimizers on the gradients at the expected run's parameters and
    record its trajectory for the error bound (tests/_tolerance.py): each run's
    own gradients would feed rounding differences back into the next step."""
    bound = TrajectoryBound()
    bound.observe(named_arrays(expected), initial=True)
    for t in steps:
        grads = grads_at([as_numpy(p) for p in expected_params], t)
        _step(expected, expected_params, grads)
        _step(actual, actual_params, grads)
        bound.observe(named_arrays(expected))
    return bound


# ------------------------------------------------------------------ layout
@pytest.mark.parametrize("config", ["full", "plain"])
def test_layout_matches_torch(impl, name, dtype, config):
    params = make_params(dtype)
    opt = getattr(impl, name)(params, **{"full": FULL, "plain": PLAIN}[config][name])
    run(opt, params, range(3))
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    keys = state_keys(name, {"full": FULL, "plain": PLAIN}[config][name])
    if not keys:
        assert sd["state"] == {}
    else:
        assert list(sd["state"]) == [0, 1, 2]
        for index, entry in sd["state"].items():
            assert set(entry) == keys
            for key, value in entry.items():
                assert isinstance(value, np.ndarray)
                if key == "step":
                    assert value.shape == () and value.dtype == np.float32 and value == 3
                elif key in BY_NAME[name].scalar_names:  # torch's 0-d float32 tensors
                    assert value.shape == () and value.dtype == np.float32
                else:
                    assert value.shape == params[index].shape and value.dtype == dtype
    [group] = sd["param_groups"]
    assert set(group) == group_keys(name) | {"params", *FUSEDOPT_GROUP_KEYS}
    assert group["params"] == [0, 1, 2]


def test_layout_of_groups_and_indices(impl, name):
    params = make_params(np.float32)
    opt = getattr(impl, name)(grouped(params, name))
    run(opt, params, range(2))
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    for saved, live in zip(sd["param_groups"], opt.param_groups):
        assert {k: v for k, v in saved.items() if k != "params"} == {
            k: v for k, v in live.items() if k != "params"
        }
    configs = [GROUPS[name][0], GROUPS[name][0], GROUPS[name][1]]  # of params 0, 1, 2
    expected = {i: state_keys(name, c) for i, c in enumerate(configs) if state_keys(name, c)}
    assert {i: set(e) for i, e in sd["state"].items()} == expected


def test_state_dict_returns_copies(impl, name, dtype):
    params = make_params(dtype)
    opt = getattr(impl, name)(params, **FULL[name])
    run(opt, params, range(2))
    live = snapshot(opt)

    sd = opt.state_dict()
    for entry in sd["state"].values():
        for value in entry.values():
            assert not any(np.shares_memory(value, p) for p in params)
            assert not any(
                np.shares_memory(value, s)
                for e in opt.state.values()
                for s in e.values()
                if isinstance(s, np.ndarray)
            )
            value[...] = 7
    sd["param_groups"][0]["lr"] = 99.0
    sd["param_groups"][0]["params"].append(3)
    if "betas" in sd["param_groups"][0]:
        sd["param_groups"][0]["betas"] = (0.1, 0.2)
    assert snapshot(opt) == live

    saved = opt.state_dict()
    kept = frozen_state_dict(saved)
    run(opt, params, range(2, 4))
    opt.param_groups[0]["lr"] = 0.5
    assert frozen_state_dict(saved) == kept


# ------------------------------------------------------------------ round trips
def test_round_trip_continues_bit_exactly(impl, name, dtype):
    params = make_params(dtype)
    opt = getattr(impl, name)(params, **FULL[name])
    run(opt, params, range(5))
    sd, at_save = opt.state_dict(), copies(params)
    run(opt, params, range(5, 10))

    resumed = copies(at_save)
    new = getattr(impl, name)(resumed, **PLAIN[name])  # hyperparameters come from the checkpoint
    new.load_state_dict(sd)
    assert frozen_state_dict(new.state_dict()) == frozen_state_dict(sd)
    run(new, resumed, range(5, 10))
    assert_same(resumed, params)
    assert frozen_state_dict(new.state_dict()) == frozen_state_dict(opt.state_dict())


@pytest.mark.parametrize("direction", ["fused->reference", "reference->fused"])
def test_round_trip_across_implementations(name, dtype, direction):
    source, target = (IMPLS[k] for k in direction.split("->"))
    params = make_params(dtype)
    opt = getattr(source, name)(params, **FULL[name])
    run(opt, params, range(5))
    sd, resumed = opt.state_dict(), copies(params)
    new = getattr(target, name)(resumed, **PLAIN[name])
    new.load_state_dict(sd)
    assert frozen_state_dict(new.state_dict()) == frozen_state_dict(sd)  # loading is lossless
    bound = run_in_lockstep(opt, params, new, resumed, range(5, 10))
    bound.assert_close(named_arrays(new), direction)


def test_param_groups_survive_round_trip(impl, name, dtype):
    params = make_params(dtype)
    opt = getattr(impl, name)(grouped(params, name))
    run(opt, params, range(5))
    sd, at_save = opt.state_dict(), copies(params)
    run(opt, params, range(5, 10))

    resumed = copies(at_save)
    new = getattr(impl, name)(grouped(resumed))  # constructor defaults, same group structure
    new.load_state_dict(sd)
    for loaded, original, mine in zip(new.param_groups, opt.param_groups, grouped(resumed)):
        assert {k: v for k, v in loaded.items() if k != "params"} == {
            k: v for k, v in original.items() if k != "params"
        }
        assert len(loaded["params"]) == len(mine["params"])
        assert all(p is q for p, q in zip(loaded["params"], mine["params"]))
    run(new, resumed, range(5, 10))
    assert_same(resumed, params)


def test_loading_an_empty_checkpoint_restarts(impl, name):
    """As in torch, load_state_dict replaces the state: an empty checkpoint means a fresh start."""
    empty = getattr(impl, name)(make_params(np.float32), **FULL[name]).state_dict()
    # Empty, or (Adagrad) the state made at construction.
    assert (empty["state"] == {}) != BY_NAME[name].state_at_construction
    params = make_params(np.float32)
    opt = getattr(impl, name)(params, **FULL[name])
    run(opt, params, range(3))
    opt.load_state_dict(empty)
    assert frozen_state_dict(opt.state_dict()) == frozen_state_dict(empty)

    twin_params = copies(params)
    twin = getattr(impl, name)(twin_params, **FULL[name])
    run(opt, params, range(3, 5))
    run(twin, twin_params, range(3, 5))
    assert_same(params, twin_params)
    assert frozen_state_dict(opt.state_dict()) == frozen_state_dict(twin.state_dict())


# ------------------------------------------------------------------ validation
def _buffer_name(sd: dict[str, Any]) -> str:
    """A state buffer of params[2] (shape (2, 3)): not 'step' or a 0-d scalar state."""
    return next(k for k, v in sd["state"][2].items() if np.ndim(v) > 0)


def _scalar_name(sd: dict[str, Any]) -> str:
    return next(k for k, v in sd["state"][2].items() if k != "step" and np.ndim(v) == 0)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def corrupt(sd: dict[str, Any]) -> None:
        *parents, last = path
        target = sd
        for key in parents:
            target = target[key]
        target[last] = value(sd) if callable(value) else value

    return corrupt


def _delete(path: tuple[Any, ...]) -> Any:
    def corrupt(sd: dict[str, Any]) -> None:
        *parents, last = path
        target = sd
        for key in parents:
            target = target[key]
        del target[last]

    return corrupt


def _extra_group(sd: dict[str, Any]) -> None:
    sd["param_groups"].append({**sd["param_groups"][1], "params": [3]})


def _bad_shape(sd: dict[str, Any]) -> None:
    sd["state"][2][_buffer_name(sd)] = np.zeros((3, 2))


def _bad_dtype(sd: dict[str, Any]) -> None:
    sd["state"][2][_buffer_name(sd)] = np.zeros((2, 3), np.complex64)


# Everything corrupt is in the LAST group or the LAST parameter, so a loader that
# applied the earlier entries before validating would be caught.
# case -> (corrupt the saved dict in place, exception, message pattern, algorithms)
BAD_LOADS = {
    "one-group-too-few": (_delete(("param_groups", 1)), ValueError, r"group", NAMES),
    "one-group-too-many": (_extra_group, ValueError, r"group", NAMES),
    "param-missing-from-group": (
        _set(("param_groups", 1, "params"), []),
        ValueError,
        r"param_groups\[1\]",
        NAMES,
    ),
    "param-too-many-in-group": (
        _set(("param_groups", 1, "params"), [2, 3]),
        ValueError,
        r"param_groups\[1\]",
        NAMES,
    ),
    "state-shape": (_bad_shape, ValueError, r"\[2\].*shape", NAMES),
    "state-complex": (_bad_dtype, TypeError, r"\[2\].*dtype", NAMES),
    "unknown-state-key": (
        _set(("state", 2, "bogus_buffer"), np.zeros((2, 3))),
        ValueError,
        r"bogus_buffer",
        NAMES,
    ),
    "unknown-param-index": (
        _set(("state", 7), lambda sd: copy.deepcopy(sd["state"][2])),
        ValueError,
        r"parameter 7",
        NAMES,
    ),
    "missing-step": (_delete(("state", 2, "step")), ValueError, r"step", WITH_STEP),
    "negative-step": (_set(("state", 2, "step"), np.float32(-1)), ValueError, r"step", WITH_STEP),
    "fractional-step": (
        _set(("state", 2, "step"), np.float32(2.5)),
        ValueError,
        r"step",
        WITH_STEP,
    ),
    "nan-step": (_set(("state", 2, "step"), np.float32("nan")), ValueError, r"step", WITH_STEP),
    "missing-scalar": (
        lambda sd: sd["state"][2].pop(_scalar_name(sd)),
        ValueError,
        r"\[2\] has no '\w+'",
        WITH_SCALARS,
    ),
    "scalar-shape": (
        lambda sd: sd["state"][2].__setitem__(_scalar_name(sd), np.ones(2, np.float32)),
        ValueError,
        r"\[2\]\['\w+'\] has shape",
        WITH_SCALARS,
    ),
    "scalar-complex": (
        lambda sd: sd["state"][2].__setitem__(_scalar_name(sd), np.complex64(1)),
        TypeError,
        r"\[2\]\['\w+'\] has dtype",
        WITH_SCALARS,
    ),
    "nan-scalar": (
        lambda sd: sd["state"][2].__setitem__(_scalar_name(sd), np.float32("nan")),
        ValueError,
        r"\[2\]\['\w+'\] must be finite",
        WITH_SCALARS,
    ),
    "lr=-1": (_set(("param_groups", 1, "lr"), -1.0), ValueError, r"\blr\b", NAMES),
    "weight_decay=-1": (
        _set(("param_groups", 1, "weight_decay"), -1.0),
        ValueError,
        r"weight_decay",
        tuple(name for name in NAMES if "weight_decay" in group_keys(name)),
    ),
    "etas=(0.5,0.9)": (
        _set(("param_groups", 1, "etas"), (0.5, 0.9)),
        ValueError,
        r"etas",
        ("Rprop",),
    ),
    "betas=(1,1)": (
        _set(("param_groups", 1, "betas"), (1.0, 1.0)),
        ValueError,
        r"betas",
        ("Adam", "AdamW"),
    ),
    "maximize=1": (_set(("param_groups", 1, "maximize"), 1), TypeError, r"maximize", NAMES),
}
LOAD_CASES = [
    pytest.param(algo, case, id=f"{algo}-{case}")
    for case, (*_, algos) in BAD_LOADS.items()
    for algo in algos
]


@pytest.mark.parametrize(("algo", "case"), LOAD_CASES)
def test_rejected_load_changes_nothing(impl, algo, case):
    corrupt, exc, pattern, _ = BAD_LOADS[case]
    params = make_params(np.float32)
    opt = getattr(impl, algo)(grouped(params, algo))
    run(opt, params, range(2))
    sd = opt.state_dict()
    # Move on, so the checkpoint differs from the live optimizer everywhere.
    run(opt, params, range(2, 4))
    for group in opt.param_groups:
        group["lr"] *= 0.5
    corrupt(sd)
    with unchanged(opt), pytest.raises(exc, match=pattern):
        opt.load_state_dict(sd)


@pytest.mark.parametrize(
    "bad", [None, [], {"state": {}}, {"state": {}, "param_groups": [], "x": 1}]
)
def test_rejected_load_of_wrong_container(impl, name, bad):
    params = make_params(np.float32)
    opt = getattr(impl, name)(params, **FULL[name])
    run(opt, params, range(2))
    with unchanged(opt), pytest.raises((ValueError, TypeError), match="state_dict"):
        opt.load_state_dict(bad)


# ------------------------------------------------------------------ torch interoperability
def _torch_optimizer(torch: Any, name: str, tensors: list[Any], kwargs: dict[str, Any]) -> Any:
    return torch_peer(name)(tensors, **kwargs)


def _torch_run(torch: Any, opt: Any, tensors: list[Any], steps: range) -> None:
    for t in steps:
        grads = grads_at([as_numpy(x) for x in tensors], t)
        for x, g in zip(tensors, grads):
            x.grad = to_torch(g)
        opt.step()


def torch_to_numpy(torch: Any, sd: dict[str, Any]) -> dict[str, Any]:
    """torch.optim's state_dict with tensors as NumPy arrays."""
    return {
        "state": {
            i: {k: as_numpy(v) if isinstance(v, torch.Tensor) else v for k, v in e.items()}
            for i, e in sd["state"].items()
        },
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }


def numpy_to_torch(torch: Any, sd: dict[str, Any]) -> dict[str, Any]:
    """fusedopt's state_dict with arrays as tensors ('step' a float32 scalar, as torch keeps it)."""
    return {
        "state": {
            i: {k: torch.tensor(float(v)) if k == "step" else to_torch(v) for k, v in e.items()}
            for i, e in sd["state"].items()
        },
        "param_groups": copy.deepcopy(sd["param_groups"]),
    }


@pytest.mark.parametrize("config", ["full", "plain"])
def test_state_keys_match_torch(name, config):
    torch = pytest.importorskip("torch")
    kwargs = {"full": FULL, "plain": PLAIN}[config][name]
    params = make_params(np.float32)
    tensors = [to_torch(p) for p in params]
    topt = _torch_optimizer(torch, name, tensors, kwargs)
    _torch_run(torch, topt, tensors, range(2))
    opt = getattr(fusedopt, name)(params, **kwargs)
    run(opt, params, range(2))
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert list(ours["state"]) == list(theirs["state"])
    for index, entry in ours["state"].items():
        assert set(entry) == set(theirs["state"][index])
        if "step" in entry:
            assert entry["step"].dtype == theirs["state"][index]["step"].numpy().dtype
    for group, tgroup in zip(ours["param_groups"], theirs["param_groups"]):
        assert set(group) - FUSEDOPT_GROUP_KEYS - ours_only(name) <= set(tgroup)
        assert group["params"] == tgroup["params"]


def test_load_torch_state_dict(impl, name, dtype):
    torch = pytest.importorskip("torch")
    tensors = [to_torch(p) for p in make_params(dtype)]
    topt = _torch_optimizer(torch, name, tensors, FULL[name])
    _torch_run(torch, topt, tensors, range(5))
    sd = torch_to_numpy(torch, topt.state_dict())

    params = [as_numpy(x).copy() for x in tensors]
    opt = getattr(impl, name)(params, **PLAIN[name])
    opt.load_state_dict(sd)
    for index, entry in opt.state.items():
        for key, value in entry.items():
            np.testing.assert_array_equal(value, sd["state"][index][key])
    bound = run_in_lockstep(topt, tensors, opt, params, range(5, 10))
    bound.assert_close(named_arrays(opt), "resumed from torch's checkpoint")


def test_torch_loads_our_state_dict(impl, name, dtype):
    torch = pytest.importorskip("torch")
    params = make_params(dtype)
    opt = getattr(impl, name)(grouped(params, name))
    run(opt, params, range(5))
    sd = numpy_to_torch(torch, opt.state_dict())

    tensors = [to_torch(p) for p in params]
    topt = _torch_optimizer(torch, name, [{"params": tensors[:2]}, {"params": tensors[2:]}], {})
    topt.load_state_dict(sd)
    for ours, theirs in zip(opt.param_groups, topt.param_groups):
        shared = group_keys(name) & set(theirs)  # lion_pytorch's groups have no 'maximize'
        assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}
    # torch's load casts all state but 'step' to the parameter's dtype, 0-d scalar
    # states too (NAdam's float32 mu_product becomes float64 and then rounds so):
    # ours continues from the checkpoint as torch loaded it (a no-op for buffers).
    as_loaded = torch_to_numpy(torch, topt.state_dict())["state"]
    opt.load_state_dict({"state": as_loaded, "param_groups": opt.state_dict()["param_groups"]})
    bound = run_in_lockstep(topt, tensors, opt, params, range(5, 10))
    bound.assert_close(named_arrays(opt), "torch resumed from our checkpoint")


def test_load_torch_adam_with_decoupled_weight_decay(impl, dtype):
    """torch's ``Adam(decoupled_weight_decay=True)`` is AdamW, and its groups say so.

    fusedopt.Adam must either honour that key or refuse the checkpoint naming
    it; silently continuing with L2 decay is a different algorithm.
    """
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True}
    tensors = [to_torch(p) for p in make_params(dtype)]
    topt = torch.optim.Adam(tensors, **kwargs)
    _torch_run(torch, topt, tensors, range(5))
    sd = torch_to_numpy(torch, topt.state_dict())

    params = [as_numpy(x).copy() for x in tensors]
    opt = impl.Adam(params)
    try:
        opt.load_state_dict(sd)
    except ValueError as exc:
        assert "decoupled_weight_decay" in str(exc)
        return
    bound = run_in_lockstep(topt, tensors, opt, params, range(5, 10))
    bound.assert_close(named_arrays(opt), "resumed from torch's AdamW-style Adam")
