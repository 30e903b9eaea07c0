"""The peers every benchmark times: each makes a step function over its own copies.

Every peer owns its parameters and optimizer state (copies of the same initial values)
and reads the same gradient arrays, which no peer writes. The torch-based peers view
the same NumPy memory (``torch.from_numpy``), so every peer's parameters can be compared
as arrays after timing. A peer that cannot run here raises :class:`Skip` with the
reason, which the report lists. The methodology is in bench/README.md.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _core, reference
from .. import optim as fused
from ..regularizers import L1

StepFn = Callable[[], Any]
PeerFactory = Callable[["Spec", list[np.ndarray], list[np.ndarray]], StepFn]


class Skip(Exception):
    """This peer cannot run this optimizer here; the message says why."""


@dataclass(frozen=True)
class Spec:
    """An optimizer as the benchmarks run it: torch-style name, hyperparameters (the
    rest are the optimizer's defaults), and its memory traffic (arrays read and written
    per parameter, in place)."""

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
    """Bytes a step moves per parameter: every array read plus every array written."""
    return (spec.reads + spec.writes) * itemsize


def hyperparameters(spec: Spec) -> dict[str, Any]:
    """Every hyperparameter of ``spec``: its own, and the optimizer's defaults for the
    rest (read from the optimizer, not written here again)."""
    probe = getattr(reference, spec.algo)([np.zeros(0)], **spec.hyper)
    return {k: v for k, v in probe.defaults.items() if k != "regularizer"}


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


# ----------------------------------------------------------------------------- naive NumPy
def naive_peer(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
    """The update as users write it in NumPy: a loop over tensors, one expression per
    line of torch.optim's formula (see fusedopt.SGD etc.), with the workload's
    hyperparameters. Options it does not write out (nesterov, centered, amsgrad, ...)
    make it a :class:`Skip`."""
    h = hyperparameters(spec)
    unsupported = _naive_unsupported(spec, h)
    if unsupported:
        raise Skip(f"numpy-naive does not write out {', '.join(unsupported)}")
    if spec.algo == "SGD":
        return _naive_sgd(params, grads, h, spec.l1)
    if spec.algo == "RMSprop":
        return _naive_rmsprop(params, grads, h)
    decoupled = spec.algo == "AdamW" or h.get("decoupled_weight_decay", False)
    return _naive_adam(params, grads, h, spec.l1, decoupled)


def _naive_unsupported(spec: Spec, h: dict[str, Any]) -> list[str]:
    out = [k for k in ("nesterov", "maximize", "centered", "amsgrad") if h.get(k)]
    if spec.algo == "RMSprop" and h["momentum"]:
        out.append("momentum")
    if spec.algo == "RMSprop" and spec.l1:
        out.append("an L1 penalty")
    return out


def _naive_sgd(
    params: list[np.ndarray], grads: list[np.ndarray], h: dict[str, Any], l1: float
) -> StepFn:
    lr, momentum, dampening, wd = h["lr"], h["momentum"], h["dampening"], h["weight_decay"]
    bufs = [np.zeros_like(p) for p in params]
    first = [True]

    def sgd() -> None:
        for p, g, b in zip(params, grads, bufs):
            if wd:
                g = g + wd * p
            if momentum:
                b[:] = g if first[0] else momentum * b + (1 - dampening) * g
                g = b
            p -= lr * g
            if l1:
                p[:] = np.sign(p) * np.maximum(np.abs(p) - lr * l1, 0.0)
        first[0] = False

    return sgd


def _naive_rmsprop(params: list[np.ndarray], grads: list[np.ndarray], h: dict[str, Any]) -> StepFn:
    lr, alpha, eps, wd = h["lr"], h["alpha"], h["eps"], h["weight_decay"]
    squares = [np.zeros_like(p) for p in params]

    def rmsprop() -> None:
        for p, g, v in zip(params, grads, squares):
            if wd:
                g = g + wd * p
            v[:] = alpha * v + (1 - alpha) * g * g
            p -= lr * g / (np.sqrt(v) + eps)

    return rmsprop


def _naive_adam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    h: dict[str, Any],
    l1: float,
    decoupled: bool,
) -> StepFn:
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    t = [0]

    def adam() -> None:
        t[0] += 1
        c1, c2 = 1 - beta1 ** t[0], 1 - beta2 ** t[0]
        for p, g, m, v in zip(params, grads, ms, vs):
            if l1:
                g = g + l1 * np.sign(p)
            if decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
            m[:] = beta1 * m + (1 - beta1) * g
            v[:] = beta2 * v + (1 - beta2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + eps)

    return adam


# ----------------------------------------------------------------------------- torch
#: torch.optim's three implementations, as keyword arguments.
TORCH_MODES = {
    "torch-forloop": dict(foreach=False),
    "torch-foreach": dict(foreach=True),
    "torch-fused": dict(fused=True),
}


def torch_optimizer(peer: str, spec: Spec, params: Iterable[Any]) -> Any:
    """The optimizer object of a torch-based peer over torch tensors: one of
    :data:`TORCH_MODES`, ``"fusedopt-torch"`` (fusedopt.torch) or ``"deepspeed"``
    (DeepSpeedCPUAdam, whose C++ op builds itself with ninja on first use)."""
    torch = _import_torch(spec)
    if peer == "fusedopt-torch":
        from .. import torch as fot

        return getattr(fot, spec.algo)(params, **spec.hyper)
    if peer == "deepspeed":
        return _deepspeed_adam(spec)(list(params), **spec.hyper, adamw_mode=spec.algo == "AdamW")
    return getattr(torch.optim, spec.algo)(params, **spec.hyper, **TORCH_MODES[peer])


def _import_torch(spec: Spec) -> Any:
    if importlib.util.find_spec("torch") is None:
        raise Skip("torch is not installed (pip install torch)")
    if spec.l1:
        raise Skip("torch.optim has no L1 penalty")
    import torch

    return torch


def _deepspeed_adam(spec: Spec) -> Any:
    if spec.algo not in ("Adam", "AdamW"):
        raise Skip("DeepSpeedCPUAdam is Adam/AdamW only")
    if importlib.util.find_spec("deepspeed") is None:
        raise Skip("deepspeed is not installed (pip install deepspeed)")
    try:
        from deepspeed.ops.adam import DeepSpeedCPUAdam
    except Exception as error:  # an installed but broken deepspeed is still a skip
        raise Skip(f"import deepspeed failed ({type(error).__name__}: {error})") from None
    return DeepSpeedCPUAdam


def deepspeed_status() -> str:
    """``deepspeed X.Y``, or why DeepSpeedCPUAdam cannot run here."""
    try:
        _deepspeed_adam(SPECS["adamw"])
    except Skip as reason:
        return f"skipped: {reason}"
    import deepspeed

    return f"deepspeed {getattr(deepspeed, '__version__', '?')}"


def torch_peer(peer: str) -> PeerFactory:
    """A torch-based peer over the NumPy arrays: its parameters view ``params``
    (updates land there) and its gradients view ``grads``."""

    def make(spec: Spec, params: list[np.ndarray], grads: list[np.ndarray]) -> StepFn:
        torch = _import_torch(spec)
        tensors = [torch.nn.Parameter(torch.from_numpy(p)) for p in params]
        for t, g in zip(tensors, grads):
            t.grad = _read_only_tensor(torch, g)
        return torch_optimizer(peer, spec, tensors).step

    return make


def _read_only_tensor(torch: Any, array: np.ndarray) -> Any:
    """A view of a gradient the benchmark made read-only so that no peer can change it
    (torch warns that it cannot enforce that; optimizers only read gradients)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


