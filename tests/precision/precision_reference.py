"""Float64 references of the lab's definitions, written independently of ``verimath.precision``: values by
``frexp``/``ldexp`` and real-number rounding, never by bit fields."""

from __future__ import annotations

import numpy as np

SMALLEST_NORMAL = 2.0**-126
OVERFLOW = 2.0**128


def offset_exponent(m: int) -> int:
    return m if m <= 3 else (3 if m == 4 else 4)


def round_to_mantissa(x: np.ndarray, m: int, operands: str = "nearest") -> np.ndarray:
    """``x`` (float64 holding float32 values) rounded to nearest-even (or truncated toward zero) on the grid
    of a format with float32's exponent range (subnormals included) and m fraction bits; overflow to ±inf."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        exponent = np.frexp(np.where(np.isfinite(x) & (x != 0), x, 1.0))[1] - 1
        quantum = np.exp2(np.maximum(exponent - m, -126 - m))
        rounded = (np.round(x / quantum) if operands == "nearest" else np.trunc(x / quantum)) * quantum
    rounded = np.where(np.isfinite(x), rounded, x)
    return np.where(np.abs(rounded) >= OVERFLOW, np.copysign(np.inf, x), rounded)


def lmul(x: np.ndarray, y: np.ndarray, m: int, semantics: str = "integer-add",
         operands: str = "nearest") -> np.ndarray:
    """L-Mul by the paper's formula in float64, with the lab's documented edge cases."""
    x, y = np.broadcast_arrays(round_to_mantissa(x, m, operands), round_to_mantissa(y, m, operands))
    sign = np.where(np.signbit(x) ^ np.signbit(y), -1.0, 1.0)
    zero_x = np.abs(x) < SMALLEST_NORMAL
    zero_y = np.abs(y) < SMALLEST_NORMAL
    inf_x, inf_y = np.isinf(x), np.isinf(y)
    finite = ~(zero_x | zero_y | inf_x | inf_y | np.isnan(x) | np.isnan(y))
    fx, ex = np.frexp(np.where(finite, np.abs(x), 1.0))
    fy, ey = np.frexp(np.where(finite, np.abs(y), 1.0))
    total = (2 * fx - 1) + (2 * fy - 1) + 2.0 ** -offset_exponent(m)
    scale = np.ldexp(1.0, (ex - 1) + (ey - 1))
    if semantics == "integer-add":
        carry = np.floor(total)  # integer addition: every whole unit of the mantissa sum raises the exponent
        value = (1 + total - carry) * scale * 2.0**carry
    else:
        value = (1 + total) * scale
    value = np.where(value < SMALLEST_NORMAL, 0.0, np.where(value >= OVERFLOW, np.inf, value))
    value = np.where(zero_x | zero_y, 0.0, value)
    value = np.where(inf_x | inf_y, np.inf, value)
    value = sign * value
    invalid = np.isnan(x) | np.isnan(y) | (inf_x & zero_y) | (zero_x & inf_y)
    return np.where(invalid, np.nan, value)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """float32 arrays equal bit for bit, every NaN counted as the same NaN."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and bool(np.all((a.view(np.uint32) == b.view(np.uint32))
                                              | (np.isnan(a) & np.isnan(b))))


def exact_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """float32 arrays equal bit for bit, NaNs included."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint32), b.view(np.uint32)))


def ml_cast(x: np.ndarray, dtype: object, limit: float | None = None) -> np.ndarray:
    """float32 ``x`` rounded by ml_dtypes to ``dtype`` (float32 itself for None); with ``limit``, finite
    values first clipped to ±limit (saturation)."""
    x = np.asarray(x, dtype=np.float32)
    if limit is not None:
        x = np.where(np.isinf(x), x, np.clip(x, -limit, limit)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return x if dtype is None else x.astype(dtype).astype(np.float32)


def matmul(a: np.ndarray, b: np.ndarray, *, product: str, input_dtype: object, input_max: float | None,
           product_dtype: object = None, product_max: float | None = None,
           accumulator_dtype: object = None) -> np.ndarray:
    """The documented emulated matmul, one k-step at a time in float64 and float32 scalars' arithmetic:
    inputs cast (saturating), each product formed (``exact``: float32 product, then ``product_dtype`` if
    given; ``lmulM``: the float64 L-Mul above), sums from +0 in order k = 0, 1, … rounded to float32 and then
    to the accumulator."""
    a = ml_cast(a, input_dtype, input_max).astype(np.float64)
    b = ml_cast(b, input_dtype, input_max).astype(np.float64)
    total = np.zeros((*np.broadcast_shapes(a.shape[:-1], (*b.shape[:-2], 1)), b.shape[-1]), np.float32)
    for step in range(a.shape[-1]):
        x, y = a[..., :, step, None], b[..., None, step, :]
        if product.startswith("lmul"):
            operands = "truncate" if product.endswith("t") else "nearest"
            term = lmul(x, y, int(product[4:].rstrip("t")), operands=operands).astype(np.float32)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                term = ml_cast((x * y).astype(np.float32), product_dtype, product_max)
        with np.errstate(over="ignore", invalid="ignore"):
            total = ml_cast((total.astype(np.float64) + term).astype(np.float32), accumulator_dtype)
    return np.where(np.isnan(total), np.float32(np.nan), total)  # NaNs are canonical
