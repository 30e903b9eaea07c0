"""The NumPy front end and fo.minimize under hostile input (the robustness issue).

Every rejected call must raise an error naming the argument and leave the
parameters, the state and the groups byte-identical; a valid step must work
afterwards. Hostile ``__array__`` methods run user code in the middle of a
step; checkpoints may alias anything; param_groups may be edited; threads may
race. The reproducers come first, then hypothesis fuzz tests over the same
classes of bad input.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import fusedopt as fo
import fusedopt.reference

from ._declared import BY_NAME, NOT_BUFFERS
from .conftest import IMPLS, NAMES, frozen
from .test_bad_input import (
    KWARGS,
    assert_still_steps_like_a_fresh_twin,
    make_grads,
    make_params,
    train,
    unchanged,
)

FUZZ = settings(max_examples=50, deadline=None, derandomize=True)
DTYPES = (np.float32, np.float64)


class Hostile:
    """A gradient whose ``__array__`` runs ``action`` first: user code inside a step."""

    def __init__(self, action: Callable[[], Any], value: np.ndarray) -> None:
        self.action, self.value = action, value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.action()
        return np.array(self.value, dtype=dtype)


def misaligned(values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` whose data starts one byte past an aligned address."""
    raw = np.zeros(values.nbytes + 1, np.uint8)
    out = np.frombuffer(raw.data, values.dtype, count=values.size, offset=1).reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned
    return out


def bytes_of(opt: Any, params: list[np.ndarray]) -> tuple[Any, ...]:
    """Parameters and state, byte for byte (the fuzz tests' notion of 'unchanged')."""
    state = {i: {k: frozen(np.asarray(v)) for k, v in e.items()} for i, e in opt.state.items()}
    return tuple(p.tobytes() for p in params), state


# ------------------------------------------------------------ 1. __array__ changing a parameter
def _resize(p: np.ndarray) -> None:
    p.resize(200_000, refcheck=False)


def _lock(p: np.ndarray) -> None:
    p.flags.writeable = False


@pytest.mark.parametrize(
    ("change", "match"), [(_resize, "resized"), (_lock, "read-only")], ids=["resize", "read-only"]
)
def test_gradient_conversion_changing_a_checked_parameter(impl, name, dtype, change, match):
    """grads[2]'s __array__ resizes or locks params[0], already looked at: nothing is written."""
    opt, params = train(impl, name, dtype)
    before = [p.copy() for p in params]
    state = {i: {k: np.array(v) for k, v in e.items()} for i, e in opt.state.items()}
    grads = make_grads(params, 3)
    grads[2] = Hostile(lambda: change(params[0]), grads[2])
    with pytest.raises(ValueError, match=rf"params\[0\].*{match}|{match}.*params\[0\]"):
        opt.step(grads)
    assert params[0].reshape(-1)[: before[0].size].tobytes() == before[0].tobytes()
    for p, b in zip(params[1:], before[1:]):
        assert p.tobytes() == b.tobytes()
    for i, entry in opt.state.items():
        for key, value in entry.items():
            assert frozen(np.asarray(value)) == frozen(np.asarray(state[i][key]))
    if change is _lock:  # unlocked again, the optimizer goes on as if nothing happened
        params[0].flags.writeable = True
        assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


def test_gradient_conversion_resizing_an_earlier_gradient(impl, name, dtype):
    opt, params = train(impl, name, dtype)
    grads = make_grads(params, 3)
    grads[2] = Hostile(lambda: grads[0].resize(100_000, refcheck=False), grads[2])
    with unchanged(opt), pytest.raises(ValueError, match=r"grads\[0\].*resized|resized.*grads"):
        opt.step(grads)
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


def _reenter(opt: Any, params: list[np.ndarray], what: str) -> Callable[[], Any]:
    return {
        "step": lambda: opt.step(make_grads(params, 4)),
        "load_state_dict": lambda: opt.load_state_dict(opt.state_dict()),
        "add_param_group": lambda: opt.add_param_group({"params": [np.ones(2, params[0].dtype)]}),
        "state": lambda: opt.state,
    }[what]


@pytest.mark.parametrize("what", ["step", "load_state_dict", "add_param_group", "state"])
def test_gradient_conversion_reentering_the_optimizer(impl, name, dtype, what):
    opt, params = train(impl, name, dtype)
    grads = make_grads(params, 3)
    grads[1] = Hostile(_reenter(opt, params, what), grads[1])
    with unchanged(opt), pytest.raises(ValueError, match="already in use"):
        opt.step(grads)
    assert len(opt.param_groups) == 1
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


def _edits(opt: Any, params: list[np.ndarray]) -> dict[str, Callable[[], Any]]:
    group = opt.param_groups[0]
    return {
        "replace-an-array": lambda: group["params"].__setitem__(1, np.ones_like(params[1])),
        "drop-an-array": lambda: group["params"].pop(),
        "replace-the-list": lambda: group.__setitem__("params", [np.ones_like(p) for p in params]),
        "delete-the-group": lambda: opt.param_groups.clear(),
        "delete-params": lambda: group.pop("params"),
    }


@pytest.mark.parametrize(
    "edit",
    ["replace-an-array", "drop-an-array", "replace-the-list", "delete-the-group", "delete-params"],
)
def test_gradient_conversion_editing_param_groups(impl, name, dtype, edit):
    """An __array__ that edits param_groups mid-step: refused after the conversions."""
    opt, params = train(impl, name, dtype)
    groups, lists = list(opt.param_groups), [list(g["params"]) for g in opt.param_groups]
    grads = make_grads(params, 3)
    grads[2] = Hostile(_edits(opt, params)[edit], grads[2])
    before = bytes_of(opt, params)
    with pytest.raises(ValueError, match="param_groups"):
        opt.step(grads)
    assert bytes_of(opt, params) == before
    opt.param_groups[:] = groups
    for group, kept in zip(groups, lists):
        group["params"] = kept
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


def test_gradient_conversion_changing_a_hyperparameter(impl, name, dtype):
    """The step runs with the hyperparameters it checked; the next step checks the new ones."""
    opt, params = train(impl, name, dtype)
    twin, twin_params = train(impl, name, dtype)
    grads = make_grads(params, 3)
    hostile = list(grads)
    hostile[1] = Hostile(lambda: opt.param_groups[0].__setitem__("lr", -1.0), grads[1])
    opt.step(hostile)
    twin.step(grads)
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()
    with unchanged(opt), pytest.raises(ValueError, match=r"\blr\b"):
        opt.step(grads)


