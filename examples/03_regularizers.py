"""Regularizers fused into the step: exact zeros, the Lasso path, and bounded weights.

Full-batch gradient descent (``fo.SGD``, lr = 1/L with L the data loss's Lipschitz
constant) on seeded synthetic data, with each of the penalties

    none | L2 | L1 (subgradient) | L1 (proximal, i.e. ISTA) | elastic net (proximal)

on two problems with sparse true weights (6 of 60 nonzero):

* least squares, ``(1/2n)‖y − Xw‖² + R(w)``: scikit-learn's Lasso minimises
  ``(1/2n)‖y − Xw‖² + α‖w‖₁``, which is this objective with ``fo.L1(lam=α)``;
  its ElasticNet ``(1/2n)‖y − Xw‖² + α·r‖w‖₁ + ½α(1 − r)‖w‖²`` equals
  ``fo.ElasticNet(lam, a)`` for ``α = lam(2 − a)``, ``r = a / (2 − a)``;
  L2 is compared with the ridge normal equations, no penalty with least squares;
* logistic regression, ``mean(log(1 + exp(−y·Xw))) + R(w)``, compared with
  ``fo.minimize`` (L-BFGS, or OWL-QN with ``l1=`` for the L1 part).

It counts exact zeros and compares the support (the nonzero coordinates) with the
reference, traces the Lasso regularisation path over λ against scikit-learn, and,
on linearly separable data, follows ‖w‖ of logistic regression with and without L2.

    python examples/03_regularizers.py [--quick] [--output DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure
from sklearn.linear_model import ElasticNet, Lasso

import fusedopt as fo

N_FEATURES, N_INFORMATIVE = 60, 6
LAM = {"linear": 0.05, "logistic": 0.01}  # strength of every penalty, per problem
EN_ALPHA = 0.5  # elastic net: share of the L1 part
PENALTIES: dict[str, Callable[[float], fo.Regularizer | None]] = {
    "none": lambda lam: None,
    "L2": fo.L2,
    "L1 subgradient": fo.L1,
    "L1 proximal": lambda lam: fo.L1(lam, proximal=True),
    "elastic net proximal": lambda lam: fo.ElasticNet(lam, alpha=EN_ALPHA, proximal=True),
}
Loss = Callable[[np.ndarray], tuple[float, np.ndarray]]


# ------------------------------------------------------------ data and losses
def sparse_problem(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian features and a true weight vector with N_INFORMATIVE entries ±(1..2)."""
    X = rng.standard_normal((n, N_FEATURES))
    w_true = np.zeros(N_FEATURES)
    idx = rng.choice(N_FEATURES, N_INFORMATIVE, replace=False)
    w_true[idx] = rng.choice([-1, 1], N_INFORMATIVE) * rng.uniform(1, 2, N_INFORMATIVE)
    return X, w_true


def least_squares(X: np.ndarray, y: np.ndarray) -> Loss:
    n = len(y)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        r = X @ w - y
        return 0.5 * float(r @ r) / n, X.T @ r / n

    return loss


def logistic(X: np.ndarray, y: np.ndarray) -> Loss:
    """Mean logistic loss for labels y = ±1."""
    n = len(y)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = y * (X @ w)
        p = 0.5 * (1 - np.tanh(0.5 * z))  # sigmoid(−z) without overflow
        return float(np.mean(np.logaddexp(0, -z))), -X.T @ (y * p) / n

    return loss


def lipschitz(X: np.ndarray, curvature: float) -> float:
    """L of the data loss's gradient: curvature · λ_max(XᵀX) / n (1 squares, ¼ logistic)."""
    return curvature * float(np.linalg.eigvalsh(X.T @ X / len(X))[-1])


def gradient_descent(
    loss: Loss,
    w: np.ndarray,
    lr: float,
    regularizer: fo.Regularizer | None,
    max_steps: int,
    tol: float = 0.0,
) -> tuple[int, np.ndarray]:
    """Fused fo.SGD steps on ``w`` (in place) until max|Δw| < ``tol`` or ``max_steps``.

    Returns the number of steps taken and ‖w‖ after each step.
    """
    opt = fo.SGD([w], lr=lr, regularizer=regularizer)
    norms = np.empty(max_steps)
    for step in range(max_steps):
        before = w.copy()
        opt.step([loss(w)[1]])
        norms[step] = np.linalg.norm(w)
        if np.max(np.abs(w - before)) < tol:
            return step + 1, norms[: step + 1]
    return max_steps, norms


