"""NumPy optimizer classes derived from their declarations (``_declarations``).

Shared by the fused optimizers (:mod:`fusedopt.optim`) and the NumPy
reference (:mod:`fusedopt.reference`), which differ only in where the state
lives and who does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ._declarations import Declaration
from ._optimizer import Optimizer, ParamsT

PARAMS_DOC = """params : list of ndarray, or list of dict
    C-contiguous, writeable float32 or float64 arrays, updated in place;
    or parameter groups, dicts with ``'params'`` and per-group overrides
    of the keyword arguments below."""

STEP_DOC = """Call ``opt.step(grads)`` with one gradient per parameter (in order of
appearance across groups; ``None`` skips a parameter, its state and its
step count). The gradient may be any real array of the parameter's shape;
it is converted to the parameter's dtype if needed, never the parameter."""

OptimizerT = TypeVar("OptimizerT", bound=type[Optimizer])


class DeclaredOptimizer(Optimizer):
    """An :class:`Optimizer` whose algorithm is a :class:`Declaration`."""

    declaration: Declaration

    def __init__(self, params: ParamsT, *args: Any, **kwargs: Any) -> None:
        # The signature is the declaration's (set on each derived class):
        # Optimizer.__new__ has bound the arguments to it already.
        signature = type(self).__init__.__signature__  # type: ignore[attr-defined]
        bound = signature.bind(self, params, *args, **kwargs)
        bound.apply_defaults()
        values = {k: v for k, v in bound.arguments.items() if k not in ("self", "params")}
        super().__init__(params, values | dict(self.declaration.fixed))

    def _check_group(self, group: Mapping[str, Any]) -> None:
        self.declaration.check(group)


def numpy_optimizer(
    declaration: Declaration, base: OptimizerT, *, module: str, doc: str | None = None
) -> OptimizerT:
    """The class ``declaration.name`` on ``base`` (a storage for the state):
    the declaration's signature, defaults, checks, state names and docstring."""

    def __init__(self: Any, params: ParamsT, *args: Any, **kwargs: Any) -> None:
        DeclaredOptimizer.__init__(self, params, *args, **kwargs)

    __init__.__signature__ = declaration.signature(torch=False)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{declaration.name}.__init__"
    namespace = {
        "__init__": __init__,
        "__module__": module,
        "__qualname__": declaration.name,
        "__doc__": doc
        or declaration.docstring(torch=False, params_doc=PARAMS_DOC, step_doc=STEP_DOC),
        "declaration": declaration,
        "state_names": declaration.state_names,
        "scalar_names": declaration.scalar_names,
        "has_step": declaration.has_step,
        "load_overrides": dict(declaration.fixed),
    }
    return type(declaration.name, (DeclaredOptimizer, base), namespace)  # type: ignore[return-value]
