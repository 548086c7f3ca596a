"""Emulated matrix products: a product mode (exact, rounded to an 8-bit format, or L-Mul) × an input format ×
an accumulator format, summed in one fixed order and chunked so memory stays bounded whatever k is."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from verimath.errors import InputError
from verimath.precision._arrays import Arrays, arrays_for
from verimath.precision._formats import FORMATS, Format, cast, format_named
from verimath.precision._lmul import check_mantissa_bits, combine, prepare

DEFAULT_CHUNK = 1 << 22
"""Products held at once by ``emulated_matmul`` (16 MiB of float32 products; the L-Mul path holds int64
operand fields of the same count, a small multiple of that)."""


@dataclass(frozen=True, slots=True)
class MatmulMode:
    """How ``emulated_matmul`` multiplies and adds.

    1. Both operands are cast to ``input`` (saturating, as FP8 pipelines clamp).
    2. Each product a_ik·b_kj is formed by ``product``: ``"exact"`` — the float32 product (exact whenever
       ``input`` has at most 12 significant bits, i.e. every format but fp32; correctly rounded for fp32);
       a format name such as ``"e4m3"`` — that product rounded to the format (saturating), i.e. an FP8
       multiply; ``"lmulM"`` — L-Mul with M mantissa bits (integer-add semantics).
    3. The products are summed in order k = 0, 1, …, each addition formed in float32 and rounded to
       ``accumulator`` (IEEE: an overflowing sum is ±inf). For bf16/fp16/8-bit accumulators that double
       rounding equals one rounding (float32's 24 bits ≥ 2·11 + 2). The result is the accumulator's value,
       as float32."""

    product: str
    input: Format
    accumulator: Format

    def __post_init__(self) -> None:
        if self.product != "exact" and self.lmul_bits is None and self.product not in FORMATS:
            raise InputError(f"unknown product mode {self.product!r}: exact, lmulM (M = mantissa bits) "
                             f"or a format ({', '.join(FORMATS)})")
        if self.lmul_bits is not None:
            check_mantissa_bits(self.lmul_bits)

    @property
    def lmul_bits(self) -> int | None:
        """M for an ``lmulM`` product, else None."""
        found = re.fullmatch(r"lmul(\d+)", self.product)
        return int(found.group(1)) if found else None

    @property
    def product_format(self) -> Format | None:
        """The format products are rounded to, for a format product mode."""
        return FORMATS.get(self.product)

    @property
    def name(self) -> str:
        """The long form ``product:input:accumulator``, which ``parse_mode`` reads back."""
        return f"{self.product}:{self.input.name}:{self.accumulator.name}"


ARMS: dict[str, str] = {
    "fp32": "exact:fp32:fp32",
    "bf16": "exact:bf16:fp32",
    "fp16": "exact:fp16:fp32",
    "e4m3": "e4m3:e4m3:fp32",
    "e5m2": "e5m2:e5m2:fp32",
    "e3m4": "e3m4:e3m4:fp32",
}
"""Short arm names and the modes they stand for. ``bf16``/``fp16``: inputs rounded, products exact, float32
accumulation (what tensor cores do). The 8-bit arms round inputs *and* every product to the format, with
float32 accumulation: a multiply done in FP8, the operation the paper compares L-Mul against (its error
figures, ≈4.5% for e4m3 and ≈7.2% for e5m2 on N(0,1), are those of this definition; FP8 hardware keeps
products exact — write ``exact:e4m3:fp32`` for that). ``lmulM``: float32 inputs, L-Mul products with M
mantissa bits (operands rounded to M bits inside L-Mul), float32 accumulation."""


def parse_mode(name: str) -> MatmulMode:
    """The mode for an arm name: a short name of ``ARMS``, ``lmulM``, or ``product:input:accumulator`` (e.g.
    ``exact:e4m3:fp32``, ``lmul3:bf16:bf16``). ``InputError`` names what is wrong."""
    text = name.strip()
    if re.fullmatch(r"lmul\d+", text):
        text = f"{text}:fp32:fp32"
    text = ARMS.get(text, text)
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(f"unknown arm {name!r}: use one of {', '.join([*ARMS, 'lmulM'])} "
                         "or product:input:accumulator")
    product, input_name, accumulator_name = parts
    return MatmulMode(product, format_named(input_name), format_named(accumulator_name))


def emulated_matmul(a: Any, b: Any, mode: MatmulMode, *, chunk: int = DEFAULT_CHUNK) -> Any:
    """``a @ b`` under ``mode`` for ``(..., n, k)`` by ``(..., k, p)`` (batch dimensions broadcast), numpy
    arrays or torch tensors (identical bits), as float32.

    At most ``max(chunk, batch·n·p)`` products are held at once (the k-steps are taken in blocks), so peak
    memory is the output plus a multiple of ``chunk`` whatever k is. The summation order is fixed (k
    ascending), so the result does not depend on ``chunk``."""
    xp = arrays_for(a, b)
    if chunk < 1:
        raise InputError(f"chunk must be at least 1, got {chunk}")
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if len(a_shape) < 2 or len(b_shape) < 2 or a_shape[-1] != b_shape[-2]:
        raise InputError(f"cannot multiply shapes {a_shape} and {b_shape}: need (..., n, k) @ (..., k, p)")
    steps = a_shape[-1]
    left, right = cast(a, mode.input, saturate=True), cast(b, mode.input, saturate=True)
    if mode.lmul_bits is not None:
        left, right = prepare(xp, left, mode.lmul_bits), prepare(xp, right, mode.lmul_bits)
    batch = _broadcast_size(a_shape[:-2], b_shape[:-2])
    block = max(1, chunk // max(1, batch * a_shape[-2] * b_shape[-1]))
    total: Any = None
    for start in range(0, steps, block):
        span = slice(start, min(start + block, steps))
        products = _products(xp, left[..., :, span, None], right[..., None, span, :], mode)
        for step in range(products.shape[-2]):
            term = products[..., :, step, :]
            total = _round_sum(term, mode) if total is None else _round_sum(total + term, mode)
    if total is None:
        return _zeros(xp, a_shape[:-2], b_shape[:-2], a_shape[-2], b_shape[-1], a)
    return total


def _products(xp: Arrays, left: Any, right: Any, mode: MatmulMode) -> Any:
    if mode.lmul_bits is not None:
        return combine(xp, left, right, mode.lmul_bits, "integer-add")
    exact = left * right
    fmt = mode.product_format
    return exact if fmt is None else cast(exact, fmt, saturate=True)


def _round_sum(value: Any, mode: MatmulMode) -> Any:
    return value if mode.accumulator.name == "fp32" else cast(value, mode.accumulator)


def _broadcast_size(left: tuple[int, ...], right: tuple[int, ...]) -> int:
    size = 1
    for x, y in zip(reversed(left), reversed(right), strict=False):
        if x != y and 1 not in (x, y):
            raise InputError(f"batch dimensions {left} and {right} do not broadcast")
        size *= max(x, y)
    longer = left if len(left) > len(right) else right
    return size * math.prod(longer[:abs(len(left) - len(right))])


def _zeros(xp: Arrays, left: tuple[int, ...], right: tuple[int, ...], n: int, p: int, like: Any) -> Any:
    """The empty sum (k = 0): zeros of the broadcast shape."""
    shape = (*xp.np.broadcast_shapes(left, right), n, p)
    if xp.torch is not None:
        return xp.torch.zeros(shape, dtype=xp.torch.float32, device=like.device)
    return xp.np.zeros(shape, dtype=xp.np.float32)
