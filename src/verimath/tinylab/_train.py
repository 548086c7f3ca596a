"""Training the tiny model from scratch on CPU: seeded, single-threaded, reproducible.

Every training instance is used twice per step, once per mode (PAL expression and direct answer), so both
modes get the same data and the same compute in one network. AdamW, linear warm-up then cosine decay, gradient
clipping; the loss is on target tokens only.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from verimath.errors import InputError
from verimath.models.tiny import DirectFormat, Mode, TinyTokenizer, network
from verimath.tinylab._data import Example, examples, supported_templates

MODES: tuple[Mode, ...] = ("pal", "direct")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Everything that determines the trained weights (with the templates and the torch version)."""

    steps: int = 1500
    batch: int = 32
    """Instances per step (each trained in both modes)."""
    lr: float = 2e-3
    warmup: int = 100
    weight_decay: float = 0.05
    seed: int = 0
    per_template: int = 400
    """Training instances generated per template (numbers from the template's own ranges)."""
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    max_len: int = 192
    direct_format: DirectFormat = "reversed"
    threads: int = 1

    def __post_init__(self) -> None:
        for key in ("steps", "batch", "per_template", "d_model", "n_layers", "n_heads", "threads"):
            if getattr(self, key) < 1:
                raise InputError(f"{key} must be at least 1", field=key)
        if self.direct_format not in ("plain", "reversed"):
            raise InputError(f"direct_format must be 'plain' or 'reversed', got {self.direct_format!r}",
                             field="direct_format")


@dataclass(frozen=True, slots=True)
class TrainProgress:
    step: int
    steps: int
    loss: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class TrainResult:
    path: Path
    parameters: int
    examples: int
    final_loss: float
    wall_s: float


def _rows(tokenizer: TinyTokenizer, data: list[Example], max_len: int) -> list[tuple[list[int], int]]:
    """(sequence, index of the first target token) for every example in both modes; over-long ones dropped."""
    rows = []
    for ex in data:
        for mode in MODES:
            prompt = tokenizer.encode_question(ex.question, mode).ids
            target = tokenizer.encode_target(ex.expression if mode == "pal" else ex.answer, mode)
            if len(prompt) + len(target) <= max_len:
                rows.append(([*prompt, *target], len(prompt)))
    return rows


def train(config: TrainConfig, out: Path, on_progress: Callable[[TrainProgress], None] | None = None,
          *, progress_every: int = 50) -> TrainResult:
    """Train from scratch and write ``out`` (``.safetensors`` + ``.json``). torch's thread count and
    deterministic-algorithms flag are set for the run and restored afterwards."""
    network()  # torch and safetensors are installed, or a MissingExtra names the extra to install
    import torch

    # an unwritable destination fails now, not after the training
    out.parent.mkdir(parents=True, exist_ok=True)
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(config, out, on_progress, progress_every)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(config: TrainConfig, out: Path, on_progress: Callable[[TrainProgress], None] | None,
           progress_every: int) -> TrainResult:
    import torch
    import torch.nn.functional as F

    from verimath.models.tiny import TinyCheckpoint, TinyConfig, TinyNet, save_checkpoint

    start = time.perf_counter()
    torch.manual_seed(config.seed)
    data = list(examples(supported_templates(), config.per_template, seed=config.seed))
    if not data:
        raise InputError("no training examples could be generated", field="per_template")
    tokenizer = TinyTokenizer.build([ex.question for ex in data], direct_format=config.direct_format,
                                    extra=[ex.expression for ex in data])
    rows = _rows(tokenizer, data, config.max_len)
    net_config = TinyConfig(tokenizer.size, config.d_model, config.n_layers, config.n_heads, config.max_len)
    net = TinyNet(net_config)
    decay = [p for p in net.parameters() if p.dim() >= 2]  # matrices and embeddings; not norms and biases
    no_decay = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=config.lr, betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < config.warmup:
            return config.lr * (step + 1) / config.warmup
        frac = (step - config.warmup) / max(1, config.steps - config.warmup)
        return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))

    order = random.Random(config.seed)
    pairs = len(rows)
    per_step = 2 * config.batch
    loss_value = float("nan")
    smoothed: float | None = None
    net.train()
    for step in range(config.steps):
        batch = [rows[order.randrange(pairs)] for _ in range(per_step)]
        width = max(len(seq) for seq, _ in batch)
        ids = torch.full((len(batch), width), 0, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        for i, (seq, first) in enumerate(batch):
            ids[i, :len(seq)] = torch.tensor(seq)
            labels[i, first - 1:len(seq) - 1] = torch.tensor(seq[first:])
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        logits, _ = net(ids)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        loss_value = float(loss.detach())
        smoothed = loss_value if smoothed is None else 0.95 * smoothed + 0.05 * loss_value
        if on_progress is not None and ((step + 1) % progress_every == 0 or step + 1 == config.steps):
            on_progress(TrainProgress(step + 1, config.steps, smoothed, time.perf_counter() - start))
    wall = time.perf_counter() - start
    record = {**asdict(config), "examples": len(data), "final_loss": round(smoothed or loss_value, 5),
              "wall_s": round(wall, 1), "torch": torch.__version__}
    net.eval()
    save_checkpoint(net, TinyCheckpoint(net_config, tokenizer, record), out)
    return TrainResult(out, net.parameter_count(), len(data), smoothed or loss_value, wall)
