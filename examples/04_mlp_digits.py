"""A 2-layer NumPy MLP on scikit-learn's digits, trained with fusedopt optimizers.

The network is ``softmax(W2·relu(W1·x + b1) + b2)`` (64 → 64 → 10) with a
hand-written forward and backward pass and the mean cross-entropy loss. First
``fo.gradcheck`` verifies the gradient of every layer's weight and bias (in
float64, every coordinate, central differences); then the network is trained in
float32 on 1 437 training images (360 held out for validation) with mini-batches
of 32, 64 and 128 and

* SGD with momentum 0.9,
* Adam,
* Adam with an L2 penalty in the gradient (torch's coupled ``weight_decay``),
* AdamW (decoupled weight decay) under a linear warmup + cosine schedule
  (``fusedopt.schedules.warmup_cosine``, one epoch of warmup).

Weight decay applies to the weight matrices only (a second parameter group holds
the biases). Every training step is split with ``time.perf_counter`` into the
forward/backward pass and the optimizer step.

    python examples/04_mlp_digits.py [--quick] [--output DIR]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure
from sklearn.datasets import load_digits

import fusedopt as fo
from fusedopt.schedules import LRScheduler, warmup_cosine

HIDDEN = 64
TARGET_VAL_ACCURACY = {"full": 0.95, "quick": 0.90}  # the claim: every optimizer reaches it
LAYER_NAMES = ("layer 1 weight W1", "layer 1 bias b1", "layer 2 weight W2", "layer 2 bias b2")
Params = list[np.ndarray]


# ------------------------------------------------------------ data and model
def digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """load_digits (8×8 images, no download), pixels scaled to [0, 1], 360 held out."""
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = X[order] / 16.0, y[order]
    return X[360:], y[360:], X[:360], y[:360]


def init_params(rng: np.random.Generator, n_in: int, n_out: int, dtype: type) -> Params:
    """He-initialised weights, zero biases."""
    W1 = rng.standard_normal((n_in, HIDDEN)) * np.sqrt(2.0 / n_in)
    W2 = rng.standard_normal((HIDDEN, n_out)) * np.sqrt(2.0 / HIDDEN)
    return [a.astype(dtype) for a in (W1, np.zeros(HIDDEN), W2, np.zeros(n_out))]


def forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logits and the hidden activations (kept for the backward pass)."""
    W1, b1, W2, b2 = params
    hidden = np.maximum(X @ W1 + b1, 0)
    return hidden @ W2 + b2, hidden


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and the softmax probabilities (log-sum-exp shifted by the max)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y])), np.exp(log_probs)


def loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """The loss and its gradient for every parameter, by hand."""
    W1, _, W2, _ = params
    logits, hidden = forward(params, X)
    loss, probs = cross_entropy(logits, y)
    d_logits = probs
    d_logits[np.arange(len(y)), y] -= 1.0
    d_logits /= len(y)
    d_hidden = (d_logits @ W2.T) * (hidden > 0)
    grads = [X.T @ d_hidden, d_hidden.sum(0), hidden.T @ d_logits, d_logits.sum(0)]
    return loss, [g.astype(W1.dtype, copy=False) for g in grads]


