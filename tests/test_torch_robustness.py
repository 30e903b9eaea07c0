"""fusedopt.torch under bad input: the reproducers of the fuzzing + ASan/UBSan
campaign, and hypothesis fuzzing of the same classes.

Every rejected call must raise a clear error naming what is wrong and leave
parameters, state and param_groups byte-identical (``unchanged``); afterwards
a valid step must work and give what it gives on an untouched twin
(``assert_steps_like_twin``). Where torch.optim follows a change (a parameter
given new memory of the same shape, a parameter removed from or added to
param_groups), fusedopt.torch must follow it the same way (compared with
torch.optim).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ._declared import BY_NAME, NAMES, TORCH_PEERS, peer_grid, state_keys  # noqa: E402

# Options under which every algorithm keeps every state buffer it has.
# (Only those the torch peer has too: Lion's peer, lion_pytorch, has no maximize.)
KWARGS: dict[str, dict[str, Any]] = {name: {"lr": 0.01, **peer_grid(name)[-1]} for name in NAMES}
# The state buffers under KWARGS, in the kernel's order.
BUFFERS = {
    name: tuple(n for n in BY_NAME[name].state_names if n in state_keys(name, KWARGS[name]))
    for name in NAMES
}
WITH_STEP = tuple(name for name in NAMES if BY_NAME[name].has_step)
SHAPES = ((3, 4), (5,), (2, 3))
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def entries(name: str) -> tuple[str, ...]:
    """Every state entry the algorithm keeps under KWARGS."""
    return (
        BUFFERS[name] + BY_NAME[name].scalar_names + (("step",) if BY_NAME[name].has_step else ())
    )


# ------------------------------------------------------------------ helpers
def set_grads(params: list[Any], seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)


def trained(
    name: str, dtype: Any = torch.float32, impl: Any = None, **options: Any
) -> tuple[list[Any], Any]:
    """Three parameters and an optimizer (fusedopt.torch's, or ``impl``'s) after two
    steps, with KWARGS and ``options``."""
    g = torch.Generator().manual_seed(0)
    params = [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in SHAPES]
    opt = getattr(impl or ft, name)(params, **{**KWARGS[name], **options})
    for seed in (1, 2):
        set_grads(params, seed)
        opt.step()
    return params, opt


def covered(t: Any) -> bool:
    """Whether the tensor's storage still holds all of it (torch itself reads and
    writes out of bounds on one that it does not, e.g. after storage().resize_(0))."""
    if t.numel() == 0:
        return True
    last = t.storage_offset() + sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    return t.data_ptr() != 0 and (last + 1) * t.element_size() <= t.untyped_storage().nbytes()


def frozen(value: Any) -> Any:
    """A comparable, bit-exact record of ``value``; tensors whose storage no longer
    covers them are recorded without reading their memory."""
    if not isinstance(value, torch.Tensor):
        return (type(value).__name__, repr(value))
    meta = (value.dtype, tuple(value.shape), value.stride(), value.storage_offset())
    if not covered(value):
        return ("tensor without memory", meta, value.untyped_storage().nbytes())
    data = torch.empty(value.shape, dtype=value.dtype).copy_(value.detach())
    return ("tensor", meta, bytes(data.view(-1).view(torch.uint8).numpy()))


def snapshot(opt: Any, params: list[Any]) -> dict[str, Any]:
    index = {id(p): i for i, p in enumerate(params)}

    def key(obj: Any) -> Any:  # never repr() a tensor: torch's repr reads its memory
        return index[id(obj)] if id(obj) in index else (type(obj).__name__, id(obj))

    return {
        "params": [frozen(p) for p in params],
        "state": {
            key(k): {name: frozen(v) for name, v in dict(e).items()}
            for k, e in dict(opt.state).items()
        },
        "groups": [
            {k: [key(p) for p in v] if k == "params" else frozen(v) for k, v in g.items()}
            for g in opt.param_groups
        ],
    }


@contextlib.contextmanager
def unchanged(opt: Any, params: list[Any]) -> Iterator[None]:
    """Assert that nothing of ``opt`` and ``params`` changed, byte for byte."""
    before = snapshot(opt, params)
    yield
    after = snapshot(opt, params)
    for key in before:
        assert after[key] == before[key], f"the rejected call changed the {key}"


def assert_steps_like_twin(name: str, opt: Any, params: list[Any], seed: int = 3) -> None:
    """After a rejected call, a valid step gives what it gives on an untouched twin."""
    twin_params, twin = trained(name, params[0].dtype)
    for p, q in zip(params, twin_params):
        assert frozen(p) == frozen(q)
    set_grads(params, seed)
    set_grads(twin_params, seed)
    opt.step()
    twin.step()
    for p, q in zip(params, twin_params):
        assert frozen(p) == frozen(q)
    for p, q in zip(params, twin_params):
        for key, value in twin.state[q].items():
            assert frozen(opt.state[p][key]) == frozen(value), key


def rejects(opt: Any, params: list[Any], call: Any, error: type, match: str) -> None:
    with unchanged(opt, params), pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ 1. state resized in place
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [64, 0, 5], ids=["grown", "emptied", "shrunk"])
def test_state_tensor_resized_in_place_is_an_error_naming_it(name: str, size: int) -> None:
    """Reproducer: opt.state[p]["exp_avg"].resize_(4 * n), then step() wrote through a
    freed pointer (torch.optim raises at the step: the shapes no longer match)."""
    for entry in entries(name):
        params, opt = trained(name)
        opt.state[params[0]][entry].resize_(size)
        rejects(opt, params, opt.step, ValueError, rf"state '{entry}' of params\[0\]")
        one_value = entry == "step" or entry in BY_NAME[name].scalar_names
        valid = torch.tensor(2.0) if one_value else torch.zeros_like(params[0])
        opt.state[params[0]][entry] = valid
        opt.step()  # a valid state again: the step works


def test_parameter_whose_fixed_storage_failed_to_grow_is_refused() -> None:
    """torch's resize_ sets the new size before it fails to grow a storage that is not
    resizable (torch.from_numpy's), without bumping the version counter."""
    import numpy as np

    params = [torch.from_numpy(np.ones((3, 4), np.float32))]  # a leaf not requiring grad
    opt = ft.SGD(params, lr=0.1)
    set_grads(params, 1)
    opt.step()
    with pytest.raises(RuntimeError, match="not resizable"):
        params[0].resize_(64)
    assert params[0].shape == (64,)
    rejects(opt, params, opt.step, ValueError, r"params\[0\] reaches past the end of its storage")


@pytest.mark.parametrize("name", NAMES)
def test_state_tensor_storage_freed_or_moved_is_an_error_or_followed(name: str) -> None:
    params, opt = trained(name)
    opt.load_state_dict(copy.deepcopy(opt.state_dict()))  # resizable, torch-made tensors
    buffer = opt.state[params[0]][BUFFERS[name][0]]
    buffer.untyped_storage().resize_(0)
    rejects(opt, params, opt.step, ValueError, rf"'{BUFFERS[name][0]}' of params\[0\].*no storage")

    # share_memory_() moves a state tensor's memory: followed, as torch.optim does.
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    for o, ps in ((opt, params), (reference, reference_params)):
        o.state[ps[2]][BUFFERS[name][0]].share_memory_()
        set_grads(ps, 5)
        o.step()
    for p, q in zip(params, reference_params):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_state_tensor_changed_in_place_is_followed_or_refused(name: str) -> None:
    buffer = BUFFERS[name][0]
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    for o, ps in ((opt, params), (reference, reference_params)):
        o.state[ps[0]][buffer].mul_(0.5)  # values: followed, as by torch
        o.state[ps[1]][buffer].data = o.state[ps[1]][buffer].clone()  # new memory: followed
        set_grads(ps, 5)
        o.step()
    for p, q in zip(params, reference_params):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)

    params, opt = trained(name)
    opt.state[params[0]][buffer].t_()  # (3, 4) -> (4, 3): torch would fail on the shape
    rejects(opt, params, opt.step, ValueError, rf"state '{buffer}' of params\[0\] has shape")
    params, opt = trained(name)
    opt.state[params[0]][buffer].data = torch.zeros(4, 3).t()  # p's shape, not contiguous
    rejects(opt, params, opt.step, ValueError, rf"'{buffer}' of params\[0\] was changed in place")
    if BY_NAME[name].has_step:
        params, opt = trained(name)
        opt.state[params[1]]["step"].fill_(float("nan"))
        rejects(opt, params, opt.step, ValueError, r"'step' of params\[1\].*whole number")


