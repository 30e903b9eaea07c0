"""Property test: random hyperparameters and shapes, fused against the reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import fusedopt as fo
import fusedopt.reference as ref

from ._tolerance import TrajectoryBound, named_arrays
from .test_parity import step_in_lockstep

shapes = st.lists(st.integers(0, 40), min_size=0, max_size=3).map(tuple)
unit = st.floats(0.0, 0.999)
lr = st.floats(0.0, 0.1)
wd = st.one_of(st.just(0.0), st.floats(0.0, 0.1))


@st.composite
def optimizer_setup(draw: st.DrawFn) -> tuple[str, dict]:
    name = draw(st.sampled_from(["SGD", "RMSprop", "Adam", "AdamW"]))
    config: dict = {"lr": draw(lr), "weight_decay": draw(wd), "maximize": draw(st.booleans())}
    if name == "SGD":
        config["momentum"] = draw(st.one_of(st.just(0.0), unit))
        config["nesterov"] = config["momentum"] > 0 and draw(st.booleans())
        config["dampening"] = 0.0 if config["nesterov"] else draw(unit)
    elif name == "RMSprop":
        config.update(
            alpha=draw(unit),
            eps=draw(st.floats(1e-8, 1e-2)),
            momentum=draw(st.one_of(st.just(0.0), unit)),
            centered=draw(st.booleans()),
        )
    else:
        config.update(
            betas=(draw(unit), draw(unit)),
            eps=draw(st.floats(1e-8, 1e-2)),
            amsgrad=draw(st.booleans()),
        )
    return name, config


@settings(max_examples=60, deadline=None)
@given(
    setup=optimizer_setup(),
    param_shapes=st.lists(shapes, min_size=1, max_size=4),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
def test_fused_matches_reference(setup, param_shapes, steps, seed) -> None:
    name, config = setup
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in param_shapes]
    fused = getattr(fo, name)(params, **config)
    reference = getattr(ref, name)([p.copy() for p in params], **config)
    bound = TrajectoryBound()
    for _ in range(steps):
        step_in_lockstep(fused, reference, [rng.standard_normal(p.shape) for p in params], bound)
    bound.assert_close(named_arrays(fused))
