"""The parameter lists ``fusedopt bench`` times a step on."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Shape = tuple[int, ...]

GPT2_TENSORS, GPT2_PARAMS = 148, 124_439_808
RESNET50_TENSORS, RESNET50_PARAMS = 161, 25_557_032


@dataclass(frozen=True)
class Workload:
    """A named list of parameter shapes; ``kind`` is "size" (one tensor) or "model"."""

    name: str
    shapes: tuple[Shape, ...]
    kind: str

    @property
    def numel(self) -> int:
        return sum(math.prod(s) for s in self.shapes)

    @property
    def tensors(self) -> int:
        return len(self.shapes)


def gpt2_small_shapes() -> tuple[Shape, ...]:
    """GPT-2 small's parameters in Hugging Face order: wte, wpe, 12 blocks, ln_f."""
    d, vocab, ctx = 768, 50257, 1024
    block: list[Shape] = [
        (d,), (d,),  # ln_1 weight, bias
        (d, 3 * d), (3 * d,),  # attn.c_attn
        (d, d), (d,),  # attn.c_proj
        (d,), (d,),  # ln_2 weight, bias
        (d, 4 * d), (4 * d,),  # mlp.c_fc
        (4 * d, d), (d,),  # mlp.c_proj
    ]  # fmt: skip
    shapes = (vocab, d), (ctx, d), *block * 12, (d,), (d,)
    _check_count(shapes, GPT2_TENSORS, GPT2_PARAMS)
    return shapes


def resnet50_shapes() -> tuple[Shape, ...]:
    """torchvision's resnet50() parameters: conv weights, batch-norm weight/bias, fc."""
    shapes: list[Shape] = [(64, 3, 7, 7), (64,), (64,)]
    in_ch = 64
    for width, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        for b in range(blocks):
            out_ch = 4 * width
            shapes += [(width, in_ch, 1, 1), (width,), (width,)]
            shapes += [(width, width, 3, 3), (width,), (width,)]
            shapes += [(out_ch, width, 1, 1), (out_ch,), (out_ch,)]
            if b == 0:  # projection shortcut
                shapes += [(out_ch, in_ch, 1, 1), (out_ch,), (out_ch,)]
            in_ch = out_ch
    shapes += [(1000, 2048), (1000,)]
    _check_count(shapes, RESNET50_TENSORS, RESNET50_PARAMS)
    return tuple(shapes)


def _check_count(shapes: Sequence[Shape], tensors: int, params: int) -> None:
    total = sum(math.prod(s) for s in shapes)
    if (len(shapes), total) != (tensors, params):
        raise AssertionError(f"{len(shapes)} tensors, {total} parameters")


def size_label(n: int) -> str:
    """1000 -> '1e3', 2500 -> '2500'."""
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"1e{exponent}" if n == 10**exponent else str(n)


def single_tensor(n: int) -> Workload:
    return Workload(size_label(n), ((n,),), "size")


def model_workloads() -> list[Workload]:
    return [
        Workload("1000x1000", ((1000,),) * 1000, "model"),
        Workload("ResNet-50", resnet50_shapes(), "model"),
        Workload("GPT-2 small", gpt2_small_shapes(), "model"),
    ]
