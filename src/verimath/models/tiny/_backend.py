"""``builtin:tiny`` — verimath's own tiny transformer, shipped in the package, answering on CPU.

The backend reads a request the way a model reads a prompt, but deterministically:

* mode: **PAL** when the system prompt asks for a Python program (``pal.toml``), else **direct**;
* question: the last user message (a raw completion prompt is taken whole);
* the question is encoded with the tiny tokenizer (PAL: numbers become index tokens ``<n0>``...; direct:
  numbers are spelled digit by digit), the network decodes greedily (temperature and seed are ignored; ``n``
  samples are ``n`` copies), and the output is rendered as the text the strategies expect: a
  ```` ```python ```` block whose program declares the question's numbers and prints the generated expression
  (PAL), or ``\\boxed{answer}`` (direct).

``builtin:tiny`` loads ``weights/tiny.safetensors`` (+ ``tiny.json``) from this package; ``builtin:PATH``
loads another ``.safetensors`` file written by ``verimath train-tiny``. Concurrent requests are decoded as one
batch (left-padded, with a key/value cache). torch and safetensors (the ``tiny`` extra) are imported by
``network()``, at first use.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType

from verimath.errors import import_extra
from verimath.models._base import BatchingBackend, cut_at_stop
from verimath.models._types import ChatRequest, Completion, Request, Sampling, Usage
from verimath.models.tiny._format import Mode, render_program

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "tiny.safetensors"
PAL_CUE = "python program"
"""A system prompt containing this (any case) asks for a program: PAL mode."""
MAX_NEW_TOKENS = 96


def weights_path(name: str) -> Path:
    """``tiny`` -> the shipped weights; anything else is a path to a ``.safetensors`` file."""
    return SHIPPED_WEIGHTS if name == "tiny" else Path(name)


def network() -> ModuleType:
    """The network module (``TinyNet``, ``load_checkpoint``, ...), importing torch and safetensors first so
    that a missing one is a ``MissingExtra`` naming ``verimath[tiny]``, not an import error from inside the
    loader."""
    for module in ("torch", "safetensors"):
        import_extra(module, "tiny", "the built-in tiny model")
    from verimath.models.tiny import _net

    return _net


def request_mode_and_question(request: Request) -> tuple[Mode, str]:
    """How the tiny model reads a request: PAL when the system prompt asks for a Python program."""
    if isinstance(request, ChatRequest):
        system = " ".join(m.content for m in request.messages if m.role == "system")
        users = [m.content for m in request.messages if m.role == "user"]
        question = users[-1] if users else ""
    else:
        system = question = request.prompt
    return ("pal" if PAL_CUE in system.lower() else "direct"), question.strip()


class TinyModel(BatchingBackend):
    """The built-in tiny model (see the module docstring for how it reads requests)."""

    def __init__(self, name: str = "tiny", *, max_batch: int = 64, threads: int | None = None) -> None:
        super().__init__(f"builtin:{name}", max_batch=max_batch)
        load_checkpoint = network().load_checkpoint
        if threads is not None:
            import torch  # installed: network() checked it

            torch.set_num_threads(threads)
        self.path = weights_path(name)
        self.net, self.checkpoint = load_checkpoint(self.path)
        self.tokenizer = self.checkpoint.tokenizer

    def render(self, request: Request) -> str:
        mode, question = request_mode_and_question(request)
        return f"{mode}\n{question}"

    def _run_batch(self, prompts: list[str], s: Sampling) -> list[list[Completion]]:
        start = time.perf_counter()
        encoded = []
        for prompt in prompts:
            mode, _, question = prompt.partition("\n")
            encoded.append((mode, self.tokenizer.encode_question(question, mode)))  # type: ignore[arg-type]
        outputs = self.net.greedy([e.ids for _, e in encoded], min(s.max_tokens, MAX_NEW_TOKENS))
        latency = time.perf_counter() - start
        results = []
        for (mode, enc), ids in zip(encoded, outputs, strict=True):
            if mode == "pal":
                text = f"```python\n{render_program(self.tokenizer.decode(ids), enc.literals)}\n```"
            else:
                text = f"\\boxed{{{self.tokenizer.decode_answer(ids)}}}"
            text, _ = cut_at_stop(text, s.stop)
            usage = Usage(len(enc.ids), len(ids) + 1)
            # Greedy decoding gives n identical samples; the tokens were generated once.
            results.append([Completion(text, "stop", usage if j == 0 else Usage(), latency)
                            for j in range(s.n)])
        return results
