"""The ``fusedopt`` command end to end on tiny sizes (no timing assertions)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fusedopt._core as core
from fusedopt.cli import main

TINY = ["--quick", "--sizes", "1e3,4099", "--models", "none", "--rounds", "1"]
PEER_FIELDS = {
    "seconds",
    "gparams_per_s",
    "gbps",
    "roofline_pct",
    "fusedopt_speedup",
    "max_abs_diff",
}


def check_step_schema(result: dict[str, Any], optimizers: list[str], workloads: int) -> None:
    assert result["schema"] == "fusedopt-bench/1" and result["command"] == "step"
    assert {"cpu", "threads", "fusedopt", "numpy"} <= set(result["machine"])
    assert len(result["rows"]) == len(optimizers) * workloads
    for row in result["rows"]:
        assert row["optimizer"] in optimizers
        assert row["bytes_per_param"] in (20, 28, 40, 56)
        assert row["roofline"]["gbps"] > 0
        assert "fusedopt" in row["peers"] and "reference" in row["peers"]
        for peer, m in row["peers"].items():
            assert set(m) == PEER_FIELDS, peer
            assert m["seconds"] > 0
            # same steps from the same start with the same gradients: same parameters
            assert m["max_abs_diff"] < 1e-5, peer
    for entry in result["skipped"]:
        assert {"peer", "optimizer", "reason"} <= set(entry) and entry["reason"]


def test_step_bench_writes_table_json_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *TINY, "--optimizers", "adamw,sgd-l1", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "roofline" in out and "fusedopt" in out and "Skipped peers" in out
    result = json.loads((tmp_path / "results.json").read_text())
    check_step_schema(result, ["adamw", "sgd-l1"], workloads=2)
    torch_rows = [r for r in result["rows"] if "torch-fused" in r["peers"]]
    assert all(r["optimizer"] == "adamw" for r in torch_rows)  # torch.optim has no L1
    assert any(s["peer"] == "torch-fused" and s["optimizer"] == "sgd-l1" for s in result["skipped"])
    assert (tmp_path / "throughput.png").stat().st_size > 0


def test_json_flag_prints_the_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", *TINY, "--optimizers", "rmsprop", "--dtype", "float64", "--json"]
    assert main([*args, "--output", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    check_step_schema(result, ["rmsprop"], workloads=2)
    assert result["options"]["dtype"] == "float64"


def test_model_workload_and_missing_matplotlib_and_tqdm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    monkeypatch.setitem(sys.modules, "tqdm", None)
    args = ["bench", "--quick", "--sizes", "1e3", "--models", "1000x1000", "--rounds", "1"]
    assert main([*args, "--optimizers", "sgd", "--output", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "plots skipped" in captured.err and "[1/2]" in captured.err
    result = json.loads((tmp_path / "results.json").read_text())
    assert [r["workload"] for r in result["rows"]] == ["1e3", "1000x1000"]
    assert result["rows"][1]["tensors"] == 1000
    assert not (tmp_path / "models.png").exists()


def test_python_dash_m_and_lbfgs(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "fusedopt",
        "bench",
        "lbfgs",
        "--quick",
        "--rounds",
        "1",
        "--json",
        "--output",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    solvers = {r["solver"] for r in result["rows"]}
    assert {"fusedopt L-BFGS", "scipy L-BFGS-B", "fusedopt newton", "fusedopt newton-cg (FD)",
            "scipy Newton-CG (hessp)"} <= solvers  # fmt: skip
    for row in result["rows"]:
        assert row["nit"] > 0 and row["nfev"] >= row["nit"] and np.isfinite(row["f"])
        assert row["success"] or not row["solver"].startswith("fusedopt"), row
    assert (tmp_path / "lbfgs.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threads", "0"], "positive integer"),
        (["--threads", "two"], "positive integer"),
        (["--optimizers", "adamw,lamb"], "lamb"),
        (["--optimizers", ""], "unknown name"),
        (["--sizes", "1e3,big"], "not a size"),
        (["--sizes", "1.5"], "integers"),
        (["--models", "vgg"], "vgg"),
        (["--dtype", "float16"], "float16"),
        (["--no-such-option"], "unrecognized"),
        (["sideways"], "invalid choice"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *args, "--output", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written


def test_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["bench", *TINY, "--output", str(blocker / "sub")]) == 2
    assert "--output" in capsys.readouterr().err


@pytest.mark.parametrize("reads, writes", [(1, 0), (2, 1), (4, 3), (5, 4), (5, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 63, 100_003])
def test_roofline_pass_leaves_values_unchanged(reads: int, writes: int, dtype: Any, n: int) -> None:
    arrays = [np.full(n, k + 0.5, dtype) for k in range(reads)]
    core.roofline(arrays, writes, 3)
    for k, a in enumerate(arrays):
        assert np.all(a == k + 0.5)


@pytest.mark.parametrize(
    "arrays, writes",
    [
        ([], 0),
        ([np.ones(4, np.float32)] * 6, 1),
        ([np.ones(4, np.float32)], 2),
        ([np.ones(4, np.float32), np.ones(5, np.float32)], 1),
        ([np.ones(4, np.float32), np.ones(4, np.float64)], 1),
        ([np.ones(8, np.float32)[::2]], 1),
        ([np.ones(4, np.int32)], 1),
        ([np.ones(4, np.float32)] * 2, 1),  # the same array twice
        ([np.frombuffer(bytearray(17), np.float32, count=4, offset=1)], 1),  # misaligned
    ],
)
def test_roofline_rejects_bad_arrays(arrays: list[np.ndarray], writes: int) -> None:
    with pytest.raises(ValueError, match="roofline"):
        core.roofline(arrays, writes, 1)


def test_help_is_plain_text_with_the_commands_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: fusedopt [-h] [--version] COMMAND ...")
    assert "``" not in out and ":func:" not in out  # no reStructuredText
    for command in ("info", "bench"):  # each subcommand, with its one-line description
        assert any(
            line.split()[:1] == [command] and len(line.split()) > 3 for line in out.split("\n")
        )
    assert "examples:\n  fusedopt info" in out and "fusedopt bench --quick" in out
    assert "'fusedopt COMMAND --help'" in out
    assert max(len(line) for line in out.splitlines()) <= 80  # fits a terminal


def test_bench_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and "examples:\n  fusedopt bench --quick" in out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import fusedopt

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"fusedopt {fusedopt.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", fusedopt.__version__)


def test_version_from_the_installed_command() -> None:
    import fusedopt

    done = subprocess.run(
        [sys.executable, "-m", "fusedopt", "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"fusedopt {fusedopt.__version__}"


def test_no_command_exits_2_naming_the_missing_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
