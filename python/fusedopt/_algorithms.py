"""Hyperparameters of each algorithm: constructor signature, defaults, checks.

Shared by the fused optimizers (fusedopt.optim) and the NumPy reference
(fusedopt.reference), which differ only in where the state lives and who does
the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import _validation as V
from ._optimizer import Optimizer, ParamsT
from .regularizers import Regularizer, check_regularizer, pack


# ------------------------------------------------------------ per-algorithm group rules
# Shared by the NumPy optimizers below and fusedopt.torch: each check raises
# naming the first invalid hyperparameter; each pack gives the tuple the C++
# core parses (csrc/bindings/register_optim.cpp), ending
# with the group's regularizer (absent in torch groups: none).
def check_sgd(group: Mapping[str, Any]) -> None:
    V.nonneg(group["lr"], "lr")
    V.nonneg(group["momentum"], "momentum")
    V.finite(group["dampening"], "dampening")
    V.nonneg(group["weight_decay"], "weight_decay")
    V.flag(group["nesterov"], "nesterov")
    V.flag(group["maximize"], "maximize")
    check_regularizer(group.get("regularizer"))
    if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")


def pack_sgd(g: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        float(g["lr"]),
        float(g["momentum"]),
        float(g["dampening"]),
        float(g["weight_decay"]),
        bool(g["nesterov"]),
        bool(g["maximize"]),
        *pack(g.get("regularizer")),
    )


def check_rmsprop(group: Mapping[str, Any]) -> None:
    V.nonneg(group["lr"], "lr")
    V.unit_interval(group["alpha"], "alpha", closed=True)
    V.nonneg(group["eps"], "eps")
    V.nonneg(group["weight_decay"], "weight_decay")
    V.nonneg(group["momentum"], "momentum")
    V.flag(group["centered"], "centered")
    V.flag(group["maximize"], "maximize")
    check_regularizer(group.get("regularizer"))


def pack_rmsprop(g: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        float(g["lr"]),
        float(g["alpha"]),
        float(g["eps"]),
        float(g["weight_decay"]),
        float(g["momentum"]),
        bool(g["centered"]),
        bool(g["maximize"]),
        *pack(g.get("regularizer")),
    )


def check_adam(group: Mapping[str, Any]) -> None:
    V.nonneg(group["lr"], "lr")
    V.betas(group["betas"], "betas")
    V.nonneg(group["eps"], "eps")
    V.nonneg(group["weight_decay"], "weight_decay")
    V.flag(group["amsgrad"], "amsgrad")
    V.flag(group["maximize"], "maximize")
    V.flag(group.get("decoupled_weight_decay", False), "decoupled_weight_decay")
    check_regularizer(group.get("regularizer"))


def pack_adam(g: Mapping[str, Any]) -> tuple[Any, ...]:
    beta1, beta2 = g["betas"]
    return (
        float(g["lr"]),
        float(beta1),
        float(beta2),
        float(g["eps"]),
        float(g["weight_decay"]),
        bool(g["amsgrad"]),
        bool(g["maximize"]),
        bool(g.get("decoupled_weight_decay", False)),
        *pack(g.get("regularizer")),
    )


class SGDAlgorithm(Optimizer):
    state_names = ("momentum_buffer",)
    has_step = False
    core_algo: ClassVar[str] = "sgd"

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        regularizer: Regularizer | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            regularizer=regularizer,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_sgd(group)

    _pack = staticmethod(pack_sgd)


class RMSpropAlgorithm(Optimizer):
    state_names = ("square_avg", "momentum_buffer", "grad_avg")
    core_algo: ClassVar[str] = "rmsprop"

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        regularizer: Regularizer | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            regularizer=regularizer,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_rmsprop(group)

    _pack = staticmethod(pack_rmsprop)


class AdamAlgorithm(Optimizer):
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    core_algo: ClassVar[str] = "adam"

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        regularizer: Regularizer | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
            regularizer=regularizer,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_adam(group)

    _pack = staticmethod(pack_adam)


class AdamWAlgorithm(AdamAlgorithm):
    # torch.optim.AdamW is Adam with decoupled_weight_decay=True and its own
    # weight_decay default; the flag stays per group, as in torch. Like
    # torch's AdamW.__setstate__, loading any checkpoint (an Adam one too)
    # keeps the decay decoupled: an AdamW never silently runs as Adam.
    load_overrides: ClassVar[dict[str, Any]] = {"decoupled_weight_decay": True}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        regularizer: Regularizer | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            regularizer=regularizer,
        )
