"""Learning-rate schedules: pure functions of the step, plus a thin torch-style wrapper.

Design
------
A schedule is a pure function ``s(t)`` of the step count ``t = 0, 1, 2, ...``
(the optax style): it has no state, so it can be evaluated anywhere, plotted,
compared, checkpointed by its arguments alone, and composed. Every factory in
this module (:func:`constant`, :func:`step_decay`, :func:`linear`,
:func:`cosine`, :func:`inverse_sqrt`, :func:`warmup`, :func:`warmup_cosine`,
:func:`join`) validates its arguments and returns a small frozen dataclass
(a :class:`Schedule`) that

* accepts an ``int`` (returns a ``float``) or an integer NumPy array of any
  shape (returns a float64 array of that shape, computed without a Python
  loop); a negative ``t`` is a ValueError;
* has a ``repr`` that reads like the call that made it, e.g.
  ``cosine(lr=0.1, total_steps=100, end_lr=0.0)``;
* is hashable and compares by value.

The composers :func:`warmup` and :func:`join` also accept any plain callable
``f(t: int) -> float`` (evaluated element by element when given an array).

The torch.optim.lr_scheduler way of working, an object that is stepped after
``optimizer.step()`` and writes ``lr`` into the optimizer's parameter groups,
is the thin layer :class:`LRScheduler` on top: all it keeps is the step count.

Schedules are absolute learning rates (as in optax and Keras), not factors of
each group's initial ``lr`` (as in torch). :class:`LRScheduler` therefore gives
every parameter group the same ``lr`` unless it is given one schedule per group.

Conventions where the peers disagree: :func:`cosine` is clamped at ``end_lr``
after ``total_steps`` (like optax and Keras; torch's ``CosineAnnealingLR``
climbs back up), and :func:`warmup_cosine`'s ``total_steps`` includes the warmup
(like optax's ``warmup_cosine_decay_schedule``; Keras's ``decay_steps``
excludes it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, overload

import numpy as np
import numpy.typing as npt

from . import _validation as V

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "LRScheduler",
    "Schedule",
    "ScheduleFn",
    "constant",
    "cosine",
    "inverse_sqrt",
    "join",
    "linear",
    "linear_scaling",
    "plot",
    "step_decay",
    "warmup",
    "warmup_cosine",
]

#: Anything usable as a schedule: a :class:`Schedule` or a plain ``f(t: int) -> float``.
ScheduleFn = Callable[[int], float]
IntArray = npt.NDArray[np.integer[Any]]
FloatArray = npt.NDArray[np.float64]

_INT64_MAX = int(np.iinfo(np.int64).max)


# ------------------------------------------------------------ argument checks
def _lr(value: Any, name: str) -> float:
    V.nonneg(value, name)
    return float(value)


def _positive(value: Any, name: str) -> float:
    V.finite(value, name)
    if not value > 0.0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _int(value: Any, name: str, minimum: int) -> int:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _callable(value: Any, name: str) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be callable, f(t: int) -> float, got {value!r}")


def _steps(t: Any) -> tuple[np.ndarray, bool]:
    """``t`` as a 1-D int64 array, and whether it was a scalar; raise if invalid."""
    if isinstance(t, np.ndarray):
        if t.dtype.kind not in "iu":
            raise TypeError(f"t must be an int or an integer numpy array, got dtype {t.dtype}")
        if t.size and t.min() < 0:
            raise ValueError(f"t must be >= 0, got an array with minimum {t.min()}")
        if t.size and t.dtype.kind == "u" and t.max() > _INT64_MAX:
            raise ValueError(f"t must be < 2**63, got an array with maximum {t.max()}")
        return t.astype(np.int64, copy=False).ravel(), False
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
        raise TypeError(f"t must be an int or an integer numpy array, got {type(t).__name__} {t!r}")
    if not 0 <= t <= _INT64_MAX:
        raise ValueError(f"t must be an int in [0, 2**63), got {t!r}")
    return np.array([t], dtype=np.int64), True


def _evaluate(schedule: ScheduleFn, t: np.ndarray) -> FloatArray:
    """``schedule`` at the 1-D int64 array ``t``; vectorised for :class:`Schedule`."""
    if isinstance(schedule, Schedule):
        return schedule._value(t)
    return np.array([float(schedule(int(k))) for k in t], dtype=np.float64)


# ------------------------------------------------------------ schedules
class Schedule:
    """Base class of the schedules: a pure function ``s(t)`` of the step ``t >= 0``.

    Subclasses are frozen dataclasses implementing :meth:`_value`. Call with an
    ``int`` to get a ``float``, or with an integer NumPy array to get a float64
    array of the same shape.
    """

    _name: ClassVar[str] = "schedule"

    def _value(self, t: np.ndarray) -> FloatArray:
        """The schedule at the 1-D int64 array ``t`` (all entries >= 0)."""
        raise NotImplementedError

    @overload
    def __call__(self, t: int | np.integer[Any]) -> float: ...

    @overload
    def __call__(self, t: IntArray) -> FloatArray: ...

    def __call__(self, t: int | np.integer[Any] | IntArray) -> float | FloatArray:
        steps, scalar = _steps(t)
        values = self._value(steps)
        if scalar:
            return float(values[0])
        return values.reshape(np.shape(t))

    def __repr__(self) -> str:
        args = []
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            args.append(f"{field.name}={list(value) if isinstance(value, tuple) else value!r}")
        return f"{self._name}({', '.join(args)})"


@dataclass(frozen=True, repr=False)
class _Constant(Schedule):
    _name: ClassVar[str] = "constant"
    lr: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _lr(self.lr, "lr"))

    def _value(self, t: np.ndarray) -> FloatArray:
        return np.full(t.shape, self.lr, dtype=np.float64)


@dataclass(frozen=True, repr=False)
class _StepDecay(Schedule):
    _name: ClassVar[str] = "step_decay"
    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _lr(self.lr, "lr"))
        object.__setattr__(self, "step_size", _int(self.step_size, "step_size", 1))
        object.__setattr__(self, "gamma", _positive(self.gamma, "gamma"))

    def _value(self, t: np.ndarray) -> FloatArray:
        return self.lr * np.power(self.gamma, (t // self.step_size).astype(np.float64))


@dataclass(frozen=True, repr=False)
class _Linear(Schedule):
    _name: ClassVar[str] = "linear"
    start_lr: float
    end_lr: float
    total_steps: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_lr", _lr(self.start_lr, "start_lr"))
        object.__setattr__(self, "end_lr", _lr(self.end_lr, "end_lr"))
        object.__setattr__(self, "total_steps", _int(self.total_steps, "total_steps", 1))

    def _value(self, t: np.ndarray) -> FloatArray:
        frac = np.minimum(t, self.total_steps) / self.total_steps
        # Weighted form: exactly start_lr at t = 0 and exactly end_lr from total_steps on.
        return self.start_lr * (1.0 - frac) + self.end_lr * frac


@dataclass(frozen=True, repr=False)
class _Cosine(Schedule):
    _name: ClassVar[str] = "cosine"
    lr: float
    total_steps: int
    end_lr: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _lr(self.lr, "lr"))
        object.__setattr__(self, "total_steps", _int(self.total_steps, "total_steps", 1))
        object.__setattr__(self, "end_lr", _lr(self.end_lr, "end_lr"))

    def _value(self, t: np.ndarray) -> FloatArray:
        frac = np.minimum(t, self.total_steps) / self.total_steps
        weight = 0.5 * (1.0 + np.cos(np.pi * frac))  # 1 at t = 0, exactly 0 from total_steps on
        return self.lr * weight + self.end_lr * (1.0 - weight)


@dataclass(frozen=True, repr=False)
class _InverseSqrt(Schedule):
    _name: ClassVar[str] = "inverse_sqrt"
    lr: float
    warmup_steps: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _lr(self.lr, "lr"))
        object.__setattr__(self, "warmup_steps", _int(self.warmup_steps, "warmup_steps", 1))

    def _value(self, t: np.ndarray) -> FloatArray:
        w = self.warmup_steps
        ramp = t < w
        out = np.empty(t.shape, dtype=np.float64)
        out[ramp] = self.lr * (t[ramp] / w)
        out[~ramp] = self.lr * np.sqrt(w / t[~ramp])
        return out


@dataclass(frozen=True, repr=False)
class _Warmup(Schedule):
    _name: ClassVar[str] = "warmup"
    schedule: ScheduleFn
    warmup_steps: int
    start_lr: float = 0.0

    def __post_init__(self) -> None:
        _callable(self.schedule, "schedule")
        object.__setattr__(self, "warmup_steps", _int(self.warmup_steps, "warmup_steps", 0))
        object.__setattr__(self, "start_lr", _lr(self.start_lr, "start_lr"))

    def _value(self, t: np.ndarray) -> FloatArray:
        w = self.warmup_steps
        ramp = t < w
        out = np.empty(t.shape, dtype=np.float64)
        if ramp.any():
            target = _evaluate(self.schedule, np.zeros(1, dtype=np.int64))[0]
            frac = t[ramp] / w
            out[ramp] = self.start_lr * (1.0 - frac) + target * frac
        out[~ramp] = _evaluate(self.schedule, t[~ramp] - w)
        return out


@dataclass(frozen=True, repr=False)
class _WarmupCosine(Schedule):
    _name: ClassVar[str] = "warmup_cosine"
    peak_lr: float
    warmup_steps: int
    total_steps: int
    end_lr: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "peak_lr", _lr(self.peak_lr, "peak_lr"))
        object.__setattr__(self, "warmup_steps", _int(self.warmup_steps, "warmup_steps", 0))
        object.__setattr__(self, "total_steps", _int(self.total_steps, "total_steps", 1))
        object.__setattr__(self, "end_lr", _lr(self.end_lr, "end_lr"))
        if self.warmup_steps >= self.total_steps:
            raise ValueError(
                f"warmup_steps must be < total_steps (total_steps includes the warmup), got "
                f"warmup_steps={self.warmup_steps}, total_steps={self.total_steps}"
            )

    def _value(self, t: np.ndarray) -> FloatArray:
        decay = _Cosine(self.peak_lr, self.total_steps - self.warmup_steps, self.end_lr)
        return _Warmup(decay, self.warmup_steps, 0.0)._value(t)


@dataclass(frozen=True, repr=False)
class _Join(Schedule):
    _name: ClassVar[str] = "join"
    schedules: tuple[ScheduleFn, ...]
    boundaries: tuple[int, ...]

    def __post_init__(self) -> None:
        if isinstance(self.schedules, Schedule) or not isinstance(self.schedules, Sequence):
            raise TypeError(f"schedules must be a list of schedules, got {self.schedules!r}")
        if not self.schedules:
            raise ValueError("schedules must be a non-empty list, got []")
        for i, schedule in enumerate(self.schedules):
            _callable(schedule, f"schedules[{i}]")
        if isinstance(self.boundaries, (str, bytes)) or not isinstance(self.boundaries, Sequence):
            raise ValueError(f"boundaries must be a list of ints, got {self.boundaries!r}")
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(
                f"boundaries must have len(schedules) - 1 = {len(self.schedules) - 1} entries, "
                f"got {len(self.boundaries)}"
            )
        boundaries = tuple(_int(b, f"boundaries[{i}]", 1) for i, b in enumerate(self.boundaries))
        for i in range(1, len(boundaries)):
            if boundaries[i] <= boundaries[i - 1]:
                raise ValueError(f"boundaries must be strictly increasing, got {list(boundaries)}")
        object.__setattr__(self, "schedules", tuple(self.schedules))
        object.__setattr__(self, "boundaries", boundaries)

    def _value(self, t: np.ndarray) -> FloatArray:
        out = np.empty(t.shape, dtype=np.float64)
        starts = (0, *self.boundaries)
        ends = (*self.boundaries, None)
        for schedule, start, end in zip(self.schedules, starts, ends):
            part = t >= start if end is None else (t >= start) & (t < end)
            if part.any():
                out[part] = _evaluate(schedule, t[part] - start)
        return out


def constant(lr: float) -> Schedule:
    """A constant learning rate.

    .. math:: s(t) = \\mathrm{lr}

    Parameters
    ----------
    lr : float
        The learning rate, finite and >= 0.

    Returns
    -------
    Schedule
        ``s(t)`` for an int (a float) or an integer array (a float64 array).
    """
    return _Constant(lr)


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps (torch's ``StepLR``).

    .. math:: s(t) = \\mathrm{lr} \\cdot \\gamma^{\\lfloor t / \\mathrm{step\\_size} \\rfloor}

    ``torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)`` on a group whose
    initial ``lr`` is ``lr`` gives the same sequence (up to rounding: torch
    multiplies by ``gamma`` repeatedly).

    Parameters
    ----------
    lr : float
        The learning rate for ``0 <= t < step_size``, finite and >= 0.
    step_size : int
        Steps between decays, >= 1.
    gamma : float, default 0.1
        The factor applied at each multiple of ``step_size``, finite and > 0.

    Returns
    -------
    Schedule
    """
    return _StepDecay(lr, step_size, gamma)


