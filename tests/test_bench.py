"""fusedopt.bench, the one harness behind ``fusedopt bench`` and bench/*.py: its peers
compute what they claim, its timing loops take the steps they say, and the scripts run
on it (no timing assertions: the machine is shared)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from fusedopt.bench import peers as P
from fusedopt.bench import step as S
from fusedopt.bench import timing as T
from fusedopt.bench.workloads import Workload

BENCH = Path(__file__).parents[1] / "bench"
TINY = Workload("tiny", ((7,), (3, 5), (0,)), "model")

# Non-default values for every hyperparameter the naive peer writes out.
CUSTOM = {
    "SGD": dict(lr=0.05, momentum=0.5, dampening=0.2, weight_decay=0.01),
    "RMSprop": dict(lr=0.01, alpha=0.8, eps=1e-3, weight_decay=0.01),
    "Adam": dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1),
    "AdamW": dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1),
}


def _arrays(dtype: Any = np.float64) -> tuple[list[np.ndarray], list[np.ndarray]]:
    params = S.random_arrays(TINY, np.dtype(dtype), 1.0, seed=1)
    grads = S.random_arrays(TINY, np.dtype(dtype), 0.5, seed=2)
    return params, grads


def _after_steps(peer: str, spec: P.Spec, steps: int = 3) -> list[np.ndarray]:
    params, grads = _arrays()
    step = P.PEERS[peer](spec, params, grads)
    for _ in range(steps):
        step()
    return params


@pytest.mark.parametrize("l1", [0.0, 1e-2])
@pytest.mark.parametrize("algo", sorted(CUSTOM))
@pytest.mark.parametrize("peer", ["numpy-naive", "reference"])
def test_numpy_peers_follow_the_workloads_hyperparameters(peer: str, algo: str, l1: float) -> None:
    spec = P.Spec(algo, CUSTOM[algo], l1, 4, 3)
    if l1 and algo == "RMSprop" and peer == "numpy-naive":
        with pytest.raises(P.Skip, match="L1"):  # not written out: said, not ignored
            _after_steps(peer, spec)
        return
    expected = _after_steps("fusedopt", spec)
    for ours, theirs in zip(expected, _after_steps(peer, spec)):
        np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-14)
    assert P.max_abs_diff(expected, _after_steps("fusedopt", P.SPECS[algo.lower()])) > 1e-3


@pytest.mark.parametrize(
    "algo, option",
    [
        ("SGD", dict(momentum=0.9, nesterov=True)),
        ("SGD", dict(maximize=True)),
        ("RMSprop", dict(centered=True)),
        ("RMSprop", dict(momentum=0.9)),
        ("Adam", dict(amsgrad=True)),
    ],
)
def test_naive_peer_refuses_options_it_does_not_write_out(algo: str, option: dict) -> None:
    params, grads = _arrays()
    with pytest.raises(P.Skip, match=next(iter(option.keys() - {"momentum"}), "momentum")):
        P.naive_peer(P.Spec(algo, option, 0.0, 3, 2), params, grads)
    assert P.naive_peer(P.Spec("RMSprop", {}, 0.0, 3, 2), params, grads) is not None


@pytest.mark.parametrize("name", sorted(P.SPECS))
def test_hyperparameters_are_the_specs_over_the_optimizers_defaults(name: str) -> None:
    spec = P.SPECS[name]
    h = P.hyperparameters(spec)
    assert h.items() >= spec.hyper.items()
    assert "regularizer" not in h
    assert ("eps" in h) == (spec.algo != "SGD")  # a default the spec does not set
    changed = P.hyperparameters(dataclasses.replace(spec, hyper={**spec.hyper, "lr": 0.5}))
    assert changed["lr"] == 0.5


@pytest.mark.parametrize(
    "peer", ["torch-forloop", "torch-foreach", "torch-fused", "fusedopt-torch"]
)
@pytest.mark.parametrize("name", ["adamw", "sgd"])
def test_torch_peers_update_the_arrays_they_were_given(peer: str, name: str) -> None:
    pytest.importorskip("torch")
    spec = P.SPECS[name]
    params, grads = _arrays(np.float32)
    reference, _ = _arrays(np.float32)
    ours = P.fusedopt_peer(spec, reference, grads)
    theirs = P.PEERS[peer](spec, params, grads)
    for _ in range(2):
        ours()
        theirs()
    assert P.max_abs_diff(reference, params) < 1e-6
    assert P.max_abs_diff(params, _arrays(np.float32)[0]) > 1e-4  # they did move


def test_torch_peers_skip_an_l1_penalty() -> None:
    pytest.importorskip("torch")
    params, grads = _arrays()
    with pytest.raises(P.Skip, match="L1"):
        P.PEERS["torch-fused"](P.SPECS["adamw-l1"], params, grads)


@pytest.mark.parametrize("shape", [(0,), (1,), (3, 5), (1000,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_aligned_arrays(shape: tuple[int, ...], dtype: Any) -> None:
    a = S.aligned_empty(shape, np.dtype(dtype))
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous
    assert a.size == 0 or a.ctypes.data % S.ALIGNMENT == 0


# ----------------------------------------------------------------------------- timing
class Counter:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name, self.calls = log, name, 0

    def __call__(self) -> None:
        self.calls += 1
        self.log.append(self.name)


@pytest.mark.parametrize("each", [False, True])
@pytest.mark.parametrize("rounds, k", [(1, 1), (3, 4)])
def test_interleaved_takes_rounds_times_k_plus_one_steps(each: bool, rounds: int, k: int) -> None:
    log: list[str] = []
    steps = {"a": Counter(log, "a"), "b": Counter(log, "b")}
    setup = {"b": lambda: log.append("setup b")}
    timing = T.interleaved(steps, rounds, k, each=each, setup=setup)
    assert all(s.calls == rounds * (k + 1) for s in steps.values())
    assert log == (["a"] * (k + 1) + ["setup b"] + ["b"] * (k + 1)) * rounds  # interleaved
    assert all(len(t) == rounds * (k if each else 1) for t in timing.times.values())
    assert set(timing.minor_faults) == {"a", "b"}


def test_self_timed_steps_and_k_per_peer() -> None:
    steps = {"fixed": T.SelfTimed(lambda: 0.25), "plain": lambda: None}
    timing = T.interleaved(steps, 2, {"fixed": 3, "plain": 1}, each=True)
    assert timing.times["fixed"] == [0.25] * 6
    assert len(timing.times["plain"]) == 2
    assert T.interleaved(steps, 2, 3).times["fixed"] == [0.25, 0.25]  # mean of k


def test_statistics() -> None:
    timing = T.Timing({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 2.0, 6.0, 8.0]})
    assert timing.median("a") == 2.5
    assert timing.paired_quartiles("b", "a") == (1.75, 2.0)  # ratios 2, 1, 2, 2
    assert T.quartiles([5.0]) == (5.0, 5.0)
    assert T.percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_interleaved_solves_repeats_short_solves_and_times_the_objective() -> None:
    objective = T.TimedObjective(lambda x: (float(x @ x), 2 * x))
    seen: list[np.ndarray] = []

    def solver(nit: int) -> T.Solve:
        def solve(x: np.ndarray) -> dict[str, Any]:
            seen.append(x)
            for _ in range(nit):
                objective(x)
            x += 1.0  # a solver may write its start: every solve gets a fresh copy
            return {"nit": nit, "nfev": nit, "f": 0.0}

        return solve

    x0 = np.zeros(3)
    samples, repeats = T.interleaved_solves(
        {"a": solver(2), "b": solver(5)}, x0, objective, 2, settle=0.0, warm_up=True,
        min_sample=1.0, max_repeats=3,
    )  # fmt: skip
    assert repeats == 3  # every warm-up solve is far shorter than min_sample
    assert len(seen) == 2 * (1 + 2 * repeats) and not x0.any()
    assert all(not x.any() or x.tolist() == [1.0] * 3 for x in seen)
    for name, nit in (("a", 2), ("b", 5)):
        s = samples[name]
        assert len(s.seconds) == 2 and s.objective_calls == [nit] * 2
        assert s.consistent and s.last["nit"] == nit
        assert all(0 <= o <= t for o, t in zip(s.objective_seconds, s.seconds))
        assert s.overhead_per_iteration() is not None


# ----------------------------------------------------------------------------- measure
def _options(peers: list[str]) -> S.StepOptions:
    return S.StepOptions(optimizers=["adamw"], workloads=[TINY], k=1, min_rounds=1,
                         max_rounds=1, peers=peers)  # fmt: skip


def test_measure_reports_wrong_peers_and_written_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    def vandal(spec: P.Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> P.StepFn:
        def step() -> None:
            params[0] += 1.0
            grads[0].flags.writeable = True  # what torch.from_numpy would allow
            grads[0][...] = 0.0

        return step

    def absent(spec: P.Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> P.StepFn:
        raise P.Skip("not here")

    monkeypatch.setitem(P.PEERS, "vandal", vandal)
    monkeypatch.setitem(P.PEERS, "absent", absent)
    skipped: list[dict[str, str]] = []
    m = S.measure(P.SPECS["adamw"], TINY, _options(["fusedopt", "absent", "vandal"]), skipped)
    assert skipped == [{"peer": "absent", "reason": "not here"}]
    assert set(m.timing.times) == {"fusedopt", "vandal", S.ROOFLINE}
    assert m.max_abs_diff("vandal") > 1.0 and m.max_abs_diff("fusedopt") == 0.0
    assert not m.grads_unchanged


def test_measure_of_honest_peers() -> None:
    m = S.measure(P.SPECS["sgd"], TINY, _options(["fusedopt", "reference", "numpy-naive"]), [])
    assert m.grads_unchanged and (m.rounds, m.k) == (1, 1)
    assert all(m.max_abs_diff(p) < 1e-5 for p in m.params)


# ----------------------------------------------------------------------------- scripts
SCRIPTS = sorted(p.stem for p in BENCH.glob("bench_*.py"))


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_import_and_have_help(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("scipy")
    module = _script(name, monkeypatch)
    assert "bench/README.md" in (module.__doc__ or "")  # the methodology's one place
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 0 and "usage:" in capsys.readouterr().out


def test_bench_torch_overhead_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    import json

    module = _script("bench_torch", monkeypatch)
    out = tmp_path / "torch.json"
    assert module.main(["--workloads", "overhead", "--rounds", "1", "--json", str(out)]) == 0
    assert "gradients unchanged by every peer: yes" in capsys.readouterr().out
    rows = json.loads(out.read_text())["overhead"]
    assert [r["optimizer"] for r in rows] == ["AdamW", "SGD"]
    for r in rows:
        assert set(r["median_s"]) == {"fusedopt.torch", "torch fused", "fusedopt NumPy API"}
        assert max(r["parity_max_abs_diff"].values()) < 1e-6


def test_measure_refuses_a_base_peer_that_cannot_run() -> None:
    pytest.importorskip("torch")
    options = dataclasses.replace(_options(["fusedopt-torch", "fusedopt"]), base="fusedopt-torch")
    with pytest.raises(RuntimeError, match=r"fusedopt-torch cannot run: torch\.optim has no L1"):
        S.measure(P.SPECS["adamw-l1"], TINY, options, [])
