"""Every script in examples/ runs with --quick, and the claim it makes holds on its numbers.

Each example exposes ``main(argv) -> dict`` with what it measured. ``CLAIMS`` maps an
example's file name to the check of its claim; a new example adds a file and an
entry, and ``test_every_example_has_a_claim`` fails until it does.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")  # 03 compares with sklearn's Lasso, 04 uses load_digits

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``examples/<name>.py`` by path, with examples/ on sys.path for ``_common``."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    # another module named _common may be imported already: use the examples' one
    monkeypatch.delitem(sys.modules, "_common", raising=False)
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------ the claims
def conditioning(res: dict[str, Any]) -> None:
    """Momentum and Nesterov reach the tolerance on the quadratic in fewer steps than GD."""
    quad = res["quadratic"]
    assert all(r["steps"] is not None for r in quad.values()), quad
    assert quad["momentum"]["steps"] < quad["GD"]["steps"], quad
    assert quad["Nesterov"]["steps"] < quad["GD"]["steps"], quad


def saddle(res: dict[str, Any]) -> None:
    """Modified Newton escapes in a few iterations even from exactly (1, 0), where GD and
    momentum never do; gradient noise lets GD escape; unmodified Newton goes to the saddle."""
    for start, runs in res["runs"].items():
        newton = runs["Newton, modified"]
        assert newton["success"] and newton["escape"] in (1, 2, 3), (start, newton["escape"])
        assert newton["end"].startswith("minimiser") and newton["distance"] < 1e-6, newton
        assert runs["Newton, unmodified"]["end"] == "saddle (0, 0)", start
        noisy = next(r for m, r in runs.items() if m.startswith("GD + noise"))
        assert noisy["escape"] is not None and noisy["end"].startswith("minimiser"), start
        assert np.all(res["noise_escapes"][start] > 0), res["noise_escapes"][start]
    near, exact = res["runs"]["(1, 1e-6)"], res["runs"]["(1, 0)"]
    momentum = next(m for m in near if m.startswith("momentum"))
    assert near["Newton, modified"]["escape"] < near[momentum]["escape"] < near["GD"]["escape"]
    assert near["GD"]["end"].startswith("minimiser")
    for name in ("GD", momentum):
        assert exact[name]["escape"] is None and exact[name]["end"] == "saddle (0, 0)", name
        assert np.all(exact[name]["path"][:, 1] == 0)  # no y component, ever


def regularizers(res: dict[str, Any]) -> None:
    """Proximal L1 gives exact zeros and the reference's support, subgradient L1 none;
    ‖w‖ grows without a penalty on separable data and stays put with L2."""
    for problem in ("linear", "logistic"):
        r = res[problem]
        for name in ("L1 proximal", "elastic net proximal"):
            assert r[name]["zeros"] > 0, (problem, name, r[name])
            assert r[name]["same_support"], (problem, name, r[name])
            assert r[name]["max_abs_diff"] < 1e-6, (problem, name, r[name])
        assert r["L1 subgradient"]["zeros"] <= 2, (problem, r["L1 subgradient"])
        assert r["L1 subgradient"]["reference_zeros"] > 10, (problem, r["L1 subgradient"])
        for name in ("none", "L2"):
            assert r[name]["zeros"] == 0 and r[name]["max_abs_diff"] < 1e-6, (problem, name)
    path = res["path"]
    assert path["same_support"].all(), path["same_support"]
    assert np.max(np.abs(path["fusedopt"] - path["sklearn"])) < 1e-6
    assert np.count_nonzero(path["fusedopt"][0]) < np.count_nonzero(path["fusedopt"][-1])
    none, l2 = res["separable"]["none"], res["separable"]["L2"]
    n = len(none)
    assert none[-1] > 1.3 * none[n // 10 - 1], none[[n // 10 - 1, -1]]
    assert np.all(np.diff(none[n // 10 :]) > 0)
    assert abs(l2[-1] - l2[n // 2]) < 1e-3 * l2[-1], l2[[n // 2, -1]]
    assert l2[-1] < 0.5 * none[-1]


def mlp_digits(res: dict[str, Any]) -> None:
    """Every layer passes gradcheck; every optimizer reaches the stated validation accuracy."""
    assert res["gradcheck"] and all(res["gradcheck"].values()), res["gradcheck"]
    final = {name: float(r["val_acc"][-1]) for name, r in res["runs"].items()}
    assert len(final) >= 4 and min(final.values()) >= res["target_val_acc"], final
    for r in res["runs"].values():
        assert 0 < r["optimizer_share"] < 1 and np.all(np.isfinite(r["train_loss"]))


def large_batch(res: dict[str, Any]) -> None:
    """Without scaling batch 512 lags batch 32; with the scaled lr it recovers the final loss
    (within 10%) with or without warmup, and the warmup only slows the first epoch."""
    small, unscaled, scaled, warm = (res["runs"][n] for n in res["names"])
    assert res["base_lr"] in (0.003, 0.01, 0.03)
    assert unscaled["loss_ratio"][-1] > 1.1, unscaled["loss_ratio"]
    for name, ok in res["recovers"].items():
        assert ok == (res["runs"][name]["loss_ratio"][-1] <= 1.1), name
    assert all(res["recovers"].values()), res["recovers"]
    assert warm["train_loss"][0] > scaled["train_loss"][0]
    assert np.all(np.isfinite(small["train_loss"]))


def first_vs_second_order(res: dict[str, Any]) -> None:
    """Newton needs fewer iterations than L-BFGS, which needs fewer than GD; Newton's last
    iterations converge quadratically; a numerical gradient calls f exactly 2n times."""
    runs = res["runs"]
    assert all(r["reached"] for r in runs.values()), {n: r["nit"] for n, r in runs.items()}
    gd = runs["GD (lr = 1/L)"]
    assert runs["Newton"]["nit"] < runs["L-BFGS"]["nit"] < gd["nit"]
    assert runs["Newton-CG"]["nit"] < runs["L-BFGS"]["nit"]
    assert len(res["newton_constants"]) >= 2, runs["Newton"]["norms"]
    assert res["newton_C"] < 100, res["newton_constants"]
    norms = runs["Newton"]["norms"]
    assert norms[-1] / norms[-2] < 1e-3  # the last step: far beyond any linear rate
    assert gd["rate"] > 0.9  # GD: linear, slowly
    for row in res["gradient_cost"]:
        assert row["calls"] == 2 * row["n"] and row["gradcheck"], row


CLAIMS: dict[str, Callable[[dict[str, Any]], None]] = {
    "01_conditioning": conditioning,
    "02_saddle": saddle,
    "03_regularizers": regularizers,
    "04_mlp_digits": mlp_digits,
    "05_large_batch": large_batch,
    "06_first_vs_second_order": first_vs_second_order,
}


# ------------------------------------------------------------ tests
def test_every_example_has_a_claim() -> None:
    scripts = sorted(p.stem for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(CLAIMS), "add the new example's claim to CLAIMS"


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_example_claim(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = load(name, monkeypatch).main(["--quick", "--output", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "| ---" in printed or "|---" in printed  # it printed its table
    CLAIMS[name](results)
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000


def test_example_without_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # None in sys.modules makes `import matplotlib` raise ImportError
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    results = load("01_conditioning", monkeypatch).main(["--quick", "--output", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "matplotlib is not installed: figure 01_conditioning.png skipped" in printed
    assert "| quadratic" in printed
    assert not list(tmp_path.iterdir())
    conditioning(results)
