"""Finite-difference gradient checks for NumPy objectives.

Two entry points:

* :func:`numerical_gradient` -- the finite-difference gradient of a scalar
  function ``f(x)``, one coordinate at a time.
* :func:`gradcheck` -- compares an analytic gradient with it and returns a
  :class:`GradcheckResult` (``bool(result)`` is the verdict), optionally raising
  :class:`GradcheckError`.

Formulas
--------
Coordinate ``i`` is perturbed *in place* in ``x`` (``f`` is called with ``x``
itself, because objectives often close over the parameter array) by the
relative step ``e_i = eps * max(1, |x_i|)``:

* central: ``g_i = (f(x + h⁺e_i) - f(x - h⁻e_i)) / (h⁺ + h⁻)``
* forward: ``g_i = (f(x + h⁺e_i) - f(x)) / h⁺``

where ``h⁺ = fl(x_i + e_i) - x_i`` and ``h⁻ = x_i - fl(x_i - e_i)`` are the steps
actually taken after rounding the perturbed coordinate to ``x``'s dtype
(``fl``), not the requested ``e_i``. This removes the representation error of
the step, which is what makes float32 differences usable at all. After each
coordinate the original bits of ``x_i`` are written back, also when ``f``
raises.

Default ``eps`` (before the ``max(1, |x_i|)`` scaling)
-------------------------------------------------------
With ``u`` the dtype's machine epsilon, a forward difference has truncation
error ``≈ h·|f''|/2`` and rounding error ``≈ 2u·|f|/h`` (optimum ``h ≈ √u``); a
central difference has ``≈ h²·|f'''|/6`` and ``≈ u·|f|/h`` (optimum
``h ≈ u^(1/3)``).

=========  ======================================  ===================================
dtype      central                                 forward
=========  ======================================  ===================================
float64    ``1e-6`` (torch.autograd.gradcheck)     ``√u ≈ 1.49e-8`` (scipy.optimize)
float32    ``1e-3`` (``u^(1/3) ≈ 4.9e-3``)         ``√u ≈ 3.45e-4``
=========  ======================================  ===================================

Central differences are the default and the more accurate choice
(error ``O(h²)`` instead of ``O(h)``), at twice the evaluations.

When float32 is appropriate
---------------------------
Check in float64 whenever the code allows it: with the defaults the
difference error is ``≈ 2e-10·|f|``, far inside ``rtol=1e-3``. Check in
float32 only code that exists only in float32, and then either

* accumulate ``f`` in float64 (``np.sum(x, dtype=np.float64)``, or
  ``x.astype(np.float64)`` first): only the step is rounded, which the
  ``fl(x_i ± e_i)`` steps above account for exactly, so only the truncation
  error ``≈ h²·|f'''|/6 ≈ 2e-7`` remains and torch's tolerances hold; or
* if ``f`` itself runs in float32, raise ``atol``: the rounding term
  ``u·|f|/h ≈ 1.2e-4·|f|`` (central, ``eps=1e-3``), times the few ulps a float32
  sum loses, put the measured error at up to ``≈ 3.3e-4·max(1, |f|)`` on smooth
  test functions, so pass ``atol=5e-4 * max(1, abs(f(x)))``. With the default
  ``atol=1e-5`` such checks fail at random (at a quarter of random points for
  ``sum(sin(x)) + ½‖x‖²`` with 12 coordinates).

Forward differences in float32 are good to ``≈ √u ≈ 3e-4`` relative at best:
prefer central differences.

Comparison
----------
:func:`gradcheck` uses torch's criterion, per coordinate,
``|a_i - n_i| <= atol + rtol·|n_i|`` (``a`` analytic, ``n`` numerical), and
reports the relative error ``‖a - n‖ / max(‖a‖, ‖n‖, tiny)`` over the checked
coordinates and the worst coordinates. For large ``x``, ``max_coords`` checks
a seeded random subset of coordinates plus one random direction ``v``
(``‖v‖ = 1``): ``aᵀv`` against the difference quotient of ``f`` along ``v``,
which sees an error in every coordinate, sampled or not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from ._validation import FLOAT_DTYPES, flag, nonneg

__all__ = [
    "GradcheckError",
    "GradcheckResult",
    "default_eps",
    "gradcheck",
    "numerical_gradient",
]

METHODS = ("central", "forward")
_TINY = np.finfo(np.float64).tiny
_REPORT_ROWS = 5

Objective = Callable[[np.ndarray], Any]
Gradient = Union[Callable[[np.ndarray], Any], np.ndarray, Sequence[Any]]
Seed = Union[int, np.random.Generator, np.random.SeedSequence, None]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_exception=True)`` when the check fails.

    The message is the :class:`GradcheckResult` report; the result itself is
    the ``result`` attribute.
    """

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(repr(result))
        self.result = result