# ------------------------------------------------------------------ 2. aliasing checkpoints
def _aliasing_state(opt: Any, params: list[np.ndarray], how: str) -> dict[str, Any]:
    sd = opt.state_dict()
    names = [k for k in sd["state"][2] if k not in NOT_BUFFERS]
    p0 = params[0].reshape(-1)
    entry = sd["state"][2]
    if how == "inside-another-param":
        entry[names[0]] = p0[:6].reshape(2, 3)
    elif how == "the-param-itself":
        entry[names[0]] = params[2]
    elif how == "entries-sharing-memory":
        entry[names[0]] = p0[:6].reshape(2, 3)
        for name in names[1:]:
            entry[name] = p0[3:9].reshape(2, 3)
    elif how == "the-live-state":
        for name in names:
            entry[name] = opt.state[2][name]
    return sd


@pytest.mark.parametrize(
    "how", ["inside-another-param", "the-param-itself", "entries-sharing-memory", "the-live-state"]
)
def test_aliasing_checkpoint_is_copied_never_kept(impl, name, dtype, how):
    """The core copies a checkpoint's arrays: whatever they alias, the state never does.

    (torch keeps the tensors it loads, so there aliasing must be refused; the
    NumPy optimizers never keep a caller's array, which makes any source valid.)
    """
    opt, params = train(impl, name, dtype)
    sd = _aliasing_state(opt, params, how)
    expected = {
        k: np.array(v, dtype=dtype) for k, v in sd["state"][2].items() if k not in NOT_BUFFERS
    }
    kept = [p.copy() for p in params]
    opt.load_state_dict(sd)
    for p, k in zip(params, kept):
        assert p.tobytes() == k.tobytes()
    for key, value in expected.items():
        np.testing.assert_array_equal(opt.state[2][key], value)
    live = [v for e in opt.state.values() for k, v in e.items() if k not in NOT_BUFFERS]
    for value in live:
        assert not any(np.shares_memory(value, p) for p in params)
        assert sum(np.shares_memory(value, other) for other in live) == 1
    # A gradient aliasing a parameter is still refused after such a load.
    grads = make_grads(params, 3)
    grads[2] = params[0].reshape(-1)[:6].reshape(2, 3)
    with unchanged(opt), pytest.raises(ValueError, match=r"grads\[2\].*shares memory"):
        opt.step(grads)
    twin = getattr(impl, name)([p.copy() for p in params], **KWARGS[name])
    twin.load_state_dict(copy.deepcopy(sd))
    steps = make_grads(params, 4)
    with np.errstate(invalid="ignore"):  # a parameter's values as square_avg may be < 0
        opt.step(steps)
        twin.step(steps)
    for p, q in zip(params, twin.param_groups[0]["params"]):
        assert p.tobytes() == q.tobytes()


# ------------------------------------------------------------ 3. misaligned arrays in regularizers
REGULARIZERS = {
    "L1": fo.L1(0.3),
    "L2": fo.L2(0.2),
    "ElasticNet": fo.ElasticNet(0.4, 0.25),
}


