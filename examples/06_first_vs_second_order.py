"""First vs second order: GD, L-BFGS, Newton and Newton-CG on logistic regression.

The problem is L2-regularised logistic regression on seeded synthetic data
(Gaussian features with scales from 0.2 to 2, labels ±1 drawn from a logistic
model),

    f(w) = mean(log(1 + exp(−y·Xw))) + λ‖w‖²,   λ = 1e-3,

with its gradient, Hessian ``XᵀDX/m + 2λI`` (D = diag(σ(z)(1 − σ(z))), m samples)
and Hessian-vector product. From w = 0, every method runs to ‖∇f‖∞ ≤ 1e-8:

* GD: ``fo.SGD`` with the fixed lr = 1/L, L = λ_max(XᵀX)/(4m) + 2λ the Lipschitz
  constant of ∇f, up to a cap on the steps;
* L-BFGS: ``fo.minimize`` (its default method, history 10);
* Newton: ``fo.minimize(method="newton", hess=...)``;
* Newton-CG: ``fo.minimize(method="newton-cg", hessp=...)``.

It prints iterations, function (and gradient) evaluations, Hessians or
Hessian-vector products and wall time per method, Newton's ‖g_{k+1}‖ / ‖g_k‖²
(bounded: quadratic convergence), and then the cost of a numerical gradient,
``fo.numerical_gradient`` (central differences) against the analytic one for
growing n = len(w), with the calls of f counted by a wrapper.

    python examples/06_first_vs_second_order.py [--quick] [--output DIR]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure

import fusedopt as fo

LAM, GTOL = 1e-3, 1e-8
QUADRATIC_WINDOW = (1e-7, 1e-2)  # ‖g_k‖∞ where ‖g_{k+1}‖ / ‖g_k‖² is measured (see below)


# ------------------------------------------------------------ the problem
@dataclass(frozen=True)
class Logistic:
    """L2-regularised logistic regression on (X, y), y = ±1."""

    X: np.ndarray
    y: np.ndarray

    def curvatures(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """z = y·Xw and σ(z)(1 − σ(z)), written with tanh so that nothing overflows."""
        z = self.y * (self.X @ w)
        return z, 0.25 * (1 - np.tanh(0.5 * z) ** 2)

    def loss(self, w: np.ndarray) -> float:
        z = self.y * (self.X @ w)
        return float(np.mean(np.logaddexp(0, -z))) + LAM * float(w @ w)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        z = self.y * (self.X @ w)
        p = 0.5 * (1 - np.tanh(0.5 * z))  # σ(−z)
        return -self.X.T @ (self.y * p) / len(self.y) + 2 * LAM * w

    def loss_and_gradient(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        return self.loss(w), self.gradient(w)

    def hess(self, w: np.ndarray) -> np.ndarray:
        s = self.curvatures(w)[1]
        return (self.X.T * s) @ self.X / len(self.y) + 2 * LAM * np.eye(self.X.shape[1])

    def hessp(self, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        s = self.curvatures(w)[1]
        return self.X.T @ (s * (self.X @ v)) / len(self.y) + 2 * LAM * v

    def lipschitz(self) -> float:
        """L of ∇f: σ(1 − σ) ≤ ¼, so H ≤ XᵀX/(4m) + 2λI."""
        return 0.25 * float(np.linalg.eigvalsh(self.X.T @ self.X / len(self.y))[-1]) + 2 * LAM


def make_problem(samples: int, features: int, seed: int = 0) -> Logistic:
    """Features with scales 0.2..2 (an ill-conditioned XᵀX), labels from a logistic model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, features)) * np.linspace(0.2, 2.0, features)
    w_true = 3 * rng.standard_normal(features) / np.sqrt(features)
    y = np.where(rng.random(samples) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    return Logistic(X, y)


# ------------------------------------------------------------ the solvers
def gradient_descent(problem: Logistic, max_steps: int) -> dict[str, Any]:
    """fo.SGD at lr = 1/L until ‖g‖∞ ≤ GTOL or ``max_steps``; ‖g_k‖∞ at every iterate."""
    w = np.zeros(problem.X.shape[1])
    opt = fo.SGD([w], lr=1 / problem.lipschitz())
    norms = []
    for _ in range(max_steps + 1):
        g = problem.gradient(w)
        norms.append(float(np.max(np.abs(g))))
        if norms[-1] <= GTOL or len(norms) > max_steps:
            break
        opt.step([g])
    return {"nit": len(norms) - 1, "nfev": len(norms), "nhev": 0, "norms": np.array(norms)}


def second_order(problem: Logistic, method: str, trace: bool) -> dict[str, Any]:
    """fo.minimize; with ``trace``, ‖g_k‖∞ at every iterate (recomputed in the callback)."""
    w0 = np.zeros(problem.X.shape[1])
    norms = [float(np.max(np.abs(problem.gradient(w0))))]
    extra = {"newton": {"hess": problem.hess}, "newton-cg": {"hessp": problem.hessp}}
    res = fo.minimize(
        problem.loss_and_gradient,
        w0,
        method=method,
        callback=(lambda wk: norms.append(float(np.max(np.abs(problem.gradient(wk))))))
        if trace
        else None,
        options={"gtol": GTOL, "ftol": 0.0},  # stop on the gradient only
        **extra.get(method, {}),
    )
    assert res.success, (method, res.message)
    return {"nit": res.nit, "nfev": res.nfev, "nhev": res.get("nhev", 0),
            "norms": np.array(norms)}  # fmt: skip


SOLVERS: dict[str, Callable[[Logistic, int, bool], dict[str, Any]]] = {
    "GD (lr = 1/L)": lambda p, cap, trace: gradient_descent(p, cap),
    "L-BFGS": lambda p, cap, trace: second_order(p, "lbfgs", trace),
    "Newton": lambda p, cap, trace: second_order(p, "newton", trace),
    "Newton-CG": lambda p, cap, trace: second_order(p, "newton-cg", trace),
}


def best_time(run: Callable[[], Any], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def quadratic_constants(norms: np.ndarray) -> np.ndarray:
    """‖g_{k+1}‖ / ‖g_k‖² for the ‖g_k‖ inside QUADRATIC_WINDOW.

    Below 1e-7, ‖g_k‖² < 1e-14 approaches the rounding floor of ‖g‖ and the ratio
    measures rounding; above 1e-2 Newton is still on its way to the fast region.
    """
    low, high = QUADRATIC_WINDOW
    k = np.flatnonzero((norms[:-1] >= low) & (norms[:-1] <= high))
    return norms[k + 1] / norms[k] ** 2


def compare_solvers(problem: Logistic, cap: int, repeats: int) -> dict[str, dict[str, Any]]:
    out = {}
    for name, solve in SOLVERS.items():
        run = solve(problem, cap, True)
        run["seconds"] = best_time(lambda s=solve: s(problem, cap, False), repeats)
        run["reached"] = bool(run["norms"][-1] <= GTOL)
        run["rate"] = float((run["norms"][-1] / run["norms"][0]) ** (1 / max(run["nit"], 1)))
        out[name] = run
    return out


# ------------------------------------------------------------ numerical gradients
class Counted:
    """``f`` with a count of its calls."""

    def __init__(self, f: Callable[[np.ndarray], float]) -> None:
        self.f, self.calls = f, 0

    def __call__(self, w: np.ndarray) -> float:
        self.calls += 1
        return self.f(w)


def gradient_cost(n: int, samples: int, repeats: int) -> dict[str, Any]:
    """At ``n`` features: the calls of f per numerical gradient, gradcheck's verdict, and
    the time of a numerical gradient, of the analytic one and of one f (a numerical
    gradient should cost about 2n of the last)."""
    problem = make_problem(samples, n, seed=1)
    w = 0.1 * np.random.default_rng(2).standard_normal(n)
    counted = Counted(problem.loss)
    fo.numerical_gradient(counted, w)
    check = fo.gradcheck(problem.loss, problem.gradient, w)
    return {
        "n": n, "calls": counted.calls, "gradcheck": bool(check), "rel_error": check.rel_error,
        "analytic_s": best_time(lambda: problem.gradient(w), 5 * repeats),
        "f_s": best_time(lambda: problem.loss(w), 5 * repeats),
        "numerical_s": best_time(lambda: fo.numerical_gradient(problem.loss, w), repeats),
    }  # fmt: skip


# ------------------------------------------------------------ figure and tables
def draw(plt: Any, res: dict[str, Any]) -> Any:
    fig = plt.figure(figsize=(19, 11))
    grid = fig.add_gridspec(2, 6)
    top = [fig.add_subplot(grid[0, 2 * i : 2 * i + 2]) for i in range(3)]
    bottom = [fig.add_subplot(grid[1, 3 * i : 3 * i + 3]) for i in range(2)]
    runs = res["runs"]
    styles = {name: {"color": f"C{k}", "marker": "o" if k else None, "ms": 4}
              for k, name in enumerate(runs)}  # fmt: skip
    zoom = int(1.2 * runs["L-BFGS"]["nit"])
    for name, run in runs.items():
        k = np.arange(len(run["norms"]))
        label = f"{name}: {run['nit']} it." + ("" if run["reached"] else " (cap)")
        top[0].semilogy(k[: zoom + 1], run["norms"][: zoom + 1], **styles[name], label=label)
        top[1].loglog(k + 1, run["norms"], **styles[name], label=label)
        top[2].loglog(run["norms"][:-1], run["norms"][1:], **styles[name], label=name)
    for ax in top[:2]:
        ax.axhline(GTOL, color="k", ls=":", lw=1, label=f"‖g‖∞ = {GTOL:g}")
        ax.set_ylabel("‖∇f(w_k)‖∞  (log scale)")
        ax.legend(fontsize=8)
    top[0].set(xlabel="iteration k", xlim=(0, zoom),
               title=f"First {zoom} iterations (linear axis)")  # fmt: skip
    top[1].set(xlabel="iteration k + 1  (log scale)", title="Every run to ‖g‖∞ ≤ 1e-8")
    g = np.logspace(-16, 0, 50)
    c = res["newton_C"]
    top[2].loglog(g, c * g**2, "k--", lw=1, label=f"‖g_k+1‖ = {c:.3g}·‖g_k‖²  (order 2)")
    top[2].loglog(g, g, "k:", lw=1, label="‖g_k+1‖ = ‖g_k‖  (no progress)")
    top[2].set(xlim=(1e-12, 1), ylim=(1e-16, 1), xlabel="‖g_k‖∞", ylabel="‖g_k+1‖∞",
               title="Order of convergence: slope 1 linear, slope 2 quadratic")  # fmt: skip
    top[2].legend(fontsize=8, loc="upper left")

    cost = res["gradient_cost"]
    n = np.array([r["n"] for r in cost])
    bottom[0].loglog(n, [r["calls"] for r in cost], "o-", label="calls of f per numerical gradient")
    bottom[0].loglog(n, 2 * n, "k--", lw=1, label="2n (central differences)")
    bottom[0].loglog(n, np.ones_like(n), "s-", label="analytic gradient: 1 call (f and ∇f)")
    bottom[0].set(xlabel="n = len(w)", ylabel="function evaluations",
                  title="Evaluations per gradient")  # fmt: skip
    bottom[1].loglog(n, [1e3 * r["numerical_s"] for r in cost], "o-",
                     label="fo.numerical_gradient")  # fmt: skip
    bottom[1].loglog(n, [2e3 * r["n"] * r["f_s"] for r in cost], "k--", lw=1,
                     label="2n × the time of one f")  # fmt: skip
    bottom[1].loglog(n, [1e3 * r["analytic_s"] for r in cost], "s-", label="analytic gradient")
    bottom[1].set(xlabel="n = len(w)", ylabel="ms per gradient (best of repeats)",
                  title=f"Time per gradient ({res['cost_samples']} samples)")  # fmt: skip
    for ax in bottom:
        ax.legend(fontsize=9)
    fig.suptitle(
        f"L2-regularised logistic regression ({res['samples']} samples, {res['features']} "
        f"features, λ = {LAM:g}): first vs second order, and numerical gradients"
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def report(res: dict[str, Any]) -> None:
    rows = [
        [name, r["nit"] if r["reached"] else f"> {r['nit']} (cap)", r["nfev"], r["nhev"],
         f"{1e3 * r['seconds']:.2f}", r["rate"], float(r["norms"][-1])]
        for name, r in res["runs"].items()
    ]  # fmt: skip
    print_table(
        "method | iterations | f, ∇f evaluations | Hessians or H·v | wall ms | "
        "mean ‖g‖ contraction per iteration | final ‖g‖∞",
        rows,
        f"To ‖∇f‖∞ ≤ {GTOL:g} from w = 0 ({res['samples']} × {res['features']}, "
        f"GD lr = 1/L = {res['lr']:.4g}, evaluates ∇f only; wall time: best of {res['repeats']})",
    )
    norms = res["runs"]["Newton"]["norms"]
    print_table(
        "k | ‖g_k‖∞ | ‖g_k+1‖ / ‖g_k‖ | ‖g_k+1‖ / ‖g_k‖²",
        [[k, float(norms[k]), float(norms[k + 1] / norms[k]),
          float(norms[k + 1] / norms[k] ** 2)] for k in range(len(norms) - 1)],
        "Newton's iterations",
    )  # fmt: skip
    low, high = QUADRATIC_WINDOW
    print(
        f"Newton: ‖g_k+1‖ ≤ C‖g_k‖² with C = {res['newton_C']:.3g} for {low:g} ≤ ‖g_k‖ ≤ {high:g}"
    )
    print_table(
        "n | calls of f | 2n | analytic ms | numerical ms | 2n × f ms | numerical / analytic | "
        "gradcheck",
        [[r["n"], r["calls"], 2 * r["n"], f"{1e3 * r['analytic_s']:.3f}",
          f"{1e3 * r['numerical_s']:.2f}", f"{2e3 * r['n'] * r['f_s']:.2f}",
          f"{r['numerical_s'] / r['analytic_s']:.0f}×",
          f"{'passed' if r['gradcheck'] else 'FAILED'} (rel. error {r['rel_error']:.1e})"]
         for r in res["gradient_cost"]],
        f"Numerical (central differences) vs analytic gradient, {res['cost_samples']} samples",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    samples, features, cap, repeats = (500, 20, 3_000, 1) if args.quick else (2_000, 50, 20_000, 5)
    sizes = (10, 30, 100) if args.quick else (10, 30, 100, 300, 1000)
    cost_samples = 200 if args.quick else 1_000
    problem = make_problem(samples, features)
    runs = compare_solvers(problem, cap, repeats)
    constants = quadratic_constants(runs["Newton"]["norms"])
    res = {
        "runs": runs, "samples": samples, "features": features, "repeats": repeats,
        "lr": 1 / problem.lipschitz(), "newton_C": float(constants.max()),
        "newton_constants": constants, "cost_samples": cost_samples,
        "gradient_cost": [gradient_cost(n, cost_samples, repeats) for n in sizes],
    }  # fmt: skip
    report(res)
    save_figure(lambda plt: draw(plt, res), args.output, "06_first_vs_second_order.png")
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