# ------------------------------------------------------------ references
def reference_linear(X: np.ndarray, y: np.ndarray, penalty: str, lam: float) -> np.ndarray:
    n = len(y)
    if penalty == "none":
        return np.linalg.lstsq(X, y, rcond=None)[0]
    if penalty == "L2":  # ∇ = Xᵀ(Xw − y)/n + 2λw = 0
        return np.linalg.solve(X.T @ X / n + 2 * lam * np.eye(X.shape[1]), X.T @ y / n)
    if penalty.startswith("L1"):
        model = Lasso(alpha=lam, fit_intercept=False, tol=1e-12, max_iter=100_000)
    else:
        a = EN_ALPHA
        model = ElasticNet(
            alpha=lam * (2 - a),
            l1_ratio=a / (2 - a),
            fit_intercept=False,
            tol=1e-12,
            max_iter=100_000,
        )
    return model.fit(X, y).coef_


def reference_logistic(loss: Loss, penalty: str, lam: float) -> np.ndarray:
    """fo.minimize (OWL-QN for the L1 part) on the same objective."""
    l1 = {"none": 0.0, "L2": 0.0}.get(penalty, lam * (EN_ALPHA if "elastic" in penalty else 1))
    l2 = {"L2": lam, "elastic net proximal": lam * (1 - EN_ALPHA)}.get(penalty, 0.0)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = loss(w)
        return f + l2 * float(w @ w), g + 2 * l2 * w

    options = {"gtol": 1e-12, "ftol": 0.0, "max_iter": 20_000}
    return fo.minimize(objective, np.zeros(N_FEATURES), l1=l1, options=options).x


# ------------------------------------------------------------ experiments
def compare_penalties(
    loss: Loss, lr: float, lam: float, steps: int, reference: Callable[[str], np.ndarray]
) -> dict[str, dict[str, Any]]:
    """Exact zeros, support and distance to the reference solution for every penalty."""
    out = {}
    for name, make in PENALTIES.items():
        w = np.zeros(N_FEATURES)
        gradient_descent(loss, w, lr, make(lam), steps)
        ref = reference(name)
        out[name] = {
            "w": w,
            "zeros": int(np.sum(w == 0.0)),
            "support": int(np.sum(w != 0.0)),
            "reference_zeros": int(np.sum(ref == 0.0)),
            "same_support": bool(np.array_equal(w != 0.0, ref != 0.0)),
            "max_abs_diff": float(np.max(np.abs(w - ref))),
        }
    return out


def lasso_path(X: np.ndarray, y: np.ndarray, n_lams: int, max_steps: int) -> dict[str, np.ndarray]:
    """ISTA (fo.L1 proximal), warm-started down a λ grid, against sklearn's Lasso."""
    loss, lr = least_squares(X, y), 1.0 / lipschitz(X, 1.0)
    lam_max = float(np.max(np.abs(X.T @ y))) / len(y)  # smallest λ with w = 0
    lams = lam_max * np.logspace(-0.05, -2.5, n_lams)
    w = np.zeros(N_FEATURES)
    ours, theirs, steps_used = [], [], []
    sk = Lasso(fit_intercept=False, tol=1e-12, max_iter=100_000, warm_start=True)
    for lam in lams:
        steps, _ = gradient_descent(loss, w, lr, fo.L1(lam, proximal=True), max_steps, 1e-12)
        ours.append(w.copy())
        steps_used.append(steps)
        theirs.append(sk.set_params(alpha=lam).fit(X, y).coef_.copy())
    ours_a, theirs_a = np.array(ours), np.array(theirs)
    return {
        "lams": lams,
        "fusedopt": ours_a,
        "sklearn": theirs_a,
        "steps": np.array(steps_used),
        "same_support": np.all((ours_a != 0) == (theirs_a != 0), axis=1),
    }


def separable_norms(rng: np.random.Generator, n: int, steps: int, lam: float) -> dict[str, Any]:
    """‖w‖ per step of logistic regression on linearly separable data, without and with L2."""
    X = rng.standard_normal((4 * n, 2))
    w_star = np.array([1.0, 1.0]) / np.sqrt(2)
    X = X[np.abs(X @ w_star) > 0.3][:n]  # a margin of 0.3 around the separating line
    y = np.sign(X @ w_star)
    loss, lr = logistic(X, y), 1.0 / lipschitz(X, 0.25)
    return {
        name: gradient_descent(loss, np.zeros(2), lr, reg, steps)[1]
        for name, reg in (("none", None), ("L2", fo.L2(lam)))
    }


