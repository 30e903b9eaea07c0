"""The tests' parametrisation, derived from the optimizers' declarations
(fusedopt._declarations): every declared optimizer is tested, with every
option that changes what its kernel does."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from fusedopt._declarations import DECLARATIONS, Declaration

#: Every optimizer, by its public name.
NAMES: tuple[str, ...] = tuple(d.name for d in DECLARATIONS)
BY_NAME: dict[str, Declaration] = {d.name: d for d in DECLARATIONS}
#: State entries that are not buffers of the parameter's shape: torch's 'step'
#: and every declared scalar state (NAdam's 'mu_product', ...).
NOT_BUFFERS: frozenset[str] = frozenset(
    {"step", *(name for d in DECLARATIONS for name in d.scalar_names)}
)

# A value other than the default for each numeric option that switches a code
# path on (a state buffer, a term of the update).
TRIAL_VALUES: dict[str, list[Any]] = {
    "momentum": [0.0, 0.7],
    "dampening": [0.0, 0.3],
    "weight_decay": [0.0, 0.05],
    "lr_decay": [0.0, 0.01],
    "initial_accumulator_value": [0.0, 0.1],
    "t0": [1e6, 5.0],  # ASGD's averaging: never within the tests' steps, or from step 7 on
}


def option_grid(name: str, keep: Callable[[str], bool] = lambda _: True) -> list[dict[str, Any]]:
    """Every combination of the optimizer's flags and TRIAL_VALUES options
    (those ``keep`` accepts) that its checks allow."""
    decl = BY_NAME[name]
    axes: dict[str, list[Any]] = {}
    for h in decl.hypers:
        if h.torch_only or not keep(h.name):
            continue
        if h.annotation == "bool":
            axes[h.name] = [False, True]
        elif h.name in TRIAL_VALUES:
            axes[h.name] = TRIAL_VALUES[h.name]
    configs = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    return [c for c in configs if _allowed(decl, c)]


def _allowed(decl: Declaration, config: dict[str, Any]) -> bool:
    try:
        decl.check({**decl.defaults(torch=False), **config})
    except (TypeError, ValueError):
        return False
    return True


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, config = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in config.items())


# ------------------------------------------------------------------ torch peers
# Where torch.optim has no such optimizer: the package whose formula fusedopt
# follows (module, class).
EXTERNAL_PEERS: dict[str, tuple[str, str]] = {"Lion": ("lion_pytorch", "Lion")}


def torch_peer(name: str) -> Any:
    """The torch optimizer class fusedopt.torch.<name> must match; skips the
    test when it is not installed."""
    import pytest

    if BY_NAME[name].in_torch:
        torch = pytest.importorskip("torch")
        return getattr(torch.optim, name)
    module, attr = EXTERNAL_PEERS[name]
    return getattr(pytest.importorskip(module), attr)


def peer_grid(name: str) -> list[dict[str, Any]]:
    """option_grid over the options the torch peer also takes ([{}] when the
    peer is not installed: the test then skips, saying why)."""
    import importlib
    import inspect

    if BY_NAME[name].in_torch:
        module, attr = "torch.optim", name
    else:
        module, attr = EXTERNAL_PEERS[name]
    try:
        peer = getattr(importlib.import_module(module), attr)
    except ImportError:
        return [{}]
    accepted = inspect.signature(peer).parameters
    return option_grid(name, keep=lambda option: option in accepted)


#: (name, options) for every optimizer and every option combination its peer has.
PEER_CASES: list[tuple[str, dict[str, Any]]] = [(n, c) for n in NAMES for c in peer_grid(n)]


# ------------------------------------------------------------------ configurations
def all_options(name: str, lr: float = 0.01) -> dict[str, Any]:
    """Every option on (option_grid's last): every state buffer in use, weights decayed."""
    return {"lr": lr, **option_grid(name)[-1]}


def state_keys(name: str, config: dict[str, Any]) -> set[str]:
    """The entries a parameter's state has after a step under ``config``:
    buffers, scalar states and the step count."""
    from fusedopt import _core

    decl = BY_NAME[name]
    group = {**decl.defaults(torch=False), **config}
    used = set(_core.OptimizerCore(decl.kernel).states_for(group)) | set(decl.scalar_names)
    return used | ({"step"} if decl.has_step else set())


def group_keys(name: str) -> set[str]:
    """The hyperparameter keys of a NumPy optimizer's group, regularizer aside."""
    decl = BY_NAME[name]
    return {h.name for h in decl.arguments(torch=False)} - {"regularizer"} | set(decl.fixed)


# ------------------------------------------------------------------ bad values
def _bad_values() -> dict[Any, list[tuple[str, Any, type]]]:
    """Per check function: (id, value, exception) it must refuse."""
    import math

    from fusedopt import _declarations as D
    from fusedopt import _validation as V

    nan, inf = math.nan, math.inf
    values = {
        V.nonneg: [-1.0, nan, inf, True],
        V.finite: [nan, inf],
        D._closed_unit: [-0.1, 1.5, nan],
        V.betas: [(1.0, 0.9), (-0.1, 0.9), (0.9, 1.0), (0.9, nan), (0.9,), (0.9, 0.99, 0.999), 0.9],
        D._etas: [(0.0, 1.2), (1.0, 1.2), (0.5, 1.0), (0.5, inf), (nan, 1.2), (0.5,), "ab", 0.5],
        D._step_sizes: [(-1e-6, 50), (1.0, 0.5), (inf, inf), (nan, 50), (0.0, nan), (1e-6,), 1e-6],
        V.check_state_dtype: ["int8", "float8", "bf16", "", 32],
    }
    out: dict[Any, list[tuple[str, Any, type]]] = {
        check: [(repr(v), v, ValueError) for v in vs] for check, vs in values.items()
    }
    out[V.flag] = [(repr(v), v, TypeError) for v in (1, None, "yes")]
    return out


def bad_hyperparameters() -> list[tuple[str, str, dict[str, Any], type, str]]:
    """(id, optimizer, overrides, exception, message pattern) for every
    hyperparameter of every optimizer and every value its check refuses."""
    import re

    bad = _bad_values()
    cases = []
    for decl in DECLARATIONS:
        for h in decl.arguments(torch=False):
            for label, value, exc in bad.get(h.check, []):
                pattern = rf"\b{re.escape(h.name)}\b"
                cases.append(
                    (f"{decl.name}-{h.name}={label}", decl.name, {h.name: value}, exc, pattern)
                )
    return cases


def ours_only(name: str) -> set[str]:
    """Group keys fusedopt.<name> has and its torch peer does not (only where
    torch.optim has no such optimizer: Lion's ``maximize``)."""
    import inspect

    if BY_NAME[name].in_torch:
        return set()
    return group_keys(name) - set(inspect.signature(torch_peer(name)).parameters)


class _TorchPeers:
    """``getattr(TORCH_PEERS, name)`` is torch_peer(name): a stand-in for the
    torch.optim module where tests take a module of optimizers."""

    def __getattr__(self, name: str) -> Any:
        return torch_peer(name)


TORCH_PEERS = _TorchPeers()