# ------------------------------------------------------------------ 2. parameters swapped
@pytest.mark.parametrize("name", NAMES)
def test_parameter_data_replaced_by_other_memory_is_checked(name: str) -> None:
    """Reproducer: p.data = empty(0); p.data = ones(n - 24) landed at the old address
    and was written past its end; a float64 tensor of the same bytes was stepped as
    float32."""
    params, opt = trained(name)
    params[0].data = torch.empty(0)
    params[0].data = torch.ones(12 - 3)
    rejects(opt, params, opt.step, ValueError, r"params\[0\]")
    params, opt = trained(name)
    params[0].data = torch.empty(0)
    params[0].data = torch.ones(6, dtype=torch.float64)  # 48 bytes, as (3, 4) float32
    rejects(opt, params, opt.step, ValueError, r"params\[0\]")


@pytest.mark.parametrize("name", NAMES)
def test_parameter_data_replaced_like_torch_is_followed(name: str) -> None:
    """p.data = a tensor of p's shape and dtype is legal in torch (ZeRO's bucket views)."""
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    for o, ps in ((opt, params), (reference, reference_params)):
        ps[0].data = ps[0].detach().clone() * 2
        set_grads(ps, 5)
        o.step()
    for p, q in zip(params, reference_params):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stateless_parameter_given_other_memory_and_gradient_is_followed_like_torch(
    dtype: Any,
) -> None:
    """Without state, torch.optim.SGD updates whatever p and p.grad are now, even of
    another shape or dtype (the reproducer's float64 tensor, stepped as float32 before)."""
    ours, theirs = torch.zeros(1000, requires_grad=True), torch.zeros(1000, requires_grad=True)
    opt, reference = ft.SGD([ours], lr=0.5), torch.optim.SGD([theirs], lr=0.5)
    for p, o in ((ours, opt), (theirs, reference)):
        p.grad = torch.ones(1000)
        o.step()
        p.data = torch.empty(0)
        p.data = torch.ones(976 if dtype is torch.float32 else 488, dtype=dtype)
        p.grad = torch.full_like(p, -3.0)
        o.step()
    assert ours.dtype is dtype
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    torch.testing.assert_close(ours, torch.full_like(ours, 2.5))


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reused_by_zero_grad_without_none_follow_torch(name: str) -> None:
    """zero_grad(set_to_none=False) keeps each gradient tensor and changes it in place
    (its version changes every step): its current values are used, as by torch."""
    models = []
    for _ in range(2):
        torch.manual_seed(0)
        models.append(torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Tanh(),
                                          torch.nn.Linear(4, 1)))  # fmt: skip
    opts = [getattr(impl, name)(model.parameters(), **KWARGS[name])
            for impl, model in ((ft, models[0]), (TORCH_PEERS, models[1]))]  # fmt: skip
    x, y = torch.randn(16, 6), torch.randn(16, 1)
    for _ in range(5):
        for model, opt in zip(models, opts):
            opt.zero_grad(set_to_none=False)
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ 3. aliasing
def _alias_cases(name: str) -> list[tuple[str, Any, str]]:
    """(what, change of a state dict given the parameters, the error expected)."""
    b = BUFFERS[name][0]

    def own_parameter(sd: Any, ps: list[Any]) -> None:
        sd["state"][0][b] = ps[0].detach()

    def inside_another_parameter(sd: Any, ps: list[Any]) -> None:
        sd["state"][1][b] = ps[0].detach().view(-1)[2:7]  # params[1] has 5 elements

    def state_of_another_parameter(sd: Any, ps: list[Any]) -> None:
        shared = torch.zeros(12)
        sd["state"][0][b] = shared.view(3, 4)
        sd["state"][2][b] = shared[3:9].view(2, 3)

    cases = [
        ("its own parameter", own_parameter,
         rf"'{b}' of params\[0\] shares memory with params\[0\]"),
        ("inside another parameter", inside_another_parameter,
         rf"'{b}' of params\[1\] shares memory with params\[0\]"),
        ("another parameter's state", state_of_another_parameter,
         rf"'{b}' of params\[\d\] shares memory with state '{b}' of params\[\d\]"),
    ]  # fmt: skip
    if len(BUFFERS[name]) > 1:
        c = BUFFERS[name][1]

        def same_tensor_twice(sd: Any, ps: list[Any]) -> None:
            sd["state"][0][c] = sd["state"][0][b]

        cases.append(
            ("two entries, one tensor", same_tensor_twice,
             rf"state '(?:{b}|{c})' of params\[0\] shares memory with state '(?:{b}|{c})'")
        )  # fmt: skip
    return cases