@dataclass(frozen=True, eq=False, repr=False)
class GradcheckResult:
    """Outcome of :func:`gradcheck`. ``bool(result)`` is ``result.ok``.

    Attributes
    ----------
    ok : bool
        Every checked coordinate, and the directional check if one ran,
        satisfies ``|a - n| <= atol + rtol·|n|``.
    max_abs_error : float
        ``max |a_i - n_i|`` over the checked coordinates (NaN if any is NaN).
    max_rel_error : float
        ``max |a_i - n_i| / max(|a_i|, |n_i|, tiny)`` over the checked
        coordinates. Noisy where both are near zero; not part of the verdict.
    rel_error : float
        ``‖a - n‖₂ / max(‖a‖₂, ‖n‖₂, tiny)`` over the checked coordinates.
    worst_index : tuple of int or None
        Index into ``x`` of the coordinate that violates the criterion the
        most (largest ``|a - n| / (atol + rtol·|n|)``); ``None`` if ``x`` is
        empty.
    numerical : numpy.ndarray
        float64, ``x``'s shape: the finite-difference gradient; NaN at
        coordinates that were not checked (see ``checked_mask``).
    analytic : numpy.ndarray
        float64, ``x``'s shape: the full analytic gradient at the unperturbed
        ``x`` (also at unchecked coordinates).
    checked_mask : numpy.ndarray
        bool, ``x``'s shape: the coordinates that were checked.
    checked : int
        Number of coordinates checked.
    failures : int
        Number of checked coordinates violating the criterion.
    directional_analytic, directional_numerical, directional_error : float or None
        The random-direction check run with ``max_coords``: ``aᵀv``, the
        difference quotient of ``f`` along ``v``, and their absolute
        difference. ``None`` if no directional check ran.
    directional_ok : bool or None
        Whether the directional check passed; ``None`` if it did not run.
    method : str
        ``"central"`` or ``"forward"``.
    eps, rtol, atol : float
        The base step and the tolerances used.
    """

    ok: bool
    max_abs_error: float
    max_rel_error: float
    rel_error: float
    worst_index: tuple[int, ...] | None
    numerical: np.ndarray
    analytic: np.ndarray
    checked_mask: np.ndarray
    checked: int
    failures: int
    directional_analytic: float | None
    directional_numerical: float | None
    directional_error: float | None
    directional_ok: bool | None
    method: str
    eps: float
    rtol: float
    atol: float

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        lines = [
            f"GradcheckResult(ok={self.ok}): gradient check {verdict}, "
            f"{self.checked} of {self.analytic.size} coordinates checked, "
            f"{self.failures} outside |a - n| <= atol + rtol*|n| "
            f"(method={self.method!r}, eps={self.eps:.3g}, rtol={self.rtol:.3g}, "
            f"atol={self.atol:.3g})",
            f"  max_abs_error={self.max_abs_error:.4g}  max_rel_error={self.max_rel_error:.4g}"
            f"  rel_error={self.rel_error:.4g}  worst_index={self.worst_index}",
        ]
        rows = _worst(self)
        if rows:
            lines.append("  worst coordinates:")
            lines.append(f"    {'index':<16} {'analytic':>14} {'numerical':>14} {'abs err':>11}")
            for index, a, n, err, bad in rows:
                mark = "  FAIL" if bad else ""
                lines.append(f"    {index!s:<16} {a:>14.7g} {n:>14.7g} {err:>11.4g}{mark}")
        if self.directional_ok is not None:
            mark = "ok" if self.directional_ok else "FAIL"
            lines.append(
                f"  random direction: analytic={self.directional_analytic:.7g} "
                f"numerical={self.directional_numerical:.7g} "
                f"abs err={self.directional_error:.4g} {mark}"
            )
        return "\n".join(lines)


