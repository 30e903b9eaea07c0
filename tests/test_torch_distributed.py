"""fusedopt.torch under torch.distributed: ZeroRedundancyOptimizer + DDP, 2 gloo processes.

Each rank trains a DistributedDataParallel model on its half of a fixed batch, so DDP's
averaged gradient is the full-batch gradient, and ZeroRedundancyOptimizer shards the
fusedopt optimizer state over the two ranks. The result must follow the trajectory of
single-process ``torch.optim`` on the full batch, and a checkpoint consolidated on rank 0
at step ``CKPT`` must resume (in a fresh ZeRO run, or in plain ``torch.optim``) exactly
where the uninterrupted run goes.

The workers are spawned by the tests (127.0.0.1 only, a free port, a time limit) and pass
their results back as ``torch.save`` files in a temporary directory.
"""

from __future__ import annotations

import copy
import socket
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ._tolerance import TrajectoryBound, named_arrays

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fusedopt.torch")

if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
    pytest.skip("torch.distributed with the gloo backend is unavailable", allow_module_level=True)

WORLD = 2
STEPS = 24  # training steps of every run
CKPT = 10  # the checkpoint is taken after this step
LR_DROP = 16  # lr is halved (through the ZeRO param_groups) before this step
TIMEOUT = 120.0  # seconds for a whole multi-process run
# Against single-process torch.optim, parameters and state must be within the rounding bound
# of tests/_tolerance.py for the reference's trajectory. DDP averages two half-batch gradients
# where the reference takes the mean over the batch: a few more roundings of the gradient per
# step, inside the bound's operation count. The gradient is each run's own (a closed loop), so
# that holds while lr times the loss's curvature stays far below 1, as for this small MLP (the
# observed worst/bound is ~1e-3; tests/test_torch_adapter.py shares the gradients instead).


class Case(NamedTuple):
    optimizer: str  # the class name in fusedopt.torch and torch.optim
    dtype: Any
    kwargs: dict[str, Any]
    model: str = "mlp"  # "linear": a single tensor, so rank 1's shard is empty
    groups: bool = False  # weights and biases in two groups, biases without weight decay
    bucket_view: bool = False  # ZeroRedundancyOptimizer(parameters_as_bucket_view=True)


CASES = {
    "AdamW-f64": Case("AdamW", torch.float64, dict(lr=0.01, weight_decay=0.05)),
    "AdamW-f32": Case("AdamW", torch.float32, dict(lr=0.01, weight_decay=0.05)),
    "AdamW-amsgrad-groups-f64": Case(
        "AdamW", torch.float64, dict(lr=0.01, amsgrad=True), groups=True
    ),
    "AdamW-one-tensor-f64": Case("AdamW", torch.float64, dict(lr=0.01), model="linear"),
    "SGD-nesterov-f64": Case(
        "SGD", torch.float64, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    ),
}


# ------------------------------------------------------------ shared by workers and tests
def make_model(case: Case, seed: int = 0) -> Any:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if case.model == "linear":
            model = torch.nn.Linear(8, 1, bias=False)
        else:
            model = torch.nn.Sequential(
                torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3), torch.nn.Tanh(),
                torch.nn.Linear(3, 1),
            )  # fmt: skip
    return model.to(case.dtype)


def param_spec(model: Any, case: Case) -> Any:
    if not case.groups:
        return model.parameters()
    named = list(model.named_parameters())
    return [
        {"params": [p for n, p in named if not n.endswith("bias")], "weight_decay": 0.1},
        {"params": [p for n, p in named if n.endswith("bias")], "weight_decay": 0.0},
    ]


