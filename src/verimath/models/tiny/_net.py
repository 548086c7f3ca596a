"""The tiny network: a small decoder-only transformer in plain PyTorch, its weights file and greedy decoding.

Owns the architecture (pre-LayerNorm GPT: learned positions, tied input/output embeddings), loading and saving
``NAME.safetensors`` + ``NAME.json`` (dimensions, vocabulary, number format, training record), and batched
greedy decoding with a key/value cache. Imports torch at module level, so it is loaded only through
``network()`` (which checks the ``tiny`` extra first); it imports nothing from verimath but ``errors`` and the
tiny format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from verimath.errors import InputError
from verimath.models.tiny._format import EOS, PAD, TinyTokenizer

KVCache = list[tuple[torch.Tensor, torch.Tensor]]
Attention = Callable[..., torch.Tensor]
"""``F.scaled_dot_product_attention``'s signature: (q, k, v, attn_mask=, is_causal=) -> softmax(qkᵀ/√d)·v."""


@dataclass(frozen=True, slots=True)
class TinyConfig:
    """Dimensions of the network."""

    vocab_size: int
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    max_len: int = 192


@dataclass(frozen=True, slots=True)
class TinyCheckpoint:
    """What a weights file holds besides the tensors."""

    config: TinyConfig
    tokenizer: TinyTokenizer
    training: Mapping[str, Any] = field(default_factory=dict)
    """How the weights were made (steps, seed, wall time, final loss): a record, not used for inference."""


class _Block(nn.Module):
    def __init__(self, c: TinyConfig) -> None:
        super().__init__()
        self.n_heads = c.n_heads
        self.ln1, self.ln2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)
        self.mlp = nn.Sequential(nn.Linear(c.d_model, 4 * c.d_model), nn.GELU(),
                                 nn.Linear(4 * c.d_model, c.d_model))
        # The attention product as a replaceable attribute: ``verimath.precision`` swaps it for one whose
        # matmuls (qkᵀ and attention·v) are emulated in another arithmetic, and puts this one back.
        self.attention: Attention = F.scaled_dot_product_attention

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                past: tuple[torch.Tensor, torch.Tensor] | None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        y = self.attention(q, k, v, attn_mask=mask, is_causal=mask is None)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x)), (k, v)


class TinyNet(nn.Module):
    """The transformer. ``forward`` without a mask is causal over the whole sequence (training)."""

    def __init__(self, c: TinyConfig) -> None:
        super().__init__()
        if c.d_model % c.n_heads:
            raise InputError("d_model must be divisible by n_heads", field="d_model")
        self.config = c
        self.tok = nn.Embedding(c.vocab_size, c.d_model)
        self.pos = nn.Embedding(c.max_len, c.d_model)
        self.blocks = nn.ModuleList(_Block(c) for _ in range(c.n_layers))
        self.ln = nn.LayerNorm(c.d_model)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, ids: torch.Tensor, positions: torch.Tensor | None = None,
                mask: torch.Tensor | None = None,
                cache: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        if positions is None:
            positions = torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
        x = self.tok(ids) + self.pos(positions)
        new_cache: KVCache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, mask, cache[i] if cache is not None else None)
            new_cache.append(kv)
        return self.ln(x) @ self.tok.weight.T, new_cache

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @torch.inference_mode()
    def greedy(self, prompts: Sequence[Sequence[int]], max_new: int) -> list[list[int]]:
        """Greedy continuations of ``prompts`` (left-padded into one batch), each cut before ``<eos>``.

        Every position may attend to itself, so padding rows never see an empty attention row (no NaNs)."""
        limit = self.config.max_len
        prompts = [list(p[-(limit - 1):]) for p in prompts]  # keep the end: the mode token and question tail
        width = max(len(p) for p in prompts)
        max_new = max(0, min(max_new, limit - width))
        ids = torch.tensor([[PAD] * (width - len(p)) + p for p in prompts])
        valid = ids != PAD
        valid[:, -1] = True
        positions = (valid.cumsum(1) - 1).clamp(min=0)
        eye = torch.eye(width, dtype=torch.bool)
        causal = torch.ones(width, width, dtype=torch.bool).tril()
        mask = (causal & valid[:, None, :]) | eye
        logits, cache = self(ids, positions, mask[:, None], None)
        out: list[list[int]] = [[] for _ in prompts]
        done = torch.zeros(len(prompts), dtype=torch.bool)
        next_pos = positions[:, -1] + 1
        for _ in range(max_new):
            token = logits[:, -1].argmax(-1)
            for row in (~done).nonzero().flatten().tolist():
                if token[row] == EOS:
                    done[row] = True
                else:
                    out[row].append(int(token[row]))
            if bool(done.all()):
                break
            valid = torch.cat([valid, torch.ones(len(prompts), 1, dtype=torch.bool)], dim=1)
            logits, cache = self(token[:, None], next_pos[:, None], valid[:, None, None, :], cache)
            next_pos = next_pos + 1
        return out


def save_checkpoint(net: TinyNet, checkpoint: TinyCheckpoint, path: Path) -> None:
    """Write ``path`` (``.safetensors``) and its ``.json`` beside it."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    save_file(tensors, str(path))
    meta = {"config": asdict(checkpoint.config), "vocab": list(checkpoint.tokenizer.vocab),
            "direct_format": checkpoint.tokenizer.direct_format, "training": dict(checkpoint.training)}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")


def load_checkpoint(path: Path) -> tuple[TinyNet, TinyCheckpoint]:
    """The network and its checkpoint record from ``path`` (``.safetensors``) and its ``.json``; a missing or
    malformed file is an ``InputError`` naming it."""
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise InputError("tiny model file not found", file=str(p))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        config = TinyConfig(**meta["config"])
        tokenizer = TinyTokenizer(tuple(meta["vocab"]), meta.get("direct_format", "reversed"))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"malformed tiny model config: {exc}", file=str(meta_path)) from None
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    net = TinyNet(config)
    try:
        net.load_state_dict(load_file(str(path)))
    except (SafetensorError, RuntimeError, OSError) as exc:
        raise InputError(f"cannot load the tiny weights: {str(exc).splitlines()[0]}",
                         file=str(path)) from None
    net.eval()
    return net, TinyCheckpoint(config, tokenizer, meta.get("training", {}))
