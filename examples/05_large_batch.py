"""The linear scaling rule and warmup (Goyal et al. 2017) on a small MLP.

The 2-layer MLP of ``04_mlp_digits.py`` (its forward and backward pass, imported)
learns a synthetic 10-class problem whose labels come from a random "teacher" MLP
(20 inputs, 16 384 training and 4 096 validation points; no download). SGD with
momentum 0.9 trains it for the same number of epochs with

* batch 32 at the base learning rate ``lr``, the best of a small grid (lowest final
  training loss; chosen by the script, printed);
* batch 512 at ``lr`` (the same lr, 16× fewer steps);
* batch 512 at ``linear_scaling(lr, 512, 32)`` = 16·lr, from the first step;
* batch 512 at 16·lr after a linear warmup from 0 over the first epochs
  (``fusedopt.schedules.warmup``).

The rule says the last two should follow the batch-32 loss curve epoch by epoch;
the script measures whether they do on this problem.

    python examples/05_large_batch.py [--quick] [--output DIR]
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _common import parse_args, print_table, save_figure

import fusedopt as fo
from fusedopt.schedules import LRScheduler, constant, linear_scaling, warmup

mlp = importlib.import_module("04_mlp_digits")  # a module name may start with a digit here

BASE_LRS, BASE_BATCH, LARGE_BATCH, MOMENTUM = (0.003, 0.01, 0.03), 32, 512, 0.9
N_INPUTS, N_CLASSES = 20, 10
RECOVERY_TOLERANCE = 0.10  # "recovers": final training loss within 10% of batch 32's


def teacher_data(n_train: int, n_val: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Gaussian inputs labelled by the argmax of a random wide MLP (a learnable target)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_train + n_val, N_INPUTS)).astype(np.float32)
    W1 = rng.standard_normal((N_INPUTS, 16)) / np.sqrt(N_INPUTS)
    W2 = rng.standard_normal((16, N_CLASSES)) / np.sqrt(16)
    y = np.argmax(np.tanh(X @ W1) @ W2, axis=1)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def train(
    data: tuple[np.ndarray, ...], batch: int, lr: float, warmup_epochs: int, epochs: int
) -> dict[str, np.ndarray]:
    """SGD + momentum on a fresh MLP (same initial weights for every run)."""
    X, y, X_val, y_val = data
    params = mlp.init_params(np.random.default_rng(1), N_INPUTS, N_CLASSES, np.float32)
    opt = fo.SGD(params, lr=lr, momentum=MOMENTUM)
    steps_per_epoch = -(-len(y) // batch)
    scheduler = LRScheduler(opt, warmup(constant(lr), warmup_epochs * steps_per_epoch))
    rng = np.random.default_rng(2)
    train_loss, val_acc = [], []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(y), batch):
            idx = order[i : i + batch]
            opt.step(mlp.loss_and_grads(params, X[idx], y[idx])[1])
            scheduler.step()
        loss = mlp.evaluate(params, X, y)[0]
        train_loss.append(loss if np.isfinite(loss) else np.inf)
        val_acc.append(mlp.evaluate(params, X_val, y_val)[1])
    return {"train_loss": np.array(train_loss), "val_acc": np.array(val_acc)}


def draw(plt: Any, runs: dict[str, dict[str, Any]], warmup_epochs: int) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5))
    for k, (name, run) in enumerate(runs.items()):
        epochs = np.arange(1, len(run["train_loss"]) + 1)
        left.semilogy(epochs, run["train_loss"], "o-", ms=3, color=f"C{k}", label=name)
        right.plot(epochs, run["val_acc"], "o-", ms=3, color=f"C{k}", label=name)
    for ax in (left, right):
        ax.axvspan(0, warmup_epochs, color="0.9", label="warmup (last run only)")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    left.set(ylabel="training loss (cross-entropy, log scale)", title="Training loss per epoch")
    right.set(ylabel="validation accuracy", title="Validation accuracy per epoch")
    fig.suptitle(
        f"Linear scaling rule: batch {BASE_BATCH} vs {LARGE_BATCH}, SGD momentum {MOMENTUM}, "
        "same epochs"
    )
    fig.tight_layout()
    return fig


def experiment(quick: bool) -> dict[str, Any]:
    """Tune the batch-32 lr, then the three batch-512 runs; every run's per-epoch numbers."""
    data = teacher_data(4_096 if quick else 16_384, 4_096)
    epochs, warmup_epochs = (6, 1) if quick else (30, 3)
    tuning = {lr: train(data, BASE_BATCH, lr, 0, epochs) for lr in BASE_LRS}
    base_lr = min(tuning, key=lambda lr: tuning[lr]["train_loss"][-1])
    scaled = linear_scaling(base_lr, LARGE_BATCH, base_batch_size=BASE_BATCH)
    runs = {f"batch {BASE_BATCH}, lr {base_lr:g}": tuning[base_lr]}
    for name, lr, warm in (
        (f"batch {LARGE_BATCH}, lr {base_lr:g} (not scaled)", base_lr, 0),
        (f"batch {LARGE_BATCH}, lr {scaled:g} (scaled)", scaled, 0),
        (f"batch {LARGE_BATCH}, lr {scaled:g} (scaled + {warmup_epochs}-epoch warmup)", scaled,
         warmup_epochs),
    ):  # fmt: skip
        runs[name] = train(data, LARGE_BATCH, lr, warm, epochs)
    reference = tuning[base_lr]["train_loss"]
    for run in runs.values():
        run["loss_ratio"] = run["train_loss"] / reference  # per epoch, vs batch 32
    names = list(runs)
    return {
        "tuning": tuning,
        "base_lr": base_lr,
        "runs": runs,
        "names": names,  # batch 32, not scaled, scaled, scaled + warmup
        "recovers": {
            n: bool(runs[n]["loss_ratio"][-1] <= 1 + RECOVERY_TOLERANCE) for n in names[2:]
        },
        "epochs": epochs,
        "warmup_epochs": warmup_epochs,
        "n_train": len(data[1]),
    }


def report(res: dict[str, Any]) -> None:
    print_table(
        "lr | final training loss | final val acc",
        [
            [lr, float(r["train_loss"][-1]), float(r["val_acc"][-1])]
            for lr, r in res["tuning"].items()
        ],
        f"Choosing the base learning rate at batch {BASE_BATCH} ({res['epochs']} epochs)",
    )
    marks = sorted({1, res["warmup_epochs"] + 1, res["epochs"] // 2, res["epochs"]})
    rows = []
    for name, r in res["runs"].items():
        losses = [float(r["train_loss"][e - 1]) for e in marks]
        rows.append([name, *losses, float(r["loss_ratio"][-1]), float(r["val_acc"][-1])])
    print_table(
        "run | " + " | ".join(f"loss ep {e}" for e in marks) + " | final loss / batch-32 | "
        "final val acc",
        rows,
        f"Training loss per epoch ({res['epochs']} epochs, {res['n_train']} training points)",
    )
    for name, ok in res["recovers"].items():
        print(
            f"{name}: {'recovers' if ok else 'does NOT recover'} the batch-{BASE_BATCH} "
            f"final loss (within {RECOVERY_TOLERANCE:.0%})"
        )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    res = experiment(args.quick)
    report(res)
    save_figure(lambda plt: draw(plt, res["runs"], res["warmup_epochs"]), args.output,
                "05_large_batch.png")  # fmt: skip
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
