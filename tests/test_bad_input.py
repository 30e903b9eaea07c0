"""Bad input is rejected with a message naming the argument, and changes nothing.

Every rejected call below runs on an optimizer that has taken two good steps,
inside :func:`unchanged`, which asserts that all parameters, all optimizer
state and all parameter groups are bit-identical before and after the call.
Accepted conversions (gradient dtype, lists, strides) must update the caller's
arrays in place, exactly like the NumPy reference given the converted gradient.
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

from ._declared import BY_NAME, NOT_BUFFERS, all_options, bad_hyperparameters
from ._dtypes import bfloat16
from ._tolerance import TrajectoryBound, named_arrays
from .conftest import NAMES, frozen, snapshot

SHAPES = ((3, 4), (5,), (2, 3))
# Hyperparameters under which every algorithm keeps every state buffer it has.
KWARGS: dict[str, dict[str, Any]] = {name: all_options(name) for name in NAMES}
# A message naming two parameters that overlap.
OVERLAP = r"params\[\d+\] (is the same array as|shares memory with) params\[\d+\]"


# ------------------------------------------------------------------ helpers
def make_params(dtype: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def make_grads(params: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


def train(impl: Any, name: str, dtype: Any) -> tuple[Any, list[np.ndarray]]:
    """An optimizer over three parameters after two good steps, and the parameters."""
    params = make_params(dtype)
    opt = getattr(impl, name)(params, **KWARGS[name])
    for seed in (1, 2):
        opt.step(make_grads(params, seed))
    assert sorted(opt.state) == [0, 1, 2]
    return opt, params


@contextlib.contextmanager
def unchanged(opt: Any, *arrays: np.ndarray) -> Iterator[None]:
    """Assert that parameters, state and groups of ``opt`` (and ``arrays``) stay bit-identical."""
    before = snapshot(opt, *arrays)
    yield
    after = snapshot(opt, *arrays)
    for key in before:
        assert after[key] == before[key], f"the rejected call changed the optimizer's {key}"


def assert_still_steps_like_a_fresh_twin(opt: Any, impl: Any, name: str, dtype: Any) -> None:
    """After a rejected call, a good step gives what it gives on an untouched twin."""
    twin, twin_params = train(impl, name, dtype)
    params = [p for group in opt.param_groups for p in group["params"]]
    opt.step(make_grads(params, 3))
    twin.step(make_grads(twin_params, 3))
    for p, q in zip(params, twin_params):
        assert frozen(p) == frozen(q)


def opt_class(impl: Any, name: str) -> Any:
    return getattr(impl, name)


@pytest.fixture
def trained(impl: Any, name: str, dtype: np.dtype) -> tuple[Any, list[np.ndarray]]:
    return train(impl, name, dtype)


# ------------------------------------------------------------------ parameters
def _torch_tensor() -> Any:
    torch = pytest.importorskip("torch")
    return torch.zeros(4)


def _read_only() -> np.ndarray:
    a = np.zeros(4)
    a.flags.writeable = False
    return a


# case -> (make the bad parameter, exception, what the message says after its name)
BAD_PARAMS = {
    "complex64": (lambda: np.zeros(4, np.complex64), TypeError, "dtype"),
    "int32": (lambda: np.zeros(4, np.int32), TypeError, "dtype"),
    "longdouble": (lambda: np.zeros(4, np.longdouble), TypeError, "dtype"),
    "big-endian-f4": (lambda: np.zeros(4, ">f4"), TypeError, "dtype"),
    "big-endian-bf16": (lambda: np.zeros(4, bfloat16.newbyteorder(">")), TypeError, "dtype"),
    "list": (lambda: [0.0, 1.0, 2.0], TypeError, "numpy.ndarray"),
    "torch-tensor": (_torch_tensor, TypeError, "numpy.ndarray"),
    "strided": (lambda: np.zeros(8)[::2], ValueError, "contiguous"),
    "transposed": (lambda: np.zeros((3, 4)).T, ValueError, "contiguous"),
    "read-only": (_read_only, ValueError, "read-only"),
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_constructor_rejects_bad_param(impl, name, case):
    make, exc, what = BAD_PARAMS[case]
    good = np.zeros(3)
    with pytest.raises(exc, match=rf"params\[1\].*{what}"):
        opt_class(impl, name)([good, make()])
    assert not good.any()


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
def test_add_param_group_rejects_bad_param(trained, case):
    opt, _ = trained
    make, exc, what = BAD_PARAMS[case]
    with unchanged(opt), pytest.raises(exc, match=rf"params\[3\].*{what}"):
        opt.add_param_group({"params": [make()]})


def test_same_array_twice(impl, name):
    a = np.zeros(4)
    with pytest.raises(ValueError, match=OVERLAP):
        opt_class(impl, name)([a, np.zeros(2), a])


def test_overlapping_views_of_one_buffer(impl, name):
    buf = np.zeros(20)
    with pytest.raises(ValueError, match=OVERLAP):
        opt_class(impl, name)([buf[:10], buf[5:15]])


def test_adjacent_views_of_one_buffer_are_fine(impl, name):
    buf = np.ones(20)
    opt = opt_class(impl, name)([buf[:10], buf[10:]], lr=0.1)
    opt.step([np.ones(10), np.ones(10)])
    assert (buf < 1).all()


def test_param_in_two_groups(impl, name):
    a, b, c = np.zeros(4), np.zeros(3), np.zeros(2)
    with pytest.raises(ValueError, match=OVERLAP):
        opt_class(impl, name)([{"params": [a, b]}, {"params": [c, a]}])


@pytest.mark.parametrize("overlap", ["same-array", "whole-view", "partial-view", "mixed-group"])
def test_add_param_group_overlapping_existing(trained, overlap):
    opt, params = trained
    fresh = np.zeros(3, params[1].dtype)
    new = {
        "same-array": [params[1]],
        "whole-view": [params[1][...]],
        "partial-view": [params[0].reshape(-1)[4:9]],
        "mixed-group": [fresh, params[2].reshape(-1)[1:]],
    }[overlap]
    with unchanged(opt, fresh), pytest.raises(ValueError, match=OVERLAP):
        opt.add_param_group({"params": new})
    assert len(opt.param_groups) == 1


class HashableArray(np.ndarray):
    """NumPy arrays are unhashable; this one can go into a set, as torch tensors can."""

    __hash__ = object.__hash__


@pytest.mark.parametrize("kind", [set, frozenset])
def test_params_as_a_set(impl, name, kind):
    params = kind(np.zeros(3).view(HashableArray) for _ in range(2))
    with pytest.raises(TypeError, match="params"):
        opt_class(impl, name)(params)
    with pytest.raises(TypeError, match="params"):
        opt_class(impl, name)([{"params": params}])


def test_add_param_group_with_a_set(trained):
    opt, _ = trained
    with unchanged(opt), pytest.raises(TypeError, match="params"):
        opt.add_param_group({"params": {np.zeros(3).view(HashableArray)}})


@pytest.mark.parametrize("empty", [[], (), iter([])], ids=["list", "tuple", "iterator"])
def test_empty_params(impl, name, empty):
    with pytest.raises(ValueError, match="params"):
        opt_class(impl, name)(empty)


# ------------------------------------------------------------------ gradients
def _state_buffer(opt: Any, index: int) -> np.ndarray:
    """A live state buffer of parameter ``index``, as ``opt.state`` exposes it."""
    return next(v for k, v in opt.state[index].items() if k not in NOT_BUFFERS)


def _object_array(grads: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(grads), dtype=object)
    for i, g in enumerate(grads):
        out[i] = g
    return out


# The bad gradient is always the last one (grads[2], shape (2, 3)), so an
# implementation that applied the earlier ones before checking would be caught.
# case -> (build the grads from (opt, params, good grads), exception, message pattern)
BAD_GRADS = {
    "too-few": (lambda opt, ps, gs: gs[:-1], ValueError, r"grads has 2 entries, expected 3"),
    "too-many": (lambda opt, ps, gs: [*gs, gs[0]], ValueError, r"grads has 4 entries, expected 3"),
    "wrong-shape": (lambda opt, ps, gs: [*gs[:-1], np.zeros((3, 2))], ValueError, r"grads\[2\]"),
    "transposed-shape": (lambda opt, ps, gs: [*gs[:-1], gs[-1].T], ValueError, r"grads\[2\]"),
    "complex": (
        lambda opt, ps, gs: [*gs[:-1], gs[-1].astype(np.complex128)],
        TypeError,
        r"grads\[2\]",
    ),
    "object": (lambda opt, ps, gs: [*gs[:-1], gs[-1].astype(object)], TypeError, r"grads\[2\]"),
    "string": (lambda opt, ps, gs: [*gs[:-1], "abc"], TypeError, r"grads\[2\]"),
    "string-array": (
        lambda opt, ps, gs: [*gs[:-1], np.full((2, 3), "1.0")],
        TypeError,
        r"grads\[2\]",
    ),
    "is-the-param": (lambda opt, ps, gs: [*gs[:-1], ps[2]], ValueError, r"grads\[2\]"),
    "view-of-the-param": (lambda opt, ps, gs: [*gs[:-1], ps[2][...]], ValueError, r"grads\[2\]"),
    "view-of-another-param": (
        lambda opt, ps, gs: [*gs[:-1], ps[0].reshape(-1)[:6].reshape(2, 3)],
        ValueError,
        r"grads\[2\]",
    ),
    "own-state-buffer": (
        lambda opt, ps, gs: [*gs[:-1], _state_buffer(opt, 2)],
        ValueError,
        r"grads\[2\]",
    ),
    "view-of-another-state-buffer": (
        lambda opt, ps, gs: [*gs[:-1], _state_buffer(opt, 0).reshape(-1)[6:].reshape(2, 3)],
        ValueError,
        r"grads\[2\]",
    ),
    "ndarray-of-grads": (lambda opt, ps, gs: _object_array(gs), TypeError, r"grads must be a list"),
    "one-array": (lambda opt, ps, gs: gs[0], TypeError, r"grads must be a list"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRADS))
def test_bad_grads(trained, impl, name, dtype, case):
    opt, params = trained
    build, exc, pattern = BAD_GRADS[case]
    grads = build(opt, params, make_grads(params, 3))
    with unchanged(opt), pytest.raises(exc, match=pattern):
        opt.step(grads)
    assert_still_steps_like_a_fresh_twin(opt, impl, name, dtype)


def test_param_made_read_only_after_construction(trained):
    opt, params = trained
    params[2].flags.writeable = False
    with unchanged(opt), pytest.raises(ValueError, match=r"params\[2\].*read-only"):
        opt.step(make_grads(params, 3))


# ------------------------------------------------------------------ hyperparameters
# (id, algorithm, overrides, exception, message pattern): every hyperparameter
# of every optimizer with each value its check refuses, and the rules joining two.
BAD_HYPERS = [
    *bad_hyperparameters(),
    (
        "SGD-nesterov-no-momentum",
        "SGD",
        {"nesterov": True, "momentum": 0.0},
        ValueError,
        "nesterov",
    ),
    ("SGD-nesterov-dampening", "SGD", {"nesterov": True, "dampening": 0.5}, ValueError, "nesterov"),
]
HYPER_CASES = [
    pytest.param(algo, overrides, exc, pattern, id=case)
    for case, algo, overrides, exc, pattern in BAD_HYPERS
]


@pytest.mark.parametrize(("algo", "overrides", "exc", "pattern"), HYPER_CASES)
def test_bad_hyperparameter_in_constructor(impl, algo, overrides, exc, pattern):
    params = make_params(np.float32)
    kept = [p.copy() for p in params]
    with pytest.raises(exc, match=pattern):
        opt_class(impl, algo)(params, **{**KWARGS[algo], **overrides})
    for p, q in zip(params, kept):
        assert frozen(p) == frozen(q)


@pytest.mark.parametrize(("algo", "overrides", "exc", "pattern"), HYPER_CASES)
def test_bad_hyperparameter_in_add_param_group(impl, algo, overrides, exc, pattern):
    opt, _ = train(impl, algo, np.float32)
    new = np.ones(3, np.float32)
    with unchanged(opt, new), pytest.raises(exc, match=pattern):
        opt.add_param_group({"params": [new], **overrides})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(("algo", "overrides", "exc", "pattern"), HYPER_CASES)
def test_bad_hyperparameter_set_between_steps(impl, algo, overrides, exc, pattern):
    """A schedule writing a bad value into a group: the next step raises and changes nothing."""
    opt, params = train(impl, algo, np.float32)
    opt.param_groups[0].update(overrides)
    with unchanged(opt), pytest.raises(exc, match=pattern):
        opt.step(make_grads(params, 3))


def test_schedule_setting_negative_lr_in_second_group(impl, name):
    params = make_params(np.float32)
    opt = opt_class(impl, name)([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
    opt.step(make_grads(params, 1))
    opt.param_groups[1]["lr"] = -1.0
    with unchanged(opt), pytest.raises(ValueError, match=r"\blr\b"):
        opt.step(make_grads(params, 2))


# ------------------------------------------------------------------ accepted conversions
CONVERSIONS = {
    "other-float-dtype": lambda g: g.astype(np.float64 if g.dtype == np.float32 else np.float32),
    "float16": lambda g: g.astype(np.float16),
    "list": lambda g: g.tolist(),
    "non-contiguous": lambda g: np.repeat(g, 2, axis=-1)[..., ::2],
    "fortran-order": lambda g: np.asfortranarray(g),
    "read-only": lambda g: np.frombuffer(g.tobytes(), g.dtype).reshape(g.shape),
    "big-endian": lambda g: g.astype(g.dtype.newbyteorder(">")),
    "broadcast": lambda g: np.broadcast_to(g[..., :1], g.shape),
    "int64": lambda g: np.round(4 * g).astype(np.int64),
    "int32": lambda g: np.round(4 * g).astype(np.int32),
}


@pytest.mark.parametrize("case", sorted(CONVERSIONS))
def test_converted_grads_update_params_in_place(impl, name, dtype, case):
    convert = CONVERSIONS[case]
    params = make_params(dtype)
    addresses = [p.__array_interface__["data"][0] for p in params]
    expected = [p.copy() for p in params]
    opt = opt_class(impl, name)(params, **KWARGS[name])
    oracle = opt_class(fusedopt.reference, name)(expected, **KWARGS[name])
    bound = TrajectoryBound()
    bound.observe(named_arrays(oracle), initial=True)
    for seed in (1, 2, 3):
        raw = [convert(g) for g in make_grads(params, seed)]
        kept = copy.deepcopy(raw)
        oracle.step([np.asarray(g, dtype=dtype) for g in raw])
        bound.observe(named_arrays(oracle))
        opt.step(raw)
        for g, k in zip(raw, kept):
            np.testing.assert_array_equal(g, k)  # the gradient itself is left alone
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], params))
    for p, address in zip(params, addresses):
        assert p.__array_interface__["data"][0] == address
        assert p.dtype == dtype and p.flags.c_contiguous and p.flags.writeable
    bound.assert_close(named_arrays(opt), f"gradients given as {case}")


def test_none_grad_skips_parameter(trained, name):
    opt, params = trained
    param_before = frozen(params[1])
    state_before = {k: frozen(v) for k, v in opt.state[1].items()}

    def others() -> list[Any]:
        # The state too: a small update can round to no change of a bfloat16
        # parameter (Adadelta's first steps), never of its state.
        return [frozen(params[i]) for i in (0, 2)] + [
            {k: frozen(v) for k, v in opt.state[i].items()} for i in (0, 2)
        ]

    others_before = others()
    grads = make_grads(params, 3)
    grads[1] = None
    opt.step(grads)
    assert frozen(params[1]) == param_before
    assert {k: frozen(v) for k, v in opt.state[1].items()} == state_before
    assert others() != others_before
    if BY_NAME[name].has_step:
        assert [opt.state[i]["step"] for i in range(3)] == [3, 2, 3]


def test_none_grad_from_the_start_creates_no_state(impl, name, dtype):
    params = make_params(dtype)
    kept = params[1].copy()
    opt = opt_class(impl, name)(params, **KWARGS[name])  # every config decays weights
    for seed in (1, 2):
        grads = make_grads(params, seed)
        grads[1] = None
        opt.step(grads)
    assert frozen(params[1]) == frozen(kept)
    # Adagrad's state exists from construction on, as torch's does.
    expected = [0, 1, 2] if BY_NAME[name].state_at_construction else [0, 2]
    assert sorted(opt.state) == expected
    assert sorted(opt.state_dict()["state"]) == expected


def test_all_none_grads_change_nothing(trained):
    opt, _ = trained
    with unchanged(opt):
        opt.step([None, None, None])
