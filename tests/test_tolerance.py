"""The error bound of tests/_tolerance.py is not vacuous: real bugs exceed it.

Each case runs the parity test's setup (tests/test_parity.py: every tensor size,
21 steps, a changing learning rate) against a reference with one deliberate
mistake, and the bound must reject it, by a wide margin, while the correct
reference passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import fusedopt.reference as ref

from ._tolerance import TrajectoryBound, named_arrays
from .test_parity import run_case

Update = Callable[[np.ndarray, np.ndarray, dict[str, Any], Mapping[str, Any]], None]


def _with_group(**factors: float) -> Callable[[Update], Update]:
    """A hyperparameter multiplied by a factor inside the update."""

    def wrap(update: Update) -> Update:
        def perturbed(p, g, state, group):  # type: ignore[no-untyped-def]
            changed = {**group, **{k: group[k] * f for k, f in factors.items()}}
            update(p, g, state, changed)

        return perturbed

    return wrap


def _next_step(update: Update) -> Update:
    """Bias corrections of step t + 1 (an off-by-one in the step count)."""

    def perturbed(p, g, state, group):  # type: ignore[no-untyped-def]
        state["step"] += 1
        try:
            update(p, g, state, group)
        finally:
            state["step"] -= 1

    return perturbed


MISTAKES: dict[str, Callable[[Update], Update]] = {
    "lr*(1+1e-6)": _with_group(lr=1 + 1e-6),
    "momentum*(1+3e-3)": _with_group(momentum=1 + 3e-3),
    "rho*(1+1e-2)": _with_group(rho=1 + 1e-2),
    "step t+1": _next_step,
}
CASES = [
    ("SGD", {"momentum": 0.9}, np.float64, "lr*(1+1e-6)"),
    ("RMSprop", {"momentum": 0.7, "maximize": True}, np.float64, "lr*(1+1e-6)"),
    ("Adam", {}, np.float64, "lr*(1+1e-6)"),
    ("AdamW", {"amsgrad": True}, np.float64, "lr*(1+1e-6)"),
    ("SGD", {"momentum": 0.9, "nesterov": True}, np.float32, "momentum*(1+3e-3)"),
    ("RMSprop", {"momentum": 0.7, "centered": True}, np.float32, "momentum*(1+3e-3)"),
    ("Adam", {}, np.float32, "step t+1"),
    ("Adam", {"weight_decay": 0.05}, np.float64, "step t+1"),
    ("AdamW", {"amsgrad": True}, np.float32, "step t+1"),
    ("Adamax", {"weight_decay": 0.05}, np.float64, "lr*(1+1e-6)"),
    ("Adamax", {}, np.float32, "step t+1"),
    ("Adadelta", {"weight_decay": 0.05}, np.float64, "lr*(1+1e-6)"),
    ("Adadelta", {"maximize": True}, np.float32, "rho*(1+1e-2)"),
    ("Rprop", {"maximize": True}, np.float64, "lr*(1+1e-6)"),
]


def _mistaken(name: str, mistake: str) -> type:
    base = getattr(ref, name)
    mistaken = MISTAKES[mistake](base._update)
    return type(f"Mistaken{name}", (base,), {"_update": staticmethod(mistaken)})


@pytest.mark.parametrize(
    ("name", "config", "dtype", "mistake"),
    CASES,
    ids=[f"{c[0]}-{np.dtype(c[2]).name}-{c[3]}" for c in CASES],
)
def test_bound_rejects_a_wrong_update(
    name: str, config: dict[str, Any], dtype: type, mistake: str
) -> None:
    fused, bound = run_case(name, config, dtype)
    bound.assert_close(named_arrays(fused))  # the correct reference passes...
    fused, bound = run_case(name, config, dtype, _mistaken(name, mistake))
    with pytest.raises(AssertionError, match="outside the bound"):
        bound.assert_close(named_arrays(fused))  # ...the mistaken one does not,
    assert bound.worst_ratio(named_arrays(fused)) > 10  # by a wide margin


def _bound_after(steps: list[np.ndarray], dtype: Any = np.float64) -> TrajectoryBound:
    bound = TrajectoryBound()
    bound.observe({"params[0]": np.asarray(steps[0], dtype)}, initial=True)
    for x in steps[1:]:
        bound.observe({"params[0]": np.asarray(x, dtype), "state[0]['step']": len(steps)})
    return bound


def test_failure_message_says_what_where_and_the_bound() -> None:
    expected = [np.zeros((2, 3)), np.full((2, 3), 0.5), np.full((2, 3), 1.0)]
    bound = _bound_after(expected)
    wrong = np.full((2, 3), 1.0)
    wrong[1, 2] += 1e-9
    with pytest.raises(AssertionError) as info:
        bound.assert_close({"params[0]": wrong, "state[0]['step']": 3}, "the case")
    message = str(info.value)
    assert message.startswith("the case: 1 array(s) outside the bound")
    for part in ["params[0]", "max |actual - expected| = 1e-09", "at index (1, 2)",
                 "1 of 6 elements", "T = 2 steps", "S = max|x| over the trajectory = 1",
                 "D = largest one-step change = 0.5", "worst/bound"]:  # fmt: skip
        assert part in message, part


def test_step_counts_must_match_exactly() -> None:
    bound = _bound_after([np.zeros(3), np.ones(3)])
    with pytest.raises(AssertionError, match=r"state\[0\]\['step'\]: step 3, expected 2"):
        bound.assert_close({"params[0]": np.ones(3), "state[0]['step']": 3})


def test_bound_scales_with_the_dtype_the_steps_and_the_trajectory() -> None:
    short = _bound_after([np.zeros(4), np.ones(4)])
    long = _bound_after([np.zeros(4)] + [np.ones(4)] * 10)
    assert long.tolerance("params[0]", np.float64) > short.tolerance("params[0]", np.float64)
    ratio = short.tolerance("params[0]", np.float32) / short.tolerance("params[0]", np.float64)
    assert ratio == np.finfo(np.float32).eps / np.finfo(np.float64).eps


def test_non_finite_values_must_match_where_expected() -> None:
    bound = _bound_after([np.array([np.inf, 1.0]), np.array([np.inf, 0.5])])
    bound.assert_close({"params[0]": np.array([np.inf, 0.5]), "state[0]['step']": 2})
    with pytest.raises(AssertionError, match="non-finite"):
        bound.assert_close({"params[0]": np.array([1e308, 0.5]), "state[0]['step']": 2})
    with pytest.raises(AssertionError, match="outside the bound"):
        bound.assert_close({"params[0]": np.array([np.inf, np.nan]), "state[0]['step']": 2})


def test_compounding_state_widens_the_bound_by_its_factor_only() -> None:
    """Item 5 of tests/_tolerance.py: a run with Adadelta's acc_delta (and only
    such a run) is compared with the bound times 1 + (T + 1)/3."""
    plain = _bound_after([np.zeros(3), np.ones(3), np.full(3, 2.0)])
    compounding = _bound_after([np.zeros(3), np.ones(3), np.full(3, 2.0)])
    compounding.observe({"state[0]['acc_delta']": np.ones(3)})  # a third step, with the buffer
    plain.observe({"state[0]['exp_avg']": np.ones(3)})
    ratio = compounding.tolerance("params[0]", np.float64) / plain.tolerance(
        "params[0]", np.float64
    )
    assert ratio == pytest.approx(1 + (3 + 1) / 3)
