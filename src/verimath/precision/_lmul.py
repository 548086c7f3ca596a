"""L-Mul (arXiv 2410.00907): a floating-point multiply replaced by one integer addition of the operands'
exponent‖mantissa fields, on numpy arrays and torch tensors with identical bits.

The definition, for operands x = ±(1 + x_m)·2^x_e and y = ±(1 + y_m)·2^y_e with m-bit mantissas:
``L-Mul(x, y) = ±(1 + x_m + y_m + 2^-l(m))·2^(x_e + y_e)``, l(m) = m for m ≤ 3, 3 for m = 4, 4 for m > 4, the
sign by XOR. ``semantics="integer-add"`` (the default; what the paper's hardware argument and its error
figures rest on) adds the fields as integers, so the whole part c of s = x_m + y_m + 2^-l(m) carries into the
exponent: the result is (1 + s - c)·2^(x_e + y_e + c), c = 0, 1, or 2 (from m = 4 on, when both mantissas
are near all ones: 1.9375 × 1.9375 = 4 for m = 4). ``semantics="formula"`` evaluates the expression
literally: (1 + s)·2^(x_e + y_e), which can need one mantissa bit more than m.

Choices (the paper leaves them open):
- Operands are float32 values rounded to m mantissa bits with float32's 8-bit exponent (e8m<m>, nearest,
  ties to even; ``operands="truncate"`` drops the extra bits instead) before the addition; an operand
  subnormal after that is read as zero (flush to zero).
- A zero operand gives a zero of the XOR sign; a result below the smallest normal float32 (2^-126) is a zero
  of that sign (flush to zero); a result past the largest exponent is ±inf.
- NaN in, NaN out; inf × nonzero = ±inf; inf × 0 = NaN. Every NaN is the quiet NaN 0x7FC00000.
The result is exact in float32: m (integer-add) or m + 1 (formula) mantissa bits, m ≤ 22.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from verimath.errors import InputError
from verimath.precision._arrays import Arrays, arrays_for

Semantics = Literal["integer-add", "formula"]
SEMANTICS: tuple[Semantics, ...] = ("integer-add", "formula")
OperandRounding = Literal["nearest", "truncate"]
OPERAND_ROUNDING: tuple[OperandRounding, ...] = ("nearest", "truncate")
"""How float32 operands become m-bit ones: rounded to nearest (ties to even), as a cast does, or truncated
(toward zero), as simple hardware does. The paper does not say; its claims turn on it (see the README)."""
MAX_MANTISSA_BITS = 22
"""The formula reading can carry m + 1 mantissa bits; float32 holds 23."""

_FRACTION = 23
_ONE = 1 << _FRACTION
_INF = 0x7F800000
_BIAS = 127 << _FRACTION


def offset_exponent(mantissa_bits: int) -> int:
    """l(m): the correction term is 2^-l(m)."""
    if mantissa_bits <= 3:
        return mantissa_bits
    return 3 if mantissa_bits == 4 else 4


def check_mantissa_bits(mantissa_bits: int) -> None:
    if isinstance(mantissa_bits, bool) or not isinstance(mantissa_bits, int) \
            or not 1 <= mantissa_bits <= MAX_MANTISSA_BITS:
        raise InputError(f"L-Mul mantissa bits must be an integer from 1 to {MAX_MANTISSA_BITS}, "
                         f"got {mantissa_bits!r}")


@dataclass(frozen=True, slots=True)
class Operand:
    """Operands prepared for L-Mul: sign bit, magnitude bits brought to m mantissa bits, and their classes."""

    sign: Any
    magnitude: Any
    nan: Any
    inf: Any
    zero: Any

    def __getitem__(self, index: Any) -> Operand:
        return Operand(self.sign[index], self.magnitude[index], self.nan[index], self.inf[index],
                       self.zero[index])


def prepare(xp: Arrays, x: Any, mantissa_bits: int, operands: OperandRounding = "nearest") -> Operand:
    """``x`` read as L-Mul operands of ``mantissa_bits`` bits (see the module docstring)."""
    raw = xp.bits(xp.float32(x))
    magnitude = raw & 0x7FFFFFFF
    nan = magnitude > _INF
    shift = _FRACTION - mantissa_bits
    if operands == "nearest":  # half a unit of the last kept bit, less one, plus that bit: ties go to even
        kept = (magnitude + ((1 << (shift - 1)) - 1) + ((magnitude >> shift) & 1)) >> shift
    else:
        kept = magnitude >> shift
    rounded = kept << shift  # a carry out of the mantissa raises the exponent, up to inf's pattern
    finite = ~nan & (magnitude < _INF)
    rounded = xp.where(finite, rounded, magnitude)
    return Operand(raw >> 31, rounded, nan, ~nan & (rounded >= _INF), rounded < _ONE)


def combine(xp: Arrays, x: Operand, y: Operand, mantissa_bits: int, semantics: Semantics) -> Any:
    """The L-Mul products of prepared operands (broadcast against each other), as float32."""
    offset = 1 << (_FRACTION - offset_exponent(mantissa_bits))
    if semantics == "integer-add":
        fields = x.magnitude + y.magnitude - _BIAS + offset
    else:
        exponent = (x.magnitude >> _FRACTION) + (y.magnitude >> _FRACTION) - 127
        mantissa = (x.magnitude & (_ONE - 1)) + (y.magnitude & (_ONE - 1)) + offset
        carried = ((exponent + 1) << _FRACTION) + ((mantissa - _ONE) >> 1)
        fields = xp.where(mantissa >= _ONE, carried, (exponent << _FRACTION) + mantissa)
    magnitude = xp.where(fields < _ONE, 0, xp.where(fields >= _INF, _INF, fields))
    magnitude = xp.where(x.zero | y.zero, 0, magnitude)
    magnitude = xp.where(x.inf | y.inf, _INF, magnitude)
    result = xp.from_bits(((x.sign ^ y.sign) << 31) | magnitude)
    invalid = x.nan | y.nan | (x.inf & y.zero) | (x.zero & y.inf)
    return xp.where(invalid, float("nan"), result)


def lmul(a: Any, b: Any, *, mantissa_bits: int, semantics: Semantics = "integer-add",
         operands: OperandRounding = "nearest") -> Any:
    """L-Mul of ``a`` and ``b`` elementwise (broadcasting), as float32 of their kind (numpy or torch, with
    identical bits). See the module docstring for the definition and the handling of zeros, subnormals,
    overflow, infinities and NaN; ``operands`` says how float32 inputs are brought to ``mantissa_bits``."""
    check_mantissa_bits(mantissa_bits)
    if semantics not in SEMANTICS:
        raise InputError(f"L-Mul semantics must be one of {', '.join(SEMANTICS)}, got {semantics!r}")
    if operands not in OPERAND_ROUNDING:
        raise InputError(f"L-Mul operands must be one of {', '.join(OPERAND_ROUNDING)}, got {operands!r}")
    xp = arrays_for(a, b)
    return combine(xp, prepare(xp, a, mantissa_bits, operands), prepare(xp, b, mantissa_bits, operands),
                   mantissa_bits, semantics)
