"""Fused optimizers on NumPy arrays: one C++ pass per step over all tensors.

Each class is derived from its declaration (``fusedopt._declarations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _core
from . import _declarations as D
from . import _validation as V
from ._algorithms import numpy_optimizer
from ._optimizer import Optimizer

__all__ = ["ASGD", "SGD", "Adagrad", "Adam", "AdamW", "Lion", "NAdam", "RAdam", "RMSprop"]


class FusedOptimizer(Optimizer):
    """State in C++-owned, 64-byte aligned buffers; the step is one C++ call.

    The call checks the gradients, releases the GIL and runs one parallel
    region over the concatenation of all tensors.
    """

    declaration: D.Declaration

    def _init_storage(self) -> None:
        self._core = _core.OptimizerCore(self.declaration.kernel)

    def _storage_add(
        self, params: list[np.ndarray], group_index: int, group: Mapping[str, Any]
    ) -> None:
        self._core.add_params(params, group_index, D.core_hypers(group))

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        return self._core.get_step(index), self._core.state(index)

    def _storage_load(self, states: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        self._core.load_state([step for step, _ in states], [arrays for _, arrays in states])

    def _apply(self, grads: list[Any]) -> None:
        hypers = [D.core_hypers(group) for group in self.param_groups]
        # The core checks, after converting the gradients, that each group's
        # 'params' still holds the arrays it was built with.
        self._core.step(self.param_groups, grads, hypers, V.coerce_grad)


SGD = numpy_optimizer(D.SGD, FusedOptimizer, module=__name__)
RMSprop = numpy_optimizer(D.RMSPROP, FusedOptimizer, module=__name__)
Adam = numpy_optimizer(D.ADAM, FusedOptimizer, module=__name__)
AdamW = numpy_optimizer(D.ADAMW, FusedOptimizer, module=__name__)
Adagrad = numpy_optimizer(D.ADAGRAD, FusedOptimizer, module=__name__)
Lion = numpy_optimizer(D.LION, FusedOptimizer, module=__name__)
NAdam = numpy_optimizer(D.NADAM, FusedOptimizer, module=__name__)
RAdam = numpy_optimizer(D.RADAM, FusedOptimizer, module=__name__)
ASGD = numpy_optimizer(D.ASGD, FusedOptimizer, module=__name__)
