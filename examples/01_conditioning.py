"""Ill-conditioning: GD, momentum, Nesterov, RMSprop and Adam on two 2-D problems.

Problems (deterministic gradients, so SGD is plain gradient descent here):

* a quadratic ``f(x) = ½ xᵀAx`` whose Hessian ``A`` has eigenvalues 1 and 100
  (condition number 100), rotated by 30° so that its axes are not the coordinate
  axes (per-coordinate step sizes, as in RMSprop and Adam, cannot undo the rotation);
* the Rosenbrock function ``(1 − x)² + 100 (y − x²)²`` from (−1.2, 1).

Each method runs at every learning rate of a small grid; the script keeps, per method
and problem, the learning rate that reaches ``f − f* ≤ tol`` in the fewest steps
(or, if none does, the lowest final ``f − f*``) without diverging. It prints the
chosen learning rates and the steps to the tolerance, and draws the paths on the
contour plot and ``f − f*`` against the step.

    python examples/01_conditioning.py [--quick] [--output DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure

import fusedopt as fo

MOMENTUM = 0.9
Optimizer = Callable[[np.ndarray, float], Any]
METHODS: dict[str, Optimizer] = {
    "GD": lambda x, lr: fo.SGD([x], lr=lr),
    "momentum": lambda x, lr: fo.SGD([x], lr=lr, momentum=MOMENTUM),
    "Nesterov": lambda x, lr: fo.SGD([x], lr=lr, momentum=MOMENTUM, nesterov=True),
    "RMSprop": lambda x, lr: fo.RMSprop([x], lr=lr),
    "Adam": lambda x, lr: fo.Adam([x], lr=lr),
}


@dataclass(frozen=True)
class Problem:
    """A 2-D objective with its gradient, minimum value, start and tolerance."""

    name: str
    title: str
    f: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    x0: tuple[float, float]
    x_min: tuple[float, float]
    f_min: float
    tol: float
    max_steps: int
    box: tuple[float, float, float, float]  # x0, x1, y0, y1 of the contour plot


def rotated_quadratic(condition: float = 100.0, degrees: float = 30.0) -> np.ndarray:
    """The Hessian ``R diag(1, condition) Rᵀ`` with ``R`` a rotation by ``degrees``."""
    a = np.deg2rad(degrees)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return rotation @ np.diag([1.0, condition]) @ rotation.T


def problems(quick: bool) -> list[Problem]:
    hessian = rotated_quadratic()

    def rosen(x: np.ndarray) -> float:
        return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)

    def rosen_grad(x: np.ndarray) -> np.ndarray:
        inner = x[1] - x[0] ** 2
        return np.array([-2 * (1 - x[0]) - 400 * x[0] * inner, 200 * inner])

    return [
        Problem(
            "quadratic",
            "quadratic, κ = 100, rotated 30°",
            lambda x: float(0.5 * x @ hessian @ x),
            lambda x: hessian @ x,
            (-2.0, 1.5),
            (0.0, 0.0),
            0.0,
            1e-8,
            2_000 if quick else 5_000,
            (-2.6, 2.6, -2.6, 2.0),
        ),
        Problem(
            "rosenbrock",
            "Rosenbrock",
            rosen,
            rosen_grad,
            (-1.2, 1.0),
            (1.0, 1.0),
            0.0,
            1e-6,
            2_000 if quick else 20_000,
            (-1.6, 1.7, -0.6, 2.4),
        ),
    ]


def learning_rates(quick: bool) -> list[float]:
    """A 1-2-5 grid from 1e-4 to 1 (1-3 in --quick)."""
    mantissas = (1.0, 3.0) if quick else (1.0, 2.0, 5.0)
    return [m * 10.0**e for e in range(-4, 1) for m in mantissas if m * 10.0**e <= 1.0]


def run(problem: Problem, method: str, lr: float) -> tuple[np.ndarray, np.ndarray]:
    """``f − f*`` at every step and the path, until ``tol``, divergence or ``max_steps``."""
    x = np.array(problem.x0, dtype=np.float64)
    opt = METHODS[method](x, lr)
    gap0 = problem.f(x) - problem.f_min
    gaps, path = [gap0], [x.copy()]
    for _ in range(problem.max_steps):
        opt.step([problem.grad(x)])
        gap = problem.f(x) - problem.f_min
        gaps.append(gap)
        path.append(x.copy())
        if gap <= problem.tol or not gap < 1e3 * gap0:  # reached, or diverged (or NaN)
            break
    return np.array(gaps), np.array(path)


def steps_to_tol(gaps: np.ndarray, tol: float) -> int | None:
    hits = np.flatnonzero(gaps <= tol)
    return int(hits[0]) if hits.size else None


def best_run(problem: Problem, method: str, grid: Sequence[float]) -> dict[str, Any]:
    """The learning rate from ``grid`` with the fewest steps to ``tol`` (else lowest gap)."""
    best: dict[str, Any] | None = None
    for lr in grid:
        gaps, path = run(problem, method, lr)
        if not np.isfinite(gaps[-1]) or gaps[-1] > gaps[0]:
            continue  # unstable at this learning rate
        steps = steps_to_tol(gaps, problem.tol)
        key = (0, steps) if steps is not None else (1, gaps[-1])
        if best is None or key < best["key"]:
            best = {"key": key, "lr": lr, "steps": steps, "gaps": gaps, "path": path}
    assert best is not None, f"{method} is unstable on {problem.name} at every learning rate"
    best["final_gap"] = float(best["gaps"][-1])
    del best["key"]
    return best


def draw(plt: Any, problem_list: list[Problem], results: dict[str, dict[str, Any]]) -> Any:
    fig, axes = plt.subplots(2, len(problem_list), figsize=(6.5 * len(problem_list), 10))
    colors = dict(zip(METHODS, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for column, problem in enumerate(problem_list):
        top, bottom = axes[0, column], axes[1, column]
        x0, x1, y0, y1 = problem.box
        gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        fz = np.vectorize(lambda a, b, p=problem: p.f(np.array([a, b])))(gx, gy)
        levels = np.logspace(np.log10(max(fz.min(), 1e-3)), np.log10(fz.max()), 18)
        top.contour(gx, gy, fz, levels=levels, colors="0.75", linewidths=0.7)
        for method, res in results[problem.name].items():
            label = f"{method} (lr {res['lr']:g})"
            top.plot(
                *res["path"].T,
                "-",
                color=colors[method],
                lw=3 if method == "GD" else 1.2,
                label=label,
            )
            steps = np.arange(len(res["gaps"]))
            bottom.semilogy(
                steps, np.maximum(res["gaps"], 1e-300), color=colors[method], label=label
            )
        top.plot(*problem.x0, "ko", ms=5, label="start")
        top.plot(*problem.x_min, "k*", ms=10, label="minimum")
        top.set(
            xlim=(x0, x1),
            ylim=(y0, y1),
            xlabel="x₁",
            ylabel="x₂",
            title=f"{problem.title}: paths at each method's best lr",
        )
        top.legend(fontsize=8, loc="lower right")
        bottom.axhline(problem.tol, color="k", ls=":", lw=1, label=f"tolerance {problem.tol:g}")
        bottom.set(
            xlabel="step",
            ylabel="f(x) − f*  (log scale)",
            title=f"{problem.title}: loss",
            ylim=(problem.tol * 1e-2, None),
        )
        bottom.set_xscale("symlog", linthresh=10)
        bottom.set_xlim(left=0)
        bottom.legend(fontsize=8)
    fig.suptitle("Conditioning: fusedopt optimizers on 2-D problems (steps on a symlog axis)")
    fig.tight_layout()
    return fig


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    grid = learning_rates(args.quick)
    problem_list = problems(args.quick)
    results = {p.name: {m: best_run(p, m, grid) for m in METHODS} for p in problem_list}
    rows = [
        [
            p.title,
            m,
            r["lr"],
            r["steps"] if r["steps"] is not None else f"> {p.max_steps}",
            r["final_gap"],
        ]
        for p in problem_list
        for m, r in results[p.name].items()
    ]
    print(f"learning-rate grid: {', '.join(f'{lr:g}' for lr in grid)}; momentum {MOMENTUM}")
    print_table(
        "problem | method | best lr | steps to tol | final f − f*",
        rows,
        "Steps to reach f − f* ≤ tol (1e-8 quadratic, 1e-6 Rosenbrock)",
    )
    save_figure(lambda plt: draw(plt, problem_list, results), args.output, "01_conditioning.png")
    return {
        name: {m: {k: r[k] for k in ("lr", "steps", "final_gap")} for m, r in per.items()}
        for name, per in results.items()
    }


if __name__ == "__main__":
    main(sys.argv[1:])
