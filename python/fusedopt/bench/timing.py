"""Interleaved timing: peers A, B, C, A, B, C, ... so that the machine's drift (other
processes, frequency, memory contention) lands on every peer alike.

:func:`interleaved` times steps (optimizer steps, roofline passes),
:func:`interleaved_solves` whole solves of a minimizer; both return per-round samples,
summarised with :func:`median`, :func:`quartiles` and :func:`percentile`. What every
script and ``fusedopt bench`` measure with; the methodology is in bench/README.md.
"""

from __future__ import annotations

import gc
import math
import resource
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

StepFn = Callable[[], Any]


class SelfTimed:
    """A step that times itself: calling it returns the seconds to count (e.g. only the
    optimizer step after an untimed forward and backward pass)."""

    def __init__(self, step: Callable[[], float]) -> None:
        self.step = step

    def __call__(self) -> float:
        return self.step()


def time_once(step: StepFn) -> float:
    t0 = time.perf_counter()
    out = step()
    elapsed = time.perf_counter() - t0
    return float(out) if isinstance(step, SelfTimed) else elapsed


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def quartiles(samples: Sequence[float]) -> tuple[float, float]:
    """First and third quartile (inclusive method: within the samples' range)."""
    if len(samples) < 2:
        return samples[0], samples[0]
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, q3


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(samples, q))


@dataclass
class Timing:
    """Per peer: seconds per step, one sample per round (or per step with ``each``),
    and minor page faults per timed step."""

    times: dict[str, list[float]]
    minor_faults: dict[str, float] = field(default_factory=dict)

    def median(self, peer: str) -> float:
        return median(self.times[peer])

    def paired_quartiles(self, peer: str, base: str) -> tuple[float, float]:
        """Quartiles of the per-round ratios ``peer / base`` (samples adjacent in time)."""
        return quartiles([p / b for p, b in zip(self.times[peer], self.times[base])])


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def interleaved(
    steps: Mapping[str, StepFn],
    rounds: int,
    k: int | Mapping[str, int],
    *,
    each: bool = False,
    setup: Mapping[str, Callable[[], None]] | None = None,
) -> Timing:
    """Per round and peer: ``setup[peer]()`` if given (untimed, e.g. a thread count),
    one untimed warm-up step, then ``k`` timed steps (or ``k[peer]``; garbage collector
    off, as in timeit). A round's sample is the mean of the k steps, or with ``each``
    every step is a sample of its own. Every peer takes ``rounds * (k + 1)`` steps."""
    ks = {name: k if isinstance(k, int) else k[name] for name in steps}
    times: dict[str, list[float]] = {name: [] for name in steps}
    faults = dict.fromkeys(steps, 0)
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, step in steps.items():
                if setup and name in setup:
                    setup[name]()
                step()
                f0 = _minor_faults()
                samples = _timed_steps(step, ks[name], each)
                faults[name] += _minor_faults() - f0
                times[name] += samples if each else [math.fsum(samples) / len(samples)]
    finally:
        gc.enable()
    return Timing(times, {name: f / (rounds * ks[name]) for name, f in faults.items()})


def _timed_steps(step: StepFn, k: int, each: bool) -> list[float]:
    if each or isinstance(step, SelfTimed):
        return [time_once(step) for _ in range(k)]
    t0 = time.perf_counter()  # one clock read per step would add to short steps
    for _ in range(k):
        step()
    return [(time.perf_counter() - t0) / k]


# ----------------------------------------------------------------------------- solves
Objective = Callable[[np.ndarray], Any]


class TimedObjective:
    """Wraps an objective; adds up the time spent inside it and counts the calls, so
    that a solver's own overhead is the total minus the objective's time."""

    def __init__(self, fun: Objective) -> None:
        self.fun = fun
        self.seconds = 0.0
        self.calls = 0

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0

    def __call__(self, x: np.ndarray) -> Any:
        t0 = time.perf_counter()
        out = self.fun(x)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out


Solve = Callable[[np.ndarray], dict[str, Any]]  # x0 -> a row with nit, nfev, f, ...


@dataclass
class SolveSamples:
    """One solver on one problem: per-round samples, each the mean over ``repeats``
    solves, and the last solve's row."""

    seconds: list[float] = field(default_factory=list)
    objective_seconds: list[float] = field(default_factory=list)
    objective_calls: list[float] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)
    consistent: bool = True  # nit, nfev and f the same in every round

    def overhead_per_iteration(self) -> float | None:
        """Median over rounds of (total − objective time) / nit, in seconds."""
        nit = self.last.get("nit", 0)
        if not nit:
            return None
        return median([(t - o) / nit for t, o in zip(self.seconds, self.objective_seconds)])


def interleaved_solves(
    solvers: Mapping[str, Solve],
    x0: np.ndarray,
    objective: TimedObjective,
    rounds: int,
    *,
    settle: float,
    warm_up: bool,
    min_sample: float = 0.0,
    max_repeats: int = 1,
) -> tuple[dict[str, SolveSamples], int]:
    """Solvers interleaved over rounds, each solve from a fresh copy of ``x0`` made
    outside the timer, after ``settle`` seconds of sleep (BLAS threads of the previous
    solver stop spinning). ``objective`` is the wrapper every solver calls. With
    ``warm_up`` every solver first solves once untimed, and solves shorter than
    ``min_sample`` are repeated (the same count for every solver, at most
    ``max_repeats``). Returns the samples and the repeat count."""
    repeats = 1
    if warm_up:
        longest = max(_solves(solve, x0, objective, 1, settle)[0] for solve in solvers.values())
        if min_sample > 0:
            repeats = max(1, min(max_repeats, math.ceil(min_sample / max(longest, 1e-9))))
    out = {name: SolveSamples() for name in solvers}
    for _ in range(rounds):
        for name, solve in solvers.items():
            seconds, row = _solves(solve, x0, objective, repeats, settle)
            s = out[name]
            s.seconds.append(seconds)
            s.objective_seconds.append(objective.seconds / repeats)
            s.objective_calls.append(objective.calls / repeats)
            if s.last and _outcome(s.last) != _outcome(row):
                s.consistent = False
            s.last = row
    return out, repeats


def _outcome(row: dict[str, Any]) -> tuple[Any, ...]:
    return row.get("nit"), row.get("nfev"), row.get("f")


def _solves(
    solve: Solve, x0: np.ndarray, objective: TimedObjective, repeats: int, settle: float
) -> tuple[float, dict[str, Any]]:
    """Mean wall time of ``repeats`` solves and the last one's row."""
    starts = [x0.copy() for _ in range(repeats)]
    time.sleep(settle)
    objective.reset()
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for x in starts:
            row = solve(x)
        total = time.perf_counter() - t0
    finally:
        gc.enable()
    return total / repeats, row
