"""Shared fixtures: run kernel tests once per ISA build this CPU can execute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import fusedopt as fo

ALL_ISAS = ("baseline", "avx2", "avx512")


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
