"""The one error bound for comparing two runs of an optimizer (tests only).

Every test that compares fusedopt with ``fusedopt.reference`` or with
``torch.optim`` uses :class:`TrajectoryBound`: observe the expected run after
each step, then check the other run's parameters and state against it.

Why two correct implementations can differ
------------------------------------------
Both evaluate the same update rule in the array's dtype, from the same start
and the same gradients, but not with the same operations: torch may contract
``a*b + c`` into one FMA (fusedopt's kernels are compiled without contraction),
vectorises differently on each CPU, computes ``grad_avg`` with ``lerp`` and
divides by √(1−β2ᵗ) where the kernels multiply by its inverse. So neither is
exact, and a test can only ask that the two agree within what rounding explains.

The bound, and why it holds
---------------------------
``u = eps(dtype) / 2`` is the unit roundoff: an IEEE-754 +, −, ×, ÷ or √ returns
the exact result of its operands times (1 + δ), |δ| ≤ u, on every conforming
CPU; an FMA rounds once where ``a*b + c`` rounds twice, so it only removes error.
Scalar coefficients (lr, 1 − β, the bias corrections) are computed in double by
torch, the reference and the kernels alike (torch does so for float32 tensors
too) and rounded to the dtype once: one more (1 + δ). Bias corrections use the C
library's ``pow`` on both sides, so they agree on a machine whatever its libm.

Take one array X of a run (a parameter, or a state buffer) and its recursion
X_t = c·X_{t−1} + increment_t: θ ← θ − lr·s, b ← μ·b + x, v ← α·v + (1−α)·g²,
m ← β·m + (1−β)·g (θ·(1 − lr·wd) for AdamW and the decoupled NAdam and RAdam,
θ·(1 − λ·η) for ASGD, whose average a ← (1−μ)·a + μ·θ has c = 1 − μ too; NAdam's
increment is the sum of a gradient and a momentum term, a few roundings more).
Per-parameter scalar states (NAdam's π, ASGD's η and μ) and the coefficients
made from them are computed in the same double and float32 operations on every
side, bit for bit (tests/test_scalar_states.py), so they add one rounding per
coefficient, as lr does. RAdam's switch at ρₜ > 5 is decided on the same double
on every side. Let T be the number of steps,
S = max |X| over the whole trajectory (all elements, all steps) and D the
largest one-step change |X_t − X_{t−1}| (all elements, all steps). In one
implementation:

1. Rounding the recursion itself. A step rounds at most K = 8 times on the way
   from X_{t−1} and the increment to X_t, and every operand is at most 2·S
   (the increment is X_t − c·X_{t−1}, with 0 ≤ c ≤ 1), so a step adds at most
   2K·u·S. The old error is carried with the factor c ≤ 1 (μ, α, β ≤ 1), so
   nothing is amplified: after T steps the error is at most 2K·u·T·S. S is the
   largest value over the trajectory, not the final one: a momentum buffer sums
   terms of both signs and can end near zero while every step rounded terms of
   size S, which is why an elementwise relative tolerance (rtol·|X_T|) is wrong.
2. Error in the increment. Its own operations add a few u relative to it, and
   it inherits error: RMSprop and Adam divide by √v + eps where v is an
   exponential average of squares, a sum of positive terms, so v's relative
   error grows by at most 3u per step (no cancellation) and √ halves it: at
   step t the quotient is wrong by at most (K + 2t)·u relative, and it moves X
   by at most D, so these add up to T·(K + T + 1)·u·D. A momentum buffer's
   absolute error from (1), at most 2K·u·t·S_b at step t, re-enters θ as
   lr·e_b, and lr·|b| is θ's own step, at most D (within the factor 3 by which
   the tested schedules change lr): another ≤ 3K·u·T²·D. Together
   ≤ 4K·u·T·(T + 1)·D, i.e. 2K·u·T·(T + 1)·D with a factor 2 to spare.
3. Bounded amplification. Centered RMSprop subtracts: v − ḡ² ≥ αᵗ·v
   (Cauchy-Schwarz on the weights (1−α)·αᵏ, which sum to 1 − αᵗ), so the
   subtraction multiplies v's relative error by at most 2/αᵗ − 1 ≤ 5 for the
   tested α and step counts (αᵗ ≥ 0.34); weight decay feeds θ's error back into
   the gradient with the factor lr·wd ≤ 0.005 per step. Both only scale the
   terms of (2) by a bounded factor; the final doubling covers them. (The
   property test draws α near 0 too; there the kernels and the reference do
   the same operations in the same order and agree bit for bit.)
4. Two implementations, each within the bound of the exact-arithmetic
   trajectory, differ by at most twice it. With a factor 2 for (3), every
   element satisfies

       |actual − expected| ≤ C·u·T·(S + (T + 1)·D),   C = 8·K = 64.

5. Compounding state (Adadelta). Adadelta's ``acc_delta`` a is an average of
   squared updates Δ² with Δ = √(a + eps)/√(v + eps)·g: its increment carries
   a's own relative error and v's. With e_v(t) ≤ 3u·t as in (2), a's relative
   error grows by at most e_v(t) + 2K·u per step, so e_a(t) ≤ 1.5u·t(t + 1) +
   2K·u·t: beyond (1), a ends wrong by up to 1.5·u·T(T + 1)·S more. Δ inherits
   e_a(t − 1)/2 ≤ (0.75t² + K·t)·u beyond the (K + 2t)·u of (2); summed over T
   steps of at most D each, that is ≤ T(T + 1)(T/4 + 5)·u·D ≤ 5·u·T(T + 1)²·D
   more. So one implementation adds ≤ 5·u·T(T + 1)·(S + (T + 1)·D); doubled for
   (3) and for two implementations, 20·u·T(T + 1)·(S + (T + 1)·D), which is at
   most (T + 1)/3 times the bound above. A run with such a buffer
   (COMPOUNDING_STATES) is compared with every array's bound times
   1 + (T + 1)/3.

These are worst cases with the constants rounded up, far above what is
observed (worst/bound, printed on failure, is at most 0.02 in the suite and
2e-3 against torch), yet far below what a real bug does: tests/test_tolerance.py
shows that lr·(1 + 1e-6) in float64 (by 10⁵ times), the bias correction of step
t + 1 (50 to 10¹⁰ times) and a momentum off by 3e-3 in float32 (over 10 times)
each exceed it; so does Adadelta's ρ off by 1e-2 in float32 (over 10 times,
with the factor of item 5). In float32 the bound cannot see a coefficient off
by 1e-6: that is 16 ulps, as large as the rounding it must allow.
Step counts are compared exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

ROUNDINGS_PER_STEP = 8  # K above
C = 8 * ROUNDINGS_PER_STEP
#: State buffers whose update carries their own error and another buffer's
#: (item 5 above): a run that has one gets the factor 1 + (T + 1)/3.
COMPOUNDING_STATES = frozenset({"acc_delta"})


def unit_roundoff(dtype: Any) -> float:
    """u = eps/2: the largest relative error of one correctly rounded operation."""
    if np.dtype(dtype).name == "bfloat16":  # NumPy's finfo does not know ml_dtypes' types
        import ml_dtypes

        return float(ml_dtypes.finfo(dtype).eps) / 2
    return float(np.finfo(dtype).eps) / 2


def as_numpy(value: Any) -> np.ndarray:
    """A NumPy view of an array, a CPU torch tensor or a scalar (a bfloat16
    tensor as an ml_dtypes bfloat16 array: torch has no NumPy bfloat16)."""
    if hasattr(value, "detach"):  # a torch tensor; this module does not import torch
        value = value.detach()
        if str(value.dtype) == "torch.bfloat16":
            import ml_dtypes
            import torch

            return value.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        value = value.numpy()
    return np.asarray(value)


def named_arrays(opt: Any) -> dict[str, Any]:
    """Parameters and state of an optimizer, named ``params[i]`` and
    ``state[i]['key']`` by the order of appearance in its param_groups.

    Works for fusedopt's NumPy optimizers and the reference (state keyed by index)
    and for torch.optim and fusedopt.torch (state keyed by the parameter).
    """
    out: dict[str, Any] = {}
    params = [p for group in opt.param_groups for p in group["params"]]
    for i, p in enumerate(params):
        out[f"params[{i}]"] = p
        entry = opt.state.get(p, {}) if hasattr(p, "detach") else opt.state.get(i, {})
        for key, value in entry.items():
            if value is not None:
                out[f"state[{i}][{key!r}]"] = value
    return out


def _max_abs_finite(x: np.ndarray) -> float:
    if x.size == 0:
        return 0.0
    largest = max(float(x.max()), -float(x.min()))  # no temporary array: the common case
    if np.isfinite(largest):
        return largest
    return float(np.abs(x[np.isfinite(x)]).max(initial=0.0))


def _is_step(name: str) -> bool:
    return name.endswith("['step']")


class TrajectoryBound:
    """Records the expected run; checks another run against it (see the module doc).

    Call ``observe(arrays, initial=True)`` once before the first step (the
    parameters as they start; state starts at zero), then ``observe(arrays)``
    after every step of the expected run. ``assert_close(actual)`` then compares
    the other run's arrays with the last observed ones.
    """

    def __init__(self, storage: Any = None) -> None:
        """``storage``: the coarsest dtype the run stores any buffer in, when it
        mixes dtypes (e.g. float32 parameters with bfloat16 state): its rounding
        reaches every array, so each array's bound uses the larger of its own
        dtype's unit roundoff and this one's."""
        self.storage = storage
        self.steps = 0
        self._last: dict[str, np.ndarray] = {}
        self._scale: dict[str, float] = {}
        self._change: dict[str, float] = {}
        self._compounding = False  # the run has a COMPOUNDING_STATES buffer

    def observe(self, arrays: Mapping[str, Any], *, initial: bool = False) -> None:
        if not initial:
            self.steps += 1
        self._compounding = self._compounding or any(
            name.endswith(f"[{key!r}]") for name in arrays for key in COMPOUNDING_STATES
        )
        for name, value in arrays.items():
            x = as_numpy(value)
            before = self._last.get(name)
            if before is None or before.shape != x.shape or before.dtype != x.dtype:
                before = np.zeros_like(x)  # state that appears starts from zero
                self._last[name] = before
            elif initial:
                np.copyto(before, x)  # a restart from changed values (load, in-place edit)
            if not initial:
                # |x − before| without a temporary array: before becomes x − before...
                with np.errstate(invalid="ignore", over="ignore"):  # inf − inf: ignored
                    np.subtract(x, before, out=before)
                self._change[name] = max(self._change.get(name, 0.0), _max_abs_finite(before))
            self._scale[name] = max(self._scale.get(name, 0.0), _max_abs_finite(x))
            np.copyto(before, x)  # ...and then x (a copy: the run updates x in place)

    def expected(self) -> dict[str, np.ndarray]:
        """The last observed arrays (as float64 copies)."""
        return {name: x.astype(np.float64) for name, x in self._last.items()}

    def tolerance(self, name: str, dtype: Any) -> float:
        """C·u·T·(S + (T + 1)·D) for the array ``name`` of this dtype (times
        1 + (T + 1)/3 in a run with compounding state, item 5)."""
        steps = max(self.steps, 1)
        scale, change = self._scale[name], self._change.get(name, 0.0)
        bound = C * self._roundoff(dtype) * steps * (scale + (steps + 1) * change)
        return bound * self._compounding_factor()

    def _roundoff(self, dtype: Any) -> float:
        own = unit_roundoff(dtype)
        return own if self.storage is None else max(own, unit_roundoff(self.storage))

    def _compounding_factor(self) -> float:
        return 1 + (max(self.steps, 1) + 1) / 3 if self._compounding else 1.0

    def explain(self, name: str, dtype: Any) -> str:
        steps = max(self.steps, 1)
        return (
            f"bound {self.tolerance(name, dtype):.3g} = C·u·T·(S + (T+1)·D) with C = {C}, "
            f"u = {self._roundoff(dtype):.3g} ({np.dtype(dtype).name}), T = {steps} steps, "
            f"S = max|x| over the trajectory = {self._scale[name]:.4g}, "
            f"D = largest one-step change = {self._change.get(name, 0.0):.4g}"
            + (
                f", times {self._compounding_factor():.3g} = 1 + (T+1)/3 (compounding state)"
                if self._compounding
                else ""
            )
        )

    def assert_close(
        self, actual: Mapping[str, Any], what: str = "", *, complete: bool = True
    ) -> None:
        """Every array of ``actual`` within the bound of the last observed one.

        ``complete``: ``actual`` must name the same arrays as the expected run
        (False: a subset, e.g. only the parameters).
        """
        prefix = f"{what}: " if what else ""
        unknown = actual.keys() - self._last.keys()
        missing = (self._last.keys() ^ actual.keys()) if complete else unknown
        assert not missing, f"{prefix}arrays present on one side only: {sorted(missing)}"
        failures = [
            message
            for name in sorted(actual)
            if (message := self._compare(name, as_numpy(actual[name]))) is not None
        ]
        assert not failures, (
            prefix + f"{len(failures)} array(s) outside the bound:\n" + ("\n".join(failures))
        )

    def worst_ratio(self, actual: Mapping[str, Any]) -> float:
        """max over arrays of max|actual − expected| / bound (for calibration)."""
        ratios = [0.0]
        for name in actual.keys() & self._last.keys():
            expected = self._last[name].astype(np.float64)
            if _is_step(name):
                continue
            a = np.asarray(as_numpy(actual[name]), dtype=np.float64)
            finite = np.isfinite(expected)
            diff = np.abs(a[finite] - expected[finite])
            worst = float(diff.max(initial=0.0))
            tol = self.tolerance(name, as_numpy(actual[name]).dtype)
            ratios.append(worst / tol if worst > 0 else 0.0)
        return max(ratios)

    def _compare(self, name: str, actual: np.ndarray) -> str | None:
        expected = self._last[name].astype(np.float64)
        if actual.shape != expected.shape:
            return f"  {name}: shape {actual.shape}, expected {expected.shape}"
        if _is_step(name):
            if float(actual) == float(expected):
                return None
            return f"  {name}: step {float(actual):g}, expected {float(expected):g} (exact)"
        a = actual.astype(np.float64)
        # Non-finite values (an infinite parameter stays infinite) must match exactly.
        same_special = np.array_equal(
            a[~np.isfinite(expected)], expected[~np.isfinite(expected)], equal_nan=True
        )
        finite = np.isfinite(expected)
        with np.errstate(invalid="ignore"):
            diff = np.where(finite, np.abs(a - expected), 0.0)
        diff[np.isnan(diff)] = np.inf  # a NaN where a number was expected
        tol = self.tolerance(name, actual.dtype)
        if same_special and not (diff > tol).any():
            return None
        if not same_special:
            where = np.unravel_index(int(np.argmax(~finite & (a != expected))), a.shape)
            return (
                f"  {name}: at index {tuple(int(i) for i in where)}: actual {a[where]!r}, "
                f"expected the non-finite {expected[where]!r}"
            )
        where = np.unravel_index(int(np.argmax(diff)), diff.shape)
        index = tuple(int(i) for i in where)
        return (
            f"  {name} (shape {actual.shape}): max |actual - expected| = {diff[where]:.3g} "
            f"at index {index} (actual {a[where]!r}, expected {expected[where]!r}), "
            f"{int((diff > tol).sum())} of {diff.size} elements over the "
            f"{self.explain(name, actual.dtype)} (worst/bound = {diff[where] / tol:.3g})"
        )


def assert_close_one_step(actual: Any, expected: Any, what: str = "value") -> None:
    """The bound for one evaluation of a few operations (T = 1, from zero)."""
    bound = TrajectoryBound()
    bound.observe({what: expected})
    bound.assert_close({what: actual})


def summation_rtol(count: int) -> float:
    """Relative bound for two sums of ``count`` non-negative doubles in any order.

    Each order's result is within (count − 1)·u of the exact sum (positive terms,
    no cancellation), so two orders are within 2·count·u of each other.
    """
    return 2 * max(count, 1) * unit_roundoff(np.float64)
