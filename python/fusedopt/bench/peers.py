"""The peers of ``fusedopt bench``: each makes a step function over its own copies.

Every peer owns its parameters and optimizer state (copies of the same initial values)
and reads the same gradient arrays, which no peer writes. A peer that cannot run here
raises :class:`Skip` with the reason, which the report lists.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _core, reference
from .. import optim as fused
from ..regularizers import L1

StepFn = Callable[[], None]


class Skip(Exception):
    """This peer cannot run this optimizer here; the message says why."""


@dataclass(frozen=True)
class Spec:
    """An optimizer as the benchmark runs it: torch-style name, hyperparameters, and
    its memory traffic (arrays read and written per parameter, in place)."""

    algo: str  # SGD, RMSprop, Adam, AdamW
    hyper: dict[str, Any]
    l1: float  # 0: no L1 penalty
    reads: int
    writes: int


SPECS: dict[str, Spec] = {
    "sgd": Spec("SGD", dict(lr=1e-3, momentum=0.9), 0.0, 3, 2),  # p, g, b -> p, b
    "rmsprop": Spec("RMSprop", dict(lr=1e-3), 0.0, 3, 2),  # p, g, v -> p, v
    "adam": Spec("Adam", dict(lr=1e-3, weight_decay=1e-2), 0.0, 4, 3),  # p, g, m, v -> p, m, v
    "adamw": Spec("AdamW", dict(lr=1e-3, weight_decay=1e-2), 0.0, 4, 3),
    "sgd-l1": Spec("SGD", dict(lr=1e-3, momentum=0.9), 1e-4, 3, 2),  # proximal: ISTA
    "adamw-l1": Spec("AdamW", dict(lr=1e-3, weight_decay=1e-2), 1e-4, 4, 3),  # subgradient
}


def bytes_per_param(spec: Spec, itemsize: int) -> int:
    return (spec.reads + spec.writes) * itemsize


def _regularizer(spec: Spec) -> dict[str, Any]:
    if not spec.l1:
        return {}
    return {"regularizer": L1(spec.l1, proximal=spec.algo == "SGD")}


def fusedopt_peer(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
    opt = getattr(fused, spec.algo)(params, **spec.hyper, **_regularizer(spec))
    return lambda: opt.step(grads)


def reference_peer(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
    opt = getattr(reference, spec.algo)(params, **spec.hyper, **_regularizer(spec))
    return lambda: opt.step(grads)


def naive_peer(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
    """The update as users write it in NumPy: a loop over tensors, one expression per
    line of the formula (torch.optim's formulas; see fusedopt.SGD etc.)."""
    lr, wd, l1 = spec.hyper["lr"], spec.hyper.get("weight_decay", 0.0), spec.l1
    if spec.algo == "SGD":
        bufs = [np.zeros_like(p) for p in params]
        first = [True]

        def sgd() -> None:
            for p, g, b in zip(params, grads, bufs):
                b[:] = g if first[0] else 0.9 * b + g
                p -= lr * b
                if l1:
                    p[:] = np.sign(p) * np.maximum(np.abs(p) - lr * l1, 0.0)
            first[0] = False

        return sgd
    if spec.algo == "RMSprop":
        squares = [np.zeros_like(p) for p in params]

        def rmsprop() -> None:
            for p, g, v in zip(params, grads, squares):
                v[:] = 0.99 * v + 0.01 * g * g
                p -= lr * g / (np.sqrt(v) + 1e-8)

        return rmsprop
    return _naive_adam(params, grads, lr, wd, l1, decoupled=spec.algo == "AdamW")


def _naive_adam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    lr: float,
    wd: float,
    l1: float,
    decoupled: bool,
) -> StepFn:
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    t = [0]

    def adam() -> None:
        t[0] += 1
        c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
        for p, g, m, v in zip(params, grads, ms, vs):
            if l1:
                g = g + l1 * np.sign(p)
            if decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
            m[:] = 0.9 * m + 0.1 * g
            v[:] = 0.999 * v + 0.001 * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)

    return adam


def torch_peer(mode: str) -> Callable[[Spec, list[np.ndarray], list[np.ndarray]], StepFn]:
    """torch.optim in one of its three implementations: "for-loop", "foreach", "fused"."""

    def make(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
        if importlib.util.find_spec("torch") is None:
            raise Skip("torch is not installed (pip install torch)")
        if spec.l1:
            raise Skip("torch.optim has no L1 penalty")
        import torch

        tensors = [torch.from_numpy(p) for p in params]  # views: updates land in params
        for t, g in zip(tensors, grads):
            t.grad = _read_only_tensor(torch, g)
        flags = {"for-loop": dict(foreach=False), "foreach": dict(foreach=True)}
        options = flags.get(mode, dict(fused=True))
        opt = getattr(torch.optim, spec.algo)(tensors, **spec.hyper, **options)
        return opt.step

    return make


def _read_only_tensor(torch: Any, array: np.ndarray) -> Any:
    """A view of a gradient the benchmark made read-only so that no peer can change it
    (torch warns that it cannot enforce that; optimizers only read gradients)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


def deepspeed_peer(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
    """DeepSpeed's CPU Adam (its C++ op builds itself with ninja on first use)."""
    if spec.algo not in ("Adam", "AdamW") or spec.l1:
        raise Skip("DeepSpeedCPUAdam is Adam/AdamW only")
    if importlib.util.find_spec("deepspeed") is None:
        raise Skip("deepspeed is not installed (pip install deepspeed)")
    import torch
    from deepspeed.ops.adam import DeepSpeedCPUAdam

    tensors = [torch.nn.Parameter(torch.from_numpy(p)) for p in params]
    for t, g in zip(tensors, grads):
        t.grad = _read_only_tensor(torch, g)
    opt = DeepSpeedCPUAdam(tensors, **spec.hyper, adamw_mode=spec.algo == "AdamW")
    return opt.step


def roofline_peer(spec: Spec, numel: int, dtype: np.dtype) -> StepFn:
    """The machine's limit for this access pattern: one in-place pass reading
    ``spec.reads`` and writing ``spec.writes`` arrays of ``numel`` elements."""
    arrays = [np.ones(numel, dtype) for _ in range(spec.reads)]
    return lambda: _core.roofline(arrays, spec.writes, 1)


OPTIMIZER_PEERS: dict[str, Callable[[Spec, list[np.ndarray], list[np.ndarray]], StepFn]] = {
    "fusedopt": fusedopt_peer,
    "reference": reference_peer,
    "numpy-naive": naive_peer,
    "torch-forloop": torch_peer("for-loop"),
    "torch-foreach": torch_peer("foreach"),
    "torch-fused": torch_peer("fused"),
    "deepspeed": deepspeed_peer,
}
