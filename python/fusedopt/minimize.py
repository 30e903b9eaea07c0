"""``fusedopt.minimize``: L-BFGS and OWL-QN in C++, with scipy's interface.

The solver (two-loop recursion over the m most recent curvature pairs, stored
contiguously; Moré–Thuente or backtracking line search; OWL-QN for L1) runs in
C++ with the GIL released and SIMD vector kernels; it takes the GIL back only
to call ``fun`` and ``callback``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _core
from . import _validation as V
from .gradcheck import numerical_gradient

__all__ = ["STATUS_MESSAGES", "OptimizeResult", "minimize"]

#: status code -> meaning; ``success`` is True for 0 and 1.
STATUS_MESSAGES = {
    0: "converged: the gradient's infinity norm is <= gtol",
    1: "converged: the relative reduction of f is <= ftol",
    2: "stopped: max_iter iterations reached",
    3: "stopped: max_fev function evaluations reached",
    4: "stopped: the line search found no acceptable step",
    5: "stopped: the callback raised StopIteration",
    6: "stopped: the objective or its gradient is not finite",
}

DEFAULT_OPTIONS: dict[str, Any] = {
    "history_size": 10,
    "max_iter": 15000,
    "max_fev": 15000,
    "gtol": 1e-5,
    "ftol": 2.2e-9,
    "line_search": None,  # "strong_wolfe" for L-BFGS, "backtracking" for OWL-QN
    "max_ls": 20,
    "c1": 1e-4,
    "c2": 0.9,
    "backtracking_wolfe": False,
}


class OptimizeResult(dict):
    """The result of :func:`minimize`, with scipy's field names.

    Attributes
    ----------
    x : ndarray
        The solution (float64, x0's shape).
    fun : float
        f(x); with ``l1 > 0`` the full objective f(x) + l1·‖x‖₁.
    jac : ndarray
        The gradient of f at x (of the smooth part with ``l1 > 0``).
    nit, nfev, njev : int
        Iterations, function and gradient evaluations.
    status : int
        See :data:`STATUS_MESSAGES`.
    success : bool
        Whether the solver converged (status 0 or 1).
    message : str
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __repr__(self) -> str:
        width = max(map(len, self)) + 1
        return "\n".join(f"{k.rjust(width)}: {v!r}" for k, v in self.items())


def _check_options(options: Mapping[str, Any] | None, l1: float) -> dict[str, Any]:
    merged = dict(DEFAULT_OPTIONS)
    if options is not None:
        unknown = set(options) - set(DEFAULT_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown options {sorted(unknown)}; valid options are {sorted(DEFAULT_OPTIONS)}"
            )
        merged.update(options)
    if merged["line_search"] is None:
        merged["line_search"] = "backtracking" if l1 > 0 else "strong_wolfe"
    if merged["line_search"] not in ("strong_wolfe", "backtracking"):
        raise ValueError(
            f"line_search must be 'strong_wolfe' or 'backtracking', got {merged['line_search']!r}"
        )
    if l1 > 0 and merged["line_search"] != "backtracking":
        raise ValueError("line_search='strong_wolfe' is not valid with l1 > 0 (OWL-QN backtracks)")
    for name, minimum in (("history_size", 1), ("max_iter", 0), ("max_fev", 1), ("max_ls", 1)):
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    V.nonneg(merged["gtol"], "gtol")
    V.nonneg(merged["ftol"], "ftol")
    c1, c2 = merged["c1"], merged["c2"]
    V.finite(c1, "c1")
    V.finite(c2, "c2")
    if not 0 < c1 < 1:
        raise ValueError(f"c1 must be in (0, 1), got {c1!r}")
    if not c1 < c2 < 1:
        raise ValueError(f"c2 must be in (c1, 1), got {c2!r}")
    V.flag(merged["backtracking_wolfe"], "backtracking_wolfe")
    return merged


def _with_gradient(fun: Callable[..., Any], jac: Any) -> Callable[..., tuple[float, np.ndarray]]:
    """fun as the solver calls it: returning (f, g)."""
    if jac is True:
        return fun
    if callable(jac):
        return lambda x, *args: (fun(x, *args), jac(x, *args))
    if jac is None or jac is False:

        def numerical(x: np.ndarray, *args: Any) -> tuple[float, np.ndarray]:
            f = fun(x, *args)
            return f, numerical_gradient(lambda z: fun(z, *args), x)

        return numerical
    raise TypeError(f"jac must be True, a callable, or None, got {jac!r}")


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: tuple[Any, ...] = (),
    *,
    jac: bool | Callable[..., Any] | None = True,
    l1: float = 0.0,
    callback: Callable[[np.ndarray], Any] | None = None,
    options: Mapping[str, Any] | None = None,
    step_scale: float = 1.0,
) -> OptimizeResult:
    r"""Minimize f(x) (+ l1·‖x‖₁) with L-BFGS (OWL-QN when ``l1 > 0``).

    L-BFGS keeps the ``history_size`` most recent pairs sₖ = xₖ₊₁ − xₖ,
    yₖ = ∇f(xₖ₊₁) − ∇f(xₖ) (a pair is kept only if yᵀs > ε·yᵀy) and applies the
    inverse Hessian approximation H = (sᵀy / yᵀy)·I updated by the pairs with the
    two-loop recursion; each iteration searches along d = −H∇f for a step that
    satisfies the strong Wolfe conditions (Moré–Thuente; or Armijo
    backtracking). With ``l1 > 0`` it minimizes f(x) + l1·‖x‖₁ with OWL-QN
    (Andrew & Gao 2007): the pseudo-gradient replaces ∇f, the direction keeps
    only components that agree with the negative pseudo-gradient, and every
    trial point of the backtracking line search is projected onto the current
    orthant, so coordinates become exactly zero.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args)``: with ``jac=True`` returns ``(f, g)``; otherwise ``f``.
        x has x0's shape and dtype float64; it is a fresh array on every call.
    x0 : array_like
        Start, any shape; the work is in float64 (float32 is converted).
    args : tuple
        Extra arguments of ``fun`` and ``jac``.
    jac : True, callable or None
        ``True``: fun returns the gradient too. A callable: ``jac(x, *args)``.
        ``None``: central differences with :func:`fusedopt.numerical_gradient`
        (2·n evaluations of fun per gradient: slow, for small problems).
    l1 : float
        L1 penalty; > 0 selects OWL-QN (backtracking line search only).
    callback : callable, optional
        ``callback(xk)`` after each iteration; raising ``StopIteration`` stops
        the solver with ``success=False`` (status 5).
    options : dict, optional
        ``history_size`` (10), ``max_iter`` (15000), ``max_fev`` (15000),
        ``gtol`` (1e-5: on the infinity norm of the (pseudo-)gradient),
        ``ftol`` (2.2e-9: stop when (fₖ − fₖ₊₁)/max(|fₖ|, |fₖ₊₁|, 1) ≤ ftol, as
        scipy), ``line_search`` ("strong_wolfe" or "backtracking"), ``max_ls``
        (20 evaluations per line search), ``c1`` (1e-4), ``c2`` (0.9),
        ``backtracking_wolfe`` (False: also require the weak Wolfe condition
        when backtracking). Unknown keys are an error.
    step_scale : float
        Multiplies the first trial step of every line search (torch's ``lr``
        in ``fusedopt.torch.LBFGS``); 1 is the quasi-Newton step.

    Returns
    -------
    OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, success, message``; the
        status codes are :data:`STATUS_MESSAGES`. A non-finite f or g during a
        line search makes it backtrack; if it cannot recover, the last finite
        iterate is returned with ``success=False``. Exceptions raised by
        ``fun`` or ``callback`` propagate unchanged.

    Examples
    --------
    >>> import numpy as np, fusedopt as fo
    >>> def rosen(x):
    ...     f = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
    ...     g = np.array([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]),
    ...                   200 * (x[1] - x[0] ** 2)])
    ...     return f, g
    >>> res = fo.minimize(rosen, [-1.2, 1.0])
    >>> res.success, np.round(res.x, 4)
    (True, array([1., 1.]))
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {fun!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    if not isinstance(args, tuple):
        args = (args,)
    V.nonneg(l1, "l1")
    x = np.asarray(x0)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x0 must be a real array, got dtype {x.dtype}")
    x = np.array(x, dtype=np.float64, order="C", copy=True)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 contains NaN or inf")
    opts = _check_options(options, float(l1))
    V.finite(step_scale, "step_scale")
    if step_scale <= 0:
        raise ValueError(f"step_scale must be > 0, got {step_scale!r}")
    opts["step_scale"] = float(step_scale)
    objective = _with_gradient(fun, jac)
    raw = _core.lbfgs_minimize(
        objective, x.reshape(-1), list(x.shape), args, opts, float(l1), callback
    )
    status = int(raw["status"])
    return OptimizeResult(
        x=x,
        fun=float(raw["fun"]),
        jac=raw["jac"],
        nit=int(raw["nit"]),
        nfev=int(raw["nfev"]),
        njev=int(raw["nfev"]),
        status=status,
        success=status in (0, 1),
        message=str(raw["message"]),
    )
