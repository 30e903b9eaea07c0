"""Type stubs for fusedopt._core, the private C++ extension."""

from collections.abc import Callable, Mapping
from typing import Any, type_check_only

import numpy as np

# pybind11_builtins.pybind11_type, the metaclass of every class pybind11 binds.
@type_check_only
class _pybind11_type(type): ...

__version__: str

def current_isa() -> str: ...
def available_isas() -> list[str]: ...
def compiled_isas() -> list[str]: ...
def set_isa(name: str) -> None: ...
def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def chunk_layout(threads: int, total: int, granule: int = 1) -> list[int]: ...
def openmp_max_threads() -> int: ...
def openmp_version() -> int: ...
def optimizers() -> dict[str, dict[str, Any]]: ...
def storage_combination(param: str, grad: str, states: list[str]) -> str | None: ...

class OptimizerCore(metaclass=_pybind11_type):
    def __init__(self, algo: str) -> None: ...
    def states_for(self, hyper: Mapping[str, Any]) -> dict[str, float]: ...
    def scalars_for(self, hyper: Mapping[str, Any]) -> dict[str, float]: ...
    def add_params(
        self, params: list[np.ndarray], group: int, hyper: Mapping[str, Any]
    ) -> None: ...
    def step(
        self,
        param_groups: list[dict[str, Any]],
        grads: list[Any],
        hypers: list[Mapping[str, Any]],
        coerce: Callable[[Any, int, np.ndarray], np.ndarray],
    ) -> None: ...
    def state(self, index: int) -> dict[str, np.ndarray]: ...
    def get_step(self, index: int) -> int: ...
    def load_state(self, steps: list[int], arrays: list[dict[str, np.ndarray]]) -> None: ...
    # The torch adapter's path (fusedopt/torch.py): torch tensors read through the C API.
    def use_torch(
        self, tensor_base: Any, storage_base: Any, float32: Any, float64: Any, strided: Any
    ) -> None: ...
    def add_params_torch(self, params: list[Any], group: int) -> None: ...
    def bind_torch(
        self,
        index: int,
        buffers: list[tuple[str, Any, bool]],
        step: Any,
        count: int,
        scalars: list[tuple[str, Any, bool]],
    ) -> None: ...
    def seal_torch(self) -> None: ...
    def step_torch(
        self, groups: list[list[Any]], hypers: list[Mapping[str, Any]], converted: list[Any]
    ) -> tuple[bool, list[tuple[int, bool, str]]] | None: ...

def regularizer_value(arrays: list[np.ndarray], l1: float, l2: float) -> float: ...
def regularizer_grad(
    w: np.ndarray, out: np.ndarray, l1: float, l2: float, accumulate: bool
) -> None: ...

class TorchLbfgsOptions(metaclass=_pybind11_type):
    def __init__(
        self,
        lr: float,
        max_iter: int,
        max_eval: int,
        tolerance_grad: float,
        tolerance_change: float,
        strong_wolfe: bool,
    ) -> None: ...

class TorchLbfgs(metaclass=_pybind11_type):
    def __init__(self, n: int, history_size: int) -> None: ...
    def step(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x: np.ndarray,
        options: TorchLbfgsOptions,
    ) -> dict[str, Any]: ...

def solver_defaults(method: str) -> dict[str, Any]: ...
def status_messages() -> dict[int, str]: ...
def lbfgs_minimize(
    fun: Callable[..., tuple[float, np.ndarray]],
    x: np.ndarray,
    shape: list[int],
    args: tuple[Any, ...],
    options: dict[str, Any],
    l1: float,
    step_scale: float,
    callback: Callable[[np.ndarray], Any] | None,
    gradient_from: str = ...,
) -> dict[str, Any]: ...
def newton_minimize(
    fun: Callable[..., tuple[float, np.ndarray]],
    x: np.ndarray,
    shape: list[int],
    args: tuple[Any, ...],
    options: dict[str, Any],
    step: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray | None, float]],
    callback: Callable[[np.ndarray], Any] | None,
    gradient_from: str = ...,
) -> dict[str, Any]: ...
def newton_cg_minimize(
    fun: Callable[..., tuple[float, np.ndarray]],
    x: np.ndarray,
    shape: list[int],
    args: tuple[Any, ...],
    options: dict[str, Any],
    hessp: Callable[..., Any] | None,
    per_product: bool,
    callback: Callable[[np.ndarray], Any] | None,
    gradient_from: str = ...,
) -> dict[str, Any]: ...
def roofline(arrays: list[np.ndarray], writes: int, passes: int) -> None: ...
