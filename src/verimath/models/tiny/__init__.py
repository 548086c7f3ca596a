"""verimath.models.tiny — ``builtin:tiny``, verimath's own tiny transformer: backend, network, text format,
weights.

Owns everything the model is: the text format (tokenizer, number formats, rendered programs; pure Python), the
network and its weights files (plain PyTorch; ``weights/tiny.safetensors`` + ``tiny.json`` ship here), and the
``builtin:`` backend that reads requests the way the network was trained. Training data, training and the main
job live in ``verimath.tinylab``, which uses this public surface only.

Importing this package does not import torch: the network names (``TinyNet``, ``load_checkpoint``, ...) are
loaded on first use, and a missing torch or safetensors is a ``MissingExtra`` naming ``verimath[tiny]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verimath.models.tiny._backend import (
    SHIPPED_WEIGHTS,
    TinyModel,
    network,
    request_mode_and_question,
    weights_path,
)
from verimath.models.tiny._format import (
    NUMBER,
    DirectFormat,
    Encoded,
    Mode,
    TinyTokenizer,
    numbers_in,
    render_program,
    reverse_digits,
)

if TYPE_CHECKING:
    from verimath.models.tiny._net import (
        TinyCheckpoint,
        TinyConfig,
        TinyNet,
        load_checkpoint,
        save_checkpoint,
    )

_NETWORK = ("TinyCheckpoint", "TinyConfig", "TinyNet", "load_checkpoint", "save_checkpoint")

__all__ = ["NUMBER", "SHIPPED_WEIGHTS", "DirectFormat", "Encoded", "Mode", "TinyCheckpoint", "TinyConfig",
           "TinyModel", "TinyNet", "TinyTokenizer", "load_checkpoint", "network", "numbers_in",
           "render_program",
           "request_mode_and_question", "reverse_digits", "save_checkpoint", "weights_path"]


def __getattr__(name: str) -> Any:
    if name in _NETWORK:
        return getattr(network(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
