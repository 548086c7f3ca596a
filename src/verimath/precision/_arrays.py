"""One vocabulary over numpy arrays and torch tensors, so every algorithm of the lab is written once and the
two give identical bits: float32 conversion, the float32 bit pattern as an int64 and back, and ``where``."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from verimath.errors import InputError, import_extra

NEEDED_BY = "verimath.precision"


class Arrays:
    """The operations the lab needs, for numpy (``torch`` False) or torch (``torch`` True)."""

    def __init__(self, torch: Any | None) -> None:
        self.torch = torch
        self.np = import_extra("numpy", "precision", NEEDED_BY)

    def float32(self, x: Any) -> Any:
        """``x`` as float32 (wider floats are rounded to nearest, ties to even). Tensors are detached first:
        emulated arithmetic has no gradient, and a bit-level view of a tensor that requires one is refused."""
        if self.torch is not None:
            return x.detach().to(self.torch.float32)
        with self.np.errstate(over="ignore", invalid="ignore"):  # overflow to ±inf is the rounding's result
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

    def int32(self, x: Any) -> Any:
        """Integers known to fit in int32, as int32 (half the memory traffic of int64)."""
        if self.torch is not None:
            return x.to(self.torch.int32)
        return x.astype(self.np.int32)

    def int32_as_float32(self, bits: Any) -> Any:
        """int32 bit patterns read as float32 (no copy)."""
        return bits.view(self.torch.float32 if self.torch is not None else self.np.float32)

    def zeros(self, shape: tuple[int, ...], like: Any) -> Any:
        """float32 zeros, on ``like``'s device for torch."""
        if self.torch is not None:
            return self.torch.zeros(shape, dtype=self.torch.float32, device=like.device)
        return self.np.zeros(shape, dtype=self.np.float32)

    def broadcast_to(self, x: Any, shape: tuple[int, ...]) -> Any:
        if self.torch is not None:
            return x.expand(shape)
        return self.np.broadcast_to(x, shape)

    def size(self, x: Any) -> int:
        """The number of elements of ``x``."""
        return int(x.numel()) if self.torch is not None else int(x.size)

    def any(self, x: Any) -> bool:
        return bool(x.any())

    def clamp_(self, x: Any, low: int, high: int) -> None:
        """``x`` clamped to [low, high] in place."""
        if self.torch is not None:
            x.clamp_(low, high)
        else:
            self.np.clip(x, low, high, out=x)

    def zero_below_(self, x: Any, limit: int) -> None:
        """Entries of ``x`` below ``limit`` set to 0, in place."""
        if self.torch is not None:
            x.masked_fill_(x < limit, 0)
        else:
            x[x < limit] = 0

    def ieee(self) -> AbstractContextManager[Any]:
        """A context in which overflow and invalid operations give IEEE's ±inf and NaN without numpy's
        warnings (they are defined results here, not accidents)."""
        if self.torch is not None:
            return nullcontext()
        return self.np.errstate(over="ignore", invalid="ignore")

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
    if all(tensors) and values:  # torch made the tensors, so it is there; the extra that brings it is hf
        return Arrays(import_extra("torch", "hf", NEEDED_BY))
    return Arrays(None)
