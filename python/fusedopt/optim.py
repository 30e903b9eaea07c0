"""Fused optimizers on NumPy arrays: one C++ pass per step over all tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from . import _validation as V
from ._algorithms import AdamAlgorithm, AdamWAlgorithm, RMSpropAlgorithm, SGDAlgorithm
from ._optimizer import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "RMSprop"]


class FusedOptimizer(Optimizer):
    """State in C++-owned, 64-byte aligned buffers; the step is one C++ call.

    The call checks the gradients, releases the GIL and runs one OpenMP
    parallel region over the concatenation of all tensors.
    """

    def _init_storage(self) -> None:
        self._core = _core.OptimizerCore(self.core_algo)  # type: ignore[attr-defined]

    def _storage_add(self, params: list[np.ndarray], group_index: int) -> None:
        self._core.add_params(params, group_index)

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        return self._core.get_step(index), self._core.state(index)

    def _storage_load(self, states: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        self._core.load_state([step for step, _ in states], [arrays for _, arrays in states])

    def _apply(self, grads: list[Any]) -> None:
        hypers = [self._pack(group) for group in self.param_groups]  # type: ignore[attr-defined]
        # The core checks, after converting the gradients, that each group's
        # 'params' still holds the arrays it was built with.
        self._core.step(self.param_groups, grads, hypers, V.coerce_grad)


_PARAMS_DOC = """params : list of ndarray, or list of dict
        C-contiguous, writeable float32 or float64 arrays, updated in place;
        or parameter groups, dicts with ``'params'`` and per-group overrides
        of the keyword arguments below."""

_STEP_DOC = """Call ``opt.step(grads)`` with one gradient per parameter (in order of
    appearance across groups; ``None`` skips a parameter, its state and its
    step count). The gradient may be any real array of the parameter's shape;
    it is converted to the parameter's dtype if needed, never the parameter."""


class SGD(SGDAlgorithm, FusedOptimizer):
    __doc__ = f"""Stochastic gradient descent with momentum, fused.

    Same names, defaults and update as ``torch.optim.SGD``. For each parameter
    θ with gradient g:

    .. code-block:: text

        g ← −g                         if maximize
        g ← g + weight_decay·θ
        b ← g                          on the buffer's first step
        b ← momentum·b + (1 − dampening)·g   afterwards      (if momentum > 0)
        d ← g + momentum·b if nesterov else b                (if momentum > 0)
        θ ← θ − lr·d                   (d = g without momentum)

    {_STEP_DOC}

    Parameters
    ----------
    {_PARAMS_DOC}
    lr : float, default 1e-3
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
        L2 penalty coefficient added to the gradient.
    nesterov : bool, default False
        Needs momentum > 0 and dampening = 0.
    maximize : bool, default False

    Notes
    -----
    State per parameter (torch's name): ``momentum_buffer`` when momentum > 0.

    Examples
    --------
    >>> import numpy as np, fusedopt as fo
    >>> w = np.ones(3, np.float32)
    >>> opt = fo.SGD([w], lr=0.1, momentum=0.9)
    >>> opt.step([np.ones(3, np.float32)])
    >>> w
    array([0.9, 0.9, 0.9], dtype=float32)
    """


class RMSprop(RMSpropAlgorithm, FusedOptimizer):
    __doc__ = f"""RMSprop, fused.

    Same names, defaults and update as ``torch.optim.RMSprop`` (eps outside
    the square root). For each parameter θ with gradient g:

    .. code-block:: text

        g ← −g                          if maximize
        g ← g + weight_decay·θ
        v ← α·v + (1 − α)·g²
        ḡ ← α·ḡ + (1 − α)·g             if centered
        den ← √(v − ḡ²) + eps if centered else √v + eps
        b ← momentum·b + g/den;  θ ← θ − lr·b      if momentum > 0
        θ ← θ − lr·g/den                           otherwise

    {_STEP_DOC}

    Parameters
    ----------
    {_PARAMS_DOC}
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant α, in [0, 1].
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
    maximize : bool, default False

    Notes
    -----
    State per parameter (torch's names): ``step``, ``square_avg``,
    ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """


class Adam(AdamAlgorithm, FusedOptimizer):
    __doc__ = f"""Adam (Kingma & Ba), fused; weight decay is an L2 term in the gradient.

    Same names, defaults and update as ``torch.optim.Adam``. For each parameter
    θ with gradient g at its t-th step (t counts steps that had a gradient):

    .. code-block:: text

        g ← −g                          if maximize
        g ← g + weight_decay·θ          (θ ← θ·(1 − lr·weight_decay) if decoupled)
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        v̂ ← max(v̂, v) if amsgrad else v
        θ ← θ − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)

    The bias corrections are computed in double precision.

    {_STEP_DOC}

    Parameters
    ----------
    {_PARAMS_DOC}
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0
    amsgrad : bool, default False
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        True makes this AdamW (as in torch); kept per parameter group.

    Notes
    -----
    State per parameter (torch's names): ``step``, ``exp_avg``,
    ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad).
    """


class AdamW(AdamWAlgorithm, FusedOptimizer):
    __doc__ = f"""AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, fused.

    Same names, defaults and update as ``torch.optim.AdamW``: the decay
    shrinks θ before the moment update instead of entering the gradient.

    .. code-block:: text

        g ← −g                          if maximize
        θ ← θ·(1 − lr·weight_decay)
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        v̂ ← max(v̂, v) if amsgrad else v
        θ ← θ − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)

    {_STEP_DOC}

    Parameters
    ----------
    {_PARAMS_DOC}
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
    amsgrad : bool, default False
    maximize : bool, default False

    Examples
    --------
    >>> import numpy as np, fusedopt as fo
    >>> W = np.zeros((784, 10), np.float32); b = np.zeros(10, np.float32)
    >>> opt = fo.AdamW([W, b], lr=1e-3, weight_decay=1e-2)
    >>> opt.step([np.ones_like(W), np.ones_like(b)])
    >>> float(W[0, 0])
    -0.0010000000474974513
    """