def default_eps(dtype: Any, method: str = "central") -> float:
    """The base step :func:`numerical_gradient` uses when ``eps`` is None.

    Parameters
    ----------
    dtype : numpy dtype
        ``float32`` or ``float64``.
    method : {"central", "forward"}
        Difference scheme.

    Returns
    -------
    float
        float64 central ``1e-6``, forward ``√u ≈ 1.49e-8``; float32 central
        ``1e-3``, forward ``√u ≈ 3.45e-4`` (``u`` the dtype's machine
        epsilon). The step for coordinate ``i`` is this times ``max(1, |x_i|)``.
    """
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    _check_method(method)
    if method == "forward":
        return math.sqrt(float(np.finfo(dtype).eps))
    return 1e-6 if dtype == np.float64 else 1e-3


def numerical_gradient(
    f: Objective,
    x: np.ndarray,
    *,
    eps: float | None = None,
    method: str = "central",
) -> np.ndarray:
    """Finite-difference gradient of the scalar function ``f`` at ``x``.

    Coordinate ``i`` is perturbed in place in ``x`` and ``f(x)`` is called
    with ``x`` itself, so ``f`` may close over ``x`` instead of reading its
    argument. With ``e_i = eps·max(1, |x_i|)`` and the steps actually taken
    after rounding to ``x``'s dtype, ``h⁺ = fl(x_i + e_i) - x_i`` and
    ``h⁻ = x_i - fl(x_i - e_i)``::

        central: g_i = (f(x + h⁺e_i) - f(x - h⁻e_i)) / (h⁺ + h⁻)   (2 calls per coordinate)
        forward: g_i = (f(x + h⁺e_i) - f(x)) / h⁺                 (1 call + 1 for f(x))

    ``x`` is left bit-identical: each coordinate's original value is written
    back after its evaluations, also when ``f`` raises (the exception
    propagates).

    Parameters
    ----------
    f : callable
        ``f(x) -> real scalar`` (anything ``float()`` accepts that is not an
        array of ndim >= 1). NaN and inf are passed through.
    x : numpy.ndarray
        float32 or float64, any shape, writeable, finite.
    eps : float, optional
        Base step, > 0 and finite. Default: :func:`default_eps` for ``x``'s
        dtype and ``method`` (float64: ``1e-6`` central, ``1.49e-8`` forward;
        float32: ``1e-3`` central, ``3.45e-4`` forward). See the module
        docstring for the error analysis and when float32 is appropriate.
    method : {"central", "forward"}
        Difference scheme. Central is accurate to ``O(h²)``, forward to
        ``O(h)``; forward matches ``scipy.optimize.approx_fprime``.

    Returns
    -------
    numpy.ndarray
        float64 array of ``x``'s shape.

    Raises
    ------
    TypeError
        ``f`` not callable or returning a non-scalar; ``x`` not a float32 or
        float64 ndarray.
    ValueError
        ``x`` read-only or not finite, bad ``method`` or ``eps``, or ``eps``
        too small to change some ``x_i``.
    """
    _check_f(f)
    _check_x(x)
    _check_method(method)
    base = _base_eps(eps, x.dtype, method)
    f0 = _call(f, x) if method == "forward" and x.size else None
    return _partials(f, x, np.arange(x.size), base, method, f0).reshape(x.shape)