def linear(start_lr: float, end_lr: float, total_steps: int) -> Schedule:
    """Linear interpolation from ``start_lr`` to ``end_lr``, then constant at ``end_lr``.

    .. math:: s(t) = \\mathrm{start\\_lr} + (\\mathrm{end\\_lr} - \\mathrm{start\\_lr})
              \\cdot \\min(t, T) / T, \\qquad T = \\mathrm{total\\_steps}

    torch's ``LinearLR(opt, start_factor, end_factor, total_iters)`` on a group
    with initial ``lr`` equals ``linear(lr * start_factor, lr * end_factor,
    total_iters)``; optax's ``linear_schedule(init_value, end_value,
    transition_steps)`` equals ``linear(init_value, end_value, transition_steps)``.

    Parameters
    ----------
    start_lr, end_lr : float
        The learning rates at ``t = 0`` and at ``t >= total_steps``, finite and >= 0.
    total_steps : int
        Length of the ramp, >= 1.

    Returns
    -------
    Schedule
    """
    return _Linear(start_lr, end_lr, total_steps)


def cosine(lr: float, total_steps: int, end_lr: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` to ``end_lr`` over ``total_steps``, then constant.

    .. math:: s(t) = \\mathrm{end\\_lr} + \\tfrac12 (\\mathrm{lr} - \\mathrm{end\\_lr})
              \\left(1 + \\cos\\frac{\\pi \\min(t, T)}{T}\\right),
              \\qquad T = \\mathrm{total\\_steps}

    For ``t <= total_steps`` this is torch's ``CosineAnnealingLR(opt,
    T_max=total_steps, eta_min=end_lr)``. Unlike torch, the schedule is
    clamped: ``s(t) = end_lr`` for every ``t >= total_steps``, whereas torch's
    learning rate climbs back towards ``lr`` after ``T_max`` (a cosine of
    period ``2 T_max``). optax's ``cosine_decay_schedule(lr, total_steps,
    alpha=end_lr / lr)`` and Keras's ``CosineDecay`` clamp as fusedopt does.

    Parameters
    ----------
    lr : float
        The learning rate at ``t = 0``, finite and >= 0.
    total_steps : int
        Length of the annealing, >= 1.
    end_lr : float, default 0.0
        The learning rate from ``t = total_steps`` on, finite and >= 0.

    Returns
    -------
    Schedule
    """
    return _Cosine(lr, total_steps, end_lr)


def inverse_sqrt(lr: float, warmup_steps: int) -> Schedule:
    """Linear warmup from 0 to ``lr``, then decay as the inverse square root of the step.

    .. math:: s(t) = \\begin{cases}
              \\mathrm{lr} \\cdot t / w & t < w \\\\
              \\mathrm{lr} \\cdot \\sqrt{w / t} & t \\ge w
              \\end{cases}, \\qquad w = \\mathrm{warmup\\_steps}

    (equivalently ``lr * min(t / w, sqrt(w / max(t, w)))``), the schedule of
    "Attention Is All You Need" with ``lr`` as its peak. ``s(0) = 0``, so the
    first optimizer step has learning rate 0, as with torch's
    ``LambdaLR(opt, lambda t: min(t / w, (w / max(t, w)) ** 0.5))``. Neither
    torch nor optax ships this schedule.

    Parameters
    ----------
    lr : float
        The peak learning rate, reached at ``t = warmup_steps``; finite and >= 0.
    warmup_steps : int
        Length of the warmup, >= 1.

    Returns
    -------
    Schedule
    """
    return _InverseSqrt(lr, warmup_steps)


def warmup(schedule: ScheduleFn, warmup_steps: int, start_lr: float = 0.0) -> Schedule:
    """Prepend a linear warmup from ``start_lr`` to ``schedule(0)``, then run ``schedule``.

    .. math:: s(t) = \\begin{cases}
              \\mathrm{start\\_lr} + (f(0) - \\mathrm{start\\_lr}) \\cdot t / w & t < w \\\\
              f(t - w) & t \\ge w
              \\end{cases}, \\qquad f = \\mathrm{schedule},\\; w = \\mathrm{warmup\\_steps}

    ``schedule`` starts its own count at 0 when the warmup ends (as in
    :func:`join`), so its length is not shortened by the warmup.
    ``warmup_steps = 0`` returns ``schedule``'s values unchanged.

    Parameters
    ----------
    schedule : Schedule or callable
        The schedule after the warmup: a :class:`Schedule` or any
        ``f(t: int) -> float``.
    warmup_steps : int
        Length of the warmup, >= 0.
    start_lr : float, default 0.0
        The learning rate at ``t = 0``, finite and >= 0.

    Returns
    -------
    Schedule
    """
    return _Warmup(schedule, warmup_steps, start_lr)


def warmup_cosine(
    peak_lr: float, warmup_steps: int, total_steps: int, end_lr: float = 0.0
) -> Schedule:
    """Linear warmup from 0 to ``peak_lr``, then cosine annealing to ``end_lr``.

    .. math:: s(t) = \\begin{cases}
              \\mathrm{peak\\_lr} \\cdot t / w & t < w \\\\
              \\mathrm{end\\_lr} + \\tfrac12 (\\mathrm{peak\\_lr} - \\mathrm{end\\_lr})
              \\left(1 + \\cos\\frac{\\pi (\\min(t, T) - w)}{T - w}\\right) & t \\ge w
              \\end{cases}

    with ``w = warmup_steps`` and ``T = total_steps``: ``s(w) = peak_lr`` and
    ``s(t) = end_lr`` for ``t >= total_steps``. ``total_steps`` INCLUDES the
    warmup, as ``decay_steps`` does in optax's
    ``warmup_cosine_decay_schedule(0.0, peak_lr, warmup_steps, total_steps,
    end_lr)``, which this equals. Keras's ``CosineDecay(0.0, decay_steps,
    warmup_target=peak_lr, warmup_steps=warmup_steps)`` counts its
    ``decay_steps`` AFTER the warmup: the Keras equivalent has
    ``decay_steps = total_steps - warmup_steps``. Same as
    ``warmup(cosine(peak_lr, total_steps - warmup_steps, end_lr), warmup_steps)``.

    Parameters
    ----------
    peak_lr : float
        The learning rate at the end of the warmup, finite and >= 0.
    warmup_steps : int
        Length of the warmup, >= 0 and < ``total_steps``.
    total_steps : int
        Warmup plus annealing, >= 1.
    end_lr : float, default 0.0
        The learning rate from ``t = total_steps`` on, finite and >= 0.

    Returns
    -------
    Schedule
    """
    return _WarmupCosine(peak_lr, warmup_steps, total_steps, end_lr)


def join(schedules: Sequence[ScheduleFn], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules`` one after another, switching at ``boundaries`` (optax's join_schedules).

    .. math:: s(t) = f_i(t - b_{i-1}) \\quad \\text{for } b_{i-1} \\le t < b_i,
              \\qquad b_{-1} = 0,\\; b_{n-1} = \\infty

    where ``f_i = schedules[i]`` and ``b_i = boundaries[i]``: each schedule
    counts its own steps from 0 at its boundary, and the last one runs forever.

    Parameters
    ----------
    schedules : list of Schedule or callable
        ``n >= 1`` schedules (a :class:`Schedule` or any ``f(t: int) -> float``).
    boundaries : list of int
        ``n - 1`` strictly increasing ints >= 1: ``schedules[i + 1]`` starts at
        ``t = boundaries[i]``.

    Returns
    -------
    Schedule
    """
    return _Join(schedules, boundaries)  # type: ignore[arg-type]


def linear_scaling(base_lr: float, batch_size: int, base_batch_size: int = 256) -> float:
    """The linear scaling rule: multiply the batch size by k, multiply the learning rate by k.

    .. math:: \\mathrm{lr} = \\mathrm{base\\_lr} \\cdot
              \\mathrm{batch\\_size} / \\mathrm{base\\_batch\\_size}

    (Goyal et al. 2017, "Accurate, Large Minibatch SGD"; they pair it with a
    warmup, see :func:`warmup`). Neither torch nor optax ships this helper.

    Parameters
    ----------
    base_lr : float
        The learning rate tuned at ``base_batch_size``, finite and >= 0.
    batch_size : int
        The batch size to scale to, >= 1.
    base_batch_size : int, default 256
        The batch size ``base_lr`` was tuned at, >= 1.

    Returns
    -------
    float
        The scaled learning rate.
    """
    base_lr = _lr(base_lr, "base_lr")
    batch_size = _int(batch_size, "batch_size", 1)
    base_batch_size = _int(base_batch_size, "base_batch_size", 1)
    return base_lr * batch_size / base_batch_size


# ------------------------------------------------------------ stateful wrapper
class LRScheduler:
    """Write a schedule's learning rate into an optimizer's parameter groups (torch style).

    At construction the step count ``t`` is 0 and every group's ``lr`` is set
    to ``schedule(0)``; each :meth:`step` increments ``t`` and sets ``lr`` to
    ``schedule(t)``. As with torch's schedulers, call :meth:`step` after
    ``optimizer.step(...)``: the k-th optimizer step (k = 0, 1, ...) runs with
    ``lr = schedule(k)``.

    .. code-block:: python

        sched = LRScheduler(opt, warmup_cosine(0.1, 100, 1000))
        for batch in batches:
            opt.step(grads(batch))
            sched.step()

    Unlike torch, the schedule gives the learning rate itself, not a factor of
    each group's initial ``lr``: with one schedule every group gets the same
    ``lr``. Pass a list with one schedule per group to schedule them apart.

    Parameters
    ----------
    optimizer : fusedopt optimizer (or torch.optim.Optimizer)
        Anything with ``param_groups``, a list of dicts with an ``'lr'`` key.
    schedule : Schedule or callable, or a list of them
        One ``f(t: int) -> float`` for all groups, or one per group.
    """

    def __init__(self, optimizer: Any, schedule: ScheduleFn | Sequence[ScheduleFn]) -> None:
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list) or not all(
            isinstance(g, dict) and "lr" in g for g in groups
        ):
            raise TypeError(
                "optimizer must have param_groups, a list of dicts with an 'lr' key, got "
                f"{type(optimizer).__name__}"
            )
        if not callable(schedule) and (
            not isinstance(schedule, Sequence) or isinstance(schedule, (str, bytes))
        ):
            raise TypeError(
                f"schedule must be callable or a list of callables (one per parameter group), "
                f"got {schedule!r}"
            )
        if not callable(schedule):
            for i, s in enumerate(schedule):
                _callable(s, f"schedule[{i}]")
            schedule = list(schedule)
        self.optimizer = optimizer
        self.schedule = schedule
        self._t = 0
        self._last_lr: list[float] = []
        self._apply(0)

    @property
    def t(self) -> int:
        """The step count: the number of :meth:`step` calls (or as loaded)."""
        return self._t

    @property
    def last_lr(self) -> list[float]:
        """The learning rates last set, one per parameter group (torch's ``get_last_lr()``)."""
        return list(self._last_lr)

    def get_last_lr(self) -> list[float]:
        """Same as :attr:`last_lr`, under torch's name."""
        return self.last_lr

    def step(self) -> None:
        """Increment ``t`` and set every group's ``lr`` to ``schedule(t)``.

        Call after ``optimizer.step(...)``.
        """
        self._apply(self._t + 1)

    def state_dict(self) -> dict[str, int]:
        """``{'t': step count}``: all the state there is (the schedule is pure)."""
        return {"t": self._t}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the step count from :meth:`state_dict` and set ``lr`` to ``schedule(t)``.

        Validated first: on a bad ``state_dict`` nothing changes.
        """
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"t"}:
            raise ValueError(f"state_dict must be a dict with the one key 't', got {state_dict!r}")
        self._apply(_int(state_dict["t"], "state_dict['t']", 0))

    def __repr__(self) -> str:
        return f"LRScheduler(schedule={self.schedule!r}, t={self._t})"

    def _apply(self, t: int) -> None:
        """Set every group's lr for step ``t`` (all values checked before any is written)."""
        groups = self.optimizer.param_groups
        if isinstance(self.schedule, list):
            if len(self.schedule) != len(groups):
                raise ValueError(
                    f"schedule has {len(self.schedule)} entries but the optimizer has "
                    f"{len(groups)} parameter groups"
                )
            lrs = [float(s(t)) for s in self.schedule]
        else:
            lrs = [float(self.schedule(t))] * len(groups)
        for lr in lrs:
            if not (math.isfinite(lr) and lr >= 0.0):
                raise ValueError(
                    f"schedule({t}) returned {lr!r}; a learning rate must be a finite number >= 0"
                )
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self._t = t
        self._last_lr = lrs


# ------------------------------------------------------------ plotting
def plot(schedule: ScheduleFn, total_steps: int, ax: Axes | None = None) -> Axes:
    """Plot ``schedule(t)`` for ``t = 0, 1, ..., total_steps`` (matplotlib).

    Parameters
    ----------
    schedule : Schedule or callable
        The schedule to draw; its ``repr`` is the line's label.
    total_steps : int
        The last step drawn, >= 1.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure (titled with the schedule) if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install matplotlib``).
    """
    _callable(schedule, "schedule")
    total_steps = _int(total_steps, "total_steps", 1)
    steps = np.arange(total_steps + 1, dtype=np.int64)
    values = _evaluate(schedule, steps)
    if ax is None:
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "fusedopt.schedules.plot needs matplotlib: pip install matplotlib"
            ) from exc
        _, ax = plt.subplots()
        ax.set_title(repr(schedule))
    ax.plot(steps, values, label=repr(schedule))
    ax.set_xlabel("step t")
    ax.set_ylabel("learning rate")
    return ax
