"""The parallel split (fusedopt/thread_pool.hpp): every element once, deterministic
results for a thread count whatever the timing, concurrent callers, forked children.

Speed under shared cores is measured by bench/bench_contention.py, never here."""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import fusedopt as fo
from fusedopt import _core

MAX_CHUNKS, ALIGN, MIN_CHUNK = 512, 64, 4096


@pytest.fixture
def threads() -> Iterator[None]:
    """Restores the default thread count after a test that changes it."""
    yield
    fo.set_num_threads(0)


@pytest.mark.parametrize("nthreads", [1, 2, 3, 8, 64, 1000])
@pytest.mark.parametrize("total", [0, 1, 63, 4095, 8191, 8192, 12_345, 100_003, 10**6, 10**10])
def test_chunk_layout_covers_the_range_once(nthreads: int, total: int) -> None:
    bounds = _core.chunk_layout(nthreads, total)
    assert bounds[0] == 0 and bounds[-1] == total
    sizes = np.diff(bounds)
    assert len(sizes) <= MAX_CHUNKS
    if total == 0:
        assert len(sizes) == 0
        return
    assert np.all(sizes > 0)
    assert all(b % ALIGN == 0 for b in bounds[1:-1]), "interior boundaries share no cache line"
    assert np.all(sizes >= min(MIN_CHUNK, total))
    if nthreads == 1 or total < 2 * MIN_CHUNK:
        assert len(sizes) == 1
        return
    # No chunk much above a thread's share: many threads must not leave one of
    # them a huge last chunk (chunks are at least 1/256 of the total).
    smallest = max(MIN_CHUNK, total // 256 + ALIGN)
    assert sizes.max() <= total / (2 * nthreads) + 2 * smallest


@pytest.mark.parametrize("nthreads", [1, 2, 3, 7, 64])
@pytest.mark.parametrize(
    "sizes",
    [[100_003], [1] * 3000, [8191, 1, 64, 100_000, 7, 4096, 65_537], [300_000, 0, 0, 5]],
    ids=["one", "many-small", "mixed", "with-empty"],
)
def test_every_element_updated_exactly_once(threads: None, nthreads: int, sizes: list[int]) -> None:
    """SGD, lr 1, gradient 1 from 0: an element skipped stays 0, one done twice is -2."""
    fo.set_num_threads(nthreads)  # 64 oversubscribes this machine on purpose
    params = [np.zeros(n, np.float32) for n in sizes]
    fo.SGD(params, lr=1.0).step([np.ones(n, np.float32) for n in sizes])
    for p in params:
        np.testing.assert_array_equal(p, -1.0)


def _adamw_run(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(n)
    opt = fo.AdamW([w], lr=1e-2)
    for _ in range(3):
        opt.step([np.cos(w)])
    return w


def test_concurrent_callers_get_the_sequential_results(threads: None) -> None:
    """Two Python threads stepping at once (the GIL is released): the second caller
    runs its chunks itself, with the same boundaries, so the bits are the same."""
    fo.set_num_threads(2)
    n = 300_001
    expected = [_adamw_run(n, seed) for seed in range(4)]
    x = np.random.default_rng(9).standard_normal(n)
    value = fo.L1(0.5).value(x) + fo.L2(0.25).value(x)
    got: dict[int, np.ndarray] = {}
    values: list[float] = []

    def work(seed: int) -> None:
        got[seed] = _adamw_run(n, seed)
        values.extend(fo.L1(0.5).value(x) + fo.L2(0.25).value(x) for _ in range(20))

    workers = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    for seed, w in enumerate(expected):
        assert got[seed].tobytes() == w.tobytes()
    assert values == [value] * len(values)


@pytest.mark.parametrize("nthreads", [1, 2, 5])
def test_reductions_are_deterministic_for_a_thread_count(threads: None, nthreads: int) -> None:
    """The same sum, bit for bit, on every call; and within n·eps of the exact one."""
    fo.set_num_threads(nthreads)
    x = np.random.default_rng(1).standard_normal(1_000_003)
    values = {fo.L1(1.0).value(x) for _ in range(30)}
    assert len(values) == 1
    exact = float(np.sum(np.abs(x).astype(np.longdouble)))
    # Each partial sum and their chunk-order total: relative error <= n·eps.
    assert abs(values.pop() - exact) <= x.size * np.finfo(np.float64).eps * exact


def test_minimize_same_result_every_time_for_a_thread_count(threads: None) -> None:
    from fusedopt.bench.problems import extended_rosenbrock, rosenbrock_start

    fo.set_num_threads(2)
    x0 = rosenbrock_start(200_000)
    runs = [fo.minimize(extended_rosenbrock, x0) for _ in range(3)]
    assert all(r.success for r in runs)
    assert len({(r.x.tobytes(), r.nit, r.nfev) for r in runs}) == 1


def test_forked_child_steps_without_the_parents_workers(threads: None) -> None:
    """A fork (torch DataLoader workers, multiprocessing) copies no worker thread: the
    child must not wait for one. The parent's pool has live workers when it forks."""
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork on this platform")
    fo.set_num_threads(2)
    _adamw_run(200_000, 0)  # the pool's worker exists now
    expected = _adamw_run(200_000, 1)
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python >= 3.12 warns that forking a multi-threaded process may deadlock:
        # what this test checks does not.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: report whether the step matched, exit without cleanup
        try:
            ok = _adamw_run(200_000, 1).tobytes() == expected.tobytes()
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung in a parallel step")
        time.sleep(0.01)
    assert os.read(read, 1) == b"1"
    os.close(read)