def gradcheck(
    f: Objective,
    grad: Gradient,
    x: np.ndarray,
    *,
    eps: float | None = None,
    method: str = "central",
    rtol: float = 1e-3,
    atol: float = 1e-5,
    raise_exception: bool = False,
    max_coords: int | None = None,
    seed: Seed = None,
) -> GradcheckResult:
    """Compare an analytic gradient with finite differences of ``f``.

    The analytic gradient ``a`` (``grad(x)``, called once at the unperturbed
    ``x`` before any perturbation, or ``grad`` itself if it is an array) is
    compared with ``n = numerical_gradient(f, x, eps=eps, method=method)``
    coordinate by coordinate with torch.autograd.gradcheck's criterion::

        |a_i - n_i| <= atol + rtol·|n_i|

    and summarised by ``rel_error = ‖a - n‖ / max(‖a‖, ‖n‖, tiny)`` and the
    worst coordinates (ranked by ``|a_i - n_i| / (atol + rtol·|n_i|)``).

    With ``max_coords``, only a random subset of that many coordinates is
    differenced (drawn without replacement by ``numpy.random.default_rng(seed)``),
    and a random-direction check is added: with a random unit vector ``v``
    (drawn next from the same generator), step ``t = eps·max(1, max|x|)`` and
    the displacement actually taken ``d = fl(x + t·v) - fl(x - t·v)``
    (``fl(x + t·v) - x`` for forward)::

        directional_numerical = (f(x + t·v) - f(x - t·v)) / ‖d‖
        directional_analytic  = aᵀd / ‖d‖            (= aᵀv up to rounding)

    It must pass the same criterion and counts toward ``ok``. An error of
    ``δ`` in any coordinate ``j`` moves ``aᵀv`` by ``δ·v_j`` (``|v_j| ≈ 1/√size``),
    so it is seen whether or not ``j`` was sampled, unless ``v`` happens to be
    nearly orthogonal to ``e_j`` (one direction, so a small chance: run a few
    seeds to rule it out).

    Parameters
    ----------
    f : callable
        ``f(x) -> real scalar``; called with ``x`` itself, perturbed in place.
    grad : callable or array_like
        ``grad(x)`` returning an array of ``x``'s shape, or that array.
    x : numpy.ndarray
        float32 or float64, writeable, finite; left bit-identical.
    eps : float, optional
        Base step; default :func:`default_eps` (see :func:`numerical_gradient`).
    method : {"central", "forward"}
        Difference scheme.
    rtol, atol : float
        Tolerances (torch's defaults), finite and >= 0. For float32 see the
        module docstring.
    raise_exception : bool
        If True, a failed check raises :class:`GradcheckError` (an
        ``AssertionError``) whose message is the report.
    max_coords : int, optional
        Check at most this many coordinates, chosen at random, plus the
        random-direction check. ``None`` (default): every coordinate, no
        directional check.
    seed : int, numpy.random.Generator or None
        Seed for ``numpy.random.default_rng``: same seed, same coordinates and
        direction.

    Returns
    -------
    GradcheckResult
        ``numerical`` is NaN at unchecked coordinates; ``analytic`` is the full
        gradient. ``repr(result)`` is a readable report.

    Raises
    ------
    GradcheckError
        ``raise_exception=True`` and the check failed.
    TypeError, ValueError
        Bad arguments (the message names the argument).
    """
    _check_f(f)
    _check_x(x)
    _check_method(method)
    base = _base_eps(eps, x.dtype, method)
    nonneg(rtol, "rtol")
    nonneg(atol, "atol")
    flag(raise_exception, "raise_exception")
    if max_coords is not None:
        if not isinstance(max_coords, (int, np.integer)) or isinstance(max_coords, bool):
            raise TypeError(f"max_coords must be an int or None, got {max_coords!r}")
        if max_coords < 1:
            raise ValueError(f"max_coords must be >= 1, got {max_coords!r}")
    rtol, atol = float(rtol), float(atol)

    analytic = _analytic(grad, x)
    size = x.size
    rng = np.random.default_rng(seed) if max_coords is not None else None
    if rng is not None and max_coords < size:
        flat = np.sort(rng.choice(size, size=int(max_coords), replace=False))
    else:
        flat = np.arange(size)

    f0 = _call(f, x) if method == "forward" and size else None
    numerical = np.full(size, np.nan)
    numerical[flat] = _partials(f, x, flat, base, method, f0)
    numerical = numerical.reshape(x.shape)
    mask = np.zeros(size, dtype=bool)
    mask[flat] = True
    mask = mask.reshape(x.shape)

    a = analytic.reshape(-1)[flat]
    n = numerical.reshape(-1)[flat]
    err = np.abs(a - n)
    with np.errstate(invalid="ignore"):
        passed = err <= atol + rtol * np.abs(n)
    failures = int(np.count_nonzero(~passed))

    if flat.size:
        score = _score(err, n, rtol, atol)
        worst_index = _index(int(flat[int(np.argmax(score))]), x.shape)
        max_abs = float(np.max(err))
        max_rel = float(np.max(err / np.maximum(np.maximum(np.abs(a), np.abs(n)), _TINY)))
        norm_scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(n)), _TINY)
        rel = float(np.linalg.norm(a - n)) / norm_scale
    else:
        worst_index, max_abs, max_rel, rel = None, 0.0, 0.0, 0.0

    d_analytic = d_numerical = d_error = None
    d_ok: bool | None = None
    if rng is not None and size:
        d_analytic, d_numerical = _directional(f, x, analytic, rng, base, method, f0)
        d_error = abs(d_analytic - d_numerical)
        d_ok = bool(d_error <= atol + rtol * abs(d_numerical))

    result = GradcheckResult(
        ok=failures == 0 and d_ok is not False,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        rel_error=rel,
        worst_index=worst_index,
        numerical=numerical,
        analytic=analytic,
        checked_mask=mask,
        checked=int(flat.size),
        failures=failures,
        directional_analytic=d_analytic,
        directional_numerical=d_numerical,
        directional_error=d_error,
        directional_ok=d_ok,
        method=method,
        eps=base,
        rtol=rtol,
        atol=atol,
    )
    if raise_exception and not result.ok:
        raise GradcheckError(result)
    return result


