"""``fusedopt.minimize``: L-BFGS, OWL-QN and Newton's method in C++, with scipy's interface.

The solvers (L-BFGS: two-loop recursion over the m most recent curvature
pairs, stored contiguously; Moré–Thuente or backtracking line search; OWL-QN
for L1. Newton: the same line searches, a curvilinear search along negative
curvature, truncated CG) run in C++ with the GIL released and SIMD vector
kernels; they take the GIL back only to call ``fun``, ``hessp``,
``callback`` and, for exact Newton, the LAPACK factorisations of
:mod:`fusedopt.newton`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _core
from . import _validation as V
from . import newton as _newton
from .gradcheck import numerical_gradient

__all__ = ["METHODS", "STATUS_MESSAGES", "OptimizeResult", "minimize"]

#: The valid ``method`` names (case-insensitive).
METHODS = ("lbfgs", "newton", "newton-cg")

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

#: Options of every method.
COMMON_OPTIONS: dict[str, Any] = {
    "max_iter": 15000,
    "max_fev": 15000,
    "gtol": 1e-5,
    "ftol": 2.2e-9,
    "max_ls": 20,
    "c1": 1e-4,
    "c2": 0.9,
}
#: L-BFGS / OWL-QN's options.
DEFAULT_OPTIONS: dict[str, Any] = {
    "history_size": 10,
    **COMMON_OPTIONS,
    "line_search": None,  # "strong_wolfe" for L-BFGS, "backtracking" for OWL-QN
    "backtracking_wolfe": False,
}
#: Options per method.
METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "lbfgs": DEFAULT_OPTIONS,
    "newton": COMMON_OPTIONS,
    "newton-cg": {
        **COMMON_OPTIONS,
        "max_cg": None,  # CG iterations per Newton iteration; None: 20·n (as scipy)
        "eta_max": 0.5,  # the largest Eisenstat–Walker forcing term
    },
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
        Iterations, function and gradient evaluations (``fun`` returns both, so
        ``njev == nfev``; Newton-CG's finite-difference Hessian-vector
        products call ``fun`` and count here too).
    nhev : int
        Newton methods only: Hessian evaluations (``hess`` calls), or
        Hessian-vector products (``hessp`` calls, or finite differences of
        the gradient).
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


def _check_options(
    options: Mapping[str, Any] | None, l1: float, method: str = "lbfgs"
) -> dict[str, Any]:
    defaults = METHOD_OPTIONS[method]
    merged = dict(defaults)
    if options is not None:
        unknown = set(options) - set(defaults)
        if unknown:
            raise ValueError(
                f"unknown options {sorted(unknown)} for method={method!r}; valid options are "
                f"{sorted(defaults)}"
            )
        merged.update(options)
    _check_common(merged)
    if method == "lbfgs":
        _check_lbfgs(merged, l1)
    elif method == "newton-cg":
        _check_newton_cg(merged)
    return merged


#: The largest value of each integer option: what its C++ field holds.
_INT_MAX = {"history_size": 2**31 - 1, "max_ls": 2**31 - 1}


def _check_int(merged: dict[str, Any], name: str, minimum: int) -> None:
    value, maximum = merged[name], _INT_MAX.get(name, 2**63 - 1)
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or not minimum <= value <= maximum
    ):
        raise ValueError(f"{name} must be an int in [{minimum}, {maximum}], got {value!r}")


def _check_common(merged: dict[str, Any]) -> None:
    for name, minimum in (("max_iter", 0), ("max_fev", 1), ("max_ls", 1)):
        _check_int(merged, name, minimum)
    V.nonneg(merged["gtol"], "gtol")
    V.nonneg(merged["ftol"], "ftol")
    c1, c2 = merged["c1"], merged["c2"]
    V.finite(c1, "c1")
    V.finite(c2, "c2")
    if not 0 < c1 < 1:
        raise ValueError(f"c1 must be in (0, 1), got {c1!r}")
    if not c1 < c2 < 1:
        raise ValueError(f"c2 must be in (c1, 1), got {c2!r}")


def _check_lbfgs(merged: dict[str, Any], l1: float) -> None:
    _check_int(merged, "history_size", 1)
    if merged["line_search"] is None:
        merged["line_search"] = "backtracking" if l1 > 0 else "strong_wolfe"
    if merged["line_search"] not in ("strong_wolfe", "backtracking"):
        raise ValueError(
            f"line_search must be 'strong_wolfe' or 'backtracking', got {merged['line_search']!r}"
        )
    if l1 > 0 and merged["line_search"] != "backtracking":
        raise ValueError("line_search='strong_wolfe' is not valid with l1 > 0 (OWL-QN backtracks)")
    V.flag(merged["backtracking_wolfe"], "backtracking_wolfe")


def _check_newton_cg(merged: dict[str, Any]) -> None:
    if merged["max_cg"] is None:
        merged["max_cg"] = 0  # the C++ default, 20·n
    else:
        _check_int(merged, "max_cg", 1)
    eta_max = merged["eta_max"]
    V.finite(eta_max, "eta_max")
    if not 0 < eta_max < 1:
        raise ValueError(f"eta_max must be in (0, 1), got {eta_max!r}")


def _check_method(method: Any, l1: float, hess: Any, hessp: Any) -> str:
    """The canonical method name; raises on a combination that cannot work."""
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)} (any case), got {method!r}")
    method = method.lower()
    for name, value in (("hess", hess), ("hessp", hessp)):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be callable or None, got {value!r}")
    if method == "lbfgs":
        if hess is not None or hessp is not None:
            raise ValueError(
                "hess and hessp are used only by method='newton' and 'newton-cg'; "
                "L-BFGS builds its own curvature model: drop them or choose a Newton method"
            )
        return method
    if l1 > 0:
        raise ValueError(
            f"l1 > 0 is not supported by method={method!r} (f + l1·|x|_1 is not twice "
            "differentiable): use method='lbfgs' (OWL-QN)"
        )
    if method == "newton":
        if hess is None:
            raise ValueError("method='newton' needs hess(x, *args) returning the (n, n) Hessian")
        if hessp is not None:
            raise ValueError("method='newton' uses hess; hessp is for method='newton-cg'")
    return method


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


def _gradient_from(jac: Any) -> str:
    """Who computes the gradient, as the solvers' errors name it."""
    return "jac" if callable(jac) else "fun"


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: tuple[Any, ...] = (),
    *,
    jac: bool | Callable[..., Any] | None = True,
    method: str = "lbfgs",
    hess: Callable[..., Any] | None = None,
    hessp: Callable[..., Any] | None = None,
    l1: float = 0.0,
    callback: Callable[[np.ndarray], Any] | None = None,
    options: Mapping[str, Any] | None = None,
    step_scale: float = 1.0,
) -> OptimizeResult:
    r"""Minimize f(x) (+ l1·‖x‖₁) with L-BFGS (OWL-QN when ``l1 > 0``) or Newton's method.

    ``method="lbfgs"`` (default): L-BFGS keeps the ``history_size`` most recent
    pairs sₖ = xₖ₊₁ − xₖ, yₖ = ∇f(xₖ₊₁) − ∇f(xₖ) (a pair is kept only if
    yᵀs > ε·yᵀy) and applies the inverse Hessian approximation
    H = (sᵀy / yᵀy)·I updated by the pairs with the two-loop recursion; each
    iteration searches along d = −H∇f for a step that satisfies the strong
    Wolfe conditions (Moré–Thuente; or Armijo backtracking). With ``l1 > 0``
    it minimizes f(x) + l1·‖x‖₁ with OWL-QN (Andrew & Gao 2007): the
    pseudo-gradient replaces ∇f, the direction keeps only components that
    agree with the negative pseudo-gradient, and every trial point of the
    backtracking line search is projected onto the current orthant, so
    coordinates become exactly zero.

    ``method="newton"``: exact Newton with ``hess``. Each iteration solves
    (H + τI) s = −g with the smallest τ ≥ 0 of the doubling sequence of
    Nocedal & Wright's Algorithm 3.3 for which the Cholesky factorisation
    succeeds; where H has a negative eigenvalue λ with eigenvector u, it also
    takes d = ±|λ|·u (gᵀd ≤ 0) and searches along Moré & Sorensen's
    curvilinear path x + α²s + αd for
    f ≤ f(x) + c1·α²·(gᵀs + ½dᵀHd), α = 1, ½, ¼, …; otherwise a strong-Wolfe
    (Moré–Thuente) search along s from step 1. A small gradient ends the run
    only where H has no clearly negative eigenvalue, so the solver does not
    stop at a saddle point (even one it starts at). Near a minimum, where the
    decrease a step promises is below f's rounding (1e-12·|f|), both Newton
    methods take the full step if it raises f by no more than that and
    reduces the gradient (no sufficient-decrease test can tell there). Dense
    Hessians use
    LAPACK through SciPy (NumPy without SciPy); ``scipy.sparse`` Hessians are
    factored by SuperLU. Details: :mod:`fusedopt.newton`.

    ``method="newton-cg"``: Hessian-free truncated Newton (Nocedal & Wright,
    Algorithm 7.1). Conjugate gradients on H s = −g, in C++, stop when
    ‖Hs + g‖ ≤ max(ηₖ‖g‖, gtol/2) with Eisenstat & Walker's forcing term
    (choice 2: ηₖ = 0.9(‖gₖ‖/‖gₖ₋₁‖)², safeguarded, at most ``eta_max``), or
    at the first direction of non-positive curvature (then the last CG
    iterate, or −g on the first CG iteration), followed by a strong-Wolfe
    search from step 1. The products H p come from ``hessp(x, p, *args)``,
    else from ``hess`` (evaluated once per iteration), else from forward
    differences of the gradient, (g(x + εp) − g(x))/ε with
    ε = √(u·(1 + ‖x‖))/‖p‖ (u the float64 machine epsilon; Pernice &
    Walker's NITSOL step): one call of ``fun`` per product, counted in
    ``nfev``/``njev`` and in ``nhev``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args)``: with ``jac=True`` returns ``(f, g)``; otherwise ``f``.
        x has x0's shape and dtype float64; it is a fresh array on every call.
        ``f`` is a real number (or a real array of size 1, as scipy takes it);
        ``g`` a real array of x0's shape. Anything else is a ``TypeError``
        (not real) or ``ValueError`` (another shape) saying what was returned.
    x0 : array_like
        Start, any shape; the work is in float64 (float32 is converted). Never
        modified.
    args : tuple
        Extra arguments of ``fun``, ``jac``, ``hess`` and ``hessp``.
    jac : True, callable or None
        ``True``: fun returns the gradient too. A callable: ``jac(x, *args)``.
        ``None``: central differences with :func:`fusedopt.numerical_gradient`
        (2·n evaluations of fun per gradient: slow, for small problems;
        L-BFGS only: the Newton methods need the gradient).
    method : {"lbfgs", "newton", "newton-cg"}
        Case-insensitive.
    hess : callable, optional
        ``hess(x, *args)``: the Hessian, an (n, n) array (or of shape
        ``x0.shape + x0.shape``) or a ``scipy.sparse`` matrix; symmetric to
        1e-8 relative (a clearly non-symmetric or non-finite Hessian is a
        ``ValueError``). Required by ``"newton"``; used by ``"newton-cg"``
        when ``hessp`` is not given. An error with ``"lbfgs"``.
    hessp : callable, optional
        ``hessp(x, p, *args)``: H p, an array of x0's shape (finite). For
        ``"newton-cg"`` only.
    l1 : float
        L1 penalty; > 0 selects OWL-QN (backtracking line search only). Not
        with the Newton methods (f + l1·‖x‖₁ has no Hessian at 0).
    callback : callable, optional
        ``callback(xk)`` after each iteration; raising ``StopIteration`` stops
        the solver with ``success=False`` (status 5).
    options : dict, optional
        Every method: ``max_iter`` (15000), ``max_fev`` (15000), ``gtol``
        (1e-5: on the infinity norm of the (pseudo-)gradient), ``ftol``
        (2.2e-9: stop when (fₖ − fₖ₊₁) ≤ ftol·max(|fₖ|, |fₖ₊₁|) on 10
        iterations in a row), ``max_ls`` (20 evaluations per line search),
        ``c1`` (1e-4), ``c2`` (0.9). L-BFGS also: ``history_size`` (10),
        ``line_search`` ("strong_wolfe" or "backtracking"),
        ``backtracking_wolfe`` (False: also require the weak Wolfe condition
        when backtracking). Newton-CG also: ``max_cg`` (None: 20·n CG
        iterations per Newton iteration, as scipy), ``eta_max`` (0.5).
        Keys not valid for the method are an error.
    step_scale : float
        L-BFGS only: multiplies the first trial step of every line search
        (torch's ``lr`` in ``fusedopt.torch.LBFGS``); 1 is the quasi-Newton
        step. Newton's line searches always start from the Newton step.

    Returns
    -------
    OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, success, message``, plus
        ``nhev`` for the Newton methods; the status codes are
        :data:`STATUS_MESSAGES`. A non-finite f or g during a line search
        makes it backtrack; if it cannot recover, the last finite iterate is
        returned with ``success=False``. Exceptions raised by ``fun``,
        ``hess``, ``hessp`` or ``callback`` propagate unchanged.

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
    >>> def rosen_hess(x):
    ...     return np.array([[1200 * x[0] ** 2 - 400 * x[1] + 2, -400 * x[0]],
    ...                      [-400 * x[0], 200.0]])
    >>> res = fo.minimize(rosen, [-1.2, 1.0], method="newton", hess=rosen_hess)
    >>> res.success, np.round(res.x, 4), res.nit < 30
    (True, array([1., 1.]), True)
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {fun!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    if not isinstance(args, tuple):
        args = (args,)
    V.nonneg(l1, "l1")
    method = _check_method(method, float(l1), hess, hessp)
    x = np.asarray(x0)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x0 must be a real array, got dtype {x.dtype}")
    x = np.array(x, dtype=np.float64, order="C", copy=True)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 contains NaN or inf")
    opts = _check_options(options, float(l1), method)
    V.finite(step_scale, "step_scale")
    if step_scale <= 0:
        raise ValueError(f"step_scale must be > 0, got {step_scale!r}")
    if method == "lbfgs":
        opts["step_scale"] = float(step_scale)
        raw = _core.lbfgs_minimize(
            _with_gradient(fun, jac), x.reshape(-1), list(x.shape), args, opts, float(l1),
            callback, gradient_from=_gradient_from(jac),
        )  # fmt: skip
    else:
        if step_scale != 1.0:
            raise ValueError(f"step_scale is an L-BFGS option, not valid with method={method!r}")
        raw = _run_newton(method, fun, jac, hess, hessp, x, args, opts, callback)
    return _result(x, raw, newton=method != "lbfgs")


def _run_newton(
    method: str,
    fun: Callable[..., Any],
    jac: Any,
    hess: Callable[..., Any] | None,
    hessp: Callable[..., Any] | None,
    x: np.ndarray,
    args: tuple[Any, ...],
    opts: dict[str, Any],
    callback: Callable[[np.ndarray], Any] | None,
) -> dict[str, Any]:
    """Runs ``_core.newton_minimize`` or ``newton_cg_minimize``; x receives the result."""
    if jac is None or jac is False:
        raise ValueError(
            f"method={method!r} needs the gradient: jac=True (fun returns (f, g)) or a callable"
        )
    objective = _with_gradient(fun, jac)
    shape = tuple(x.shape)
    if method == "newton":
        step = _newton.step_function(hess, shape, args)  # type: ignore[arg-type]
        return _core.newton_minimize(
            objective, x.reshape(-1), list(shape), args, opts, step, callback,
            gradient_from=_gradient_from(jac),
        )  # fmt: skip
    products = hessp
    per_product = True
    if products is None and hess is not None:
        products, per_product = _newton.HessianProducts(hess, shape), False
    return _core.newton_cg_minimize(
        objective, x.reshape(-1), list(shape), args, opts, products, per_product, callback,
        gradient_from=_gradient_from(jac),
    )  # fmt: skip


def _result(x: np.ndarray, raw: dict[str, Any], *, newton: bool) -> OptimizeResult:
    status = int(raw["status"])
    result = OptimizeResult(
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
    if newton:
        result["nhev"] = int(raw["nhev"])
    return result
