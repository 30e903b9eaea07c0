"""Saddle points: gradient descent, gradient noise, momentum and Newton's method.

The function ``f(x, y) = x² − y² + y⁴/4`` has a saddle point at (0, 0) (Hessian
diag(2, −2)) and its two minimisers at (0, ±√2) (f = −1). Every method starts next
to the saddle, at (1, 10⁻⁶), and exactly on its attracting axis, at (1, 0), where
the gradient (2x, −2y + y³) has no y component:

* plain gradient descent (``fo.SGD``, lr 0.1, momentum 0, on a 2-element array);
* the same with Gaussian noise of standard deviation σ = 0.01 added to each
  gradient component (a stand-in for mini-batch noise; seeded);
* gradient descent with momentum 0.9 (``fo.SGD``, lr 0.1);
* Newton's method with Hessian modification, ``fo.minimize(method="newton",
  hess=...)``: Cholesky of H + τI and a curvilinear search along the direction of
  negative curvature (see ``fusedopt.newton``);
* for contrast, Newton's method *without* modification, x ← x − H⁻¹∇f (three
  lines of NumPy), which is attracted by any stationary point.

"Escaped" means |y| > 0.5 (f is concave in y, the saddle's direction of descent,
for |y| < √(2/3) ≈ 0.82). The script counts the steps (iterations for Newton) to escape,
says where each run ends, and draws the paths on the contour plot and |y| against
the step on a log scale.

    python examples/02_saddle.py [--quick] [--output DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure

import fusedopt as fo

LR, MOMENTUM, NOISE = 0.1, 0.9, 0.01
ESCAPE = 0.5  # |y| above which a run has left the saddle
STARTS = {"(1, 1e-6)": (1.0, 1e-6), "(1, 0)": (1.0, 0.0)}
STATIONARY = {
    "minimiser (0, √2)": (0.0, np.sqrt(2.0)),
    "minimiser (0, −√2)": (0.0, -np.sqrt(2.0)),
    "saddle (0, 0)": (0.0, 0.0),
}
FLOOR = 1e-12  # |y| below this (or exactly 0) is drawn on the floor of the log axis


def f(p: np.ndarray) -> float:
    x, y = p
    return float(x * x - y * y + y**4 / 4)


def grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([2 * x, -2 * y + y**3])


def hess(p: np.ndarray) -> np.ndarray:
    return np.array([[2.0, 0.0], [0.0, -2.0 + 3.0 * p[1] ** 2]])


# ------------------------------------------------------------ the methods
def first_order(
    start: tuple[float, float], steps: int, momentum: float = 0.0, seed: int | None = None
) -> np.ndarray:
    """The path of fo.SGD from ``start``; with ``seed``, N(0, NOISE²) added to each gradient."""
    p = np.array(start)
    opt = fo.SGD([p], lr=LR, momentum=momentum)
    rng = np.random.default_rng(seed) if seed is not None else None
    path = [p.copy()]
    for _ in range(steps):
        g = grad(p)
        if rng is not None:
            g += NOISE * rng.standard_normal(2)
        opt.step([g])
        path.append(p.copy())
    return np.array(path)


def newton_modified(start: tuple[float, float], steps: int) -> dict[str, Any]:
    """fo.minimize(method="newton"), summarised, with its path (one point per iteration)."""
    path = [np.array(start)]
    res = fo.minimize(
        lambda p: (f(p), grad(p)),
        start,
        method="newton",
        hess=hess,
        callback=lambda xk: path.append(xk.copy()),
        options={"gtol": 1e-10, "max_iter": steps},
    )
    return summarise(np.array(path), nit=res.nit, nfev=res.nfev, success=res.success)


def newton_unmodified(start: tuple[float, float], steps: int) -> np.ndarray:
    """x ← x − H⁻¹∇f with the indefinite H as it is (stops once the gradient vanishes)."""
    p = np.array(start)
    path = [p.copy()]
    for _ in range(steps):
        g = grad(p)
        if not np.any(g):
            break
        p = p - np.linalg.solve(hess(p), g)
        path.append(p.copy())
    return np.array(path)


# ------------------------------------------------------------ measuring a path
def steps_to_escape(path: np.ndarray) -> int | None:
    hits = np.flatnonzero(np.abs(path[:, 1]) > ESCAPE)
    return int(hits[0]) if hits.size else None


def where(p: np.ndarray) -> tuple[str, float]:
    """The nearest stationary point and the distance to it."""
    dist = {name: float(np.hypot(*(p - point))) for name, point in STATIONARY.items()}
    name = min(dist, key=dist.__getitem__)
    return name, dist[name]


def summarise(path: np.ndarray, **extra: Any) -> dict[str, Any]:
    end, dist = where(path[-1])
    return {"path": path, "ran": len(path) - 1, "escape": steps_to_escape(path), "end": end,
            "distance": dist, "f_end": f(path[-1]), **extra}  # fmt: skip


def noise_escapes(start: tuple[float, float], steps: int, seeds: int) -> np.ndarray:
    """Steps to escape of noisy GD over ``seeds`` seeds (-1: did not escape)."""
    out = [steps_to_escape(first_order(start, steps, seed=s)) for s in range(seeds)]
    return np.array([-1 if e is None else e for e in out])


def experiment(quick: bool) -> dict[str, Any]:
    steps, seeds = (200, 20) if quick else (400, 200)
    methods: dict[str, Callable[[tuple[float, float]], dict[str, Any]]] = {
        "GD": lambda s: summarise(first_order(s, steps)),
        f"GD + noise σ = {NOISE:g}": lambda s: summarise(first_order(s, steps, seed=0)),
        f"momentum {MOMENTUM:g}": lambda s: summarise(first_order(s, steps, MOMENTUM)),
        "Newton, modified": lambda s: newton_modified(s, steps),
        "Newton, unmodified": lambda s: summarise(newton_unmodified(s, steps)),
    }
    runs = {start: {m: run(STARTS[start]) for m, run in methods.items()} for start in STARTS}
    noisy = {start: noise_escapes(STARTS[start], steps, seeds) for start in STARTS}
    return {"runs": runs, "noise_escapes": noisy, "steps": steps, "seeds": seeds}


# ------------------------------------------------------------ figure and table
def draw(plt: Any, res: dict[str, Any]) -> Any:
    from matplotlib.lines import Line2D

    fig = plt.figure(figsize=(15, 14))
    grid = fig.add_gridspec(2, 2, height_ratios=(1.25, 1))
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    gx, gy = np.meshgrid(np.linspace(-1.3, 1.3, 300), np.linspace(-2.3, 2.3, 300))
    fz = gx**2 - gy**2 + gy**4 / 4
    names = list(next(iter(res["runs"].values())))
    colors = {m: f"C{k}" for k, m in enumerate(names)}
    widths = {names[0]: 4.0, names[2]: 2.5}  # GD and momentum under the thinner lines

    def style(m: str) -> dict[str, Any]:
        newton = m.startswith("Newton")
        return {"color": colors[m], "lw": widths.get(m, 1.3), "marker": "o" if newton else None,
                "ms": 4}  # fmt: skip

    for ax, (start, runs) in zip(axes[:2], res["runs"].items()):
        ax.contour(gx, gy, fz, levels=np.linspace(-1, 4, 21), colors="0.75", linewidths=0.7)
        ax.axhspan(-ESCAPE, ESCAPE, color="0.93", zorder=0)
        for m, r in runs.items():
            ax.plot(*r["path"].T, **style(m), label=f"{m}: {_escape_text(r)}")
        ax.plot(*STARTS[start], "ks", ms=7, label="start")
        ax.plot([0, 0], [np.sqrt(2), -np.sqrt(2)], "k*", ms=12, label="minimisers (0, ±√2)")
        ax.plot(0, 0, "kx", ms=10, mew=2, label="saddle (0, 0)")
        ax.set(xlim=(-1.3, 1.3), ylim=(-2.3, 2.3), xlabel="x", ylabel="y",
               title=f"Paths from {start} (grey band: |y| ≤ {ESCAPE})")  # fmt: skip
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    ax = axes[2]
    for start, ls in zip(res["runs"], ("-", "--")):
        for m, r in res["runs"][start].items():
            y = np.maximum(np.abs(r["path"][:, 1]), FLOOR)
            ax.semilogy(np.arange(len(y)), y, ls=ls, **style(m))
    ax.axhline(ESCAPE, color="k", ls=":", lw=1)
    ax.text(12, ESCAPE / 3, f"escaped: |y| > {ESCAPE}", fontsize=9)
    ax.text(12, FLOOR * 3, f"floor: |y| = 0 exactly, or below {FLOOR:g}", fontsize=9)
    ax.set_xscale("symlog", linthresh=10)
    ax.set(xlim=(0, res["steps"]), ylim=(FLOOR / 3, 10), xlabel="step (iteration for Newton)",
           ylabel="|y|  (log scale)", title="Distance from the attracting axis y = 0")  # fmt: skip
    handles = [Line2D([], [], **style(m), label=m) for m in names]
    handles += [Line2D([], [], color="k", ls=ls, label=f"from {start}")
                for start, ls in zip(res["runs"], ("-", "--"))]  # fmt: skip
    ax.legend(handles=handles, fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle("f(x, y) = x² − y² + y⁴/4 near its saddle (0, 0): "
                 f"lr {LR} for GD and momentum; steps on a symlog axis")  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _escape_text(r: dict[str, Any]) -> str:
    return "never escapes" if r["escape"] is None else f"escapes at step {r['escape']}"


def report(res: dict[str, Any]) -> None:
    rows = [
        [start, m, r["escape"] if r["escape"] is not None else "never",
         r["ran"], r["end"], r["distance"], r["f_end"]]
        for start, runs in res["runs"].items()
        for m, r in runs.items()
    ]  # fmt: skip
    print_table(
        "start | method | steps to escape | steps run | ends at | distance to it | f at the end",
        rows,
        f"Steps until |y| > {ESCAPE} (first order: {res['steps']} steps; Newton: iterations until "
        "‖∇f‖∞ ≤ 1e-10, or ∇f = 0 exactly)",
    )
    stats = []
    for start, e in res["noise_escapes"].items():
        ok = e[e >= 0]
        stats.append([start, f"{ok.size}/{e.size}", int(np.median(ok)), int(ok.min()),
                      int(ok.max())])  # fmt: skip
    print_table(
        "start | seeds that escape | median steps | min | max",
        stats,
        f"GD + noise σ = {NOISE:g} over {res['seeds']} seeds",
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    res = experiment(args.quick)
    report(res)
    save_figure(lambda plt: draw(plt, res), args.output, "02_saddle.png")
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
