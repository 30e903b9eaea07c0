"""Shared fixtures: run kernel tests once per ISA build this CPU can execute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference

from . import _declared
from ._dtypes import STEP_DTYPES

ALL_ISAS = ("baseline", "avx2", "avx512")
# Tests that use the fixtures below run on the fused optimizers and the reference.
IMPLS = {"fused": fo, "reference": fusedopt.reference}
NAMES = _declared.NAMES  # every declared optimizer


@pytest.fixture(params=ALL_ISAS)
def isa(request: pytest.FixtureRequest) -> Iterator[str]:
    """Force one kernel build for the test; skipped (with the reason shown) if unavailable."""
    name = request.param
    if name not in fo.available_isas():
        compiled = name in fo.info()["compiled_isas"]
        why = "this CPU lacks it" if compiled else "not compiled for this architecture"
        pytest.skip(f"ISA {name}: {why} (available: {fo.available_isas()})")
    before = fo.get_isa()
    fo.set_isa(name)
    try:
        yield name
    finally:
        fo.set_isa(before)


@pytest.fixture(params=sorted(IMPLS))
def impl(request: pytest.FixtureRequest) -> Any:
    return IMPLS[request.param]


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=STEP_DTYPES, ids=[d.name for d in STEP_DTYPES])
def dtype(request: pytest.FixtureRequest) -> np.dtype:
    """Every dtype the optimizers store parameters and state in."""
    return np.dtype(request.param)


# ------------------------------------------------------------ bit-exact snapshots
def frozen(value: Any) -> Any:
    """A comparable, bit-exact copy of ``value`` (NaN equals NaN)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    return (type(value).__name__, repr(value))


def snapshot(opt: Any, *arrays: np.ndarray) -> dict[str, Any]:
    params = [p for group in opt.param_groups for p in group["params"]]
    return {
        "params": [(id(p), p.__array_interface__["data"][0], frozen(p)) for p in params],
        "state": {i: {k: frozen(v) for k, v in e.items()} for i, e in opt.state.items()},
        "groups": [
            {k: [id(p) for p in v] if k == "params" else frozen(v) for k, v in group.items()}
            for group in opt.param_groups
        ],
        "arrays": [frozen(a) for a in arrays],
    }