@pytest.mark.parametrize(
    ("name", "case"),
    [(n, k) for n in NAMES for k in range(4) if k < len(_alias_cases(n))],
)
def test_aliasing_state_is_refused(name: str, case: int) -> None:
    """Reproducer: state tensors inside a parameter, being the parameter, or shared
    by two entries were bound (the kernels' pointers are __restrict)."""
    _, change, match = _alias_cases(name)[case]
    params, opt = trained(name)
    state_dict = copy.deepcopy(opt.state_dict())
    change(state_dict, params)
    rejects(opt, params, lambda: opt.load_state_dict(state_dict), ValueError, match)
    assert_steps_like_twin(name, opt, params)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_sharing_memory_with_a_parameter_or_state_is_refused(name: str) -> None:
    params, opt = trained(name)
    opt.load_state_dict(copy.deepcopy(opt.state_dict()))
    set_grads(params, 3)
    params[1].grad = params[0].detach().view(-1)[3:8]
    rejects(opt, params, opt.step, ValueError, r"params\[1\]\.grad shares memory with params\[0\]")
    set_grads(params, 3)
    params[0].grad = opt.state[params[0]][BUFFERS[name][0]]
    rejects(opt, params, opt.step, ValueError, r"params\[0\]\.grad shares memory with state")
    assert_steps_like_twin(name, opt, params)