@pytest.mark.parametrize("reg", sorted(REGULARIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # the regularizers' dtypes
def test_regularizer_reads_a_misaligned_w_through_a_copy(reg, dtype):
    r = REGULARIZERS[reg]
    w = np.linspace(-1, 1, 37).astype(dtype)
    odd = misaligned(w)
    assert r.value(odd) == r.value(w)
    assert r.value([w, odd]) == r.value([w, w])
    np.testing.assert_array_equal(r.grad(odd), r.grad(w))
    out = np.ones_like(w)
    r.grad(odd, out, accumulate=True)
    np.testing.assert_array_equal(out, 1 + r.grad(w))


@pytest.mark.parametrize("reg", sorted(REGULARIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # the regularizers' dtypes
def test_regularizer_refuses_a_misaligned_out(reg, dtype):
    r = REGULARIZERS[reg]
    w = np.linspace(-1, 1, 37).astype(dtype)
    out = misaligned(np.full_like(w, 7.0))
    before = out.tobytes()
    with pytest.raises(ValueError, match=r"out is not aligned"):
        r.grad(w, out)
    assert out.tobytes() == before


def test_optimizer_refuses_a_misaligned_parameter_with_the_same_message(impl, name):
    with pytest.raises(ValueError, match=r"params\[0\] is not aligned"):
        getattr(impl, name)([misaligned(np.ones(5))])


# ------------------------------------------------------------------ 4. threads: all or nothing
class Blocking:
    """An array-like (a gradient, a checkpoint entry) whose ``__array__`` holds the
    call converting it open until released."""

    def __init__(self, value: np.ndarray) -> None:
        self.value = value
        self.entered, self.release = threading.Event(), threading.Event()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.entered.set()
        assert self.release.wait(30)
        return np.array(self.value, dtype=dtype)


def _in_a_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.parametrize("call", ["load_state_dict", "add_param_group", "state_dict", "step"])
def test_calls_during_a_step_in_another_thread_are_refused(impl, name, dtype, call):
    opt, params = train(impl, name, dtype)
    other = copy.deepcopy(opt.state_dict())
    for entry in other["state"].values():
        for key, value in entry.items():
            if key != "step":
                value += 1  # a checkpoint that differs everywhere
    grads = make_grads(params, 3)
    blocking = Blocking(grads[1])
    thread, errors = _in_a_thread(lambda: opt.step([grads[0], blocking, grads[2]]))
    assert blocking.entered.wait(30)
    try:
        action = {
            "load_state_dict": lambda: opt.load_state_dict(other),
            "add_param_group": lambda: opt.add_param_group({"params": [np.ones(2, dtype)]}),
            "state_dict": opt.state_dict,
            "step": lambda: opt.step(make_grads(params, 4)),
        }[call]
        with pytest.raises(ValueError, match="already in use by another thread"):
            action()
    finally:
        blocking.release.set()
        thread.join()
    assert not errors
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 3
    twin, twin_params = train(impl, name, dtype)
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()
    assert bytes_of(opt, params)[1] == bytes_of(twin, twin_params)[1]


def test_step_during_a_load_in_another_thread_is_refused(impl, name, dtype):
    """A step never sees a half-loaded optimizer (torch's KeyError: 'lr' before)."""
    opt, params = train(impl, name, dtype)
    sd = opt.state_dict()
    key = next(k for k in sd["state"][1] if k not in NOT_BUFFERS)
    blocking = Blocking(sd["state"][1][key] + 1)
    sd["state"][1][key] = blocking
    sd["param_groups"][0]["lr"] = 0.5
    thread, errors = _in_a_thread(lambda: opt.load_state_dict(sd))
    assert blocking.entered.wait(30)
    kept = [p.tobytes() for p in params]
    try:
        with pytest.raises(ValueError, match="already in use by another thread"):
            opt.step(make_grads(params, 3))
    finally:
        blocking.release.set()
        thread.join()
    assert not errors
    assert [p.tobytes() for p in params] == kept
    assert opt.param_groups[0]["lr"] == 0.5
    np.testing.assert_array_equal(opt.state[1][key], np.asarray(blocking.value, dtype))


def test_concurrent_steps_and_loads_never_mix(name):
    """Two threads hammer one optimizer: every call runs whole or is refused whole."""
    params = make_params(np.float64)
    opt = getattr(fo, name)(params, **KWARGS[name])
    opt.step(make_grads(params, 1))
    checkpoints = [opt.state_dict()]
    opt.step(make_grads(params, 2))
    checkpoints.append(opt.state_dict())
    failures: list[BaseException] = []
    stop = threading.Event()

    def stepper() -> None:
        grads = make_grads(params, 3)
        while not stop.is_set():
            try:
                opt.step(grads)
            except ValueError as exc:
                if "already in use" not in str(exc):
                    failures.append(exc)
            except BaseException as exc:
                failures.append(exc)

    thread = threading.Thread(target=stepper)
    thread.start()
    try:
        for k in range(300):
            try:
                opt.load_state_dict(checkpoints[k % 2])
            except ValueError as exc:
                assert "already in use" in str(exc)
    finally:
        stop.set()
        thread.join()
    assert not failures
    steps = {e["step"] for e in opt.state.values()} if BY_NAME[name].has_step else {0}
    assert len(steps) == 1  # every parameter loaded (and stepped) together


# ------------------------------------------------------------------ 5. structural edits
def _two_groups(impl: Any, name: str, dtype: Any) -> tuple[Any, list[np.ndarray]]:
    params = make_params(dtype)
    groups = [{"params": params[:2], "lr": 0.01}, {"params": params[2:], "lr": 0.5}]
    opt = getattr(impl, name)(groups, **{k: v for k, v in KWARGS[name].items() if k != "lr"})
    for seed in (1, 2):
        opt.step(make_grads(params, seed))
    return opt, params


STRUCTURAL_EDITS: dict[str, tuple[Callable[[Any, list[np.ndarray]], Any], type, str]] = {
    "reverse-groups": (lambda o, ps: o.param_groups.reverse(), ValueError, r"param_groups\[0\]"),
    # The first group: popping the last one would undo "insert-a-group" in the fuzz test.
    "delete-a-group": (lambda o, ps: o.param_groups.pop(0), ValueError, "1 groups.*built with 2"),
    "insert-a-group": (
        lambda o, ps: o.param_groups.append({**o.param_groups[0], "params": [np.ones(2)]}),
        ValueError,
        "3 groups",
    ),
    "replace-params": (
        lambda o, ps: o.param_groups[0].__setitem__("params", [np.ones(4), np.ones(5)]),
        ValueError,
        r"param_groups\[0\]\['params'\]\[0\] is not the array",
    ),
    "replace-one-array": (
        lambda o, ps: o.param_groups[1]["params"].__setitem__(0, ps[2].copy()),
        ValueError,
        r"param_groups\[1\]\['params'\]\[0\] is not the array",
    ),
    "append-an-array": (
        lambda o, ps: o.param_groups[1]["params"].append(np.ones(3)),
        ValueError,
        r"param_groups\[1\]\['params'\] is now 2 arrays.*built with 1",
    ),
    "params-a-tuple": (
        lambda o, ps: o.param_groups[0].__setitem__("params", tuple(ps[:2])),
        ValueError,
        r"param_groups\[0\]\['params'\]",
    ),
    "groups-a-tuple": (
        lambda o, ps: setattr(o, "param_groups", tuple(o.param_groups)),
        ValueError,
        "param_groups is now tuple",
    ),
    "group-not-a-dict": (
        lambda o, ps: o.param_groups.__setitem__(1, [ps[2]]),
        TypeError,
        r"param_groups\[1\] must be a dict",
    ),
    "delete-lr": (
        lambda o, ps: o.param_groups[1].pop("lr"),
        ValueError,
        r"param_groups\[1\] has no 'lr'",
    ),
}


@pytest.mark.parametrize("edit", sorted(STRUCTURAL_EDITS))
def test_structural_edit_is_refused(impl, name, dtype, edit):
    opt, params = _two_groups(impl, name, dtype)
    groups = list(opt.param_groups)
    saved = [dict(g, params=list(g["params"])) for g in groups]
    apply, error, match = STRUCTURAL_EDITS[edit]
    apply(opt, params)
    before = bytes_of(opt, params)
    with pytest.raises(error, match=match):
        opt.step(make_grads(params, 3))
    assert bytes_of(opt, params) == before
    opt.param_groups = groups
    for group, kept in zip(groups, saved):
        group.clear()
        group.update(kept)
    twin, twin_params = _two_groups(impl, name, dtype)
    opt.step(make_grads(params, 3))
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()


def test_replacing_params_by_the_same_arrays_is_followed(impl, name, dtype):
    """A new list holding the registered arrays is no change: the step goes on."""
    opt, params = _two_groups(impl, name, dtype)
    opt.param_groups[0]["params"] = list(opt.param_groups[0]["params"])
    twin, twin_params = _two_groups(impl, name, dtype)
    opt.step(make_grads(params, 3))
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()


def test_state_dict_and_load_refuse_a_deleted_group(impl, name):
    opt, _ = _two_groups(impl, name, np.float64)
    sd = opt.state_dict()
    opt.param_groups.pop()
    with pytest.raises(ValueError, match="param_groups is now 1 groups"):
        opt.state_dict()
    with pytest.raises(ValueError, match="param_groups is now 1 groups"):
        opt.load_state_dict(sd)


def test_load_brings_back_a_deleted_hyperparameter(impl, name):
    opt, params = _two_groups(impl, name, np.float64)
    sd = opt.state_dict()
    del opt.param_groups[1]["lr"]
    opt.load_state_dict(sd)
    assert opt.param_groups[1]["lr"] == 0.5
    opt.step(make_grads(params, 3))


# ------------------------------------------------------------ 6. AdamW loads an Adam checkpoint
def test_adamw_loading_an_adam_checkpoint_stays_adamw(impl, dtype):
    """torch's AdamW.__setstate__ forces decoupled_weight_decay=True: so does fusedopt's."""
    params = make_params(dtype)
    source = impl.Adam(params, **{**KWARGS["Adam"], "decoupled_weight_decay": False})
    for seed in (1, 2):
        source.step(make_grads(params, seed))
    sd = source.state_dict()
    assert sd["param_groups"][0]["decoupled_weight_decay"] is False
    opt, params = train(impl, "AdamW", dtype)
    twin, twin_params = train(impl, "AdamW", dtype)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    sd["param_groups"][0]["decoupled_weight_decay"] = True
    twin.load_state_dict(sd)
    opt.step(make_grads(params, 3))
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()


def test_adam_loading_an_adamw_checkpoint_keeps_its_flag(impl):
    """As torch.optim.Adam: the checkpoint's decoupled_weight_decay is loaded as it is."""
    source, _ = train(impl, "AdamW", np.float64)
    opt, _ = train(impl, "Adam", np.float64)
    opt.load_state_dict(source.state_dict())
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


# ------------------------------------------------------------------ 9. corrupted checkpoints
BUFFER = object()  # in a path: the entry's first state buffer, whatever its name


def _corrupt(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(sd: dict[str, Any]) -> None:
        target = sd
        for key in path[:-1]:
            target = target[key]
        last = path[-1]
        if last is BUFFER:
            last = next(k for k in target if k not in NOT_BUFFERS)
        target[last] = value

    return apply


CORRUPTIONS: dict[str, tuple[Callable[[dict[str, Any]], None], type, str]] = {
    "state-None": (_corrupt(("state",), None), TypeError, r"state_dict\['state'\] must be a dict"),
    "state-a-list": (_corrupt(("state",), []), TypeError, r"state_dict\['state'\] must be a dict"),
    "groups-None": (
        _corrupt(("param_groups",), None),
        TypeError,
        r"state_dict\['param_groups'\] must be a list",
    ),
    "group-None": (
        _corrupt(("param_groups", 0), None),
        TypeError,
        r"param_groups'\]\[0\] must be a dict",
    ),
    "group-params-None": (
        _corrupt(("param_groups", 0, "params"), None),
        TypeError,
        r"\['params'\] must be a list",
    ),
    "group-params-strings": (
        _corrupt(("param_groups", 0, "params"), ["a", "b", "c"]),
        TypeError,
        "int indices",
    ),
    "group-params-repeated": (
        _corrupt(("param_groups", 0, "params"), [0, 0, 1]),
        ValueError,
        "index twice",
    ),
    "group-params-unhashable": (
        _corrupt(("param_groups", 0, "params"), [[0], 1, 2]),
        TypeError,
        "int indices",
    ),
    "step-nan": (_corrupt(("state", 1, "step"), np.float32("nan")), ValueError, r"\['step'\]"),
    "step-inf": (_corrupt(("state", 1, "step"), np.inf), ValueError, r"\['step'\]"),
    "step-negative": (_corrupt(("state", 1, "step"), -1.0), ValueError, r"\['step'\]"),
    "step-fraction": (_corrupt(("state", 1, "step"), 1.5), ValueError, r"\['step'\]"),
    "step-a-string": (_corrupt(("state", 1, "step"), "3"), ValueError, r"\['step'\]"),
    "step-a-vector": (_corrupt(("state", 1, "step"), np.ones(2)), ValueError, r"\['step'\]"),
    "entry-None": (_corrupt(("state", 1), None), ValueError, r"\['state'\]\[1\] must be a dict"),
    "ragged-buffer": (
        _corrupt(("state", 1, BUFFER), [[1.0], [1.0, 2.0]]),
        TypeError,
        "not an array",
    ),
    "object-buffer": (_corrupt(("state", 1, BUFFER), np.array([None] * 5)), TypeError, "dtype"),
    "bool-buffer": (_corrupt(("state", 1, BUFFER), np.ones(5, bool)), TypeError, "dtype"),
    "lr-None": (_corrupt(("param_groups", 0, "lr"), None), ValueError, r"\blr\b"),
    "lr-negative": (_corrupt(("param_groups", 0, "lr"), -1.0), ValueError, r"\blr\b"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupted_checkpoint_is_refused(impl, name, dtype, case):
    apply, error, match = CORRUPTIONS[case]
    opt, _ = train(impl, name, dtype)
    sd = opt.state_dict()
    apply(sd)
    with unchanged(opt), pytest.raises(error, match=match):
        opt.load_state_dict(sd)
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


# ------------------------------------------------------------------ 10, 11. plain arguments
@pytest.mark.parametrize("n", [np.int64(2), np.int32(1), np.uint8(2), 1])
def test_set_num_threads_takes_any_integer(n):
    try:
        fo.set_num_threads(n)
        assert fo.info()["num_threads"] == int(n)
    finally:
        fo.set_num_threads(0)


@pytest.mark.parametrize(
    ("n", "error", "match"),
    [
        (2**31, ValueError, r"n must be in \[0, 1024\]"),
        (10**30, ValueError, r"n must be in \[0, 1024\]"),
        (-1, ValueError, r"n must be in \[0, 1024\]"),
        (np.int64(-3), ValueError, r"n must be in \[0, 1024\]"),
        (2.0, TypeError, "n must be an integer"),
        (True, TypeError, "n must be an integer"),
        ("3", TypeError, "n must be an integer"),
        (None, TypeError, "n must be an integer"),
    ],
)
def test_set_num_threads_refuses(n, error, match):
    before = fo.info()["num_threads"]
    with pytest.raises(error, match=match):
        fo.set_num_threads(n)
    assert fo.info()["num_threads"] == before


@pytest.mark.parametrize("implementation", sorted(IMPLS))
@pytest.mark.parametrize("algo", NAMES)
def test_constructor_errors_name_the_public_class(implementation, algo):
    cls = getattr(IMPLS[implementation], algo)
    w = np.zeros(3)
    with pytest.raises(
        TypeError, match=rf"^{algo}\(\) got an unexpected keyword argument 'learning_rate'"
    ):
        cls([w], learning_rate=1e-3)
    with pytest.raises(TypeError, match=rf"^{algo}\(\) missing a required argument: 'params'"):
        cls(lr=0.1)
    with pytest.raises(TypeError, match=rf"^{algo}\(\) multiple values for argument 'lr'"):
        cls([w], 0.1, lr=0.1)
    assert not w.any()


def test_reference_optimizer_can_still_be_copied():
    opt, params = train(fusedopt.reference, "Adam", np.float64)
    twin = copy.deepcopy(opt)
    grads = make_grads(params, 3)
    opt.step(grads)
    twin.step(grads)
    for p, q in zip(params, twin.param_groups[0]["params"]):
        assert p.tobytes() == q.tobytes()


# ------------------------------------------------------------------ 7, 8. fo.minimize's callbacks
def _quadratic(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(x @ x), 2 * x


BAD_F = [
    (None, TypeError, r"fun returned f that is None; expected a real number"),
    ("abc", TypeError, r"fun returned f that is a str \('abc'\); expected a real number"),
    (1 + 2j, TypeError, r"fun returned f that is a complex .*expected a real number"),
    (10**400, ValueError, r"fun returned f that is an int .*too large for a float64"),
    (np.ones(2), ValueError, r"fun returned f of shape \(2,\); expected a real number"),
    (np.ones((1, 2)), ValueError, r"fun returned f of shape \(1, 2\)"),
    (np.array([1 + 1j]), TypeError, r"fun returned f that is an array of dtype complex128"),
    ([1.0, 2.0], ValueError, r"fun returned f of shape \(2,\)"),
    ({}, TypeError, r"fun returned f that is a dict"),
]


@pytest.mark.parametrize("method", ["lbfgs", "newton", "newton-cg"])
@pytest.mark.parametrize(("f", "error", "match"), BAD_F, ids=lambda v: repr(v)[:20])
def test_minimize_bad_f(method, f, error, match):
    x0 = np.array([1.0, -2.0, 0.5])
    before = x0.tobytes()
    extra = {"hess": lambda x: 2 * np.eye(3)} if method == "newton" else {}
    with pytest.raises(error, match=match):
        fo.minimize(lambda x: (f, 2 * x), x0, method=method, **extra)
    assert x0.tobytes() == before


@pytest.mark.parametrize("f", [np.array([1.5]), np.array([[1.5]]), np.float32(1.5), True])
def test_minimize_takes_f_as_scipy_does(f):
    """scipy takes a size-1 array (and any real scalar) as f."""
    res = fo.minimize(lambda x: (f, np.zeros(2)), [0.0, 0.0])
    assert res.success and res.fun == float(np.asarray(f).item())


BAD_G = [
    (lambda x: np.zeros(1), ValueError, r"shape \(1,\); expected x0's shape \(3,\)"),
    (lambda x: np.zeros((3, 1)), ValueError, r"shape \(3, 1\); expected x0's shape \(3,\)"),
    (lambda x: None, TypeError, r"that is None; expected a real array of x0's shape \(3,\)"),
    (lambda x: "abc", TypeError, r"that is a str \('abc'\); expected a real array"),
    (lambda x: x.astype(complex), TypeError, r"dtype complex128; expected a real array"),
]


@pytest.mark.parametrize(("g", "error", "match"), BAD_G, ids=lambda v: str(v)[:20])
@pytest.mark.parametrize("source", ["fun", "jac"])
def test_minimize_bad_gradient_names_its_source(source, g, error, match):
    x0 = np.array([1.0, -2.0, 0.5])
    if source == "fun":
        call = {"fun": lambda x: (1.0, g(x))}
    else:
        call = {"fun": lambda x: 1.0, "jac": g}
    with pytest.raises(error, match=rf"^{source} returned a gradient .*{match}"):
        fo.minimize(x0=x0, **call)
    assert x0.tobytes() == np.array([1.0, -2.0, 0.5]).tobytes()


@pytest.mark.parametrize(
    ("h", "error", "match"),
    [
        (None, TypeError, r"hessp\(x, p\) returned H p that is None; expected a real array"),
        ("x", TypeError, r"hessp\(x, p\) returned H p that is a str"),
        (2.0, ValueError, r"hessp\(x, p\) returned H p of shape \(\); expected x0's shape \(3,\)"),
    ],
)
def test_minimize_bad_hessp(h, error, match):
    x0 = np.array([1.0, -2.0, 0.5])
    with pytest.raises(error, match=match):
        fo.minimize(_quadratic, x0, method="newton-cg", hessp=lambda x, p: h)


@pytest.mark.parametrize(
    ("method", "option", "value", "maximum"),
    [
        ("lbfgs", "history_size", 2**40, 2**31 - 1),
        ("lbfgs", "max_ls", 2**31, 2**31 - 1),
        ("lbfgs", "max_iter", 2**70, 2**63 - 1),
        ("newton", "max_fev", 2**64, 2**63 - 1),
        ("newton-cg", "max_cg", 2**63, 2**63 - 1),
    ],
)
def test_minimize_integer_option_too_large(method, option, value, maximum):
    """Not pybind11's 'Unable to cast': the option, its range and the value."""
    extra = {"hess": lambda x: 2 * np.eye(3)} if method == "newton" else {}
    with pytest.raises(ValueError, match=rf"^{option} must be an int in \[\d+, {maximum}\]"):
        fo.minimize(_quadratic, np.ones(3), method=method, options={option: value}, **extra)


@pytest.mark.parametrize("method", ["newton", "newton-cg"])
@pytest.mark.parametrize(
    ("hess", "error", "match"),
    [
        (lambda x: None, TypeError, r"hess\(x\) returned dtype object; expected a real"),
        (lambda x: "abc", TypeError, r"hess\(x\) returned dtype <U3"),
        (lambda x: np.eye(2), ValueError, r"hess\(x\) returned shape \(2, 2\), expected \(3, 3\)"),
        (lambda x: np.eye(3, dtype=complex), TypeError, r"hess\(x\) returned dtype complex128"),
        (
            lambda x: pytest.importorskip("scipy.sparse").eye(3, dtype=complex),
            TypeError,
            r"hess\(x\) returned dtype complex128",
        ),
    ],
    ids=["none", "str", "shape", "complex", "sparse-complex"],
)
def test_minimize_bad_hess(method, hess, error, match):
    x0 = np.array([1.0, -2.0, 0.5])
    with pytest.raises(error, match=match):
        fo.minimize(_quadratic, x0, method=method, hess=hess)
    assert x0.tobytes() == np.array([1.0, -2.0, 0.5]).tobytes()


def test_minimize_fun_not_returning_a_pair_says_what_it_returned():
    with pytest.raises(ValueError, match=r"\(f, g\) when jac=True; it returned a float \(1.0\)"):
        fo.minimize(lambda x: 1.0, [1.0, 2.0])


# ------------------------------------------------------------------ fuzz: bad hyperparameters
BAD_VALUES: dict[str, list[Any]] = {
    "lr": [-1.0, float("nan"), float("inf"), None, "0.1", True, [0.1], 1j],
    "eps": [-1e-8, float("nan"), None, "x"],
    "weight_decay": [-0.1, float("inf"), None, np.array([0.1, 0.2])],
    "momentum": [-0.5, float("nan"), None],
    "dampening": [float("nan"), None, "x"],
    "alpha": [-0.1, 1.5, float("nan"), None],
    "betas": [(1.0, 0.9), (0.9,), 0.9, None, (0.9, float("nan")), "ab"],
    "rho": [-0.1, 1.5, float("nan"), None],
    "etas": [(1.0, 1.2), (0.5,), None, (0.5, float("inf")), "ab"],
    "step_sizes": [(1.0, 0.5), (-1.0, 1.0), None, (float("nan"), 1.0)],
    "amsgrad": [1, "yes", None, 0.0],
    "maximize": [1, None, "no"],
    "nesterov": [1, "x"],
    "centered": ["no", 2],
    "regularizer": [0.1, "L1", fo.L1],
}
# Where one optimizer's hyperparameter of that name takes other values (ASGD's
# alpha is any finite power; RMSprop's a smoothing constant in [0, 1]).
BAD_VALUES_OF: dict[tuple[str, str], list[Any]] = {
    ("ASGD", "alpha"): [float("nan"), float("inf"), None, "x"],
}


@st.composite
def bad_hyperparameters(draw: Any) -> tuple[Any, str, Any, dict[str, Any]]:
    name = draw(st.sampled_from(NAMES))
    impl = draw(st.sampled_from(sorted(IMPLS)))
    dtype = draw(st.sampled_from(DTYPES))
    keys = sorted(k for k in BAD_VALUES if k in getattr(fo, name)([np.ones(1)]).defaults)
    bad = draw(st.dictionaries(st.sampled_from(keys), st.none(), min_size=1, max_size=3))
    overrides = {k: draw(st.sampled_from(BAD_VALUES_OF.get((name, k), BAD_VALUES[k]))) for k in bad}
    return IMPLS[impl], name, dtype, overrides


@FUZZ
@given(bad_hyperparameters(), st.sampled_from(["constructor", "add_param_group", "set"]))
def test_fuzz_bad_hyperparameters(case, where):
    impl, name, dtype, overrides = case
    if where == "constructor":
        params = make_params(dtype)
        kept = [p.tobytes() for p in params]
        with pytest.raises((TypeError, ValueError)):
            getattr(impl, name)(params, **{**KWARGS[name], **overrides})
        assert [p.tobytes() for p in params] == kept
        return
    opt, params = train(impl, name, dtype)
    saved = dict(opt.param_groups[0])
    new = np.ones(3, dtype)
    if where == "set":  # a schedule writing bad values between steps
        opt.param_groups[0].update(overrides)
    with unchanged(opt, new), pytest.raises((TypeError, ValueError)):
        if where == "add_param_group":
            opt.add_param_group({"params": [new], **overrides})
        else:
            opt.step(make_grads(params, 3))
    opt.param_groups[0].clear()
    opt.param_groups[0].update(saved)
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


# ------------------------------------------------------------------ fuzz: corrupted checkpoints
def _mutations(opt: Any, params: list[np.ndarray]) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Each edits a state_dict in place; the result may be valid (e.g. an aliasing array)."""

    def some_entry(sd: dict[str, Any]) -> dict[str, Any]:
        return sd["state"][max(sd["state"])]

    def some_buffer(sd: dict[str, Any]) -> str:
        return next(k for k in some_entry(sd) if k not in NOT_BUFFERS)

    p0 = params[0].reshape(-1)
    return {
        "step-nan": lambda sd: some_entry(sd).__setitem__("step", np.float32("nan")),
        "step-big": lambda sd: some_entry(sd).__setitem__("step", 2.0**70),
        "step-int64": lambda sd: some_entry(sd).__setitem__("step", np.int64(7)),
        "step-deleted": lambda sd: some_entry(sd).pop("step", None),
        "buffer-aliases-param": lambda sd: some_entry(sd).__setitem__(
            some_buffer(sd), p0[: params[2].size].reshape(params[2].shape)
        ),
        "buffer-is-live-state": lambda sd: some_entry(sd).__setitem__(
            some_buffer(sd), opt.state[2][some_buffer(sd)]
        ),
        "buffer-nan": lambda sd: some_entry(sd)[some_buffer(sd)].fill(np.nan),
        "buffer-wrong-shape": lambda sd: some_entry(sd).__setitem__(some_buffer(sd), np.ones(7)),
        "buffer-float16": lambda sd: some_entry(sd).__setitem__(
            some_buffer(sd), some_entry(sd)[some_buffer(sd)].astype(np.float16)
        ),
        "buffer-None": lambda sd: some_entry(sd).__setitem__(some_buffer(sd), None),
        "buffer-string": lambda sd: some_entry(sd).__setitem__(some_buffer(sd), "abc"),
        "unknown-key": lambda sd: some_entry(sd).__setitem__("exp_avgs", np.ones(6)),
        "entry-dropped": lambda sd: sd["state"].pop(max(sd["state"])),
        "entry-unknown-index": lambda sd: sd["state"].__setitem__(9, {}),
        "entry-a-list": lambda sd: sd["state"].__setitem__(0, []),
        "group-lr-negative": lambda sd: sd["param_groups"][0].__setitem__("lr", -1.0),
        "group-lr-deleted": lambda sd: sd["param_groups"][0].pop("lr"),
        "group-extra-key": lambda sd: sd["param_groups"][0].__setitem__("initial_lr", 0.1),
        "group-params-shuffled": lambda sd: sd["param_groups"][0]["params"].reverse(),
        "group-params-short": lambda sd: sd["param_groups"][0]["params"].pop(),
        "group-params-float": lambda sd: sd["param_groups"][0]["params"].__setitem__(0, 0.0),
        "groups-extra": lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
        "groups-a-dict": lambda sd: sd.__setitem__("param_groups", {0: sd["param_groups"][0]}),
        "state-None": lambda sd: sd.__setitem__("state", None),
        "extra-top-key": lambda sd: sd.__setitem__("version", 1),
    }


@FUZZ
@given(
    st.sampled_from(NAMES),
    st.sampled_from(sorted(IMPLS)),
    st.sampled_from(DTYPES),
    st.lists(st.sampled_from(sorted(_mutations(None, make_params(np.float64)))), max_size=3),
)
def test_fuzz_corrupted_checkpoints(name, implementation, dtype, mutations):
    impl = IMPLS[implementation]
    opt, params = train(impl, name, dtype)
    sd = opt.state_dict()
    table = _mutations(opt, params)
    for mutation in mutations:
        try:
            table[mutation](sd)
        except (KeyError, StopIteration, AttributeError, TypeError, ValueError, IndexError):
            pass  # an earlier mutation removed what this one edits
    loaded = copy.deepcopy(sd) if isinstance(sd.get("state"), dict) else None
    before = bytes_of(opt, params)
    try:
        opt.load_state_dict(sd)
    except (TypeError, ValueError):
        event("refused")
        assert bytes_of(opt, params) == before
        assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)
        return
    event("loaded")
    assert [p.tobytes() for p in params] == list(before[0])
    assert loaded is not None
    for index, entry in loaded["state"].items():  # the state is what was loaded
        for key, value in entry.items():
            if key not in NOT_BUFFERS and value is not None:
                np.testing.assert_array_equal(opt.state[int(index)][key], np.asarray(value, dtype))
    live = [v for e in opt.state.values() for k, v in e.items() if k not in NOT_BUFFERS]
    assert not any(np.shares_memory(v, p) for v in live for p in params)
    with np.errstate(invalid="ignore"):  # a state that is valid but odd (NaN, dropped buffers)
        opt.step(make_grads(params, 3))  # steps


# ------------------------------------------------------------------ fuzz: gradients and parameters
GRADIENT_KINDS = [
    "good",
    "none",
    "float16",
    "list",
    "misaligned",
    "read-only",
    "fortran",
    "wrong-shape",
    "complex",
    "object",
    "string",
    "aliases-own-param",
    "aliases-other-param",
    "aliases-state",
    "hostile-locks-param0",
    "hostile-reenters",
    "hostile-edits-groups",
    "hostile-resizes-grad0",
]
VALID_KINDS = {"good", "none", "float16", "list", "misaligned", "read-only", "fortran"}


def _resize_or_raise(grad: Any, params: list[np.ndarray]) -> None:
    """Resize grads[0] if it is an array of the caller's own (not a parameter)."""
    if not isinstance(grad, np.ndarray) or not grad.flags.owndata or any(grad is p for p in params):
        raise ValueError("the hostile __array__ found nothing to resize")  # also nothing changes
    grad.resize(50_000, refcheck=False)


def _aliases_a_param(grad: Any, params: list[np.ndarray]) -> bool:
    return any(np.shares_memory(grad, p) for p in params)


def _valid(kinds: list[str]) -> bool:
    """Whether a step with these gradient kinds must succeed."""
    if kinds.count("hostile-locks-param0") and kinds[0] == "none":
        kinds = [k for k in kinds if k != "hostile-locks-param0"]  # params[0] is not written
        return set(kinds) <= VALID_KINDS and bool(kinds)
    return set(kinds) <= VALID_KINDS


def _gradient(kind: str, i: int, g: np.ndarray, ctx: dict[str, Any]) -> Any:
    opt, params = ctx["opt"], ctx["params"]

    def restore_groups() -> None:
        ctx["undo"].append(lambda: opt.param_groups[0]["params"].__setitem__(0, params[0]))
        opt.param_groups[0]["params"][0] = params[0].copy()

    def lock() -> None:
        ctx["undo"].append(lambda: setattr(params[0].flags, "writeable", True))
        params[0].flags.writeable = False

    hostile = {
        "hostile-locks-param0": lock,
        "hostile-reenters": lambda: opt.step([None] * len(params)),
        "hostile-edits-groups": restore_groups,
        "hostile-resizes-grad0": lambda: _resize_or_raise(ctx["grads"][0], params),
    }
    if kind in hostile:
        return Hostile(hostile[kind], g)
    # Another parameter large enough for a view of g's shape (np.resize of a smaller
    # one would be a copy, not an alias); none is: the parameter's own memory.
    large = [p for j, p in enumerate(params) if j != i and p.size >= g.size]
    other = (large[0] if large else params[i]).reshape(-1)
    return {
        "good": lambda: g,
        "none": lambda: None,
        "float16": lambda: g.astype(np.float16),
        "list": lambda: g.tolist(),
        "misaligned": lambda: misaligned(g),
        "read-only": lambda: np.frombuffer(g.tobytes(), g.dtype).reshape(g.shape),
        "fortran": lambda: np.asfortranarray(g),
        "wrong-shape": lambda: np.zeros(g.size + 1, g.dtype),
        "complex": lambda: g.astype(np.complex128),
        "object": lambda: g.astype(object),
        "string": lambda: "abc",
        "aliases-own-param": lambda: params[i],
        "aliases-other-param": lambda: other[: g.size].reshape(g.shape),
        "aliases-state": lambda: next(v for k, v in opt.state[i].items() if k not in NOT_BUFFERS),
    }[kind]()


@FUZZ
@given(
    st.sampled_from(NAMES),
    st.sampled_from(sorted(IMPLS)),
    st.sampled_from(DTYPES),
    st.lists(st.sampled_from(GRADIENT_KINDS), min_size=3, max_size=3),
)
def test_fuzz_gradients(name, implementation, dtype, kinds):
    impl = IMPLS[implementation]
    opt, params = train(impl, name, dtype)
    raw = make_grads(params, 3)
    ctx: dict[str, Any] = {"opt": opt, "params": params, "grads": [], "undo": []}
    grads = [_gradient(kind, i, g, ctx) for i, (kind, g) in enumerate(zip(kinds, raw))]
    ctx["grads"] = grads
    before = bytes_of(opt, params)
    # A parameter smaller than the gradient cannot be viewed in its shape:
    # "aliases-other-param" is then np.resize's copy, a valid gradient.
    kinds = [
        "good" if kind == "aliases-other-param" and not _aliases_a_param(grad, params) else kind
        for kind, grad in zip(kinds, grads)
    ]
    valid = _valid(kinds)
    try:
        opt.step(grads)
    except (TypeError, ValueError):
        event("refused")
        assert not valid
        for undo in ctx["undo"]:
            undo()
        assert bytes_of(opt, params) == before
        assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)
        return
    event("stepped")
    assert valid, f"accepted {kinds}"
    twin, twin_params = train(impl, name, dtype)
    twin.step([None if g is None else np.asarray(getattr(g, "value", g), dtype) for g in grads])
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()


BAD_PARAM_KINDS = {
    "int": lambda: np.zeros(4, np.int64),
    "longdouble": lambda: np.zeros(4, np.longdouble),
    "big-endian": lambda: np.zeros(4, ">f8"),
    "strided": lambda: np.zeros(8)[::2],
    "read-only": lambda: np.frombuffer(bytes(32), np.float64),
    "misaligned": lambda: misaligned(np.zeros(4)),
    "list": lambda: [0.0, 1.0],
    "scalar": lambda: 1.0,
    "aliases-param0": None,
    "aliases-state": None,
}


@FUZZ
@given(
    st.sampled_from(NAMES),
    st.sampled_from(sorted(IMPLS)),
    st.sampled_from(DTYPES),
    st.lists(st.sampled_from(sorted(BAD_PARAM_KINDS)), min_size=1, max_size=3),
    st.booleans(),
)
def test_fuzz_bad_parameters(name, implementation, dtype, kinds, good_first):
    impl = IMPLS[implementation]
    opt, params = train(impl, name, dtype)

    def make(kind: str) -> Any:
        if kind == "aliases-param0":
            return params[0].reshape(-1)[2:6]
        if kind == "aliases-state":
            return next(v for k, v in opt.state[1].items() if k not in NOT_BUFFERS)
        return BAD_PARAM_KINDS[kind]()

    new = [make(kind) for kind in kinds]
    if good_first:
        new.insert(0, np.ones(3, dtype))
    with unchanged(opt), pytest.raises((TypeError, ValueError), match=r"params\[\d+\]|shares"):
        opt.add_param_group({"params": new})
    assert len(opt.param_groups) == 1
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


# ------------------------------------------------------------------ fuzz: structural edits
@FUZZ
@given(
    st.sampled_from(NAMES),
    st.sampled_from(sorted(IMPLS)),
    st.sampled_from(DTYPES),
    st.lists(st.sampled_from(sorted(STRUCTURAL_EDITS)), min_size=1, max_size=3, unique=True),
)
def test_fuzz_structural_edits(name, implementation, dtype, edits):
    impl = IMPLS[implementation]
    opt, params = _two_groups(impl, name, dtype)
    groups = list(opt.param_groups)
    saved = [dict(g, params=list(g["params"])) for g in groups]
    for edit in edits:
        try:
            STRUCTURAL_EDITS[edit][0](opt, params)
        except (AttributeError, IndexError, KeyError, TypeError):
            pass  # an earlier edit removed what this one edits
    before = bytes_of(opt, params)
    with pytest.raises((TypeError, ValueError), match="param_groups"):
        opt.step(make_grads(params, 3))
    assert bytes_of(opt, params) == before
    opt.param_groups = groups
    for group, kept in zip(groups, saved):
        group.clear()
        group.update(kept)
    twin, twin_params = _two_groups(impl, name, dtype)
    opt.step(make_grads(params, 3))
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert p.tobytes() == q.tobytes()


# ------------------------------------------------------------------ fuzz: fo.minimize's fun
RETURNS = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(allow_nan=False, min_magnitude=1e-3, max_magnitude=10),
    st.integers(min_value=2**1030, max_value=2**1100),
    st.sampled_from([2, 4])
    .flatmap(lambda n: st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    .map(np.array),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@FUZZ
@given(
    st.sampled_from(["lbfgs", "newton", "newton-cg"]),
    st.one_of(
        RETURNS.map(lambda f: ("f", f)),
        RETURNS.map(lambda g: ("g", g)),
        st.sampled_from([(), (1.0,), (1.0, 2.0, 3.0)]).map(lambda r: ("pair", r)),
    ),
)
def test_fuzz_bad_fun_returns(method, bad):
    where, value = bad
    x0 = np.array([0.5, -1.0, 2.0])
    kept = x0.tobytes()

    def fun(x: np.ndarray) -> Any:
        if where == "pair":
            return value
        return (value, 2 * x) if where == "f" else (float(x @ x), value)

    extra = {"hess": lambda x: 2 * np.eye(3)} if method == "newton" else {}
    expected = {"f": "fun returned f", "g": "fun returned a gradient", "pair": r"\(f, g\)"}
    with pytest.raises((TypeError, ValueError), match=expected[where]):
        fo.minimize(fun, x0, method=method, **extra)
    assert x0.tobytes() == kept
    assert fo.minimize(_quadratic, x0, method=method, **extra).success
