"""The tiny model's format, public for training code (``verimath.tiny``): tokenizer, number formats, programs.

Pure Python; the network itself (``_tiny_net``) and the ``builtin:tiny`` backend import torch lazily.
"""

from __future__ import annotations

from verimath.models._tiny_format import (
    NUMBER,
    DirectFormat,
    Encoded,
    Mode,
    TinyTokenizer,
    numbers_in,
    render_program,
    reverse_digits,
)

__all__ = ["NUMBER", "DirectFormat", "Encoded", "Mode", "TinyTokenizer", "numbers_in", "render_program",
           "reverse_digits"]
