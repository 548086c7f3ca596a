"""verimath.models — "talk to a language model".

Owns the ``Model`` protocol (chat and raw-completion requests, ``n`` samples, sampling settings, usage and
latency accounting, async with bounded concurrency), the backends ``openai:`` (any OpenAI-compatible server),
``hf:`` (local transformers), ``vllm:`` (vLLM's offline engine) and ``builtin:tiny`` (verimath's own tiny
transformer: backend, network, text format and weights in the subpackage ``verimath.models.tiny``), and the
registry that maps a spec ``PREFIX:NAME`` to a backend. ``verimath.models.testing`` holds a scripted
OpenAI-compatible server for tests.

A leaf: imports nothing from verimath except ``verimath.errors``; torch, safetensors, transformers and vLLM
are imported only when their backend is loaded.
"""

from __future__ import annotations

from verimath.models._base import Backend, BatchingBackend, Model
from verimath.models._registry import backends, load_model, register_backend
from verimath.models._servers import server_urls
from verimath.models._types import (
    ChatRequest,
    Completion,
    CompletionRequest,
    Message,
    ModelStats,
    Request,
    Sampling,
    Usage,
)

__all__ = [
    "Backend",
    "BatchingBackend",
    "ChatRequest",
    "Completion",
    "CompletionRequest",
    "Message",
    "Model",
    "ModelStats",
    "Request",
    "Sampling",
    "Usage",
    "backends",
    "load_model",
    "register_backend",
    "server_urls",
]
