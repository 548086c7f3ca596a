"""One vocabulary over numpy arrays and torch tensors, so every algorithm of the lab is written once and the
two give identical bits: float32 conversion, the float32 bit pattern as an int64 and back, and ``where``."""

from __future__ import annotations

from typing import Any

from verimath.errors import InputError, import_extra

NEEDED_BY = "verimath.precision"


class Arrays:
    """The operations the lab needs, for numpy (``torch`` False) or torch (``torch`` True)."""

    def __init__(self, torch: Any | None) -> None:
        self.torch = torch
        self.np = import_extra("numpy", "precision", NEEDED_BY)

    @property
    def is_torch(self) -> bool:
        return self.torch is not None

    def float32(self, x: Any) -> Any:
        """``x`` as float32 (wider floats are rounded to nearest, ties to even)."""
        if self.torch is not None:
            return x.to(self.torch.float32)
        return self.np.asarray(x, dtype=self.np.float32)

    def bits(self, x32: Any) -> Any:
        """The float32 bit patterns of ``x32`` as non-negative int64 values (0 .. 2^32 - 1)."""
        if self.torch is not None:
            return x32.contiguous().view(self.torch.int32).to(self.torch.int64) & 0xFFFFFFFF
        return self.np.asarray(x32, dtype=self.np.float32).view(self.np.uint32).astype(self.np.int64)

    def from_bits(self, bits: Any) -> Any:
        """float32 values from bit patterns held as int64 values 0 .. 2^32 - 1."""
        if self.torch is not None:
            signed = bits - ((bits >> 31) << 32)
            return signed.to(self.torch.int32).view(self.torch.float32)
        return bits.astype(self.np.uint32).view(self.np.float32)

    def where(self, condition: Any, yes: Any, no: Any) -> Any:
        if self.torch is not None:
            return self.torch.where(condition, yes, no)
        return self.np.where(condition, yes, no)

    def isnan(self, x: Any) -> Any:
        return (self.torch or self.np).isnan(x)

    def isinf(self, x: Any) -> Any:
        return (self.torch or self.np).isinf(x)

    def abs(self, x: Any) -> Any:
        return (self.torch or self.np).abs(x)

    def canonical_nan(self, x32: Any) -> Any:
        """Every NaN of ``x32`` replaced by the one quiet NaN 0x7FC00000: payloads and signs of NaNs are not
        part of what the lab promises, so both array kinds give the same bits."""
        return self.where(self.isnan(x32), float("nan"), x32)


def arrays_for(*values: Any) -> Arrays:
    """The vocabulary for ``values``: torch when every value is a tensor, numpy when none is.

    Mixing the two is an ``InputError``: the results would have to live in one of them, silently."""
    tensors = [type(v).__module__.startswith("torch") for v in values]
    if any(tensors) and not all(tensors):
        raise InputError("mixes torch tensors and numpy arrays: pass all of one kind")
    if all(tensors) and values:
        return Arrays(import_extra("torch", "precision", NEEDED_BY))
    return Arrays(None)
