"""fo.minimize's methods, options and statuses: one definition in the C++ core.

The method names (fusedopt's and scipy's spellings), the defaults and status
messages Python reads from the core, and option checks that give the same
message whichever method reads the option.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import fusedopt as fo
from fusedopt import _core

minimize_module = importlib.import_module("fusedopt.minimize")

A = np.array([[3.0, 1.0], [1.0, 2.0]])
B = np.array([1.0, -1.0])


def quadratic(x: np.ndarray) -> tuple[float, np.ndarray]:
    """0.5 x'Ax - b'x + (x'x)^2 / 4: convex, not quadratic, so every method iterates."""
    quartic = 0.25 * float(x @ x) ** 2
    return 0.5 * float(x @ A @ x) - float(B @ x) + quartic, A @ x - B + float(x @ x) * x


def quadratic_hess(x: np.ndarray) -> np.ndarray:
    return A + float(x @ x) * np.eye(2) + 2.0 * np.outer(x, x)


X0 = np.array([2.0, -3.0])
#: What each method needs besides fun and x0.
METHOD_ARGS: dict[str, dict[str, Any]] = {
    "lbfgs": {},
    "newton": {"hess": quadratic_hess},
    "newton-cg": {"hess": quadratic_hess},
}


def run(method: str, **kwargs: Any) -> fo.OptimizeResult:
    canonical = minimize_module.METHOD_NAMES[method.lower()]
    return fo.minimize(quadratic, X0, method=method, **METHOD_ARGS[canonical], **kwargs)


def same_run(a: fo.OptimizeResult, b: fo.OptimizeResult) -> bool:
    return (
        np.array_equal(a.x, b.x)
        and a.fun == b.fun
        and (a.nit, a.nfev, a.status) == (b.nit, b.nfev, b.status)
    )


# ------------------------------------------------------------ method names
@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("lbfgs", "lbfgs"),
        ("LBFGS", "lbfgs"),
        ("L-BFGS", "lbfgs"),
        ("l-bfgs", "lbfgs"),
        ("L-BFGS-B", "lbfgs"),
        ("l-bfgs-b", "lbfgs"),
        ("newton", "newton"),
        ("Newton", "newton"),
        ("newton-cg", "newton-cg"),
        ("Newton-CG", "newton-cg"),
        ("NEWTON-CG", "newton-cg"),
    ],
)
def test_every_spelling_runs_its_method(spelling: str, canonical: str) -> None:
    ours = run(spelling)
    assert ours.success
    assert same_run(ours, run(canonical))
    assert ("nhev" in ours) == (canonical != "lbfgs")


@pytest.mark.parametrize("method", ["bfgs", "L-BFGS-C", "newton_cg", "trust-exact", "", 3, None])
def test_unknown_method_lists_the_names(method: Any) -> None:
    with pytest.raises(ValueError, match=r"method must be 'lbfgs'.*L-BFGS-B.*'newton'.*Newton-CG"):
        fo.minimize(quadratic, X0, method=method)


# ------------------------------------------------------------ defaults and statuses
def test_status_messages_come_from_the_core() -> None:
    assert dict(minimize_module.STATUS_MESSAGES) == _core.status_messages()
    assert sorted(_core.status_messages()) == list(range(7))


@pytest.mark.parametrize("method", minimize_module.METHODS)
def test_defaults_come_from_the_core(method: str) -> None:
    assert dict(minimize_module.METHOD_OPTIONS[method]) == _core.solver_defaults(method)


@pytest.mark.parametrize("method", minimize_module.METHODS)
def test_the_exported_defaults_are_the_ones_used(method: str) -> None:
    """Passing every exported default explicitly changes nothing."""
    defaults = _core.solver_defaults(method)
    assert same_run(run(method, options=defaults), run(method))


@pytest.mark.parametrize(
    ("method", "options", "status"),
    [
        ("lbfgs", {}, 0),
        ("lbfgs", {"max_iter": 1}, 2),
        ("newton", {"max_fev": 2}, 3),
        ("newton-cg", {"max_iter": 1}, 2),
    ],
)
def test_result_message_and_success_follow_the_status(
    method: str, options: dict[str, Any], status: int
) -> None:
    res = run(method, options=options)
    assert res.status == status
    assert res.message == _core.status_messages()[status]
    assert res.success == (status in (0, 1))


def test_exports_are_read_only() -> None:
    with pytest.raises(TypeError):
        minimize_module.STATUS_MESSAGES[0] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        minimize_module.METHOD_OPTIONS["lbfgs"]["gtol"] = 1.0  # type: ignore[index]


def test_solver_defaults_rejects_an_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        _core.solver_defaults("L-BFGS-B")  # the core knows canonical names only


