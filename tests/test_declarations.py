"""Each optimizer is declared once (fusedopt._declarations and the C++
declaration in csrc/include/fusedopt/optimizers/); these tests check that
what is derived from it matches torch.optim and the C++ core."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import torch

import fusedopt as fo
import fusedopt.reference as ref
import fusedopt.torch as ft
from fusedopt import _core
from fusedopt._declarations import DECLARATIONS, STORAGE_OPTIONS, Declaration

from ._declared import peer_grid, torch_peer

REGULARIZER_FIELDS = {"l1", "l2", "l1_proximal"}
OURS = {h.name for h in STORAGE_OPTIONS}  # fusedopt's own arguments, in both front ends


def _ids(d: Declaration) -> str:
    return d.name


def _described(sig: inspect.Signature) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def _shared(ours: dict[str, Any], theirs: dict[str, Any], decl: Declaration) -> None:
    """torch.optim's optimizers: the same (besides fusedopt's storage options);
    another package's (Lion): the same on the options both have, and fusedopt
    keeps every option the formula needs."""
    ours = {k: v for k, v in ours.items() if k not in OURS}
    if decl.in_torch:
        assert ours == theirs
        return
    shared = ours.keys() & theirs.keys()
    assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}
    assert {"lr", "betas", "weight_decay"} <= shared


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_torch_class_has_its_peers_signature(decl: Declaration) -> None:
    described = _described(inspect.signature(getattr(ft, decl.name)))
    ours = [d for d in described if d[0] not in OURS]
    assert [d[0] for d in described[len(ours) :]] == [h.name for h in STORAGE_OPTIONS]
    theirs = _described(inspect.signature(torch_peer(decl.name)))
    if decl.in_torch:
        assert ours == theirs
    _shared({n: d for n, _, d in ours}, {n: d for n, _, d in theirs}, decl)


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_torch_class_has_its_peers_defaults(decl: Declaration) -> None:
    p = torch.zeros(3, requires_grad=True)
    ours = getattr(ft, decl.name)([p]).defaults
    theirs = torch_peer(decl.name)([p]).defaults
    _shared(ours, theirs, decl)


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_numpy_classes_take_torchs_hyperparameters_and_a_regularizer(decl: Declaration) -> None:
    torch_names = [n for n, _, _ in _described(inspect.signature(getattr(ft, decl.name)))]
    compat = {"foreach", "fused", "capturable", "differentiable"} | OURS
    expected = [n for n in torch_names if n not in compat] + ["regularizer", *sorted(OURS)]
    for cls in (getattr(fo, decl.name), getattr(ref, decl.name)):
        assert [n for n, _, _ in _described(inspect.signature(cls))] == expected
        w = np.zeros(2)
        assert cls([w]).defaults == {**decl.defaults(torch=False)}


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_the_core_reads_only_declared_hyperparameters(decl: Declaration) -> None:
    read = set(_core.optimizers()[decl.kernel]["hyperparameters"]) - REGULARIZER_FIELDS
    declared = {h.name for h in decl.hypers if not h.torch_only} | set(decl.fixed)
    assert read <= declared, f"the C++ declaration reads {read - declared}, not declared"


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_docstrings_state_every_default_and_the_state_names(decl: Declaration) -> None:
    for cls, torch_front in ((getattr(fo, decl.name), False), (getattr(ft, decl.name), True)):
        doc = decl.docstring(torch=torch_front, params_doc="", step_doc="")
        for h in decl.arguments(torch=torch_front):
            assert f"{h.name} : {h.annotation}, default {h.default!r}" in doc
        for name in decl.state_names:
            assert f"``{name}``" in doc
        assert cls.__doc__


@pytest.mark.parametrize("decl", DECLARATIONS, ids=_ids)
def test_state_names_after_a_step_are_torchs(decl: Declaration) -> None:
    # Every option on: the keys must be the peer's.
    kwargs = peer_grid(decl.name)[-1]
    p, q = (torch.ones(4, requires_grad=True) for _ in range(2))
    ours = getattr(ft, decl.name)([p], **kwargs)
    theirs = torch_peer(decl.name)([q], **kwargs)
    for t, opt in ((p, ours), (q, theirs)):
        t.grad = torch.ones(4)
        opt.step()
    assert set(ours.state[p]) == set(theirs.state[q])
    w = np.ones(4)
    numpy_opt = getattr(fo, decl.name)([w], **kwargs)
    numpy_opt.step([np.ones(4)])
    assert set(numpy_opt.state_dict()["state"][0]) == set(theirs.state[q])


@pytest.mark.parametrize("granule", [1, 64, 256, 2048])
@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_chunk_boundaries_keep_blocks_whole(granule: int, threads: int) -> None:
    for total in (0, granule, 5 * granule, 1000 * granule, 4096 * 2048):
        bounds = _core.chunk_layout(threads, total, granule)
        assert bounds[0] == 0 and bounds[-1] == total
        assert all(b % granule == 0 for b in bounds)
        assert all(a < b for a, b in zip(bounds, bounds[1:]))


@pytest.mark.parametrize(
    ("granule", "total", "match"),
    [(3, 9, "power of two"), (0, 0, "power of two"), (64, 100, "multiple of granule")],
)
def test_chunk_layout_refuses_a_bad_granule(granule: int, total: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _core.chunk_layout(2, total, granule)


@pytest.mark.parametrize(
    ("param", "grad", "states", "expected"),
    [
        ("float32", "float32", [], "f32"),
        ("float32", "float32", ["float32", "float32"], "f32"),
        ("float64", "float64", ["float64"], "f64"),
        ("bfloat16", "bfloat16", ["bfloat16", "bfloat16"], "bf16"),
        ("float16", "float16", ["float16"], "f16"),
        # float32 math on tiles: any mix of float32, bfloat16 and float16
        ("float32", "bfloat16", ["float32"], "mixed"),
        ("bfloat16", "bfloat16", ["float32", "float32"], "mixed"),
        ("float16", "float32", ["bfloat16"], "mixed"),
        ("float32", "float32", ["float32", "bfloat16"], "mixed"),
        # float64 math mixes with nothing: refused
        ("float32", "float64", ["float32"], None),
        ("float64", "float64", ["float32"], None),
        ("float32", "float32", ["float32", "float64"], None),
        ("bfloat16", "float64", [], None),
    ],
)
def test_storage_combinations(
    param: str, grad: str, states: list[str], expected: str | None
) -> None:
    """Every buffer has its own storage type; the step refuses (before touching
    memory) a combination the kernels are not compiled for."""
    assert _core.storage_combination(param, grad, states) == expected


def test_unknown_storage_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        _core.storage_combination("float8", "float32", [])
