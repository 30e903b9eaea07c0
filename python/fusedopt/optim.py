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

__all__ = [
    "ASGD",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
]


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
        for param in params:
            _register_dtype(param.dtype)
        if group.get("state_dtype") == "bfloat16":
            _register_dtype(V.numpy_dtype("bfloat16"))
        self._core.add_params(params, group_index, D.core_hypers(group))

    def _storage_get(self, index: int) -> tuple[int, dict[str, np.ndarray]]:
        return self._core.get_step(index), self._core.state(index)

    def _storage_load(self, states: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        self._core.load_state([step for step, _ in states], [arrays for _, arrays in states])

    def _apply(self, grads: list[Any]) -> None:
        hypers = [D.core_hypers(group) for group in self.param_groups]
        # The core checks, after converting the gradients, that each group's
        # 'params' still holds the arrays it was built with.
        self._core.step(self.param_groups, grads, hypers, _coerce_grad)


def _register_dtype(dtype: np.dtype) -> None:
    """Tell the core ml_dtypes' bfloat16 type number (NumPy assigns it at run time)."""
    if V.is_bfloat16(dtype):
        _core.use_bfloat16(dtype)


def _coerce_grad(grad: Any, index: int, param: np.ndarray) -> np.ndarray:
    array = V.coerce_grad(grad, index, param)
    _register_dtype(array.dtype)
    return array


SGD = numpy_optimizer(D.SGD, FusedOptimizer, module=__name__)
RMSprop = numpy_optimizer(D.RMSPROP, FusedOptimizer, module=__name__)
Adam = numpy_optimizer(D.ADAM, FusedOptimizer, module=__name__)
AdamW = numpy_optimizer(D.ADAMW, FusedOptimizer, module=__name__)
Adagrad = numpy_optimizer(D.ADAGRAD, FusedOptimizer, module=__name__)
Lion = numpy_optimizer(D.LION, FusedOptimizer, module=__name__)
Adamax = numpy_optimizer(D.ADAMAX, FusedOptimizer, module=__name__)
Adadelta = numpy_optimizer(D.ADADELTA, FusedOptimizer, module=__name__)
Rprop = numpy_optimizer(D.RPROP, FusedOptimizer, module=__name__)
NAdam = numpy_optimizer(D.NADAM, FusedOptimizer, module=__name__)
RAdam = numpy_optimizer(D.RADAM, FusedOptimizer, module=__name__)
ASGD = numpy_optimizer(D.ASGD, FusedOptimizer, module=__name__)