# ------------------------------------------------------------------ 4. all or nothing
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "corrupt",
    [
        lambda sd, b: sd["state"][1].__setitem__(b, torch.zeros(7)),
        lambda sd, b: sd["state"][2].__setitem__(b, "not a tensor"),
        lambda sd, b: sd["state"].__setitem__(1, None),
        lambda sd, b: sd["param_groups"][0].__setitem__("lr", -1.0),
    ],
    ids=["wrong shape", "not a tensor", "entry not a dict", "bad lr"],
)
def test_load_state_dict_is_all_or_nothing(name: str, corrupt: Any) -> None:
    """Reproducer: a bad entry for params[1] had already replaced params[0]'s state,
    and every later step failed."""
    params, opt = trained(name)
    state_dict = copy.deepcopy(opt.state_dict())
    for entry in state_dict["state"].values():  # the new state differs from the current one
        for key, value in entry.items():
            if key != "step":
                value.mul_(2.0)
    corrupt(state_dict, BUFFERS[name][0])
    with unchanged(opt, params), pytest.raises((TypeError, ValueError), match=r"params|state|lr"):
        opt.load_state_dict(state_dict)
    assert_steps_like_twin(name, opt, params)


# ------------------------------------------------------------------ 5. structural edits
def _step_both(
    opt: Any, params: list[Any], reference: Any, reference_params: list[Any], seed: int
) -> None:
    for o, ps in ((opt, params), (reference, reference_params)):
        set_grads(ps, seed)
        o.step()
    for p, q in zip(params, reference_params):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def _edit_groups(opt: Any, params: list[Any], edit: str) -> None:
    """One edit of param_groups, as a user (or a library) makes it between steps."""
    if edit == "remove a parameter":
        del opt.param_groups[0]["params"][1]
    elif edit == "append a parameter":
        new = torch.ones(4, requires_grad=True)
        opt.param_groups[0]["params"].append(new)
        params.append(new)
    elif edit == "delete a group":
        del opt.param_groups[1]
        del params[3]
    elif edit == "reorder":
        opt.param_groups[0]["params"].reverse()
    else:
        opt.param_groups[0]["params"] = tuple(opt.param_groups[0]["params"])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "edit", ["remove a parameter", "append a parameter", "delete a group", "reorder", "tuple"]
)
def test_param_groups_edited_in_place_are_followed_like_torch(name: str, edit: str) -> None:
    """Reproducer: a parameter removed from param_groups[i]['params'] kept being updated;
    `del opt.param_groups[k]` gave 'internal: missing hyperparameters for a group'."""
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    for o, ps in ((opt, params), (reference, reference_params)):
        ps.append(torch.full((4,), 0.5, requires_grad=True))
        o.add_param_group({"params": [ps[-1]], "lr": 0.05})
    _step_both(opt, params, reference, reference_params, 4)
    removed = params[1].detach().clone()
    for o, ps in ((opt, params), (reference, reference_params)):
        _edit_groups(o, ps, edit)
    _step_both(opt, params, reference, reference_params, 5)
    _step_both(opt, params, reference, reference_params, 6)
    if edit == "remove a parameter":
        assert torch.equal(params[1], removed)


