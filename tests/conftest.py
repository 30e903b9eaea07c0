"""Shared fixtures: run kernel tests once per ISA build this CPU can execute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
import fusedopt.reference

ALL_ISAS = ("baseline", "avx2", "avx512")
# Tests that use the fixtures below run on the fused optimizers and the reference.
IMPLS = {"fused": fo, "reference": fusedopt.reference}
NAMES = ("SGD", "RMSprop", "Adam", "AdamW")


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


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> np.dtype:
    return np.dtype(request.param)