def batch(dtype: Any, rank: int | None = None) -> tuple[Any, Any]:
    """The fixed batch of 64, or rank's half of it."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(64, 8, generator=g, dtype=dtype)
    y = torch.randn(64, 1, generator=g, dtype=dtype)
    if rank is None:
        return X, y
    half = slice(rank * 32, (rank + 1) * 32)
    return X[half], y[half]


def train(
    model: Any, opt: Any, data: tuple[Any, Any], steps: range, bound: TrajectoryBound | None = None
) -> None:
    """Train on ``data``; ``bound`` (single-process runs only) records every step."""
    X, y = data
    for step in steps:
        if step == LR_DROP:
            for group in opt.param_groups:
                group["lr"] *= 0.5
        opt.zero_grad()
        ((model(X) - y) ** 2).mean().backward()
        opt.step()
        if bound is not None:
            bound.observe(named_arrays(opt))


def snapshot(model: Any) -> list[Any]:
    return [p.detach().clone() for p in model.parameters()]


# ------------------------------------------------------------ the worker processes
def _worker(rank: int, port: int, out: Path, cases: dict[str, Case], warm_resume: bool) -> None:
    try:
        _run_worker(rank, port, out, cases, warm_resume)
    except BaseException:
        (out / f"error-rank{rank}.txt").write_text(traceback.format_exc())
        raise


def _run_worker(rank: int, port: int, out: Path, cases: dict[str, Case], warm_resume: bool) -> None:
    import torch.distributed as dist
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=WORLD,
        timeout=timedelta(seconds=60),
    )

    def zero_run(case: Case, model: Any) -> tuple[Any, Any]:
        ddp = DistributedDataParallel(model)
        opt = ZeroRedundancyOptimizer(
            param_spec(model, case),
            optimizer_class=getattr(ft, case.optimizer),
            parameters_as_bucket_view=case.bucket_view,
            **case.kwargs,
        )
        return ddp, opt

    try:
        for key, case in cases.items():
            data = batch(case.dtype, rank)
            checkpoint_file = out / f"{key}-checkpoint.pt"

            model = make_model(case)
            ddp, opt = zero_run(case, model)
            train(ddp, opt, data, range(1, CKPT + 1))
            opt.consolidate_state_dict(to=0)
            if rank == 0:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, checkpoint_file)
            train(ddp, opt, data, range(CKPT + 1, STEPS + 1))
            torch.save(snapshot(model), out / f"{key}-uninterrupted-rank{rank}.pt")
            dist.barrier()  # the checkpoint file is complete

            checkpoint = torch.load(checkpoint_file, weights_only=True)
            model = make_model(case, seed=1)  # another init: the checkpoint must restore it
            ddp, opt = zero_run(case, model)
            if warm_resume:  # resume into a ZeRO run that has already stepped
                train(ddp, opt, data, range(1, 4))
            model.load_state_dict(checkpoint["model"])
            opt.load_state_dict(checkpoint["opt"])
            train(ddp, opt, data, range(CKPT + 1, STEPS + 1))
            torch.save(snapshot(model), out / f"{key}-resumed-rank{rank}.pt")

        # overlap_with_ddp=True needs a functional optimizer: fusedopt's must be refused.
        model = make_model(CASES["AdamW-f64"])
        try:
            ZeroRedundancyOptimizer(
                model.parameters(), optimizer_class=ft.AdamW, overlap_with_ddp=True, lr=0.01
            )
        except ValueError as error:
            refusal = str(error)
        else:
            refusal = None
        torch.save(refusal, out / f"overlap-refusal-rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(out: Path, cases: dict[str, Case], warm_resume: bool = False) -> None:
    """Run the two workers to completion, or kill them and fail after TIMEOUT seconds."""
    env = {"OMP_NUM_THREADS": "1"}  # two workers on a CPU or two
    if "lo" in {name for _, name in socket.if_nameindex()}:
        env["GLOO_SOCKET_IFNAME"] = "lo"  # gloo's pairs on the loopback interface, too
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        context = torch.multiprocessing.start_processes(
            _worker,
            args=(_free_port(), out, cases, warm_resume),
            nprocs=WORLD,
            join=False,
            start_method="spawn",
        )
    deadline = time.monotonic() + TIMEOUT
    failure = None
    try:
        while not context.join(timeout=max(0.1, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                failure = f"the {WORLD} workers did not finish in {TIMEOUT:.0f} s; killed them"
                break
    except torch.multiprocessing.ProcessRaisedException as error:
        failure = str(error)
    except torch.multiprocessing.ProcessExitedException as error:
        # A signal leaves no traceback: add the ones the other workers wrote, if any.
        notes = [p.read_text() for p in sorted(out.glob("error-rank*.txt"))]
        failure = "\n".join([str(error), *notes])
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
            process.join()
    if failure is not None:
        pytest.fail(failure, pytrace=False)


# ------------------------------------------------------------ single-process reference
class Reference(NamedTuple):
    """Single-process torch.optim on the full batch."""

    checkpoint: dict[str, Any]  # the optimizer's state_dict after step CKPT
    at_checkpoint: TrajectoryBound  # its trajectory up to step CKPT
    at_end: TrajectoryBound  # and up to step STEPS


def reference(case: Case) -> Reference:
    model = make_model(case)
    opt = getattr(torch.optim, case.optimizer)(param_spec(model, case), **case.kwargs)
    data = batch(case.dtype)
    bound = TrajectoryBound()
    bound.observe(named_arrays(opt), initial=True)
    train(model, opt, data, range(1, CKPT + 1), bound)
    checkpoint = copy.deepcopy(opt.state_dict())  # state_dict() holds the live tensors
    at_checkpoint = copy.deepcopy(bound)
    train(model, opt, data, range(CKPT + 1, STEPS + 1), bound)
    return Reference(checkpoint, at_checkpoint, bound)


def named_params(case: Case, params: list[Any]) -> dict[str, Any]:
    """Parameters in model order, named by their order in the param groups (as named_arrays)."""
    model = make_model(case)
    position = {id(p): k for k, p in enumerate(model.parameters())}
    spec = param_spec(model, case)
    ordered = [p for group in spec for p in group["params"]] if case.groups else list(spec)
    return {f"params[{i}]": params[position[id(p)]] for i, p in enumerate(ordered)}


def assert_identical(actual: list[Any], expected: list[Any]) -> None:
    """Replicas, and a resumed ZeRO run (which repeats the uninterrupted one's
    operations on the same values), agree bit for bit."""
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected)):
        assert torch.equal(a, e), f"parameter {k} differs: max |a - e| = {(a - e).abs().max()}"


# ------------------------------------------------------------ tests
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zero")
    launch(out, CASES)
    return out


def load(out: Path, name: str) -> Any:
    return torch.load(out / f"{name}.pt", weights_only=True)


@pytest.mark.parametrize("key", CASES)
def test_zero_follows_single_process_torch(runs: Path, key: str) -> None:
    rank0 = load(runs, f"{key}-uninterrupted-rank0")
    at_end = reference(CASES[key]).at_end
    at_end.assert_close(named_params(CASES[key], rank0), "rank 0", complete=False)
    # ZeRO broadcasts every shard's update: the replicas are identical.
    assert_identical(load(runs, f"{key}-uninterrupted-rank1"), rank0)


@pytest.mark.parametrize("key", CASES)
def test_zero_checkpoint_is_a_torch_state_dict(runs: Path, key: str) -> None:
    case = CASES[key]
    ref = reference(case)
    expected = ref.checkpoint
    checkpoint = load(runs, f"{key}-checkpoint")["opt"]
    assert list(checkpoint["state"]) == list(expected["state"])
    for index, entry in expected["state"].items():
        assert set(checkpoint["state"][index]) == set(entry)
    named = {
        f"state[{i}][{name!r}]": value
        for i, entry in checkpoint["state"].items()
        for name, value in entry.items()
    }
    ref.at_checkpoint.assert_close(named, "checkpoint", complete=False)
    assert len(checkpoint["param_groups"]) == len(expected["param_groups"])
    for ours, theirs in zip(checkpoint["param_groups"], expected["param_groups"]):
        for name in ("params", "lr", "weight_decay", *case.kwargs):
            assert ours[name] == theirs[name], name


@pytest.mark.parametrize("key", CASES)
def test_zero_checkpoint_round_trip(runs: Path, key: str) -> None:
    """Saved at step CKPT, loaded into a fresh ZeRO run: continues like the uninterrupted run."""
    uninterrupted = load(runs, f"{key}-uninterrupted-rank0")
    for rank in range(WORLD):
        assert_identical(load(runs, f"{key}-resumed-rank{rank}"), uninterrupted)


@pytest.mark.parametrize("key", CASES)
def test_zero_checkpoint_resumes_in_plain_torch(runs: Path, key: str) -> None:
    case = CASES[key]
    checkpoint = load(runs, f"{key}-checkpoint")
    model = make_model(case, seed=1)
    model.load_state_dict(checkpoint["model"])
    opt = getattr(torch.optim, case.optimizer)(param_spec(model, case), **case.kwargs)
    opt.load_state_dict(checkpoint["opt"])
    train(model, opt, batch(case.dtype), range(CKPT + 1, STEPS + 1))
    # The uninterrupted ZeRO run follows this trajectory too (test_zero_follows_...).
    at_end = reference(case).at_end
    resumed = named_params(case, snapshot(model))
    at_end.assert_close(resumed, "resumed in torch.optim", complete=False)


def test_overlap_with_ddp_is_refused(runs: Path) -> None:
    for rank in range(WORLD):
        refusal = load(runs, f"overlap-refusal-rank{rank}")
        assert refusal is not None and "functional optimizer" in refusal


def test_zero_checkpoint_loads_into_a_run_that_has_stepped(tmp_path: Path) -> None:
    """Resuming into a ZeRO run whose local optimizers already hold state, as torch.optim
    allows. ZeroRedundancyOptimizer.load_state_dict replaces the local optimizer's state
    entries (``optim.state[p] = {...}``) and never calls its load_state_dict."""
    cases = {key: CASES[key] for key in ("AdamW-f64", "SGD-nesterov-f64")}
    launch(tmp_path, cases, warm_resume=True)
    for key in cases:
        uninterrupted = load(tmp_path, f"{key}-uninterrupted-rank0")
        for rank in range(WORLD):
            assert_identical(load(tmp_path, f"{key}-resumed-rank{rank}"), uninterrupted)


def test_zero_with_parameters_as_bucket_view(tmp_path: Path) -> None:
    """parameters_as_bucket_view=True moves every parameter into a flat bucket
    (``p.data = bucket[a:b].view_as(p)``) after the local optimizer was built."""
    key = "AdamW-f64"
    launch(tmp_path, {key: CASES[key]._replace(bucket_view=True)})
    uninterrupted = load(tmp_path, f"{key}-uninterrupted-rank0")
    at_end = reference(CASES[key]).at_end
    at_end.assert_close(named_params(CASES[key], uninterrupted), "bucket view", complete=False)
    assert_identical(load(tmp_path, f"{key}-resumed-rank0"), uninterrupted)