@pytest.mark.parametrize("name", NAMES)
def test_broken_param_groups_are_errors_naming_them(name: str) -> None:
    params, opt = trained(name)
    opt.param_groups[0]["params"].append(params[0])  # twice: torch would update it twice
    rejects(opt, params, opt.step, ValueError, r"params\[3\] is params\[0\]")
    opt.param_groups[0]["params"].pop()
    opt.param_groups[0]["params"].append("a string")
    rejects(opt, params, opt.step, TypeError, r"params\[3\] must be a torch.Tensor")
    opt.param_groups[0]["params"].pop()
    lr = opt.param_groups[0].pop("lr")
    rejects(opt, params, opt.step, ValueError, r"param_groups\[0\] has no 'lr'")
    opt.param_groups[0]["lr"] = "fast"
    rejects(opt, params, opt.step, (TypeError, ValueError), r"param_groups\[0\]: lr")
    opt.param_groups[0]["lr"] = lr
    assert_steps_like_twin(name, opt, params)


# ------------------------------------------------------------------ 6. AdamW loads
def test_adam_state_dict_loaded_into_adamw_decays_decoupled_like_torch() -> None:
    """torch's AdamW.__setstate__ forces decoupled_weight_decay=True: an Adam state_dict
    must not turn AdamW into Adam."""
    params, adam = trained("Adam", decoupled_weight_decay=False)
    state_dict = copy.deepcopy(adam.state_dict())
    assert state_dict["param_groups"][0]["decoupled_weight_decay"] is False
    ours_params = [p.detach().clone().requires_grad_() for p in params]
    theirs_params = [p.detach().clone().requires_grad_() for p in params]
    ours = ft.AdamW(ours_params)
    theirs = torch.optim.AdamW(theirs_params)
    ours.load_state_dict(copy.deepcopy(state_dict))
    theirs.load_state_dict(copy.deepcopy(state_dict))
    assert ours.param_groups[0]["decoupled_weight_decay"] is True
    _step_both(ours, ours_params, theirs, theirs_params, 5)


@pytest.mark.parametrize("name", NAMES)
def test_old_checkpoints_without_new_keys_load_like_torch(name: str) -> None:
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    state_dict = copy.deepcopy(reference.state_dict())
    for group in state_dict["param_groups"]:
        for key in ("foreach", "maximize", "differentiable", "fused", "capturable"):
            group.pop(key, None)
    opt.load_state_dict(copy.deepcopy(state_dict))
    reference.load_state_dict(copy.deepcopy(state_dict))
    _step_both(opt, params, reference, reference_params, 5)


# ------------------------------------------------------------------ 7. errors name the argument
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("corrupt", "error", "match"),
    [
        (lambda sd: sd.__setitem__("state", None), TypeError, r"state_dict\['state'\]"),
        (lambda sd: sd.pop("param_groups"), ValueError, r"state_dict has no 'param_groups'"),
        (lambda sd: sd["param_groups"].append({"params": []}), ValueError, "2 groups"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), ValueError, "has 2 parameters"),
        (lambda sd: sd["param_groups"][0].__setitem__("params", [0, 0, 1]), ValueError, "twice"),
        (lambda sd: sd["state"].__setitem__(0, 3.0), TypeError, r"state_dict\['state'\]\[0\]"),
    ],
)
def test_malformed_state_dicts_are_errors_naming_the_part(
    name: str, corrupt: Any, error: type, match: str
) -> None:
    params, opt = trained(name)
    state_dict = copy.deepcopy(opt.state_dict())
    corrupt(state_dict)
    rejects(opt, params, lambda: opt.load_state_dict(state_dict), error, match)
    assert_steps_like_twin(name, opt, params)


