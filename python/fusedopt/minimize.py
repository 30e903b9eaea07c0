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
from types import MappingProxyType
from typing import Any

import numpy as np

from . import _core
from . import newton as _newton
from .gradcheck import numerical_gradient

__all__ = ["METHODS", "STATUS_MESSAGES", "OptimizeResult", "minimize"]

#: The methods by canonical name.
METHODS = ("lbfgs", "newton", "newton-cg")

#: Every accepted spelling of ``method`` (compared in lower case): fusedopt's and
#: scipy's names. "L-BFGS-B" is L-BFGS without bounds (fusedopt has no bounds).
METHOD_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "lbfgs": "lbfgs",
        "l-bfgs": "lbfgs",
        "l-bfgs-b": "lbfgs",
        "newton": "newton",
        "newton-cg": "newton-cg",
    }
)

#: status code -> meaning, from the C++ core; ``success`` is True for 0 and 1.
STATUS_MESSAGES: Mapping[int, str] = MappingProxyType(_core.status_messages())

#: Each method's options and their defaults, from the C++ core (which also checks them).
METHOD_OPTIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {method: MappingProxyType(_core.solver_defaults(method)) for method in METHODS}
)


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


def _check_method(method: Any, l1: Any, hess: Any, hessp: Any) -> str:
    """The canonical method name; raises on a combination that cannot work."""
    canonical = METHOD_NAMES.get(method.lower()) if isinstance(method, str) else None
    if canonical is None:
        raise ValueError(
            "method must be 'lbfgs' (or scipy's 'L-BFGS-B', 'L-BFGS'), 'newton' or "
            f"'newton-cg' (scipy's 'Newton-CG'), in any case; got {method!r}"
        )
    method = canonical
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
    if not _is_default(l1, 0.0):
        raise ValueError(
            f"l1={l1!r} is not supported by method={method!r} (f + l1·|x|_1 is not twice "
            "differentiable): use method='lbfgs' (OWL-QN)"
        )
    if method == "newton":
        if hess is None:
            raise ValueError("method='newton' needs hess(x, *args) returning the (n, n) Hessian")
        if hessp is not None:
            raise ValueError("method='newton' uses hess; hessp is for method='newton-cg'")
    return method


def _is_default(value: Any, default: float) -> bool:
    """Whether an argument only L-BFGS reads was left at its default (or given equal)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and value == default


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
        Case-insensitive; scipy's names work too: "L-BFGS-B" and "L-BFGS" are
        "lbfgs" (fusedopt has no bounds), "Newton-CG" is "newton-cg". See
        :data:`METHOD_NAMES`.
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
        Keys not valid for the method are an error. The defaults are
        :data:`METHOD_OPTIONS` (read from the C++ core, which checks every
        option).
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
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping or None, got {type(options).__name__}")
    opts = dict(options or {})  # the core reads and checks the options
    method = _check_method(method, l1, hess, hessp)
    x = np.asarray(x0)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x0 must be a real array, got dtype {x.dtype}")
    x = np.array(x, dtype=np.float64, order="C", copy=True)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 contains NaN or inf")
    if method == "lbfgs":
        raw = _core.lbfgs_minimize(
            _with_gradient(fun, jac), x.reshape(-1), list(x.shape), args, opts, l1, step_scale,
            callback, gradient_from=_gradient_from(jac),
        )  # fmt: skip
    else:
        if not _is_default(step_scale, 1.0):
            raise ValueError(
                f"step_scale is an L-BFGS option, not valid with method={method!r}; got "
                f"{step_scale!r}"
            )
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
        success=bool(raw["success"]),
        message=str(raw["message"]),
    )
    if newton:
        result["nhev"] = int(raw["nhev"])
    return result
