"""Finite-difference gradient and Hessian checks for NumPy objectives.

Four entry points:

* :func:`numerical_gradient` -- the finite-difference gradient of a scalar
  function ``f(x)``, one coordinate at a time.
* :func:`gradcheck` -- compares an analytic gradient with it and returns a
  :class:`GradcheckResult` (``bool(result)`` is the verdict), optionally raising
  :class:`GradcheckError`.
* :func:`numerical_hessian` -- the finite-difference Hessian from a gradient
  function ``grad(x)``, one column at a time, symmetrised.
* :func:`hesscheck` -- compares an analytic Hessian with it, with the same
  result, criterion and options as :func:`gradcheck`.

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

:func:`numerical_hessian` differences the gradient with the same steps and the
same defaults: the analysis above holds per component with ``f`` replaced by
``∂f/∂x_i``, so ``u^(1/3)`` is again the scale of the best central step
(torch.autograd.gradgradcheck also uses ``1e-6``).

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
    "hesscheck",
    "numerical_gradient",
    "numerical_hessian",
]

METHODS = ("central", "forward")
_TINY = np.finfo(np.float64).tiny
_REPORT_ROWS = 5

Objective = Callable[[np.ndarray], Any]
Gradient = Union[Callable[[np.ndarray], Any], np.ndarray, Sequence[Any]]
Hessian = Any  # a callable, an array_like or a scipy.sparse matrix
Seed = Union[int, np.random.Generator, np.random.SeedSequence, None]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck``/``hesscheck(..., raise_exception=True)`` when the check fails.

    The message is the :class:`GradcheckResult` report; the result itself is
    the ``result`` attribute.
    """

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(repr(result))
        self.result = result


