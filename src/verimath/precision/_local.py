"""The torch model behind a loaded local verimath model (``builtin:`` or ``hf:``): what the lab needs of it.

The backends own generation; the lab also needs the network itself (to swap its arithmetic), a request's
token ids exactly as the backend encodes them, teacher-forced logits, a greedy continuation, and the logits of
every decoding step (read by a forward hook, so batched generation stays the backend's own).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from verimath.errors import InputError
from verimath.models import Model, Request


@dataclass(frozen=True, slots=True)
class LocalTorch:
    """A loaded ``builtin:`` (tiny) or ``hf:`` model seen as a torch network."""

    backend: Any
    """The verimath model (``TinyModel`` or ``HFModel``)."""
    module: nn.Module
    """The network whose arithmetic the lab swaps."""
    tiny: bool

    def encode(self, request: Request) -> list[int]:
        """The prompt's token ids, as the backend encodes ``request``."""
        prompt = self.backend.render(request)
        if self.tiny:
            mode, _, question = prompt.partition("\n")
            ids = list(self.backend.tokenizer.encode_question(question, mode).ids)
            return ids[-(self.module.config.max_len - 1):]  # type: ignore[union-attr]
        return list(self.backend.tokenizer(prompt)["input_ids"])

    @torch.inference_mode()
    def continuation(self, prompt: Sequence[int], max_new: int) -> list[int]:
        """The greedy continuation of ``prompt`` (end-of-sequence excluded), batch of one."""
        if self.tiny:
            return self.module.greedy([list(prompt)], max_new)[0]  # type: ignore[operator]
        tok = self.backend.tokenizer
        ids = torch.tensor([list(prompt)], device=self.backend.device)
        out = self.module.generate(ids, attention_mask=torch.ones_like(ids),  # type: ignore[operator]
                                   max_new_tokens=max_new, do_sample=False, temperature=None, top_p=None,
                                   pad_token_id=tok.pad_token_id)[0, ids.shape[1]:].tolist()
        ends = [i for i, t in enumerate(out) if t in {tok.eos_token_id, tok.pad_token_id}]
        return out[: ends[0]] if ends else out

    @torch.inference_mode()
    def logits(self, sequences: Sequence[Sequence[int]]) -> list[torch.Tensor]:
        """Teacher-forced next-token logits (fp32, shape (len, vocab)) of each sequence. The sequences are
        right-padded into one batch: under a causal mask, padding after a sequence changes none of its
        positions."""
        width = max(len(s) for s in sequences)
        ids = torch.tensor([list(s) + [0] * (width - len(s)) for s in sequences])
        out = self.module(ids)[0] if self.tiny else self.module(input_ids=ids.to(self.backend.device)).logits
        return [out[i, : len(s)].float() for i, s in enumerate(sequences)]

    @contextmanager
    def step_logits(self) -> Iterator[list[torch.Tensor]]:
        """Within the block, every forward call appends its last position's logits (fp32, (batch, vocab)):
        one entry per decoding step of the backend's own (batched, padded) generation."""
        steps: list[torch.Tensor] = []

        def keep(_module: nn.Module, _args: Any, output: Any) -> None:
            logits = output[0] if isinstance(output, tuple) else output.logits
            steps.append(logits[:, -1].detach().float())

        handle = self.module.register_forward_hook(keep)
        try:
            yield steps
        finally:
            handle.remove()


def local_torch(model: Model) -> LocalTorch:
    """The torch network of a loaded ``builtin:`` or ``hf:`` model; any other backend is an ``InputError``
    (the lab changes a model's arithmetic, which needs the model in this process)."""
    net = getattr(model, "net", None)
    if isinstance(net, nn.Module) and hasattr(model, "tokenizer"):
        return LocalTorch(model, net, tiny=True)
    hf = getattr(model, "model", None)
    if isinstance(hf, nn.Module) and hasattr(model, "tokenizer"):
        return LocalTorch(model, hf, tiny=False)
    raise InputError(f"{model.name}: the precision lab needs a local torch model (builtin: or hf:)",
                     field="model")
