"""verimath.precision — how arithmetic precision changes a model's math.

Owns number formats and emulated arithmetic: the formats (fp32, bf16, fp16, OCP float8 e4m3/e5m2, e3m4) and
their casts, L-Mul (arXiv 2410.00907) with its edge cases defined, emulated matrix products (product mode ×
input format × accumulator format, chunked), and the op-level error report behind ``verimath precision ops``.
Everything works on numpy arrays and torch tensors with identical bits.

Imports nothing from verimath but ``errors`` (and the standard-library leaf ``verimath.charts`` when it draws
the report page); ``ml_dtypes`` (extra ``precision``) and torch (given tensors) are imported when first used,
through ``errors.import_extra``.
"""

from __future__ import annotations

import importlib
from typing import Any

from verimath.errors import import_extra
from verimath.precision._formats import FORMATS, Format, cast, format_named
from verimath.precision._lmul import (
    OPERAND_ROUNDING,
    SEMANTICS,
    OperandRounding,
    Semantics,
    lmul,
    offset_exponent,
)
from verimath.precision._matmul import (
    ARMS,
    DEFAULT_CHUNK,
    MatmulMode,
    emulated_matmul,
    emulated_multiply,
    parse_mode,
)
from verimath.precision._ops import DEFAULT_ARMS, DISTRIBUTIONS, Check, OpError, OpsReport, measure_ops
from verimath.precision._page import ops_tables, render_ops_html

__all__ = [
    "ARMS",
    "DEFAULT_ARMS",
    "DEFAULT_CHUNK",
    "DISTRIBUTIONS",
    "FORMATS",
    "OPERAND_ROUNDING",
    "SEMANTICS",
    "Check",
    "Format",
    "MatmulMode",
    "OpError",
    "OperandRounding",
    "OpsReport",
    "Semantics",
    "cast",
    "emulated_matmul",
    "emulated_multiply",
    "format_named",
    "lmul",
    "measure_ops",
    "offset_exponent",
    "ops_tables",
    "parse_mode",
    "render_ops_html",
]


# The model side — arms and the reversible module swap, ``precision eval``, ``precision repro`` — imports
# torch, so its names load on first use (torch missing: a ``MissingExtra`` naming the extra).
_MODEL_SIDE = {
    "Arm": "_swap", "SCOPES": "_swap", "Swap": "_swap", "decoder_layers": "_swap",
    "emulated_attention": "_swap", "parse_arm": "_swap", "parse_arms": "_swap", "parse_scopes": "_swap",
    "swap": "_swap",
    "LocalTorch": "_local", "local_torch": "_local",
    "ArmRun": "_eval", "EvalPlan": "_eval", "LayerRow": "_eval", "PrecisionEval": "_eval",
    "check_local": "_eval", "precision_eval": "_eval", "register": "_eval",
    "ArmRepro": "_repro", "Repro": "_repro", "parse_batch_sizes": "_repro", "parse_dtypes": "_repro",
    "repro": "_repro", "eval_html": "_models_html", "repro_html": "_models_html",
}
__all__ += sorted(_MODEL_SIDE)


def __getattr__(name: str) -> Any:
    module = _MODEL_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import_extra("torch", "precision", "the precision lab's model side")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