@dataclass(frozen=True, eq=False, repr=False)
class GradcheckResult:
    """Outcome of :func:`gradcheck` or :func:`hesscheck`. ``bool(result)`` is ``result.ok``.

    For :func:`hesscheck` the checked quantity is the ``(x.size, x.size)``
    Hessian of the flattened ``x``: "coordinate" below means an entry
    ``(i, j)`` of it, and ``numerical``, ``analytic`` and ``checked_mask``
    have that shape.

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
        difference (for :func:`hesscheck`: the component of ``Hv`` and of the
        difference quotient of ``grad`` along ``v`` that violates the
        criterion the most). ``None`` if no directional check ran.
    directional_ok : bool or None
        Whether the directional check passed; ``None`` if it did not run.
    method : str
        ``"central"`` or ``"forward"``.
    eps, rtol, atol : float
        The base step and the tolerances used.
    kind : str
        ``"gradient"`` or ``"Hessian"``: what was checked.
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
    kind: str = "gradient"

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        items = "entries" if self.kind == "Hessian" else "coordinates"
        lines = [
            f"GradcheckResult(ok={self.ok}): {self.kind} check {verdict}, "
            f"{self.checked} of {self.analytic.size} {items} checked, "
            f"{self.failures} outside |a - n| <= atol + rtol*|n| "
            f"(method={self.method!r}, eps={self.eps:.3g}, rtol={self.rtol:.3g}, "
            f"atol={self.atol:.3g})",
            f"  max_abs_error={self.max_abs_error:.4g}  max_rel_error={self.max_rel_error:.4g}"
            f"  rel_error={self.rel_error:.4g}  worst_index={self.worst_index}",
        ]
        rows = _worst(self)
        if rows:
            lines.append(f"  worst {items}:")
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
    _check_callable(f, "f")
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
    _check_callable(f, "f")
    _check_x(x)
    _check_method(method)
    base = _base_eps(eps, x.dtype, method)
    rtol, atol = _check_options(rtol, atol, raise_exception, max_coords)

    analytic = _analytic(grad, x)
    flat, rng = _sample(x.size, max_coords, seed)
    f0 = _call(f, x) if method == "forward" and x.size else None
    numerical = np.full(x.size, np.nan)
    numerical[flat] = _partials(f, x, flat, base, method, f0)
    mask = np.zeros(x.size, dtype=bool)
    mask[flat] = True

    directional = None
    if rng is not None and x.size:
        d, quotient = _directional(lambda v: _call(f, v), x, rng, base, method, f0)
        length = float(np.linalg.norm(d))
        a_d = float(np.dot(analytic.reshape(-1), d.reshape(-1))) / length
        directional = (np.array([a_d]), np.array([quotient]))

    return _result(
        analytic, numerical.reshape(x.shape), mask.reshape(x.shape), directional,
        kind="gradient", method=method, eps=base, rtol=rtol, atol=atol,
        raise_exception=raise_exception,
    )  # fmt: skip


def numerical_hessian(
    grad: Callable[[np.ndarray], Any],
    x: np.ndarray,
    *,
    eps: float | None = None,
    method: str = "central",
) -> np.ndarray:
    """Finite-difference Hessian from the gradient function ``grad`` at ``x``.

    Column ``j`` is the difference quotient of ``grad`` along coordinate ``j``
    of the flattened ``x``, with the same in-place perturbation, relative step
    ``e_j = eps·max(1, |x_j|)`` and rounding-corrected steps ``h⁺``, ``h⁻`` as
    :func:`numerical_gradient`::

        central: H[:, j] = (grad(x + h⁺e_j) - grad(x - h⁻e_j)) / (h⁺ + h⁻)   (2 calls per column)
        forward: H[:, j] = (grad(x + h⁺e_j) - grad(x)) / h⁺                 (1 call + 1 for grad(x))

    and the result is symmetrised, ``(H + Hᵀ) / 2``, which averages the two
    estimates of each off-diagonal entry. ``x`` is left bit-identical, also
    when ``grad`` raises (the exception propagates).

    The error analysis of :func:`numerical_gradient` applies with ``f``
    replaced by each component of ``grad``: central differences have
    truncation error ``≈ h²·|∇³f|/6`` and rounding error ``≈ u·|∇f|/h``, so
    the best step is again ``≈ u^(1/3)`` (``u`` the dtype's machine
    epsilon), and the default is :func:`default_eps`'s: float64 central
    ``1e-6`` (torch.autograd.gradgradcheck's step), float32 central ``1e-3``.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array`` of ``x``'s shape (anything ``numpy.asarray``
        turns into a real array); called with ``x`` itself, perturbed in place.
    x : numpy.ndarray
        float32 or float64, any shape, writeable, finite. A multi-dimensional
        ``x`` is treated as its flattening ``x.reshape(-1)``.
    eps : float, optional
        Base step, > 0 and finite. Default: :func:`default_eps` for ``x``'s
        dtype and ``method``.
    method : {"central", "forward"}
        Difference scheme; central (the default) is accurate to ``O(h²)``.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(x.size, x.size)``, symmetric: entry ``(i, j)`` is
        ``∂²f / ∂x_i ∂x_j`` for the flat indices ``i``, ``j`` of ``x``.

    Raises
    ------
    TypeError
        ``grad`` not callable or returning a non-real array; ``x`` not a
        float32 or float64 ndarray.
    ValueError
        ``grad(x)`` of the wrong shape; ``x`` read-only or not finite; bad
        ``method`` or ``eps``, or ``eps`` too small to change some ``x_i``.
    """
    _check_callable(grad, "grad")
    _check_x(x)
    _check_method(method)
    base = _base_eps(eps, x.dtype, method)
    flat = np.arange(x.size)
    g0 = _flat_gradient(grad)(x) if method == "forward" and x.size else None
    return _symmetrised(_columns(grad, x, flat, base, method, g0), flat)[0]


def hesscheck(
    grad: Callable[[np.ndarray], Any],
    hess: Hessian,
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
    """Compare an analytic Hessian with finite differences of the gradient.

    The analytic Hessian ``A`` (``hess(x)``, called once at the unperturbed
    ``x`` before any perturbation, or ``hess`` itself if it is not callable)
    is compared with ``N = numerical_hessian(grad, x, eps=eps, method=method)``
    entry by entry with :func:`gradcheck`'s criterion::

        |A_ij - N_ij| <= atol + rtol·|N_ij|

    and summarised as in :func:`gradcheck`; the report names the worst
    entries as ``(i, j)``. ``N`` is symmetric, so an asymmetric ``A`` fails.
    The check is only as good as ``grad``: check it first with
    :func:`gradcheck`.

    With ``max_coords``, only that many columns ``j`` (drawn without
    replacement by ``numpy.random.default_rng(seed)``) are differenced; each
    also gives row ``j`` by symmetry, so rows and columns ``j`` are checked.
    A random-direction check is added as in :func:`gradcheck`: with the
    displacement ``d`` actually taken along a random unit vector, every
    component of ``A d / ‖d‖`` must match ``(grad(x⁺) - grad(x⁻)) / ‖d‖``
    by the same criterion; the worst component is reported.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returning an array of ``x``'s shape; called with ``x``
        itself, perturbed in place.
    hess : callable, array_like or scipy.sparse matrix
        ``hess(x)`` returning the Hessian, or the Hessian itself: shape
        ``(x.size, x.size)`` (or ``x.shape + x.shape``), a NumPy array or
        anything with a ``toarray()`` method (scipy.sparse). NaN entries fail
        the check (they do not raise).
    x : numpy.ndarray
        float32 or float64, writeable, finite; left bit-identical. A
        multi-dimensional ``x`` is treated as ``x.reshape(-1)``.
    eps : float, optional
        Base step; default :func:`default_eps` (see :func:`numerical_hessian`).
    method : {"central", "forward"}
        Difference scheme.
    rtol, atol : float
        Tolerances (torch.autograd.gradgradcheck's defaults), finite and >= 0.
        The difference error scales with ``|grad|``: for badly scaled
        problems raise ``atol`` or ``eps``.
    raise_exception : bool
        If True, a failed check raises :class:`GradcheckError`.
    max_coords : int, optional
        Difference at most this many columns, chosen at random, plus the
        random-direction check. ``None`` (default): every column, no
        directional check.
    seed : int, numpy.random.Generator or None
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    GradcheckResult
        With ``kind="Hessian"``; ``numerical``, ``analytic`` and
        ``checked_mask`` have shape ``(x.size, x.size)`` and ``worst_index``
        is ``(i, j)``.

    Raises
    ------
    GradcheckError
        ``raise_exception=True`` and the check failed.
    TypeError, ValueError
        Bad arguments (the message names the argument).
    """
    _check_callable(grad, "grad")
    _check_x(x)
    _check_method(method)
    base = _base_eps(eps, x.dtype, method)
    rtol, atol = _check_options(rtol, atol, raise_exception, max_coords)

    analytic = _analytic_hessian(hess, x)
    flat, rng = _sample(x.size, max_coords, seed)
    g0 = _flat_gradient(grad)(x) if method == "forward" and x.size else None
    numerical, mask = _symmetrised(_columns(grad, x, flat, base, method, g0), flat)

    directional = None
    if rng is not None and x.size:
        d, quotient = _directional(_flat_gradient(grad), x, rng, base, method, g0)
        directional = (analytic @ d.reshape(-1) / float(np.linalg.norm(d)), quotient)

    return _result(
        analytic, numerical, mask, directional, kind="Hessian", method=method, eps=base,
        rtol=rtol, atol=atol, raise_exception=raise_exception,
    )  # fmt: skip


# ------------------------------------------------------------------ helpers
def _check_callable(fn: Any, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")


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


def _check_options(
    rtol: Any, atol: Any, raise_exception: Any, max_coords: Any
) -> tuple[float, float]:
    """Validate the options :func:`gradcheck` and :func:`hesscheck` share."""
    nonneg(rtol, "rtol")
    nonneg(atol, "atol")
    flag(raise_exception, "raise_exception")
    if max_coords is not None:
        if not isinstance(max_coords, (int, np.integer)) or isinstance(max_coords, bool):
            raise TypeError(f"max_coords must be an int or None, got {max_coords!r}")
        if max_coords < 1:
            raise ValueError(f"max_coords must be >= 1, got {max_coords!r}")
    return float(rtol), float(atol)


def _sample(
    size: int, max_coords: int | None, seed: Seed
) -> tuple[np.ndarray, np.random.Generator | None]:
    """The flat indices to difference, and the generator for the directional check."""
    rng = np.random.default_rng(seed) if max_coords is not None else None
    if rng is not None and max_coords is not None and max_coords < size:
        return np.sort(rng.choice(size, size=int(max_coords), replace=False)), rng
    return np.arange(size), rng


def _call(f: Objective, x: np.ndarray) -> float:
    """``float(f(x))``, rejecting arrays and non-real results."""
    value = f(x)
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "biuf":
        what = f"an array of shape {array.shape}" if array.ndim else type(value).__name__
        raise TypeError(f"f must return a real scalar, got {what} (dtype {array.dtype})")
    return float(array)


def _real_array(value: Any, where: str, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where} dtype {array.dtype}; expected {what}")
    return array


def _analytic(grad: Gradient, x: np.ndarray) -> np.ndarray:
    """The analytic gradient as a new float64 array of ``x``'s shape."""
    value = grad(x) if callable(grad) else grad
    where = "grad(x) returned" if callable(grad) else "grad is"
    array = _real_array(value, where, "a real array")
    if array.shape != x.shape:
        raise ValueError(f"{where} shape {array.shape}, expected {x.shape} (the shape of x)")
    return np.array(array, dtype=np.float64, copy=True)


def _flat_gradient(grad: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], np.ndarray]:
    """``v -> grad(v)`` checked, copied to float64 and flattened."""
    return lambda v: _analytic(grad, v).reshape(-1)


def _analytic_hessian(hess: Hessian, x: np.ndarray) -> np.ndarray:
    """The analytic Hessian as a new float64 ``(x.size, x.size)`` array."""
    value = hess(x) if callable(hess) else hess
    where = "hess(x) returned" if callable(hess) else "hess is"
    if hasattr(value, "toarray"):  # scipy.sparse
        value = value.toarray()
    array = _real_array(value, where, "a real (n, n) array, a scipy.sparse matrix or a callable")
    n = x.size
    if array.shape not in ((n, n), x.shape + x.shape):
        raise ValueError(
            f"{where} shape {array.shape}, expected ({n}, {n}) (x.size = {n} rows and columns)"
        )
    return np.array(array, dtype=np.float64, copy=True).reshape(n, n)


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _step_error(eps: float, x: np.ndarray, index: tuple[int, ...]) -> ValueError:
    return ValueError(
        f"eps={eps!r} gives no usable step at x[{', '.join(map(str, index))}]="
        f"{x[index]!r} in {x.dtype}: increase eps"
    )


def _quotient(
    call: Callable[[np.ndarray], Any],
    x: np.ndarray,
    index: tuple[int, ...],
    base: float,
    method: str,
    at_x: Any,
) -> Any:
    """The difference quotient of ``call`` (scalar- or array-valued) along ``x[index]``.

    Divides by the steps actually taken after rounding to ``x``'s dtype;
    ``at_x`` is ``call(x)`` for forward differences. ``x[index]`` gets its
    original bits back, also when ``call`` raises.
    """
    original = x[index]  # a NumPy scalar of x's dtype: the exact bits
    xi = float(original)
    e = base * max(1.0, abs(xi))
    plus = x.dtype.type(xi + e)
    minus = x.dtype.type(xi - e) if method == "central" else original
    steps = [float(plus) - xi]  # h⁺
    if method == "central":
        steps.append(xi - float(minus))  # h⁻
    step = sum(steps)
    if not (min(steps) > 0 and math.isfinite(step)):
        raise _step_error(base, x, index)
    try:
        x[index] = plus
        value_plus = call(x)
        if method == "central":
            x[index] = minus
            value_minus = call(x)
        else:
            value_minus = at_x
    finally:
        x[index] = original
    return (value_plus - value_minus) / step


def _partials(
    f: Objective,
    x: np.ndarray,
    flat: np.ndarray,
    base: float,
    method: str,
    f0: float | None,
) -> np.ndarray:
    """Difference quotients of ``f`` at the flat indices ``flat``; ``x`` restored after each."""
    out = np.empty(len(flat))
    for k, i in enumerate(flat):
        index = _index(int(i), x.shape)
        out[k] = _quotient(lambda v: _call(f, v), x, index, base, method, f0)
    return out


def _columns(
    grad: Callable[[np.ndarray], Any],
    x: np.ndarray,
    flat: np.ndarray,
    base: float,
    method: str,
    g0: np.ndarray | None,
) -> np.ndarray:
    """Difference quotients of ``grad`` along the flat indices ``flat``, as the
    columns of a ``(x.size, len(flat))`` array; ``x`` restored after each."""
    out = np.empty((x.size, len(flat)))
    call = _flat_gradient(grad)
    for k, i in enumerate(flat):
        index = _index(int(i), x.shape)
        out[:, k] = _quotient(call, x, index, base, method, g0)
    return out


def _symmetrised(columns: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``(n, n)`` Hessian estimate from the columns ``flat`` and its mask.

    Column ``j`` also gives row ``j`` (H is symmetric); entries seen twice are
    averaged, which makes the full estimate ``(H + Hᵀ) / 2``. Entries in
    neither a computed row nor column are NaN.
    """
    n = columns.shape[0]
    have = np.zeros((n, n), dtype=bool)
    have[:, flat] = True
    estimate = np.zeros((n, n))
    estimate[:, flat] = columns
    both = have & have.T
    mirrored = np.where(have, estimate, estimate.T)
    out = np.where(both, 0.5 * (estimate + estimate.T), mirrored)
    mask = have | have.T
    out[~mask] = np.nan
    return out, mask


def _directional(
    call: Callable[[np.ndarray], Any],
    x: np.ndarray,
    rng: np.random.Generator,
    base: float,
    method: str,
    at_x: Any,
) -> tuple[np.ndarray, Any]:
    """A random displacement ``d`` (float64, ``x``'s shape) and
    ``(call(x⁺) - call(x⁻)) / ‖d‖``; ``x`` restored after."""
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
        value_plus = call(x)
        if method == "central":
            np.copyto(x, minus)
            value_minus = call(x)
        else:
            value_minus = at_x
    finally:
        np.copyto(x, original)
    return d, (value_plus - value_minus) / length


def _score(err: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """``err / (atol + rtol·|n|)``, with NaN -> inf and 0/0 -> 0."""
    tol = atol + rtol * np.abs(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = err / tol
    score[(err == 0) & (tol == 0)] = 0.0
    score[np.isnan(score)] = np.inf
    return score


def _passes(err: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """torch's criterion ``|a - n| <= atol + rtol·|n|`` (NaN fails)."""
    with np.errstate(invalid="ignore"):
        return err <= atol + rtol * np.abs(n)


def _directional_summary(
    a: np.ndarray, n: np.ndarray, rtol: float, atol: float
) -> tuple[float, float, float, bool]:
    """(analytic, numerical, error, ok) of the worst component of a directional check."""
    err = np.abs(a - n)
    k = int(np.argmax(_score(err, n, rtol, atol)))
    ok = bool(np.all(_passes(err, n, rtol, atol)))
    return float(a[k]), float(n[k]), float(err[k]), ok


def _result(
    analytic: np.ndarray,
    numerical: np.ndarray,
    mask: np.ndarray,
    directional: tuple[np.ndarray, np.ndarray] | None,
    *,
    kind: str,
    method: str,
    eps: float,
    rtol: float,
    atol: float,
    raise_exception: bool,
) -> GradcheckResult:
    """Compare ``analytic`` with ``numerical`` where ``mask`` holds; raise if asked."""
    flat = np.flatnonzero(mask.reshape(-1))
    a = analytic.reshape(-1)[flat]
    n = numerical.reshape(-1)[flat]
    err = np.abs(a - n)
    failures = int(np.count_nonzero(~_passes(err, n, rtol, atol)))

    if flat.size:
        score = _score(err, n, rtol, atol)
        worst_index = _index(int(flat[int(np.argmax(score))]), analytic.shape)
        max_abs = float(np.max(err))
        max_rel = float(np.max(err / np.maximum(np.maximum(np.abs(a), np.abs(n)), _TINY)))
        norm_scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(n)), _TINY)
        rel = float(np.linalg.norm(a - n)) / norm_scale
    else:
        worst_index, max_abs, max_rel, rel = None, 0.0, 0.0, 0.0

    d_analytic = d_numerical = d_error = None
    d_ok: bool | None = None
    if directional is not None:
        d_analytic, d_numerical, d_error, d_ok = _directional_summary(*directional, rtol, atol)

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
        eps=eps,
        rtol=rtol,
        atol=atol,
        kind=kind,
    )
    if raise_exception and not result.ok:
        raise GradcheckError(result)
    return result


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