# ------------------------------------------------------------------ helpers
def _check_f(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def _check_x(x: Any) -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"x has dtype {x.dtype}; expected float32 or float64")
    if not x.flags.writeable:
        raise ValueError(
            "x is read-only; it is perturbed in place (and restored), pass a writeable array"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf; finite differences need finite values")


def _check_method(method: Any) -> None:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be 'central' or 'forward', got {method!r}")


def _base_eps(eps: Any, dtype: np.dtype, method: str) -> float:
    if eps is None:
        return default_eps(dtype, method)
    real = isinstance(eps, (int, float, np.integer, np.floating)) and not isinstance(
        eps, (bool, np.bool_)
    )
    if not real or not eps > 0 or not math.isfinite(eps):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    return float(eps)


def _call(f: Objective, x: np.ndarray) -> float:
    """``float(f(x))``, rejecting arrays and non-real results."""
    value = f(x)
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "biuf":
        what = f"an array of shape {array.shape}" if array.ndim else type(value).__name__
        raise TypeError(f"f must return a real scalar, got {what} (dtype {array.dtype})")
    return float(array)


def _analytic(grad: Gradient, x: np.ndarray) -> np.ndarray:
    """The analytic gradient as a new float64 array of ``x``'s shape."""
    value = grad(x) if callable(grad) else grad
    where = "grad(x) returned" if callable(grad) else "grad is"
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where} dtype {array.dtype}; expected a real array")
    if array.shape != x.shape:
        raise ValueError(f"{where} shape {array.shape}, expected {x.shape} (the shape of x)")
    return np.array(array, dtype=np.float64, copy=True)


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _step_error(eps: float, x: np.ndarray, index: tuple[int, ...]) -> ValueError:
    return ValueError(
        f"eps={eps!r} gives no usable step at x[{', '.join(map(str, index))}]="
        f"{x[index]!r} in {x.dtype}: increase eps"
    )