# ------------------------------------------------------------ one check per option
COMMON_BAD_OPTIONS = [
    ({"gtol": -1.0}, ValueError, r"^gtol must be a finite number >= 0, got -1\.0$"),
    ({"gtol": float("inf")}, ValueError, r"^gtol must be a finite number >= 0, got inf$"),
    ({"gtol": "small"}, ValueError, r"^gtol must be a finite number >= 0, got 'small'$"),
    ({"ftol": float("nan")}, ValueError, r"^ftol must be a finite number >= 0, got nan$"),
    ({"ftol": True}, ValueError, r"^ftol must be a finite number >= 0, got True$"),
    ({"max_iter": -1}, ValueError, r"^max_iter must be an int in \[0, \d+\], got -1$"),
    ({"max_iter": 1.5}, ValueError, r"^max_iter must be an int in \[0, \d+\], got 1\.5$"),
    ({"max_iter": 10**30}, ValueError, rf"^max_iter must be an int in \[0, \d+\], got {10**30}$"),
    ({"max_fev": 0}, ValueError, r"^max_fev must be an int in \[1, \d+\], got 0$"),
    ({"max_ls": 2**31}, ValueError, r"^max_ls must be an int in \[1, 2147483647\]"),
    ({"c1": 0.0}, ValueError, r"^c1 must be in \(0, 1\), got 0\.0$"),
    ({"c1": 0.5, "c2": 0.4}, ValueError, r"^c2 must be in \(c1, 1\), got 0\.4$"),
    ({"c2": float("nan")}, ValueError, r"^c2 must be in \(c1, 1\), got nan$"),
    ({"maxiter": 10}, ValueError, r"^unknown options \['maxiter'\] for method='[a-z-]+'"),
]


@pytest.mark.parametrize(
    ("options", "error", "match"), COMMON_BAD_OPTIONS, ids=lambda v: repr(v)[:30]
)
def test_a_bad_option_gives_the_same_message_from_every_method(
    options: dict[str, Any], error: type, match: str
) -> None:
    messages = set()
    for method in minimize_module.METHODS:
        x0 = X0.copy()
        with pytest.raises(error, match=match) as info:
            fo.minimize(quadratic, x0, method=method, **METHOD_ARGS[method], options=options)
        np.testing.assert_array_equal(x0, X0)
        messages.add(str(info.value).split(" for method=")[0])
    assert len(messages) == 1


@pytest.mark.parametrize("method", minimize_module.METHODS)
def test_unknown_options_list_the_methods_options(method: str) -> None:
    valid = sorted(_core.solver_defaults(method))
    with pytest.raises(ValueError) as info:
        run(method, options={"tol": 1e-3, 7: 1})
    assert str(info.value) == (
        f"unknown options ['tol', 7] for method='{method}'; valid options are "
        + "[" + ", ".join(repr(name) for name in valid) + "]"
    )  # fmt: skip


INT_RANGE = r"must be an int in \[1, \d+\], got 0$"


@pytest.mark.parametrize(
    ("method", "kwargs", "error", "match"),
    [
        ("lbfgs", {"options": {"history_size": 0}}, ValueError, "^history_size " + INT_RANGE),
        (
            "lbfgs",
            {"options": {"line_search": "wolfe"}},
            ValueError,
            r"^line_search must be one of None, 'strong_wolfe', 'backtracking', got 'wolfe'$",
        ),
        (
            "lbfgs",
            {"options": {"backtracking_wolfe": 1}},
            TypeError,
            r"^backtracking_wolfe must be a bool, got 1$",
        ),
        (
            "lbfgs",
            {"l1": 0.1, "options": {"line_search": "strong_wolfe"}},
            ValueError,
            r"^line_search='strong_wolfe' is not valid with l1 > 0",
        ),
        ("lbfgs", {"l1": -0.5}, ValueError, r"^l1 must be a finite number >= 0, got -0\.5$"),
        ("lbfgs", {"l1": "1"}, ValueError, r"^l1 must be a finite number >= 0, got '1'$"),
        (
            "lbfgs",
            {"step_scale": float("inf")},
            ValueError,
            r"^step_scale must be a finite number > 0, got inf$",
        ),
        ("newton-cg", {"options": {"max_cg": 0}}, ValueError, "^max_cg " + INT_RANGE),
        ("newton-cg", {"options": {"eta_max": 1.0}}, ValueError, r"^eta_max must be in \(0, 1\)"),
        ("newton", {"options": {"max_cg": 5}}, ValueError, r"^unknown options \['max_cg'\]"),
        ("newton", {"step_scale": 0.5}, ValueError, r"^step_scale is an L-BFGS option"),
        ("newton-cg", {"l1": 0.1}, ValueError, r"^l1=0\.1 is not supported by method="),
        ("lbfgs", {"options": [("gtol", 1.0)]}, TypeError, r"^options must be a mapping"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_method_options_are_checked_once_with_named_messages(
    method: str, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        run(method, **kwargs)


@pytest.mark.parametrize("method", minimize_module.METHODS)
def test_numpy_scalars_are_accepted_as_option_values(method: str) -> None:
    options = {"gtol": 1e-7, "max_iter": 50, "c1": 1e-4}
    numpy_options = {"gtol": np.float32(1e-7), "max_iter": np.int32(50), "c1": np.float64(1e-4)}
    ours = run(method, options=numpy_options)
    assert ours.success
    np.testing.assert_allclose(ours.x, run(method, options=options).x, rtol=1e-6)


def test_none_line_search_and_max_cg_mean_the_defaults() -> None:
    assert same_run(run("lbfgs", options={"line_search": None}), run("lbfgs"))
    assert same_run(run("newton-cg", options={"max_cg": None}), run("newton-cg"))
    owlqn = fo.minimize(quadratic, X0, l1=0.1, options={"line_search": None})
    assert same_run(
        owlqn, fo.minimize(quadratic, X0, l1=0.1, options={"line_search": "backtracking"})
    )
