"""fusedopt._core against what describes and uses it: python/fusedopt/_core.pyi checked
with mypy's stubtest (names, kinds, properties, classes), the parameter names stubtest
cannot see (pybind11 states them only in the docstring's signature line), and no binding
that python/fusedopt never uses."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fusedopt
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


def test_stubtest_finds_no_difference(tmp_path: Path) -> None:
    """Names, kinds (function, class, property) and members on both sides; a class
    without ``metaclass=_pybind11_type`` in the stub is reported as well."""
    pytest.importorskip("mypy")
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--concise", "fusedopt._core"],
        cwd=tmp_path,  # mypy's cache lands there, not in the checkout
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        pytest.fail(f"stubtest fusedopt._core:\n{done.stdout}{done.stderr}", pytrace=False)


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


# ----------------------------------------------------------------------------- unused bindings
PACKAGE = Path(fusedopt.__file__).parent
#: Bound but not used by python/fusedopt, each with the reason it may stay for now. The
#: test fails once an entry is used, so the list cannot go stale.
KNOWN_UNUSED: dict[str, str] = {}
#: Bindings that exist for the tests, and the test file that must use them.
TEST_HOOKS = {
    "chunk_layout": "test_threading.py",
    "storage_combination": "test_declarations.py",
}


def _sources() -> Iterator[ast.AST]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield ast.parse(path.read_text(), str(path))


def _is_core(node: ast.AST) -> bool:
    """The module itself: ``_core`` as a bare name (``from . import _core``)."""
    return isinstance(node, ast.Name) and node.id == "_core"


def _identifier(node: ast.AST) -> str | None:
    """``core`` for ``core``, ``self.core`` and ``built.core``."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _core_class_named(node: ast.AST | None) -> str | None:
    """``C`` where ``node`` is ``_core.C``, ``_core.C(...)`` or the annotation
    ``"_core.C"``, and ``C`` is a class of the module."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Constant) and str(node.value).startswith("_core."):
        node = ast.parse(node.value, mode="eval").body  # a quoted annotation
    if isinstance(node, ast.Attribute) and _is_core(node.value):
        return node.attr if isinstance(getattr(_core, node.attr, None), type) else None
    return None


def _holders(trees: list[ast.AST]) -> dict[str, set[str]]:
    """Identifier -> the _core classes a variable, attribute or parameter of that name
    is assigned or annotated with anywhere in the package."""
    holders: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            pairs: list[tuple[ast.AST, ast.AST | None]] = []
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign):
                pairs = [(node.target, node.annotation), (node.target, node.value)]
            elif isinstance(node, ast.arg):
                pairs = [(ast.Name(node.arg), node.annotation)]
            for target, value in pairs:
                name, cls = _identifier(target), _core_class_named(value)
                if name and cls:
                    holders.setdefault(name, set()).add(cls)
    return holders


def _used_bindings() -> set[str]:
    """``name`` for ``_core.name`` and ``C.member`` for ``x.member`` where ``x`` holds a
    ``_core.C`` (see :func:`_holders`): attribute access as written in the source."""
    trees = list(_sources())
    holders = _holders(trees)
    used: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            if _is_core(node.value):
                used.add(node.attr)
            else:
                for cls in holders.get(_identifier(node.value) or "", ()):
                    used.add(f"{cls}.{node.attr}")
    return used


def _bindings() -> set[str]:
    names = _public(dir(_core)) - {"__version__"}
    out = set(names)
    for name in names:
        cls = getattr(_core, name)
        if isinstance(cls, type):
            out |= {f"{name}.{m}" for m in _public(list(vars(cls))) - {"__init__"}}
    return out


def test_every_binding_is_used_by_the_package() -> None:
    used = _used_bindings()
    unused = _bindings() - used - set(KNOWN_UNUSED) - set(TEST_HOOKS)
    assert not unused, f"bound in csrc/bindings but unused in python/fusedopt: {sorted(unused)}"


def test_known_exceptions_are_still_exceptions() -> None:
    used, bound = _used_bindings(), _bindings()
    stale = sorted(n for n in KNOWN_UNUSED if n in used or n not in bound)
    assert not stale, f"now used or no longer bound: remove from KNOWN_UNUSED: {stale}"
    tests = Path(__file__).parent
    for name, test_file in TEST_HOOKS.items():
        assert name in bound and f"_core.{name}(" in (tests / test_file).read_text(), name
