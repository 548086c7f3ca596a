"""Number formats and casts: fp32, bf16, fp16 and the OCP 8-bit formats (e4m3 = float8_e4m3fn, e5m2) plus
e3m4, rounded to nearest with ties to even by ``ml_dtypes`` (numpy) or by torch's own dtypes where torch's
conversion gives the same bits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from verimath.errors import InputError, import_extra
from verimath.precision._arrays import NEEDED_BY, Arrays, arrays_for


@dataclass(frozen=True, slots=True)
class Format:
    """A binary floating-point format with subnormals.

    Values are held in float32 arrays throughout the lab: a cast rounds a float32 value to the nearest value
    of the format and keeps it as a float32 (every format here is a subset of float32)."""

    name: str
    """Short name, as the CLI and arm names use it: fp32, bf16, fp16, e4m3, e5m2, e3m4."""
    exponent_bits: int
    mantissa_bits: int
    """Stored fraction bits (the leading 1 of normal numbers not counted)."""
    max: float
    """Largest finite value."""
    smallest_normal: float
    smallest_subnormal: float
    has_infinity: bool
    """False for e4m3 (float8_e4m3fn), whose only special value is NaN (S.1111.111)."""
    dtype_name: str
    """The numpy or ``ml_dtypes`` dtype holding it."""
    torch_dtype_name: str | None
    """The torch dtype holding it, or None (e3m4: torch has none, its torch casts go through ml_dtypes)."""

    @property
    def overflow_threshold(self) -> float:
        """The magnitude from which rounding to nearest leaves the finite range: ``max`` plus half an ulp of
        ``max``. A value exactly there is a tie; it overflows when ``max``'s last mantissa bit is 1 (ties go
        to even: e5m2, e3m4, fp16, bf16) and rounds to ``max`` when it is 0 (e4m3: max = 1.110b·2^8)."""
        exponent = math.floor(math.log2(self.max))
        return self.max + 2.0 ** (exponent - self.mantissa_bits - 1)

    @property
    def tie_overflows(self) -> bool:
        exponent = math.floor(math.log2(self.max))
        return int(self.max / 2.0 ** (exponent - self.mantissa_bits)) % 2 == 1


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("fp32", 8, 23, 3.4028234663852886e38, 2.0**-126, 2.0**-149, True, "float32", "float32"),
    Format("bf16", 8, 7, 3.3895313892515355e38, 2.0**-126, 2.0**-133, True, "bfloat16", "bfloat16"),
    Format("fp16", 5, 10, 65504.0, 2.0**-14, 2.0**-24, True, "float16", "float16"),
    Format("e4m3", 4, 3, 448.0, 2.0**-6, 2.0**-9, False, "float8_e4m3fn", "float8_e4m3fn"),
    Format("e5m2", 5, 2, 57344.0, 2.0**-14, 2.0**-16, True, "float8_e5m2", "float8_e5m2"),
    Format("e3m4", 3, 4, 15.5, 2.0**-2, 2.0**-6, True, "float8_e3m4", None),
)}
"""Every format the lab knows, by name."""


def format_named(name: str) -> Format:
    """The format called ``name`` (``InputError`` listing the known ones otherwise)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError(f"unknown number format {name!r}; known: {', '.join(FORMATS)}") from None


def numpy_dtype(fmt: Format) -> Any:
    """The numpy dtype of ``fmt`` (``ml_dtypes``' for the narrow formats)."""
    np = import_extra("numpy", "precision", NEEDED_BY)
    if hasattr(np, fmt.dtype_name):
        return getattr(np, fmt.dtype_name)
    return getattr(import_extra("ml_dtypes", "precision", NEEDED_BY), fmt.dtype_name)


