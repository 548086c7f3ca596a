"""Emulated matrix products: a product mode (exact, rounded to an 8-bit format, or L-Mul) × an input format ×
an accumulator format, summed in one fixed order and chunked so memory stays bounded whatever k is."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from verimath.errors import InputError
from verimath.precision._arrays import Arrays, arrays_for
from verimath.precision._formats import FORMATS, Format, byte_codes, byte_values, cast, format_named
from verimath.precision._lmul import (
    Operand,
    OperandRounding,
    check_mantissa_bits,
    combine,
    offset_exponent,
    prepare,
)

DEFAULT_CHUNK = 1 << 20
"""Output elements, and operand elements of a span of k-steps, that ``emulated_matmul`` works on at once: its
temporaries take about 80 bytes per chunk element at most (L-Mul's prepared operands are the largest), so
about 80 MiB by default (measured by ``benchmarks/precision.py``)."""


@dataclass(frozen=True, slots=True)
class MatmulMode:
    """How ``emulated_matmul`` multiplies and adds.

    1. Both operands are cast to ``input`` (saturating, as FP8 pipelines clamp).
    2. Each product a_ik·b_kj is formed by ``product``: ``"exact"`` — the float32 product (exact whenever
       ``input`` has at most 12 significant bits, i.e. every format but fp32; correctly rounded for fp32);
       a format name such as ``"e4m3"`` — that product rounded to the format (saturating), i.e. an FP8
       multiply; ``"lmulM"`` — L-Mul with M mantissa bits (integer-add semantics; operands rounded to M
       bits, or truncated for ``"lmulMt"``).
    3. The products are summed in order k = 0, 1, …, each addition formed in float32 and rounded to
       ``accumulator`` (IEEE: an overflowing sum is ±inf). For bf16/fp16/8-bit accumulators that double
       rounding equals one rounding (float32's 24 bits ≥ 2·11 + 2). The result is the accumulator's value,
       as float32."""

    product: str
    input: Format
    accumulator: Format

    def __post_init__(self) -> None:
        if self.product != "exact" and self.lmul_bits is None and self.product not in FORMATS:
            raise InputError(f"unknown product mode {self.product!r}: exact, lmulM or lmulMt (M = mantissa "
                             f"bits) or a format ({', '.join(FORMATS)})")
        if self.lmul_bits is not None:
            check_mantissa_bits(self.lmul_bits)

    @property
    def lmul_bits(self) -> int | None:
        """M for an ``lmulM`` (or ``lmulMt``) product, else None."""
        found = re.fullmatch(r"lmul(\d+)t?", self.product)
        return int(found.group(1)) if found else None

    @property
    def lmul_operands(self) -> OperandRounding:
        """How an L-Mul product brings its operands to M bits: ``lmulMt`` truncates, ``lmulM`` rounds."""
        return "truncate" if self.product.endswith("t") else "nearest"

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
mantissa bits (operands rounded to M bits inside L-Mul; ``lmulMt``: truncated), float32 accumulation."""


def parse_mode(name: str) -> MatmulMode:
    """The mode for an arm name: a short name of ``ARMS``, ``lmulM`` / ``lmulMt``, or
    ``product:input:accumulator`` (e.g. ``exact:e4m3:fp32``, ``lmul3:bf16:bf16``). ``InputError`` names what
    is wrong."""
    text = name.strip()
    if re.fullmatch(r"lmul\d+t?", text):
        text = f"{text}:fp32:fp32"
    text = ARMS.get(text, text)
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(f"unknown arm {name!r}: use one of {', '.join([*ARMS, 'lmulM', 'lmulMt'])} "
                         "or product:input:accumulator")
    product, input_name, accumulator_name = parts
    return MatmulMode(product, format_named(input_name), format_named(accumulator_name))


def emulated_matmul(a: Any, b: Any, mode: MatmulMode, *, chunk: int = DEFAULT_CHUNK) -> Any:
    """``a @ b`` under ``mode`` for ``(..., n, k)`` by ``(..., k, p)`` (batch dimensions broadcast), numpy
    arrays or torch tensors (identical bits), as float32.

    Every output element is the sum, from +0 and in order k = 0, 1, …, of its products (``MatmulMode``
    says how each is formed and rounded). The work goes by blocks of output elements, at most
    ``max(chunk, p)`` at once, and within a block by spans of k-steps whose operands (cast and prepared) hold
    at most about ``max(chunk, n, p)`` elements; products of several k-steps are formed at once while the
    block is small (``_GROUP``), and added one k-step at a time. Beyond the caller's inputs, peak memory is
    the output plus about 80 bytes per ``chunk`` element at most, whatever k is. The order of each sum does
    not depend on the blocks, so neither does the result. NaN results are the quiet NaN 0x7FC00000."""
    xp = arrays_for(a, b)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise InputError(f"chunk must be a positive integer, got {chunk!r}")
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if len(a_shape) < 2 or len(b_shape) < 2 or a_shape[-1] != b_shape[-2]:
        raise InputError(f"cannot multiply shapes {a_shape} and {b_shape}: need (..., n, k) @ (..., k, p)")
    try:
        batch_shape = tuple(xp.np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    except ValueError:
        raise InputError(f"batch dimensions of {a_shape} and {b_shape} do not broadcast") from None
    (n, k), p = a_shape[-2:], b_shape[-1]
    batch = math.prod(batch_shape)
    left = xp.broadcast_to(a, (*batch_shape, n, k)).reshape(batch, n, k)
    right = xp.broadcast_to(b, (*batch_shape, k, p)).reshape(batch, k, p)
    out = xp.zeros((batch, n, p), like=left)
    with xp.ieee():
        for block in _blocks(batch, n, p, chunk):
            total = xp.zeros(out[block].shape, like=left)
            matrices, rows = total.shape[:2]
            span = max(1, chunk // (matrices * max(rows, p)))
            for start in range(0, k, span):
                steps = slice(start, min(start + span, k))
                multiply = _multiplier(xp, cast(left[(*block, steps)], mode.input, saturate=True),
                                       cast(right[block[0], steps, :], mode.input, saturate=True), mode)
                group = max(1, _GROUP // xp.size(total))
                for first in range(0, steps.stop - steps.start, group):
                    products = multiply(slice(first, min(first + group, steps.stop - steps.start)))
                    for step in range(products.shape[2]):
                        if mode.accumulator.name == "fp32":
                            total += products[:, :, step, :]
                        else:
                            total = cast(total + products[:, :, step, :], mode.accumulator)
            out[block] = total
    return xp.canonical_nan(out).reshape(*batch_shape, n, p)


Block = tuple[slice, slice]
"""A block of output elements: a slice of the (flattened) batch and a slice of the rows."""


def _blocks(batch: int, n: int, p: int, chunk: int) -> list[Block]:
    if n * p <= chunk:
        matrices = max(1, chunk // (n * p))
        return [(slice(i, i + matrices), slice(0, n)) for i in range(0, batch, matrices)]
    rows = max(1, chunk // p)
    return [(slice(i, i + 1), slice(r, r + rows)) for i in range(batch) for r in range(0, n, rows)]


Multiplier = Callable[[slice], Any]
"""The products of one output block at some k-steps of a span: (matrices, rows, steps, p), float32."""
_GROUP = 1 << 16
"""Products formed at once (k-steps grouped while the output block is small): few array operations per
k-step for small matrices, cache-sized arrays for large ones."""


def emulated_multiply(a: Any, b: Any, mode: MatmulMode) -> Any:
    """The products ``emulated_matmul`` forms, elementwise (broadcasting): ``a`` and ``b`` cast to
    ``mode.input``, multiplied as ``mode.product`` says; float32 of their kind (numpy or torch, identical
    bits). What ``verimath precision ops`` measures."""
    xp = arrays_for(a, b)
    left, right = cast(a, mode.input, saturate=True), cast(b, mode.input, saturate=True)
    bits, operands = mode.lmul_bits, mode.lmul_operands
    if bits is not None:
        return combine(xp, prepare(xp, left, bits, operands), prepare(xp, right, bits, operands), bits,
                       "integer-add")
    return _rounded_products(xp, left, right, mode)


def _rounded_products(xp: Arrays, left: Any, right: Any, mode: MatmulMode) -> Any:
    """float32 products of operands already in ``mode.input``, rounded to the product format if any."""
    with xp.ieee():
        exact = left * right
    fmt = mode.product_format
    return exact if fmt is None else cast(exact, fmt, saturate=True)


def _multiplier(xp: Arrays, left: Any, right: Any, mode: MatmulMode) -> Multiplier:
    """Products for a span: ``left`` (matrices, rows, steps) and ``right`` (matrices, steps, p), in
    ``mode.input`` already."""
    bits, operands = mode.lmul_bits, mode.lmul_operands
    if bits is not None:
        return _lmul_multiplier(xp, prepare(xp, left, bits, operands), prepare(xp, right, bits, operands),
                                bits)
    if mode.input.exponent_bits + mode.input.mantissa_bits == 7:
        return _table_multiplier(xp, left, right, mode)

    def multiply(steps: slice) -> Any:
        return _rounded_products(xp, left[:, :, steps, None], right[:, None, steps, :], mode)

    return multiply


def _table_multiplier(xp: Arrays, left: Any, right: Any, mode: MatmulMode) -> Multiplier:
    """Products of 8-bit inputs, looked up by the operands' bit patterns in the 256 × 256 table of every
    product, which ``_rounded_products`` itself fills (so the bits are those of the direct path): an index
    addition and a gather instead of a multiply and a float8 cast per product."""
    values = byte_values(xp, mode.input, left)
    table = _rounded_products(xp, values[:, None], values[None, :], mode).reshape(-1)
    left_rows = byte_codes(xp, left, mode.input) * 256
    right_columns = byte_codes(xp, right, mode.input)

    def look_up(steps: slice) -> Any:
        return table[left_rows[:, :, steps, None] + right_columns[:, None, steps, :]]

    return look_up


def _lmul_multiplier(xp: Arrays, left: Operand, right: Operand, bits: int) -> Multiplier:
    """L-Mul products. Without NaN or infinite operands (the usual case) each product is one int32 addition
    of exponent‖mantissa fields (in units of the last mantissa bit; a zero operand stands for a field so
    negative that every sum with it is below zero), a clamp to [0, inf's field] (zeros and overflow), the
    flush of underflowing results (skipped when the operands' exponents rule underflow out) and the sign's
    XOR: the bits of ``combine``, in a few in-place passes. With NaN or infinite operands, ``combine``."""
    if xp.any(left.nan | left.inf) or xp.any(right.nan | right.inf):
        def general(steps: slice) -> Any:
            return combine(xp, left[:, :, steps, None], right[:, None, steps, :], bits, "integer-add")

        return general
    shift = 23 - bits
    zero_field = -(1 << (bits + 10))
    bias = (127 << bits) - (1 << (bits - offset_exponent(bits)))
    smallest, infinite = 1 << bits, 255 << bits
    left_fields = xp.int32(xp.where(left.zero, zero_field, left.magnitude >> shift))
    right_fields = xp.int32(xp.where(right.zero, zero_field, (right.magnitude >> shift) - bias))
    left_signs = xp.int32(xp.where(left.sign == 1, _INT32_SIGN, 0))
    right_signs = xp.int32(xp.where(right.sign == 1, _INT32_SIGN, 0))
    may_underflow = (_smallest_field(xp, left_fields, zero_field)
                     + _smallest_field(xp, right_fields, zero_field) < smallest)

    def fast(steps: slice) -> Any:
        fields = left_fields[:, :, steps, None] + right_fields[:, None, steps, :]
        if may_underflow:
            xp.zero_below_(fields, smallest)
        xp.clamp_(fields, 0, infinite)
        fields <<= shift
        fields ^= left_signs[:, :, steps, None]
        fields ^= right_signs[:, None, steps, :]
        return xp.int32_as_float32(fields)

    return fast


def _smallest_field(xp: Arrays, fields: Any, zero_field: int) -> int:
    """The smallest field of a nonzero operand (zero operands need no flush: their sums stay below zero)."""
    flat = xp.where(fields == zero_field, 1 << 30, fields).reshape(-1)
    return int(flat.min()) if len(flat) else 1 << 30


_INT32_SIGN = -(1 << 31)
