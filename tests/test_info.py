"""Runtime dispatch, thread control and fo.info()."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import fusedopt as fo


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("FUSEDOPT_ISA",)} | env
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60
    )


def test_info_fields() -> None:
    info = fo.info()
    assert info["version"] == fo.__version__
    assert info["isa"] in info["available_isas"]
    assert set(info["available_isas"]) <= set(info["compiled_isas"])
    assert info["available_isas"][0] == "baseline"
    assert info["num_threads"] >= 1
    assert info["openmp_version"] >= 201307


def test_best_isa_chosen_at_import() -> None:
    result = _run("import fusedopt as fo; print(fo.get_isa(), fo.available_isas()[-1])")
    assert result.returncode == 0, result.stderr
    chosen, best = result.stdout.split()
    assert chosen == best


@pytest.mark.parametrize("name", ["baseline", "avx2", "avx512"])
def test_environment_forces_isa(name: str) -> None:
    result = _run("import fusedopt as fo; print(fo.get_isa())", FUSEDOPT_ISA=name)
    if name in fo.available_isas():
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == name
    else:
        assert result.returncode != 0
        assert "FUSEDOPT_ISA" in result.stderr


def test_environment_rejects_unknown_isa() -> None:
    result = _run("import fusedopt", FUSEDOPT_ISA="sse9")
    assert result.returncode != 0
    assert "FUSEDOPT_ISA='sse9'" in result.stderr


def test_set_isa_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="isa must be"):
        fo.set_isa("neon")


def test_omp_num_threads_is_respected() -> None:
    result = _run("import fusedopt as fo; print(fo.info()['num_threads'])", OMP_NUM_THREADS="1")
    assert result.stdout.strip() == "1", result.stderr


def test_set_num_threads() -> None:
    fo.set_num_threads(1)
    try:
        assert fo.info()["num_threads"] == 1
    finally:
        fo.set_num_threads(0)
    assert fo.info()["num_threads"] == fo.info()["openmp_max_threads"]
    with pytest.raises(ValueError, match="n must be"):
        fo.set_num_threads(-1)


def test_docstring_example_runs() -> None:
    W = np.zeros((784, 10), np.float32)
    b = np.zeros(10, np.float32)
    opt = fo.AdamW([W, b], lr=1e-3, weight_decay=1e-2)
    opt.step([np.ones_like(W), np.ones_like(b)])
    np.testing.assert_allclose(W, -1e-3, rtol=1e-6)


def test_plain_install_needs_numpy_only() -> None:
    """`pip install .` must not pull torch (a 500+ MB CUDA wheel from PyPI): torch is
    only in the extras, and NumPy is the one runtime dependency."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    requirements = [Requirement(text) for text in requires("fusedopt") or []]
    runtime = [r.name for r in requirements if r.marker is None]
    assert runtime == ["numpy"]
    torch_extras = {str(r.marker) for r in requirements if r.name == "torch"}
    assert torch_extras == {'extra == "torch"', 'extra == "test"', 'extra == "bench"'}