def byte_codes(xp: Arrays, x: Any, fmt: Format) -> Any:
    """The bit patterns (0..255, as int32) of float32 values already in the 8-bit format ``fmt``."""
    if xp.torch is not None and fmt.torch_dtype_name is not None:
        return x.to(getattr(xp.torch, fmt.torch_dtype_name)).view(xp.torch.uint8).to(xp.torch.int32)
    host = x.cpu().numpy() if xp.torch is not None else x
    codes = host.astype(numpy_dtype(fmt)).view(xp.np.uint8).astype(xp.np.int32)
    return xp.torch.from_numpy(codes).to(x.device) if xp.torch is not None else codes


def byte_values(xp: Arrays, fmt: Format, like: Any) -> Any:
    """The 256 values of the 8-bit format ``fmt`` as float32, by bit pattern, on ``like``'s device."""
    values = xp.np.arange(256, dtype=xp.np.uint8).view(numpy_dtype(fmt)).astype(xp.np.float32)
    return xp.torch.from_numpy(values).to(like.device) if xp.torch is not None else values


def cast(x: Any, fmt: Format, *, saturate: bool = False) -> Any:
    """``x`` rounded to ``fmt`` (nearest, ties to even), returned as float32 of the same kind: a numpy array
    for a numpy array or a scalar, a tensor on the same device for a torch tensor. Inputs are first rounded to
    float32 (float64 inputs, on both paths, so the two agree).

    Overflow follows the OCP 8-bit spec's non-saturating conversion, as ``ml_dtypes`` does: a value at or past
    ``fmt.overflow_threshold`` becomes ±inf, or NaN in e4m3 (which has no infinity); infinities become NaN in
    e4m3. With ``saturate`` finite values past the range become ±``max`` instead (the spec's saturating mode,
    what FP8 pipelines use); infinities and NaN still convert as above. Subnormals are kept (no flushing).
    Every NaN comes out as the one quiet NaN 0x7FC00000.

    torch: bf16, fp16, e4m3 and e5m2 use torch's own conversions, which round like ``ml_dtypes``; torch's
    float→float8_e4m3fn conversion saturates (even ±inf → ±448) where ``ml_dtypes`` gives NaN, so overflow is
    re-marked here from the input; e3m4 has no torch dtype and goes through ``ml_dtypes`` on the host."""
    xp = arrays_for(x)
    x32 = xp.float32(x)
    if fmt.name == "fp32":
        return xp.canonical_nan(x32)
    if xp.torch is None or fmt.torch_dtype_name is None:
        return _cast_with_ml_dtypes(xp, x32, fmt, saturate)
    dtype, torch = getattr(xp.torch, fmt.torch_dtype_name), xp.torch
    if saturate:
        rounded = x32.clamp(-fmt.max, fmt.max).to(dtype).to(torch.float32)
        rounded = xp.where(xp.isinf(x32), x32 if fmt.has_infinity else math.nan, rounded)
    else:
        rounded = x32.to(dtype).to(torch.float32)
        if not fmt.has_infinity:  # torch saturates where the format has no infinity; ml_dtypes gives NaN
            rounded = xp.where(_overflows(xp, x32, fmt), math.nan, rounded)
    return xp.canonical_nan(rounded)


def _cast_with_ml_dtypes(xp: Arrays, x32: Any, fmt: Format, saturate: bool) -> Any:
    """The numpy path (and torch's for formats torch lacks, on the host)."""
    host = x32.cpu().numpy() if xp.torch is not None else x32
    np = xp.np
    if saturate:
        host = np.where(np.isinf(host), host, np.clip(host, -fmt.max, fmt.max)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is defined above, not an accident
        rounded = host.astype(numpy_dtype(fmt)).astype(np.float32)
    rounded = np.where(np.isnan(rounded), np.float32(np.nan), rounded)
    return xp.torch.from_numpy(rounded).to(x32.device) if xp.torch is not None else rounded


def _overflows(xp: Arrays, x32: Any, fmt: Format) -> Any:
    """Where rounding to nearest leaves ``fmt``'s finite range (infinities included)."""
    magnitude = xp.abs(x32)
    threshold = fmt.overflow_threshold
    return magnitude >= threshold if fmt.tie_overflows else magnitude > threshold