def evaluate(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    logits, _ = forward(params, X)
    return cross_entropy(logits, y)[0], float(np.mean(logits.argmax(1) == y))


def check_gradients(X: np.ndarray, y: np.ndarray) -> list[fo.GradcheckResult]:
    """fo.gradcheck of every layer's weight and bias, float64, on 64 samples."""
    params = init_params(np.random.default_rng(1), X.shape[1], 10, np.float64)
    params[1][:] = 0.1  # nonzero biases, so that a bias bug cannot hide behind zeros
    X, y = X[:64].astype(np.float64), y[:64]
    _, grads = loss_and_grads(params, X, y)
    results = []
    for name, param, grad in zip(LAYER_NAMES, params, grads):
        # gradcheck perturbs `param` in place, which is the array the closure reads
        result = fo.gradcheck(lambda _: loss_and_grads(params, X, y)[0], grad, param)
        print(f"{name}: {result!r}\n")
        results.append(result)
    return results


# ------------------------------------------------------------ training
OptimizerFactory = Callable[[list[dict[str, Any]], int, int], tuple[Any, Any]]


GROUP_ORDER = (0, 2, 1, 3)  # W1, W2 | b1, b2: opt.step takes gradients in this order


def groups(params: Params) -> list[dict[str, Any]]:
    """Weights in one group, biases (never decayed) in another."""
    W1, W2, b1, b2 = (params[i] for i in GROUP_ORDER)
    return [{"params": [W1, W2]}, {"params": [b1, b2], "weight_decay": 0.0}]


def _adamw_warmup_cosine(g: list[dict[str, Any]], steps_per_epoch: int, total: int) -> Any:
    opt = fo.AdamW(g, lr=3e-3, weight_decay=1e-2)
    return opt, LRScheduler(opt, warmup_cosine(3e-3, steps_per_epoch, total))


OPTIMIZERS: dict[str, OptimizerFactory] = {
    "SGD momentum": lambda g, _, __: (fo.SGD(g, lr=0.05, momentum=0.9), None),
    "Adam": lambda g, _, __: (fo.Adam(g, lr=1e-3), None),
    "Adam + L2": lambda g, _, __: (fo.Adam(g, lr=1e-3, weight_decay=1e-3), None),
    "AdamW warmup-cosine": _adamw_warmup_cosine,
}


def train(data: tuple[np.ndarray, ...], optimizer: str, batch: int, epochs: int) -> dict[str, Any]:
    """Train a fresh float32 MLP; per-epoch losses, accuracies and the step-time split."""
    X, y, X_val, y_val = data
    rng = np.random.default_rng(2)
    params = init_params(rng, X.shape[1], 10, np.float32)
    steps_per_epoch = -(-len(y) // batch)
    opt, scheduler = OPTIMIZERS[optimizer](
        groups(params), steps_per_epoch, epochs * steps_per_epoch
    )
    history: dict[str, list[float]] = {
        k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_s")
    }
    fb_times, step_times, sched_times = [], [], []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        start = time.perf_counter()
        for i in range(0, len(y), batch):
            idx = order[i : i + batch]
            t0 = time.perf_counter()
            _, grads = loss_and_grads(params, X[idx], y[idx])
            t1 = time.perf_counter()
            opt.step([grads[k] for k in GROUP_ORDER])
            t2 = time.perf_counter()
            if scheduler is not None:
                scheduler.step()
            t3 = time.perf_counter()
            fb_times.append(t1 - t0)
            step_times.append(t2 - t1)
            sched_times.append(t3 - t2)
        history["epoch_s"].append(time.perf_counter() - start)
        for split, (Xs, ys) in (("train", (X, y)), ("val", (X_val, y_val))):
            loss, acc = evaluate(params, Xs, ys)
            history[f"{split}_loss"].append(loss)
            history[f"{split}_acc"].append(acc)
    # medians: on a shared machine a preempted step would dominate a mean
    fb, step, sched = (float(np.median(t)) for t in (fb_times, step_times, sched_times))
    return {
        **{k: np.array(v) for k, v in history.items()},
        "forward_backward_us": 1e6 * fb,
        "optimizer_us": 1e6 * step,
        "scheduler_us": 1e6 * sched if scheduler is not None else 0.0,
        "optimizer_share": step / (fb + step + sched),
        "scheduler_share": sched / (fb + step + sched) if scheduler is not None else 0.0,
    }


# ------------------------------------------------------------ figure
def draw(
    plt: Any, runs: dict[tuple[str, int], dict[str, Any]], batches: Sequence[int], target: float
) -> Any:
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    shown = 64 if 64 in batches else batches[0]
    for k, name in enumerate(OPTIMIZERS):
        run = runs[name, shown]
        epochs = np.arange(1, len(run["val_loss"]) + 1)
        for split, style in (("train", "-"), ("val", "--")):
            axes[0, 0].semilogy(
                epochs, run[f"{split}_loss"], style, color=f"C{k}", label=f"{name} ({split})"
            )
            axes[0, 1].plot(
                epochs, run[f"{split}_acc"], style, color=f"C{k}", label=f"{name} ({split})"
            )
    axes[0, 0].set(
        xlabel="epoch",
        ylabel="cross-entropy (log scale)",
        title=f"Loss, batch {shown} (solid: train, dashed: validation)",
    )
    axes[0, 1].axhline(target, color="k", ls=":", lw=1, label=f"target {target:.0%}")
    axes[0, 1].set(
        xlabel="epoch",
        ylabel="accuracy",
        ylim=(0.8, 1.005),
        title=f"Accuracy, batch {shown} (solid: train, dashed: validation)",
    )
    for ax in axes[0]:
        ax.legend(fontsize=8, ncol=2)
    width = 0.8 / len(OPTIMIZERS)
    x = np.arange(len(batches))
    for k, name in enumerate(OPTIMIZERS):
        offset = (k - (len(OPTIMIZERS) - 1) / 2) * width
        acc = [runs[name, b]["val_acc"][-1] for b in batches]
        share = np.array([100 * runs[name, b]["optimizer_share"] for b in batches])
        sched = np.array([100 * runs[name, b]["scheduler_share"] for b in batches])
        axes[1, 0].bar(x + offset, acc, width, color=f"C{k}", label=name)
        axes[1, 1].bar(x + offset, share, width, color=f"C{k}", label=f"{name}: opt.step")
        if sched.any():
            axes[1, 1].bar(
                x + offset,
                sched,
                width,
                bottom=share,
                color=f"C{k}",
                alpha=0.4,
                hatch="//",
                label=f"{name}: LRScheduler.step",
            )
    axes[1, 0].axhline(target, color="k", ls=":", lw=1, label=f"target {target:.0%}")
    axes[1, 0].set(
        ylim=(0.85, 1.04),
        ylabel="final validation accuracy",
        title="Final validation accuracy by batch size",
    )
    axes[1, 1].set(
        ylabel="% of the training step's time (median step)",
        title="Time in the optimizer (rest: forward + backward)",
    )
    axes[1, 0].set_yticks(np.arange(0.85, 1.001, 0.025))  # headroom above 1 for the legend only
    axes[1, 1].set_ylim(0, 1.5 * axes[1, 1].get_ylim()[1])
    for ax in axes[1]:
        ax.set_xticks(x, [f"batch {b}" for b in batches])
        ax.legend(fontsize=8, ncol=3 if ax is axes[1, 0] else 2, loc="upper center")
    fig.suptitle("2-layer NumPy MLP (64-64-10) on scikit-learn digits, float32")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------ main
def report(checks: list[fo.GradcheckResult], runs: dict[tuple[str, int], Any], epochs: int,
           target: float) -> None:  # fmt: skip
    print_table(
        "parameter | passed | coordinates | rel_error | max_abs_error",
        [[n, "yes" if r else "NO", r.checked, r.rel_error, r.max_abs_error]
         for n, r in zip(LAYER_NAMES, checks)],
        "fo.gradcheck of the hand-written backward pass (float64, central differences)",
    )  # fmt: skip
    rows = []
    for (name, batch), r in runs.items():
        epoch_ms = f"{1e3 * np.median(r['epoch_s']):.2f}, {1e3 * np.min(r['epoch_s']):.2f}"
        rows.append([name, batch, r["train_acc"][-1], r["val_acc"][-1], r["val_loss"][-1],
                     epoch_ms, r["forward_backward_us"], r["optimizer_us"], r["scheduler_us"],
                     f"{r['optimizer_share']:.1%}"])  # fmt: skip
    print_table(
        "optimizer | batch | train acc | val acc | val loss | ms / epoch (median, min) | "
        "fwd+bwd µs | opt.step µs | scheduler µs | opt.step share",
        rows,
        f"After {epochs} epochs (float32; target validation accuracy {target:.0%}; "
        "µs: median per training step)",
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    data = digits()
    X, y, X_val, y_val = (a.astype(np.float32) if a.dtype.kind == "f" else a for a in data)
    checks = check_gradients(X, y)
    batches = (64,) if args.quick else (32, 64, 128)
    epochs = 6 if args.quick else 40
    target = TARGET_VAL_ACCURACY["quick" if args.quick else "full"]
    runs = {
        (name, b): train((X, y, X_val, y_val), name, b, epochs)
        for name in OPTIMIZERS
        for b in batches
    }
    report(checks, runs, epochs, target)
    save_figure(lambda plt: draw(plt, runs, batches, target), args.output, "04_mlp_digits.png")
    return {
        "gradcheck": {n: bool(r) for n, r in zip(LAYER_NAMES, checks)},
        "target_val_acc": target,
        "runs": {f"{name}, batch {b}": r for (name, b), r in runs.items()},
    }


if __name__ == "__main__":
    main(sys.argv[1:])