# ------------------------------------------------------------ figure
def draw(plt: Any, results: dict[str, Any]) -> Any:
    fig = plt.figure(figsize=(19, 12))
    grid = fig.add_gridspec(
        3, len(PENALTIES), height_ratios=[1, 1, 1.4], hspace=0.45, top=0.93, bottom=0.05
    )
    for row, problem in enumerate(("linear", "logistic")):
        for col, (name, res) in enumerate(results[problem].items()):
            ax = fig.add_subplot(grid[row, col])
            w = res["w"]
            # log10|w| separates exact zeros from merely tiny weights; zeros get their own bar
            logs = np.clip(np.log10(np.abs(w[w != 0])), -6, 1)
            ax.hist(logs, bins=28, range=(-6, 1), color="C0", label="nonzero")
            ax.bar(-7.6, res["zeros"], width=0.5, color="C3", label=f"exact 0: {res['zeros']}")
            ax.set_xticks([-7.6, -6, -4, -2, 0], ["0", "1e-6", "1e-4", "0.01", "1"])
            ax.set(
                ylim=(0, N_FEATURES),
                xlim=(-8.2, 1.3),
                xlabel="|weight| (log scale)",
                ylabel="count",
                title=f"{problem}: {name}",
            )
            ax.legend(fontsize=8, loc="upper left")
    path = results["path"]
    ax = fig.add_subplot(grid[2, :3])
    for j in range(N_FEATURES):
        ax.plot(path["lams"], path["fusedopt"][:, j], "-", lw=1.2, color=f"C{j % 10}")
        ax.plot(path["lams"], path["sklearn"][:, j], "o", ms=3, mfc="none", color=f"C{j % 10}")
    ax.plot([], [], "k-", label="fusedopt: fo.SGD + fo.L1(λ, proximal=True)")
    ax.plot([], [], "ko", mfc="none", ms=4, label="scikit-learn Lasso(alpha=λ)")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set(
        xlabel="λ (log scale, decreasing)",
        ylabel="coefficient",
        title="Lasso regularisation path (least squares)",
    )
    ax.legend(fontsize=9)
    ax = fig.add_subplot(grid[2, 3:])
    for name, norms in results["separable"].items():
        ax.plot(np.arange(1, len(norms) + 1), norms, label=f"penalty: {name}")
    ax.set_xscale("log")
    ax.set(xlabel="step (log scale)", ylabel="‖w‖", title="Logistic regression on separable data")
    ax.legend()
    fig.suptitle("Regularizers in fusedopt: exact zeros from proximal L1, bounded weights from L2")
    return fig


# ------------------------------------------------------------ main
def run(quick: bool) -> dict[str, Any]:
    steps = 2_000 if quick else 10_000
    rng = np.random.default_rng(0)
    X, w_true = sparse_problem(rng, 200)
    y = X @ w_true + 0.5 * rng.standard_normal(len(X))
    Xc, wc = sparse_problem(rng, 400)
    yc = np.where(rng.random(len(Xc)) < 1 / (1 + np.exp(-Xc @ wc)), 1.0, -1.0)
    squares, logloss = least_squares(X, y), logistic(Xc, yc)
    lam, lam_c = LAM["linear"], LAM["logistic"]
    return {
        "steps": steps,
        "linear": compare_penalties(
            squares, 1 / lipschitz(X, 1.0), lam, steps, lambda p: reference_linear(X, y, p, lam)
        ),
        "logistic": compare_penalties(
            logloss,
            1 / lipschitz(Xc, 0.25),
            lam_c,
            steps,
            lambda p: reference_logistic(logloss, p, lam_c),
        ),
        "path": lasso_path(X, y, 6 if quick else 12, 5_000),
        "separable": separable_norms(rng, 100, 2_000 if quick else 50_000, 1e-3),
    }


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def report(results: dict[str, Any]) -> None:
    rows = []
    for problem in ("linear", "logistic"):
        for name, r in results[problem].items():
            same = yes_no(r["same_support"])
            rows.append([problem, name, LAM[problem], r["zeros"], r["reference_zeros"], same,
                         r["max_abs_diff"]])  # fmt: skip
    print_table(
        "problem | penalty | λ | exact zeros (of 60) | reference's zeros | same support | "
        "‖w − w_ref‖∞",
        rows,
        f"Exact zeros after {results['steps']} steps (references: least squares, ridge, "
        "sklearn Lasso / ElasticNet; logistic: fo.minimize)",
    )
    path = results["path"]
    rows = []
    for lam, steps, ours, theirs, same in zip(path["lams"], path["steps"], path["fusedopt"],
                                              path["sklearn"], path["same_support"]):  # fmt: skip
        diff = float(np.max(np.abs(ours - theirs)))
        rows.append([lam, int(steps), int(np.sum(ours != 0)), int(np.sum(theirs != 0)),
                     yes_no(same), diff])  # fmt: skip
    print_table(
        "λ | steps | nonzeros (fusedopt) | nonzeros (sklearn) | same support | ‖w − w_sklearn‖∞",
        rows,
        "Lasso path: ISTA with fo.L1(λ, proximal=True), warm-started, vs sklearn Lasso",
    )
    norms = results["separable"]
    marks = [len(norms["none"]) // k for k in (100, 10, 1)]
    print_table(
        "penalty | " + " | ".join(f"‖w‖ at step {t}" for t in marks),
        [[name, *(float(v[t - 1]) for t in marks)] for name, v in norms.items()],
        "Separable logistic regression: ‖w‖ during training",
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    results = run(args.quick)
    report(results)
    save_figure(lambda plt: draw(plt, results), args.output, "03_regularizers.png")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
