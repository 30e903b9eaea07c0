"""The dtypes the optimizers store parameters, gradients and state in (tests only)."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

bfloat16 = np.dtype(ml_dtypes.bfloat16)

# Every storage dtype, with short test ids.
STEP_DTYPES = [np.dtype(np.float32), np.dtype(np.float64), bfloat16, np.dtype(np.float16)]
STEP_DTYPE_IDS = ["f32", "f64", "bf16", "f16"]


def to_torch(a: np.ndarray) -> Any:
    """A torch tensor with a copy of ``a``'s values and dtype (bfloat16 too)."""
    import torch

    if a.dtype == bfloat16:
        return torch.from_numpy(a.view(np.int16).copy()).view(torch.bfloat16)
    return torch.tensor(a.copy())


def torch_dtype(dtype: np.dtype) -> Any:
    import torch

    return torch.bfloat16 if dtype == bfloat16 else getattr(torch, np.dtype(dtype).name)
