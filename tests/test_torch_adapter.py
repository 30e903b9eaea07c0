"""fusedopt.torch against torch.optim: trajectories, schedulers, checkpoints, bad input."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ._declared import NAMES, PEER_CASES, case_id, peer_grid, torch_peer
from ._tolerance import TrajectoryBound, named_arrays
from .test_parity import LR

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")


def make_model(dtype: Any, seed: int = 0) -> Any:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3), torch.nn.Tanh(),
        torch.nn.Linear(3, 1),
    )  # fmt: skip
    return model.to(dtype)


def data(dtype: Any) -> tuple[Any, Any]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(64, 8, generator=g, dtype=dtype), torch.randn(
        64, 1, generator=g, dtype=dtype
    )


def backward(model: Any, dtype: Any) -> Any:
    X, y = data(dtype)
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    return loss


def train(
    model: Any, opt: Any, steps: int, scheduler: Any = None, dtype: Any = torch.float64
) -> None:
    for _ in range(steps):
        opt.zero_grad()
        backward(model, dtype)
        opt.step()
        if scheduler is not None:
            scheduler.step()


def train_in_lockstep(
    expected: tuple[Any, Any],
    actual: tuple[Any, Any],
    steps: int,
    *,
    dtype: Any = torch.float64,
    bound: TrajectoryBound | None = None,
    schedulers: tuple[Any, Any] | None = None,
    clip: float | None = None,
) -> TrajectoryBound:
    """Train two (model, optimizer) pairs on the same gradients and record the
    expected run's trajectory for the error bound (tests/_tolerance.py).

    The gradient is computed once per step, on the expected model, and copied to
    the other: each model's own gradient would feed the optimizers' rounding
    differences back through the loss's Hessian, an amplification that depends on
    the model and not on the step count and dtype, so no a-priori bound holds.
    The optimizers see the same inputs; only their arithmetic differs.
    """
    (model, opt), (other_model, other_opt) = expected, actual
    if bound is None:
        bound = TrajectoryBound()
        bound.observe(named_arrays(opt), initial=True)
    for _ in range(steps):
        opt.zero_grad()
        other_opt.zero_grad()
        loss = backward(model, dtype)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
        for p, q in zip(model.parameters(), other_model.parameters()):
            q.grad = None if p.grad is None else p.grad.clone()
        opt.step()
        other_opt.step()
        for sched in schedulers or ():
            plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
            sched.step(loss.item()) if plateau else sched.step()
        bound.observe(named_arrays(opt))
    return bound


@pytest.mark.parametrize(
    "dtype",
    [torch.float32, torch.float64, torch.bfloat16, torch.float16],
    ids=["f32", "f64", "bf16", "f16"],
)
@pytest.mark.parametrize("case", PEER_CASES, ids=case_id)
def test_trajectory_matches_torch(case: tuple[str, dict[str, Any]], dtype: Any) -> None:
    """Parameters and every state buffer after 32 steps with a StepLR schedule.

    In bfloat16/float16 torch's (non-fused) step rounds every operation to 16
    bits where fusedopt rounds only the stored results: at most K roundings
    per step at the 16-bit roundoff, which the bound allows (the model's
    gradients are O(1), so float16's eps = 1e-8 vanishing from sqrt(v) + eps
    does not matter here; tests/test_reference_vs_torch.py explains it).
    """
    name, config = case
    ours_model, theirs_model = make_model(dtype), make_model(dtype)
    ours = getattr(ft, name)(ours_model.parameters(), lr=LR, **config)
    theirs = torch_peer(name)(theirs_model.parameters(), lr=LR, **config)
    schedulers = tuple(
        torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5) for o in (theirs, ours)
    )
    bound = train_in_lockstep(
        (theirs_model, theirs), (ours_model, ours), 32, dtype=dtype, schedulers=schedulers
    )
    bound.assert_close(named_arrays(ours), f"fusedopt.torch.{name} vs {torch_peer(name)}")


@pytest.mark.parametrize(
    "make_scheduler",
    [
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=40),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=10),
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o),
    ],
    ids=["OneCycleLR", "CosineAnnealingLR", "LinearLR", "ReduceLROnPlateau"],
)
@pytest.mark.parametrize("name", ["SGD", "AdamW"])
def test_schedulers(name: str, make_scheduler: Any) -> None:
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    models = [make_model(torch.float64), make_model(torch.float64)]
    opts = [getattr(torch.optim, name)(models[0].parameters(), lr=0.01, **kwargs),
            getattr(ft, name)(models[1].parameters(), lr=0.01, **kwargs)]  # fmt: skip
    schedulers = (make_scheduler(opts[0]), make_scheduler(opts[1]))
    pairs = list(zip(models, opts))
    bound = train_in_lockstep(*pairs, 30, schedulers=schedulers, clip=0.5)
    bound.assert_close(named_arrays(opts[1]))
    assert opts[1].param_groups[0]["lr"] == opts[0].param_groups[0]["lr"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("direction", ["fusedopt->torch", "torch->fusedopt"])
def test_checkpoint_interchange(name: str, direction: str) -> None:
    kwargs = peer_grid(name)[-1]  # every option the peer has, on
    ours, peer = getattr(ft, name), torch_peer(name)
    first, second = (ours, peer) if direction == "fusedopt->torch" else (peer, ours)
    model = make_model(torch.float64)
    opt = first(model.parameters(), lr=0.01, **kwargs)
    train(model, opt, 10)
    # state_dict()s hold references to live tensors: copy them, as torch.save would.
    checkpoint = copy.deepcopy({"model": model.state_dict(), "opt": opt.state_dict()})
    # Continue with the first optimizer, and from the checkpoint with the other one.
    resumed = make_model(torch.float64)
    resumed.load_state_dict(checkpoint["model"])
    other = second(resumed.parameters(), lr=0.01, **kwargs)
    other.load_state_dict(checkpoint["opt"])
    # torch's load_state_dict casts all state but 'step' to the parameters' dtype, 0-d
    # scalar states too (NAdam's float32 mu_product becomes float64 and then rounds
    # so): the first optimizer continues from the checkpoint as loaded, too.
    opt.load_state_dict(copy.deepcopy(checkpoint["opt"]))
    bound = train_in_lockstep((model, opt), (resumed, other), 10)
    bound.assert_close(named_arrays(other), f"{direction} resumed")


def test_zero_copy_and_state_tensors_updated_in_place() -> None:
    model = make_model(torch.float32)
    params = list(model.parameters())
    pointers = [p.data_ptr() for p in params]
    opt = ft.AdamW(params, lr=0.01)
    train(model, opt, 2, dtype=torch.float32)
    state_pointers = [opt.state[p]["exp_avg"].data_ptr() for p in params]
    train(model, opt, 3, dtype=torch.float32)
    assert [p.data_ptr() for p in params] == pointers
    assert [opt.state[p]["exp_avg"].data_ptr() for p in params] == state_pointers
    assert all(float(opt.state[p]["step"]) == 5 for p in params)


def test_none_grads_and_frozen_parameters_are_skipped() -> None:
    model = make_model(torch.float64)
    frozen = model[0].weight
    frozen.requires_grad_(False)
    before = frozen.detach().clone()
    opt = ft.Adam(model.parameters(), lr=0.1)
    train(model, opt, 3)
    assert torch.equal(frozen, before)
    assert frozen not in opt.state


def test_hooks_run() -> None:
    model = make_model(torch.float64)
    opt = ft.SGD(model.parameters(), lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    train(model, opt, 1)
    assert calls == ["pre", "post"]


def test_closure_returns_the_loss() -> None:
    model = make_model(torch.float64)
    opt = ft.SGD(model.parameters(), lr=0.1)
    X, y = data(torch.float64)

    def closure() -> Any:
        opt.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, torch.Tensor) and loss.ndim == 0


# ------------------------------------------------------------ bad input
def _overlapping_views() -> list[Any]:
    buffer = torch.zeros(10)
    return [buffer[:5], buffer[3:8]]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: [torch.zeros(3, dtype=torch.complex64)], TypeError, "dtype"),
        (lambda: [torch.zeros(3, dtype=torch.float8_e4m3fn)], TypeError, "float8"),
        (lambda: [torch.zeros(3, dtype=torch.int64)], TypeError, "dtype"),
        (lambda: [torch.zeros(4, 4).t()], ValueError, "contiguous"),
        (lambda: [torch.zeros(3, device="meta")], ValueError, "CPU"),
        (lambda: _overlapping_views(), ValueError, "shares"),
    ],
    ids=["complex", "bf16", "int", "non-contiguous", "meta-device", "overlapping"],
)
def test_bad_parameters(make: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ft.AdamW(make())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -1.0}, "lr"),
        ({"betas": (1.0, 0.9)}, "betas"),
        ({"eps": -1.0}, "eps"),
        ({"capturable": True}, "capturable"),
        ({"differentiable": True}, "differentiable"),
        ({"foreach": "yes"}, "foreach"),
    ],
)
def test_bad_hyperparameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ft.Adam([torch.zeros(3)], **kwargs)


def test_bad_gradients_change_nothing() -> None:
    p = torch.zeros(4, requires_grad=True)
    opt = ft.Adam([p], lr=0.1)
    p.grad = torch.ones(4)
    opt.step()
    saved = (p.detach().clone(), {k: v.clone() for k, v in opt.state[p].items()})
    # torch itself refuses gradients of another shape or dtype; a sparse one it allows.
    for grad, error, match in [(torch.ones(4).to_sparse(), ValueError, "sparse")]:
        p.grad = grad
        with pytest.raises(error, match=match):
            opt.step()
        assert torch.equal(p, saved[0])
        assert all(torch.equal(opt.state[p][k], v) for k, v in saved[1].items())


def test_replaced_parameter_data_is_followed_like_torch() -> None:
    """torch.optim updates whatever memory p uses now (ZeRO's bucket views do p.data = ...)."""
    p = torch.zeros(4, requires_grad=True)
    opt = ft.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(4)
    opt.step()
    moved = torch.full((4,), 5.0)
    p.data = moved
    opt.step()
    assert p.data_ptr() == moved.data_ptr()
    torch.testing.assert_close(moved, torch.full((4,), 5.0 - 0.1 * 1.9))
    p.data = torch.zeros(4)[:3]  # but never a parameter of another size
    with pytest.raises(ValueError):
        opt.step()


def test_state_replaced_behind_the_optimizers_back_is_rebound() -> None:
    """ZeroRedundancyOptimizer.load_state_dict assigns optim.state[p] directly."""
    model, reference = make_model(torch.float64), make_model(torch.float64)
    opt = ft.AdamW(model.parameters(), lr=0.01)
    ref_opt = torch.optim.AdamW(reference.parameters(), lr=0.01)
    bound = train_in_lockstep((reference, ref_opt), (model, opt), 3)
    for p in model.parameters():
        opt.state[p] = {k: v.clone() for k, v in opt.state[p].items()}
    train_in_lockstep((reference, ref_opt), (model, opt), 3, bound=bound)
    bound.assert_close(named_arrays(opt))


def test_non_contiguous_gradient_is_converted_not_the_parameter() -> None:
    p = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    pointer = p.data_ptr()
    opt = ft.SGD([p], lr=0.5)
    grad = torch.arange(12, dtype=torch.float64).reshape(4, 3).t()
    assert not grad.is_contiguous()
    p.grad = grad
    opt.step()
    assert p.data_ptr() == pointer and p.is_contiguous()
    torch.testing.assert_close(p.detach(), -0.5 * grad)


def step_both(ours: Any, reference: Any, p: Any, q: Any, bound: TrajectoryBound) -> None:
    """One step of each optimizer, torch's on a copy of our parameter's current gradient."""
    q.grad = p.grad.clone()
    ours.step()
    reference.step()
    bound.observe(named_arrays(reference))
    bound.assert_close(named_arrays(ours), f"after step {bound.steps}")


@pytest.mark.parametrize("fresh_steps", [0, 3, 17])
def test_gradient_tensor_reused_and_changed_between_steps(fresh_steps: int) -> None:
    """A gradient checked before is trusted again only while its storage, data
    pointer, storage size and version are unchanged: each change here must be
    noticed, as torch.optim uses the gradient's current values, memory and strides."""
    torch.manual_seed(0)
    p = torch.randn(4, 4, requires_grad=True)
    q = p.detach().clone().requires_grad_()
    ours = ft.SGD([p], lr=0.1, momentum=0.9)
    reference = torch.optim.SGD([q], lr=0.1, momentum=0.9)
    bound = TrajectoryBound()
    bound.observe(named_arrays(reference), initial=True)
    for _ in range(fresh_steps):  # new tensors every step: checks are no longer remembered
        p.grad = torch.randn(4, 4)
        step_both(ours, reference, p, q, bound)
    p.grad = torch.randn(4, 4)
    step_both(ours, reference, p, q, bound)
    p.grad.mul_(2.0)  # same tensor, same memory, new values
    step_both(ours, reference, p, q, bound)
    p.grad.data = torch.randn(4, 4)  # same tensor object, new memory
    step_both(ours, reference, p, q, bound)
    p.grad.data = torch.randn(4, 4).t()  # same tensor object, new non-contiguous memory
    assert not p.grad.is_contiguous()
    step_both(ours, reference, p, q, bound)
    p.grad = torch.randn(4, 4)
    step_both(ours, reference, p, q, bound)
    p.grad.t_()  # same tensor, same memory, transposed in place
    step_both(ours, reference, p, q, bound)
    p.grad.data = torch.randn(3, 4)  # .data bypasses the .grad setter's shape check
    with pytest.raises(ValueError, match="shape"):
        ours.step()
    p.grad = torch.randn(4, 4)
    step_both(ours, reference, p, q, bound)


def test_optimizer_does_not_keep_gradients_alive() -> None:
    import weakref

    p = torch.zeros(1000, requires_grad=True)
    opt = ft.Adam([p], lr=0.1)
    p.grad = torch.ones(1000)
    seen = weakref.ref(p.grad)
    opt.step()
    opt.zero_grad()  # set_to_none=True: the gradient's memory must be freed now
    assert seen() is None


@pytest.mark.parametrize(
    "name, before, after",
    [
        ("SGD", {"momentum": 0.0}, {"momentum": 0.9}),
        ("SGD", {"momentum": 0.9}, {"momentum": 0.0}),
        ("SGD", {"nesterov": False, "momentum": 0.5}, {"nesterov": True, "momentum": 0.9}),
    ],
)
def test_options_changed_during_training_follow_torch(
    name: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Switching momentum on creates its buffer, as torch does. (torch's Adam and
    RMSprop raise KeyError when amsgrad/centered/momentum is switched on after the
    first step, so there is no reference for those.)"""
    model, reference = make_model(torch.float64), make_model(torch.float64)
    opt = getattr(ft, name)(model.parameters(), lr=LR, **before)
    ref_opt = getattr(torch.optim, name)(reference.parameters(), lr=LR, **before)
    bound = train_in_lockstep((reference, ref_opt), (model, opt), 3)
    for o in (opt, ref_opt):
        o.param_groups[0].update(after)
    train_in_lockstep((reference, ref_opt), (model, opt), 5, bound=bound)
    bound.assert_close(named_arrays(opt))


def test_state_tensor_replaced_in_its_entry_is_rebound() -> None:
    model, reference = make_model(torch.float64), make_model(torch.float64)
    opt = ft.Adam(model.parameters(), lr=0.01)
    ref_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
    bound = train_in_lockstep((reference, ref_opt), (model, opt), 3)
    for o in (opt, ref_opt):
        for p in o.state:
            o.state[p]["exp_avg"] = o.state[p]["exp_avg"] * 0.5  # exact in both
    bound.observe(named_arrays(ref_opt), initial=True)
    train_in_lockstep((reference, ref_opt), (model, opt), 3, bound=bound)
    bound.assert_close(named_arrays(opt))


def test_checkpoint_saves_and_loads_with_weights_only(tmp_path: Any) -> None:
    """torch.load(weights_only=True) (torch's default) accepts only plain containers."""
    model, reference = make_model(torch.float64), make_model(torch.float64)
    opt = ft.AdamW(model.parameters(), lr=0.01)
    train(model, opt, 3)
    torch.save(opt.state_dict(), tmp_path / "opt.pt")
    reference.load_state_dict(model.state_dict())
    ref_opt = torch.optim.AdamW(reference.parameters(), lr=0.01)
    # Each loads its own copy: load_state_dict keeps tensors of the right dtype as they are.
    ref_opt.load_state_dict(torch.load(tmp_path / "opt.pt", weights_only=True))
    again = ft.AdamW(model.parameters(), lr=0.01)
    again.load_state_dict(torch.load(tmp_path / "opt.pt", weights_only=True))
    bound = train_in_lockstep((reference, ref_opt), (model, again), 3)
    bound.assert_close(named_arrays(again))


def test_state_tensor_of_the_wrong_shape_is_refused_and_nothing_changes() -> None:
    p = torch.zeros(64, requires_grad=True)
    opt = ft.Adam([p], lr=0.1)
    p.grad = torch.ones(64)
    opt.step()
    before = p.detach().clone()
    opt.state[p]["exp_avg"] = torch.zeros(4)  # torch.optim would fail on the shape too
    with pytest.raises(ValueError, match=r"state 'exp_avg' of params\[0\].*shape \(64,\)"):
        opt.step()
    assert torch.equal(p.detach(), before)


def test_checkpoint_of_another_shape_is_refused() -> None:
    small = torch.zeros(8, requires_grad=True)
    source = torch.optim.Adam([small], lr=0.1)
    small.grad = torch.ones(8)
    source.step()
    p = torch.zeros(4096, requires_grad=True)
    opt = ft.Adam([p], lr=0.1)
    p.grad = torch.ones(4096)
    with pytest.raises(ValueError, match="shape"):  # torch would fail at the step
        opt.load_state_dict(source.state_dict())
        opt.step()
    assert not p.detach().any()


def test_state_memory_replaced_behind_the_entry_stays_safe() -> None:
    """state[p][k].data = t is followed, as torch.optim does, and the memory the
    entry used before is never written again: no write lands in memory someone
    else now owns."""
    p = torch.zeros(1 << 14, requires_grad=True)
    opt = ft.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(1 << 14)
    opt.step()
    opt.state[p]["momentum_buffer"].data = torch.zeros(1 << 14)
    victims = [torch.zeros(1 << 14) for _ in range(8)]  # may reuse freed memory
    opt.step()
    assert all(not v.any() for v in victims)
    assert torch.isfinite(p).all()


@pytest.mark.parametrize("change", ["popitem", "entry |=", "state |="])
def test_dict_operations_on_the_state_are_followed_like_torch(change: str) -> None:
    model, reference = make_model(torch.float64), make_model(torch.float64)
    opt = ft.Adam(model.parameters(), lr=0.01)
    ref_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
    bound = train_in_lockstep((reference, ref_opt), (model, opt), 3)
    for o in (opt, ref_opt):
        if change == "popitem":
            o.state.popitem()
        elif change == "entry |=":
            for entry in o.state.values():
                entry |= {"exp_avg": entry["exp_avg"] * 0.5}
        else:
            first = next(iter(o.state))
            o.state |= {first: {k: v.clone() * 2 for k, v in o.state[first].items()}}
    bound.observe(named_arrays(ref_opt), initial=True)
    train_in_lockstep((reference, ref_opt), (model, opt), 3, bound=bound)
    bound.assert_close(named_arrays(opt))


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copying_or_pickling_the_optimizer_is_a_clear_error(how: str) -> None:
    import pickle

    opt = ft.AdamW([torch.zeros(3, requires_grad=True)])
    action = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": pickle.dumps}[how]
    with pytest.raises(TypeError, match="state_dict"):
        action(opt)


def test_gradient_whose_storage_was_freed_is_an_error_not_skipped() -> None:
    p = torch.zeros(4, requires_grad=True)
    opt = ft.SGD([p], lr=0.1)
    p.grad = torch.ones(4)
    opt.step()
    p.grad.untyped_storage().resize_(0)
    with pytest.raises(ValueError, match="no storage"):
        opt.step()


@pytest.mark.parametrize("state_dtype", ["bfloat16", "float16", "float32"])
def test_state_dtype(state_dtype: str) -> None:
    """The state of a float32 (or bfloat16) model in another storage type: made
    so, kept so through torch.optim's state_dict (which casts state to the
    parameter's dtype), and trained within the bound of the reference."""
    torch.manual_seed(0)
    model = torch.nn.Linear(7, 5)
    opt = ft.AdamW(model.parameters(), lr=0.01, state_dtype=state_dtype)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(4, 7)).square().sum().backward()
        opt.step()
    dtype = getattr(torch, state_dtype)
    assert {opt.state[p]["exp_avg"].dtype for p in model.parameters()} == {dtype}
    theirs = torch.optim.AdamW(model.parameters(), lr=0.01)
    theirs.load_state_dict(opt.state_dict())  # torch casts the state to float32
    again = ft.AdamW(model.parameters(), lr=0.01, state_dtype=state_dtype)
    again.load_state_dict(theirs.state_dict())
    for p in model.parameters():
        assert torch.equal(again.state[p]["exp_avg"], opt.state[p]["exp_avg"])
    model(torch.randn(4, 7)).square().sum().backward()
    again.step()
    assert {again.state[p]["exp_avg"].dtype for p in model.parameters()} == {dtype}