@pytest.mark.parametrize("name", WITH_STEP)
@pytest.mark.parametrize(
    ("step", "error", "match"),
    [
        (torch.tensor(float("nan")), ValueError, "whole number"),
        (-1.0, ValueError, "whole number"),
        (2.5, ValueError, "whole number"),
        (float("inf"), ValueError, "whole number"),
        (torch.ones(3), ValueError, "one-element"),
        ("2", TypeError, "number or a tensor"),
        (None, ValueError, "no 'step'"),
    ],
    ids=["nan", "negative", "fraction", "inf", "three elements", "string", "missing"],
)
def test_bad_step_counts_are_errors_naming_the_entry(
    name: str, step: Any, error: type, match: str
) -> None:
    """Reproducer: a NaN step gave 'cannot convert float NaN to integer'."""
    params, opt = trained(name)
    state_dict = copy.deepcopy(opt.state_dict())
    state_dict["state"][1]["step"] = step
    rejects(opt, params, lambda: opt.load_state_dict(state_dict), error, r"params\[1\]")
    with pytest.raises(error, match=match):
        opt.load_state_dict(state_dict)
    assert_steps_like_twin(name, opt, params)


# ------------------------------------------------------------------ fuzzing
def _expect_rejection_changes_nothing(name: str, opt: Any, params: list[Any], call: Any) -> bool:
    """Run ``call``; if it raises, it must be a TypeError or ValueError with a message,
    and change nothing. Returns whether it raised."""
    before = snapshot(opt, params)
    try:
        call()
    except (TypeError, ValueError) as error:
        assert str(error), "an error without a message"
        assert snapshot(opt, params) == before, f"{error!r} changed something"
        return True
    return False


STATE_DICT_CORRUPTIONS = (
    "shape", "dtype", "step value", "step type", "missing key", "extra key", "extra index",
    "alias param", "alias entry", "entry type", "not contiguous", "sparse", "meta",
    "group value", "group params", "state type",
)  # fmt: skip
BAD_VALUES = (float("nan"), float("inf"), -1.0, 2.5, 0.0, 1e30, "x", None, True, [1], 3)


def _is_dense(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.is_cpu and value.layout is torch.strided


def _corrupt_state_dict(
    sd: dict[str, Any], params: list[Any], name: str, kind: str, i: int, k: int
) -> None:
    entry = sd["state"][i] if isinstance(sd["state"].get(i), dict) else {}
    keys = entries(name)
    key = keys[k % len(keys)]
    buffer = BUFFERS[name][k % len(BUFFERS[name])]
    value = BAD_VALUES[k % len(BAD_VALUES)]
    if kind == "shape":
        entry[buffer] = torch.zeros(k + 1)
    elif kind == "dtype":
        dtypes = (torch.int32, torch.float16, torch.float64, torch.complex64, torch.bool)
        entry[buffer] = torch.zeros(params[i].shape, dtype=dtypes[k % len(dtypes)])
    elif kind == "step value":
        entry["step"] = value if isinstance(value, float) else torch.tensor(float(k) - 2.5)
    elif kind == "step type":
        steps = ("3", None, [1], torch.ones(2), torch.tensor(3), torch.tensor(True))
        entry["step"] = steps[k % len(steps)]
    elif kind == "missing key":
        entry.pop(key, None)
    elif kind == "extra key":
        entry[f"junk{k}"] = torch.zeros(k) if k % 2 else value
    elif kind == "extra index":
        sd["state"][7 + k] = {"step": torch.tensor(1.0)}
    elif kind == "alias param":
        entry[buffer] = params[k % len(params)].detach()
    elif kind == "alias entry":
        other = sd["state"][k % len(params)]
        if isinstance(other, dict) and buffer in other:
            entry[BUFFERS[name][(k + 1) % len(BUFFERS[name])]] = other[buffer]
    elif kind == "entry type":
        sd["state"][i] = value
    elif kind == "not contiguous" and _is_dense(entry.get(buffer)) and entry[buffer].ndim == 2:
        entry[buffer] = entry[buffer].t().contiguous().t()
    elif kind == "sparse" and _is_dense(entry.get(buffer)):
        entry[buffer] = entry[buffer].to_sparse()
    elif kind == "meta":
        entry[buffer] = torch.empty(params[i].shape, device="meta")
    elif kind == "group value":
        group = sd["param_groups"][0]
        hyper = sorted(k for k in group if k != "params")
        group[hyper[k % len(hyper)]] = value
    elif kind == "group params":
        ids = sd["param_groups"][0]["params"]
        ids[k % len(ids)] = ids[(k + 1) % len(ids)] if k % 2 else "p"
    elif kind == "state type":
        sd["state"] = [sd["state"]] if k % 2 else None


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    corruptions=st.lists(
        st.tuples(st.sampled_from(STATE_DICT_CORRUPTIONS), st.integers(0, 2), st.integers(0, 11)),
        min_size=1,
        max_size=3,
    ),
)
def test_fuzz_corrupted_state_dicts_change_nothing(
    name: str, corruptions: list[tuple[str, int, int]]
) -> None:
    params, opt = trained(name)
    state_dict = copy.deepcopy(opt.state_dict())
    for kind, i, k in corruptions:
        if isinstance(state_dict.get("state"), dict):
            _corrupt_state_dict(state_dict, params, name, kind, i, k)
    if _expect_rejection_changes_nothing(
        name, opt, params, lambda: opt.load_state_dict(state_dict)
    ):
        assert_steps_like_twin(name, opt, params)
    else:  # accepted (converted, or torch keeps it as is): it steps
        set_grads(params, 3)
        opt.step()