def _partials(
    f: Objective,
    x: np.ndarray,
    flat: np.ndarray,
    base: float,
    method: str,
    f0: float | None,
) -> np.ndarray:
    """Difference quotients at the flat indices ``flat``; ``x`` restored after each."""
    out = np.empty(len(flat))
    scalar = x.dtype.type
    for k, i in enumerate(flat):
        index = _index(int(i), x.shape)
        original = x[index]  # a NumPy scalar of x's dtype: the exact bits
        xi = float(original)
        e = base * max(1.0, abs(xi))
        plus = scalar(xi + e)
        h_plus = float(plus) - xi
        if method == "central":
            minus = scalar(xi - e)
            h_minus = xi - float(minus)
            if not (h_plus > 0 and h_minus > 0 and math.isfinite(h_plus + h_minus)):
                raise _step_error(base, x, index)
            try:
                x[index] = plus
                f_plus = _call(f, x)
                x[index] = minus
                f_minus = _call(f, x)
            finally:
                x[index] = original
            out[k] = (f_plus - f_minus) / (h_plus + h_minus)
        else:
            if not (h_plus > 0 and math.isfinite(h_plus)):
                raise _step_error(base, x, index)
            assert f0 is not None
            try:
                x[index] = plus
                f_plus = _call(f, x)
            finally:
                x[index] = original
            out[k] = (f_plus - f0) / h_plus
    return out


def _directional(
    f: Objective,
    x: np.ndarray,
    analytic: np.ndarray,
    rng: np.random.Generator,
    base: float,
    method: str,
    f0: float | None,
) -> tuple[float, float]:
    """(aᵀd/‖d‖, Δf/‖d‖) along a random unit direction; ``x`` restored after."""
    v = rng.standard_normal(x.shape)
    v /= np.linalg.norm(v)
    original = x.copy()
    x64 = original.astype(np.float64)
    t = base * max(1.0, float(np.max(np.abs(x64))))
    plus = (x64 + t * v).astype(x.dtype)
    minus = (x64 - t * v).astype(x.dtype) if method == "central" else original
    d = plus.astype(np.float64) - minus.astype(np.float64)
    length = float(np.linalg.norm(d))
    if not (length > 0 and math.isfinite(length)):
        raise ValueError(f"eps={base!r} gives no usable step along the random direction")
    try:
        np.copyto(x, plus)
        f_plus = _call(f, x)
        if method == "central":
            np.copyto(x, minus)
            f_minus = _call(f, x)
        else:
            assert f0 is not None
            f_minus = f0
    finally:
        np.copyto(x, original)
    return float(np.dot(analytic.reshape(-1), d.reshape(-1))) / length, (f_plus - f_minus) / length


def _score(err: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """``err / (atol + rtol·|n|)``, with NaN -> inf and 0/0 -> 0."""
    tol = atol + rtol * np.abs(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = err / tol
    score[(err == 0) & (tol == 0)] = 0.0
    score[np.isnan(score)] = np.inf
    return score


def _worst(result: GradcheckResult) -> list[tuple[tuple[int, ...], float, float, float, bool]]:
    """The report rows: the top coordinates by violation score."""
    mask = result.checked_mask.reshape(-1)
    flat = np.flatnonzero(mask)
    if flat.size == 0:
        return []
    a = result.analytic.reshape(-1)[flat]
    n = result.numerical.reshape(-1)[flat]
    err = np.abs(a - n)
    score = _score(err, n, result.rtol, result.atol)
    order = np.argsort(-score, kind="stable")[:_REPORT_ROWS]
    shape = result.analytic.shape
    rows = []
    for k in order:
        bad = not bool(err[k] <= result.atol + result.rtol * abs(n[k]))
        rows.append((_index(int(flat[k]), shape), float(a[k]), float(n[k]), float(err[k]), bad))
    return rows