# ----------------------------------------------------------------------------- roofline
def roofline_peer(spec: Spec, numel: int, dtype: np.dtype) -> StepFn:
    """The machine's limit for this access pattern: one in-place pass reading
    ``spec.reads`` and writing ``spec.writes`` arrays of ``numel`` elements."""
    arrays = [np.ones(numel, dtype) for _ in range(spec.reads)]
    return lambda: _core.roofline(arrays, spec.writes, 1)


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest parameter difference between two peers."""
    return max((float(np.max(np.abs(x - y))) for x, y in zip(a, b) if x.size), default=0.0)


#: The peers ``fusedopt bench`` runs, in its order.
OPTIMIZER_PEERS: dict[str, PeerFactory] = {
    "fusedopt": fusedopt_peer,
    "reference": reference_peer,
    "numpy-naive": naive_peer,
    "torch-forloop": torch_peer("torch-forloop"),
    "torch-foreach": torch_peer("torch-foreach"),
    "torch-fused": torch_peer("torch-fused"),
    "deepspeed": torch_peer("deepspeed"),
}
#: Every peer: also fusedopt.torch, the front end bench/bench_torch.py times.
PEERS: dict[str, PeerFactory] = {**OPTIMIZER_PEERS, "fusedopt-torch": torch_peer("fusedopt-torch")}
