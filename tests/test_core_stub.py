"""python/fusedopt/_core.pyi against the compiled module: the same names, and every
function and method with the same parameters (names where the binding gives them)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from fusedopt import _core

STUB = Path(_core.__file__).parent / "_core.pyi"
if not STUB.exists():  # an installed wheel without the stub beside the module
    STUB = Path(__file__).parents[1] / "python" / "fusedopt" / "_core.pyi"


def _stub_members(body: list[ast.stmt]) -> dict[str, list[str] | None]:
    """name -> parameter names (functions) or None (attributes, classes, properties)."""
    out: dict[str, list[str] | None] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            is_property = any(isinstance(d, ast.Name) and d.id == "property"
                              for d in node.decorator_list)  # fmt: skip
            out[node.name] = None if is_property else [a.arg for a in node.args.args]
        elif isinstance(node, ast.ClassDef):
            out[node.name] = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = None
    return out


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "[(" else -1 if ch in "])" else 0
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _bound_parameters(obj: object) -> list[str]:
    """Parameter names from pybind11's signature line: 'name(a: T, b: U) -> R'."""
    first = (inspect.getdoc(obj) or "").splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(")")]
    return [p.split(":")[0].strip() for p in _split_top_level(inside)]


def _public(names: list[str]) -> set[str]:
    return {n for n in names if not n.startswith("_") or n in ("__version__", "__init__")}


TREE = ast.parse(STUB.read_text())
TOP = _stub_members(TREE.body)
CLASSES = {n.name: _stub_members(n.body) for n in TREE.body if isinstance(n, ast.ClassDef)}


def test_stub_names_match_the_module() -> None:
    assert set(TOP) == _public(dir(_core))


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_stub_class_members_match(name: str) -> None:
    members = CLASSES[name]
    cls = getattr(_core, name)
    bound = _public([n for n in dir(cls) if n in vars(cls)]) - {"__init__"}
    assert set(members) - {"__init__"} == bound


def _check(obj: object, params: list[str], where: str) -> None:
    bound = _bound_parameters(obj)
    assert len(bound) == len(params), f"{where}: stub {params}, module {bound}"
    for stub_name, bound_name in zip(params, bound):
        if not bound_name.startswith("arg"):  # unnamed pybind11 arguments are argN
            assert stub_name == bound_name, f"{where}: stub {params}, module {bound}"


@pytest.mark.parametrize("name", sorted(n for n, p in TOP.items() if p is not None))
def test_stub_function_signatures_match(name: str) -> None:
    _check(getattr(_core, name), TOP[name] or [], name)


@pytest.mark.parametrize(
    "qualname",
    sorted(f"{c}.{m}" for c, ms in CLASSES.items() for m, p in ms.items() if p is not None),
)
def test_stub_method_signatures_match(qualname: str) -> None:
    cls, method = qualname.split(".")
    _check(getattr(getattr(_core, cls), method), CLASSES[cls][method] or [], qualname)
