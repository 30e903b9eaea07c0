"""fusedopt.schedules: closed forms, vectorisation, torch parity, LRScheduler, bad arguments."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
from fusedopt import schedules as S

# Steps covering 0, every boundary used below, just around them, and far beyond.
STEPS = sorted({*range(0, 130), 199, 200, 201, 999, 1000, 1001, 10**6, 10**12})


def _cosine(lr: float, total: int, end: float, t: int) -> float:
    return end + (lr - end) * (1 + math.cos(math.pi * min(t, total) / total)) / 2


# (schedule, closed form written independently with math) pairs.
CASES: dict[str, tuple[S.Schedule, Callable[[int], float]]] = {
    "constant": (S.constant(0.3), lambda t: 0.3),
    "step_decay": (S.step_decay(0.5, 7, 0.3), lambda t: 0.5 * 0.3 ** (t // 7)),
    "step_decay_default_gamma": (S.step_decay(1.0, 30), lambda t: 0.1 ** (t // 30)),
    "linear_down": (S.linear(0.2, 0.01, 50), lambda t: 0.2 + (0.01 - 0.2) * min(t, 50) / 50),
    "linear_up": (S.linear(0.0, 1.0, 8), lambda t: min(t, 8) / 8),
    "cosine": (S.cosine(0.1, 100), lambda t: _cosine(0.1, 100, 0.0, t)),
    "cosine_end": (S.cosine(0.1, 100, 0.001), lambda t: _cosine(0.1, 100, 0.001, t)),
    "inverse_sqrt": (
        S.inverse_sqrt(2.0, 16),
        lambda t: 2.0 * t / 16 if t < 16 else 2.0 * math.sqrt(16 / t),
    ),
    "warmup": (
        S.warmup(S.cosine(1.0, 100, 0.1), 20, start_lr=0.05),
        lambda t: 0.05 + (1.0 - 0.05) * t / 20 if t < 20 else _cosine(1.0, 100, 0.1, t - 20),
    ),
    "warmup_cosine": (
        S.warmup_cosine(0.4, 10, 110, end_lr=0.004),
        lambda t: 0.4 * t / 10 if t < 10 else _cosine(0.4, 100, 0.004, t - 10),
    ),
    "warmup_cosine_no_warmup": (
        S.warmup_cosine(0.4, 0, 100),
        lambda t: _cosine(0.4, 100, 0.0, t),
    ),
    "join": (
        S.join([S.constant(0.1), S.linear(0.1, 0.0, 50), S.constant(1e-3)], [10, 100]),
        lambda t: 0.1 if t < 10 else (0.1 - 0.1 * min(t - 10, 50) / 50 if t < 100 else 1e-3),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_closed_form(name: str) -> None:
    schedule, expected = CASES[name]
    for t in STEPS:
        got = schedule(t)
        assert type(got) is float
        assert got == pytest.approx(expected(t), rel=1e-12, abs=1e-15), t


@pytest.mark.parametrize("name", sorted(CASES))
def test_vectorised_equals_scalar_loop(name: str) -> None:
    schedule, _ = CASES[name]
    steps = np.array(STEPS, dtype=np.int64)
    loop = np.array([schedule(int(t)) for t in steps])
    got = schedule(steps)
    assert got.dtype == np.float64 and got.shape == steps.shape
    np.testing.assert_array_equal(got, loop)
    # Any integer dtype and shape; the shape is kept.
    grid = np.arange(120, dtype=np.uint16).reshape(4, 30)
    np.testing.assert_array_equal(schedule(grid), loop[:120].reshape(4, 30))
    np.testing.assert_array_equal(schedule(grid.astype(np.int32)), loop[:120].reshape(4, 30))
    # np.integer scalars give floats; 0-d and empty arrays give arrays.
    assert type(schedule(np.int64(7))) is float and schedule(np.int64(7)) == loop[7]
    zero_d = schedule(np.array(7))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d == loop[7]
    assert schedule(np.zeros((0, 3), dtype=np.int64)).shape == (0, 3)


def test_boundaries_exact() -> None:
    assert S.step_decay(1.0, 10, 0.5)(9) == 1.0
    assert S.step_decay(1.0, 10, 0.5)(10) == 0.5
    assert S.linear(0.2, 0.05, 10)(0) == 0.2
    assert S.linear(0.2, 0.05, 10)(10) == S.linear(0.2, 0.05, 10)(10**9) == 0.05
    assert S.cosine(0.1, 100, 0.01)(0) == 0.1
    assert S.cosine(0.1, 100, 0.01)(100) == S.cosine(0.1, 100, 0.01)(10**9) == 0.01
    assert S.inverse_sqrt(1.0, 100)(0) == 0.0
    assert S.inverse_sqrt(1.0, 100)(100) == 1.0
    assert S.inverse_sqrt(1.0, 100)(400) == 0.5
    w = S.warmup(S.constant(0.3), 10, start_lr=0.1)
    assert w(0) == 0.1 and w(5) == pytest.approx(0.2) and w(10) == w(11) == 0.3
    wc = S.warmup_cosine(1.0, 10, 30, end_lr=0.1)
    assert wc(0) == 0.0 and wc(10) == 1.0 and wc(20) == pytest.approx(0.55)
    assert wc(30) == wc(31) == wc(10**9) == 0.1


def test_cosine_is_clamped_unlike_torch() -> None:
    schedule = S.cosine(0.1, 10, end_lr=0.01)
    # torch's CosineAnnealingLR would be back at 0.1 at t = 20 (see the torch test below).
    np.testing.assert_array_equal(schedule(np.arange(10, 40)), 0.01)
    assert schedule(10**15) == 0.01


def test_warmup_composes() -> None:
    inner = S.cosine(0.5, 40, 0.05)
    steps = np.arange(200)
    np.testing.assert_array_equal(S.warmup(inner, 0)(steps), inner(steps))
    np.testing.assert_array_equal(
        S.warmup_cosine(0.5, 10, 50, 0.05)(steps), S.warmup(inner, 10)(steps)
    )
    # warmup counts the inner schedule from 0 at the end of the warmup, like join.
    np.testing.assert_array_equal(
        S.warmup(inner, 10, 0.0)(steps[10:]),
        S.join([S.linear(0.0, 0.5, 10), inner], [10])(steps[10:]),
    )


def test_join_restarts_each_schedule_at_its_boundary() -> None:
    seen: list[int] = []

    def record(t: int) -> float:
        seen.append(t)
        return 1.0 / (t + 1)

    schedule = S.join([S.constant(2.0), record, S.step_decay(1.0, 1, 0.5)], [3, 6])
    assert [schedule(t) for t in range(9)] == [2.0, 2.0, 2.0, 1.0, 0.5, 1 / 3, 1.0, 0.5, 0.25]
    assert seen == [0, 1, 2]
    # A plain callable inside is evaluated element by element on arrays.
    seen.clear()
    np.testing.assert_array_equal(schedule(np.arange(9)), [schedule(t) for t in range(9)])
    assert S.join([S.constant(0.7)], [])(12) == 0.7


def test_linear_scaling() -> None:
    assert S.linear_scaling(0.1, 256) == 0.1
    assert S.linear_scaling(0.1, 1024) == pytest.approx(0.4)
    assert S.linear_scaling(0.1, 64) == pytest.approx(0.025)
    assert S.linear_scaling(0.5, 3, base_batch_size=2) == 0.75
    assert type(S.linear_scaling(1, np.int64(512))) is float


# ------------------------------------------------------------ step argument t
@pytest.mark.parametrize("t", [-1, np.int64(-5), np.array([0, 3, -2]), np.array(-1)])
def test_negative_t(t: Any) -> None:
    with pytest.raises(ValueError, match=r"\bt must be"):
        S.cosine(0.1, 10)(t)


@pytest.mark.parametrize("t", [1.0, True, "3", None, [1, 2], np.array([1.0, 2.0]), np.array(True)])
def test_non_integer_t(t: Any) -> None:
    with pytest.raises(TypeError, match=r"\bt must be an int"):
        S.constant(0.1)(t)


def test_huge_t() -> None:
    with pytest.raises(ValueError, match=r"\bt must be"):
        S.constant(0.1)(2**63)
    with pytest.raises(ValueError, match=r"\bt must be"):
        S.constant(0.1)(np.array([2**64 - 1], dtype=np.uint64))
    assert S.cosine(0.1, 10)(2**63 - 1) == 0.0


# ------------------------------------------------------------ bad arguments
BAD: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (S.constant, {"lr": -0.1}, "lr"),
    (S.constant, {"lr": math.nan}, "lr"),
    (S.constant, {"lr": math.inf}, "lr"),
    (S.constant, {"lr": "0.1"}, "lr"),
    (S.step_decay, {"lr": 0.1, "step_size": 0}, "step_size"),
    (S.step_decay, {"lr": 0.1, "step_size": -3}, "step_size"),
    (S.step_decay, {"lr": 0.1, "step_size": 2.5}, "step_size"),
    (S.step_decay, {"lr": 0.1, "step_size": True}, "step_size"),
    (S.step_decay, {"lr": 0.1, "step_size": 10, "gamma": 0.0}, "gamma"),
    (S.step_decay, {"lr": 0.1, "step_size": 10, "gamma": -0.5}, "gamma"),
    (S.step_decay, {"lr": 0.1, "step_size": 10, "gamma": math.nan}, "gamma"),
    (S.step_decay, {"lr": -1.0, "step_size": 10}, "lr"),
    (S.linear, {"start_lr": -1.0, "end_lr": 0.0, "total_steps": 10}, "start_lr"),
    (S.linear, {"start_lr": 1.0, "end_lr": math.inf, "total_steps": 10}, "end_lr"),
    (S.linear, {"start_lr": 1.0, "end_lr": 0.0, "total_steps": 0}, "total_steps"),
    (S.cosine, {"lr": 0.1, "total_steps": 0}, "total_steps"),
    (S.cosine, {"lr": 0.1, "total_steps": -10}, "total_steps"),
    (S.cosine, {"lr": -0.1, "total_steps": 10}, "lr"),
    (S.cosine, {"lr": 0.1, "total_steps": 10, "end_lr": -1e-3}, "end_lr"),
    (S.cosine, {"lr": 0.1, "total_steps": 10, "end_lr": math.nan}, "end_lr"),
    (S.inverse_sqrt, {"lr": 0.1, "warmup_steps": 0}, "warmup_steps"),
    (S.inverse_sqrt, {"lr": math.nan, "warmup_steps": 10}, "lr"),
    (S.warmup, {"schedule": S.constant(0.1), "warmup_steps": -1}, "warmup_steps"),
    (S.warmup, {"schedule": S.constant(0.1), "warmup_steps": 5, "start_lr": -1}, "start_lr"),
    (S.warmup_cosine, {"peak_lr": 0.1, "warmup_steps": 10, "total_steps": 10}, "warmup_steps"),
    (S.warmup_cosine, {"peak_lr": 0.1, "warmup_steps": 20, "total_steps": 10}, "warmup_steps"),
    (S.warmup_cosine, {"peak_lr": 0.1, "warmup_steps": -1, "total_steps": 10}, "warmup_steps"),
    (S.warmup_cosine, {"peak_lr": 0.1, "warmup_steps": 0, "total_steps": 0}, "total_steps"),
    (S.warmup_cosine, {"peak_lr": -0.1, "warmup_steps": 1, "total_steps": 10}, "peak_lr"),
    (
        S.warmup_cosine,
        {"peak_lr": 0.1, "warmup_steps": 1, "total_steps": 9, "end_lr": -1},
        "end_lr",
    ),
    (S.join, {"schedules": [], "boundaries": []}, "schedules"),
    (S.join, {"schedules": [S.constant(1.0)] * 3, "boundaries": [10]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 2, "boundaries": [10, 20]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 3, "boundaries": [20, 10]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 3, "boundaries": [10, 10]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 2, "boundaries": [0]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 2, "boundaries": [2.5]}, "boundaries"),
    (S.join, {"schedules": [S.constant(1.0)] * 2, "boundaries": 10}, "boundaries"),
    (S.linear_scaling, {"base_lr": 0.1, "batch_size": 0}, "batch_size"),
    (S.linear_scaling, {"base_lr": 0.1, "batch_size": -32}, "batch_size"),
    (S.linear_scaling, {"base_lr": 0.1, "batch_size": 32, "base_batch_size": 0}, "base_batch_size"),
    (S.linear_scaling, {"base_lr": -0.1, "batch_size": 32}, "base_lr"),
    (S.linear_scaling, {"base_lr": math.nan, "batch_size": 32}, "base_lr"),
    (S.plot, {"schedule": S.constant(0.1), "total_steps": 0}, "total_steps"),
]


@pytest.mark.parametrize(
    ("factory", "kwargs", "name"),
    BAD,
    ids=[f"{f.__name__}-{n}-{i}" for i, (f, _, n) in enumerate(BAD)],
)
def test_bad_arguments(factory: Callable[..., Any], kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        factory(**kwargs)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: S.warmup(0.1, 10), "schedule"),
        (lambda: S.join([S.constant(0.1), "x"], [5]), r"schedules\[1\]"),
        (lambda: S.join(S.constant(0.1), []), "schedules"),
        (lambda: S.plot(None, 10), "schedule"),
    ],
)
def test_non_callable_schedule(call: Callable[[], Any], name: str) -> None:
    with pytest.raises(TypeError, match=rf"^{name} must be"):
        call()


# ------------------------------------------------------------ repr, equality
def test_repr_round_trips() -> None:
    assert repr(S.cosine(0.1, 100)) == "cosine(lr=0.1, total_steps=100, end_lr=0.0)"
    assert repr(S.step_decay(1, np.int64(30))) == "step_decay(lr=1.0, step_size=30, gamma=0.1)"
    assert (
        repr(S.warmup(S.constant(0.2), 5))
        == "warmup(schedule=constant(lr=0.2), warmup_steps=5, start_lr=0.0)"
    )
    assert (
        repr(S.join([S.constant(1.0), S.linear(1.0, 0.0, 10)], [5]))
        == "join(schedules=[constant(lr=1.0), linear(start_lr=1.0, end_lr=0.0, total_steps=10)], "
        "boundaries=[5])"
    )
    namespace = vars(S)
    for schedule, _ in CASES.values():
        again = eval(repr(schedule), namespace)
        assert again == schedule and hash(again) == hash(schedule)


def test_schedules_are_frozen() -> None:
    schedule = S.cosine(0.1, 100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.lr = 1.0  # type: ignore[attr-defined]
    # replace() goes through the same validation as the factory.
    assert dataclasses.replace(schedule, lr=0.2)(0) == 0.2  # type: ignore[type-var]
    with pytest.raises(ValueError, match=r"^lr\b"):
        dataclasses.replace(schedule, lr=-0.2)  # type: ignore[type-var]


# ------------------------------------------------------------ torch parity
def _torch_lrs(make: Callable[[Any], Any], lr: float, steps: int) -> list[float]:
    """The lr each of ``steps`` torch optimizer steps runs with (t = 0 .. steps - 1)."""
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


def _ours(schedule: S.Schedule, steps: int) -> list[float]:
    """The same through LRScheduler on a fusedopt optimizer.

    (``opt.step`` would go between the two lines of the loop; the scheduler does not
    depend on it, see test_lrscheduler_sets_every_group_and_the_steps_use_it.)
    """
    opt = fo.SGD([np.zeros(1, dtype=np.float32)], lr=123.0)
    scheduler = S.LRScheduler(opt, schedule)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        scheduler.step()
    return lrs


def test_step_decay_matches_torch_steplr() -> None:
    torch = pytest.importorskip("torch")
    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, gamma=0.3), 0.5, 60)
    np.testing.assert_allclose(_ours(S.step_decay(0.5, 7, 0.3), 60), expected, rtol=1e-12)
    np.testing.assert_allclose(S.step_decay(0.5, 7, 0.3)(np.arange(60)), expected, rtol=1e-12)


@pytest.mark.parametrize(("start", "end"), [(0.25, 1.0), (1.0, 0.1), (0.5, 0.0)])
def test_linear_matches_torch_linearlr(start: float, end: float) -> None:
    torch = pytest.importorskip("torch")
    expected = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.LinearLR(
            o, start_factor=start, end_factor=end, total_iters=12
        ),
        0.2,
        30,
    )
    np.testing.assert_allclose(
        S.linear(0.2 * start, 0.2 * end, 12)(np.arange(30)), expected, rtol=1e-12, atol=1e-15
    )


def test_cosine_matches_torch_cosineannealinglr_up_to_t_max() -> None:
    torch = pytest.importorskip("torch")
    expected = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=0.002), 0.1, 81
    )
    ours = _ours(S.cosine(0.1, 40, end_lr=0.002), 81)
    np.testing.assert_allclose(ours[:41], expected[:41], rtol=1e-12)
    # After T_max torch climbs back up (back to 0.1 at 2 T_max); fusedopt stays at end_lr.
    assert expected[80] == pytest.approx(0.1) and ours[41:] == [0.002] * 40


def test_inverse_sqrt_and_warmup_match_torch_lambdalr() -> None:
    torch = pytest.importorskip("torch")

    def inv_sqrt(t: int) -> float:
        return min(t / 16, math.sqrt(16 / max(t, 16)))

    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, inv_sqrt), 0.3, 100)
    np.testing.assert_allclose(_ours(S.inverse_sqrt(0.3, 16), 100), expected, rtol=1e-12)

    def warm(t: int) -> float:
        if t < 10:
            return 0.1 + 0.9 * t / 10
        return 0.5 * (1 + math.cos(math.pi * min(t - 10, 50) / 50))

    expected = _torch_lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, warm), 1.0, 80)
    np.testing.assert_allclose(
        _ours(S.warmup(S.cosine(1.0, 50), 10, start_lr=0.1), 80), expected, rtol=1e-12, atol=1e-15
    )


# ------------------------------------------------------------ LRScheduler
def _two_groups() -> tuple[fo.SGD, np.ndarray, np.ndarray]:
    a = np.zeros(3, dtype=np.float32)
    b = np.zeros(2, dtype=np.float64)
    opt = fo.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    return opt, a, b


def test_lrscheduler_sets_every_group_and_the_steps_use_it() -> None:
    opt, a, b = _two_groups()
    schedule = S.step_decay(1.0, 2, 0.5)
    scheduler = S.LRScheduler(opt, schedule)
    assert scheduler.t == 0
    assert [g["lr"] for g in opt.param_groups] == scheduler.last_lr == [1.0, 1.0]
    ones = [np.ones(3, dtype=np.float32), np.ones(2)]
    total = 0.0
    for t in range(7):
        assert [g["lr"] for g in opt.param_groups] == [schedule(t)] * 2
        opt.step(ones)  # plain SGD: θ -= lr · 1
        scheduler.step()
        total += schedule(t)
        assert scheduler.t == t + 1
        assert scheduler.get_last_lr() == scheduler.last_lr == [schedule(t + 1)] * 2
    np.testing.assert_allclose(a, -total, rtol=1e-6)
    np.testing.assert_allclose(b, -total, rtol=1e-12)
    assert repr(scheduler) == f"LRScheduler(schedule={schedule!r}, t=7)"


def test_lrscheduler_one_schedule_per_group() -> None:
    opt, _, _ = _two_groups()
    scheduler = S.LRScheduler(opt, [S.cosine(0.1, 10), S.constant(0.5)])
    for _ in range(10):
        scheduler.step()
    assert scheduler.last_lr == [0.0, 0.5]
    assert [g["lr"] for g in opt.param_groups] == [0.0, 0.5]
    with pytest.raises(ValueError, match="schedule has 1 entries"):
        S.LRScheduler(opt, [S.constant(0.1)])


def test_lrscheduler_works_on_torch_optimizers() -> None:
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = S.LRScheduler(opt, S.linear(0.0, 1.0, 4))
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.25


def test_lrscheduler_state_dict_round_trip() -> None:
    schedule = S.warmup_cosine(0.2, 5, 40)
    opt, _, _ = _two_groups()
    scheduler = S.LRScheduler(opt, schedule)
    for _ in range(13):
        scheduler.step()
    state = scheduler.state_dict()
    assert state == {"t": 13}

    opt2, _, _ = _two_groups()
    resumed = S.LRScheduler(opt2, schedule)
    resumed.load_state_dict(state)
    assert resumed.t == 13
    assert resumed.last_lr == scheduler.last_lr == [g["lr"] for g in opt2.param_groups]
    for _ in range(30):
        scheduler.step()
        resumed.step()
        assert resumed.last_lr == scheduler.last_lr
    state["t"] = 0  # the returned dict is a copy
    assert scheduler.t == 43


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({"t": -1}, r"state_dict\['t'\]"),
        ({"t": 2.0}, r"state_dict\['t'\]"),
        ({"t": True}, r"state_dict\['t'\]"),
        ({"t": "3"}, r"state_dict\['t'\]"),
        ({}, "state_dict"),
        ({"t": 3, "last_epoch": 3}, "state_dict"),
        ([("t", 3)], "state_dict"),
        (None, "state_dict"),
    ],
)
def test_lrscheduler_load_state_dict_validates(state: Any, match: str) -> None:
    opt, _, _ = _two_groups()
    scheduler = S.LRScheduler(opt, S.step_decay(1.0, 1, 0.5))
    scheduler.step()
    with pytest.raises(ValueError, match=match):
        scheduler.load_state_dict(state)
    assert scheduler.t == 1 and [g["lr"] for g in opt.param_groups] == [0.5, 0.5]


def test_lrscheduler_rejects_bad_learning_rates_without_changing_anything() -> None:
    opt, _, _ = _two_groups()
    values = {0: 0.1, 1: 0.2, 2: math.nan, 3: -1.0}
    scheduler = S.LRScheduler(opt, values.__getitem__)
    scheduler.step()
    for _ in range(2):
        with pytest.raises(ValueError, match=r"schedule\(2\) returned nan"):
            scheduler.step()
        assert scheduler.t == 1 and [g["lr"] for g in opt.param_groups] == [0.2, 0.2]
    with pytest.raises(ValueError, match=r"schedule\(3\) returned -1.0"):
        scheduler.load_state_dict({"t": 3})
    assert scheduler.t == 1 and scheduler.last_lr == [0.2, 0.2]


@pytest.mark.parametrize(
    ("optimizer", "schedule", "match"),
    [
        (object(), S.constant(0.1), "optimizer must have param_groups"),
        (None, S.constant(0.1), "optimizer must have param_groups"),
        ("opt", S.constant(0.1), "optimizer must have param_groups"),
        ("sgd", 0.1, "schedule must be callable"),
        ("sgd", "cosine", "schedule must be callable"),
        ("sgd", [S.constant(0.1), 0.1], r"schedule\[1\] must be callable"),
    ],
)
def test_lrscheduler_bad_arguments(optimizer: Any, schedule: Any, match: str) -> None:
    if optimizer == "sgd":
        optimizer, _, _ = _two_groups()
    with pytest.raises(TypeError, match=match):
        S.LRScheduler(optimizer, schedule)


# ------------------------------------------------------------ plot
def test_plot_agg() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    schedule = S.warmup_cosine(0.1, 10, 100)
    ax = S.plot(schedule, 120)
    try:
        (line,) = ax.get_lines()
        np.testing.assert_array_equal(line.get_xdata(), np.arange(121))
        np.testing.assert_array_equal(line.get_ydata(), schedule(np.arange(121)))
        assert line.get_label() == repr(schedule) == ax.get_title()
        assert ax.get_xlabel() and ax.get_ylabel()
    finally:
        plt.close(ax.figure)

    fig, ax = plt.subplots()
    try:
        assert S.plot(schedule, 50, ax=ax) is ax
        assert S.plot(lambda t: 0.1 / (t + 1), 50, ax=ax) is ax
        assert len(ax.get_lines()) == 2
    finally:
        plt.close(fig)


def test_plot_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        S.plot(S.constant(0.1), 10)
