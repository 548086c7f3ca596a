"""verimath.precision — how arithmetic precision changes a model's math.

Owns number formats and emulated arithmetic: the formats (fp32, bf16, fp16, OCP float8 e4m3/e5m2, e3m4) and
their casts, L-Mul (arXiv 2410.00907) with its edge cases defined, emulated matrix products (product mode ×
input format × accumulator format, chunked), and the op-level error report behind ``verimath precision ops``.
Everything works on numpy arrays and torch tensors with identical bits.

Imports nothing from verimath but ``errors``; numpy, ``ml_dtypes`` and torch are imported when first used,
through ``errors.import_extra`` (extra ``precision``).
"""

from __future__ import annotations

from verimath.precision._formats import FORMATS, Format, cast, format_named
from verimath.precision._lmul import SEMANTICS, Semantics, lmul, offset_exponent
from verimath.precision._matmul import ARMS, DEFAULT_CHUNK, MatmulMode, emulated_matmul, parse_mode

__all__ = [
    "ARMS",
    "DEFAULT_CHUNK",
    "FORMATS",
    "SEMANTICS",
    "Format",
    "MatmulMode",
    "Semantics",
    "cast",
    "emulated_matmul",
    "format_named",
    "lmul",
    "offset_exponent",
    "parse_mode",
]