IN_PLACE_CHANGES = (
    "grow", "shrink", "reshape", "transpose", "broadcast", "new memory", "new memory float64",
    "new memory other shape", "new memory not contiguous", "free storage", "shrink storage",
    "share memory", "values", "nan", "set_", "unsqueeze",
)  # fmt: skip


def _change_in_place(t: Any, change: str, k: int) -> None:
    """One change of a tensor's memory or metadata, as user code can make it (torch may
    refuse some, e.g. resize_ of a parameter that requires grad: then nothing happens)."""
    n = t.numel()
    if not covered(t) or t.is_shared():
        return  # torch would read or write out of bounds, or crash resizing shared memory
    with torch.no_grad(), contextlib.suppress(RuntimeError):
        if change == "grow":
            t.resize_(2 * n + k)
        elif change == "shrink":
            t.resize_(max(n - 1 - k, 0))
        elif change == "reshape":
            t.resize_(n) if t.ndim != 1 else t.resize_(1, n)
        elif change == "transpose" and t.ndim == 2:
            t.t_()
        elif change == "broadcast":
            t.as_strided_(t.shape, [0] * t.ndim)
        elif change == "new memory":
            t.data = torch.full_like(t, float(k))
        elif change == "new memory float64":
            t.data = torch.zeros(max(n // 2, 1), dtype=torch.float64)
        elif change == "new memory other shape":
            t.data = torch.zeros(n + k + 1, dtype=t.dtype)
        elif change == "new memory not contiguous" and t.ndim == 2:
            t.data = torch.zeros(t.shape[::-1], dtype=t.dtype).t()
        elif change == "free storage":
            t.untyped_storage().resize_(0)
        elif change == "shrink storage":
            t.untyped_storage().resize_(k * t.element_size())
        elif change == "share memory" and k % 4 == 0:  # creates a shared-memory file
            t.share_memory_()
        elif change == "values":
            t.mul_(0.5)
        elif change == "nan":
            t.fill_(float("nan"))
        elif change == "set_":
            t.set_(torch.zeros(n + k, dtype=t.dtype).untyped_storage(), k, t.shape, t.stride())
        elif change == "unsqueeze":
            t.unsqueeze_(0)


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    loaded=st.booleans(),
    changes=st.lists(
        st.tuples(
            st.sampled_from(("param", "grad", "state")),
            st.sampled_from(IN_PLACE_CHANGES),
            st.integers(0, 2),
            st.integers(0, 7),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_fuzz_tensors_changed_in_place_are_followed_or_refused(
    name: str, loaded: bool, changes: list[tuple[str, str, int, int]]
) -> None:
    params, opt = trained(name)
    if loaded:  # state tensors made by torch.load, not by fusedopt.torch
        opt.load_state_dict(copy.deepcopy(opt.state_dict()))
    valid_state = copy.deepcopy(opt.state_dict())
    valid_params = [p.detach().clone() for p in params]
    set_grads(params, 3)
    for target, change, i, k in changes:
        if target == "param":
            tensor = params[i]
        elif target == "grad":
            tensor = params[i].grad
        else:
            tensor = opt.state[params[i]][entries(name)[k % len(entries(name))]]
        _change_in_place(tensor, change, k)
    if _expect_rejection_changes_nothing(name, opt, params, opt.step):
        # The optimizer itself is intact: with valid tensors again it steps like a twin.
        for p, value in zip(params, valid_params):
            p.data = value.clone()
        opt.load_state_dict(copy.deepcopy(valid_state))
        assert_steps_like_twin(name, opt, params)


GROUP_EDITS = (
    "remove", "append", "append twice", "append not contiguous", "append int", "append string",
    "delete group", "delete lr", "bad lr", "tuple", "reorder", "clear", "replace group",
)  # fmt: skip


def _edit(opt: Any, params: list[Any], edit: str, k: int) -> None:
    groups = opt.param_groups
    group = groups[k % len(groups)]
    if edit in ("remove", "append", "append twice", "append not contiguous", "append int",
                "append string", "reorder"):  # fmt: skip
        group["params"] = list(group["params"])  # after "tuple"
    if edit == "remove" and group["params"]:
        del group["params"][k % len(group["params"])]
    elif edit == "append":
        group["params"].append(torch.full((k + 1,), 0.5, requires_grad=True))
    elif edit == "append twice":
        group["params"].append(params[k % len(params)])
    elif edit == "append not contiguous":
        group["params"].append(torch.zeros(3, 2).t().requires_grad_())
    elif edit == "append int":
        group["params"].append(torch.zeros(3, dtype=torch.int64))
    elif edit == "append string":
        group["params"].append("w")
    elif edit == "delete group" and len(groups) > 1:
        del groups[k % len(groups)]
    elif edit == "delete lr":
        group.pop("lr", None)
    elif edit == "bad lr":
        group["lr"] = BAD_VALUES[k % len(BAD_VALUES)]
    elif edit == "tuple":
        group["params"] = tuple(group["params"])
    elif edit == "reorder":
        group["params"].reverse()
    elif edit == "clear":
        group["params"] = []
    elif edit == "replace group":
        groups[k % len(groups)] = dict(group, params=list(group["params"]))


def _all_grads(opt: Any, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    for group in opt.param_groups:
        for p in group.get("params", ()):
            if isinstance(p, torch.Tensor) and p.is_floating_point():
                p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)


@FUZZ
@given(
    name=st.sampled_from(NAMES),
    edits=st.lists(st.tuples(st.sampled_from(GROUP_EDITS), st.integers(0, 5)), min_size=1,
                   max_size=3),
)  # fmt: skip
def test_fuzz_param_groups_edits_are_followed_like_torch_or_refused(
    name: str, edits: list[tuple[str, int]]
) -> None:
    params, opt = trained(name)
    reference_params, reference = trained(name, impl=TORCH_PEERS)
    for o, ps in ((opt, params), (reference, reference_params)):
        ps.append(torch.full((4,), 0.5, requires_grad=True))
        o.add_param_group({"params": [ps[-1]], "lr": 0.05})
    saved = [dict(g, params=list(g["params"])) for g in opt.param_groups]
    for o, ps in ((opt, params), (reference, reference_params)):
        for edit, k in edits:
            _edit(o, ps, edit, k)
        _all_grads(o, 5)
    for p in params:  # grads of parameters no longer in param_groups, too
        p.grad = torch.ones_like(p) if p.grad is None else p.grad
    if _expect_rejection_changes_nothing(name, opt, params, opt.step):
        opt.param_groups[:] = [dict(g, params=list(g["params"])) for g in saved]
        for p in params[3:]:
            p.grad = None
        del params[3:]
        opt.param_groups.pop()
        assert_steps_like_twin(name, opt, params)
        return
    # Accepted: torch.optim, which iterates param_groups each step, did the same.
    reference.step()
    ours = [p for g in opt.param_groups for p in g["params"]]
    theirs = [p for g in reference.param_groups for p in g["params"]]
    for p, q in zip(ours, theirs):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    for p, q in zip(params, reference_params):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
