"""``verimath precision repro``: how much greedy decoding moves with batch size, per arithmetic — the
divergence metrics of "Give Me FP32 or Give Me Death?" (arXiv 2506.09501) — plus its LayerCast arm.

For each arm (``fp32``; ``bf16``/``fp16`` mean the whole model cast to that torch dtype; ``layercast`` is bf16
weights with fp32 compute) and each batch size B, the problems are answered in order, B at a time: each group
of B requests is generated as *one* left-padded batch by the backend itself (``builtin:tiny`` and ``hf:`` both
batch requests that wait together), so B changes the shapes — padding, positions, kernel blocking — that the
arithmetic runs on. Every decoding step's logits are read by a forward hook, giving each answer's tokens and
the probability of its top token at each step.

Per arm, across its batch sizes: **Std@Acc** — the sample standard deviation of accuracy; **mean std of output
length** — per problem the standard deviation of its output length (tokens), averaged; **divergence** — per
problem the first token index where any two runs differ (problems that never differ are not divergent),
averaged over divergent problems; **std of top-1 probability** — per problem and position before its first
divergence, the standard deviation of the top token's probability, averaged over positions, then problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from verimath.errors import InputError
from verimath.models import load_model
from verimath.precision._local import local_torch
from verimath.precision._swap import CASTS, LAYERCAST, REFERENCE, Arm, parse_arm, swap

DTYPE_ARMS = {"fp32": REFERENCE, "bf16": "cast-bf16", "fp16": "cast-fp16", LAYERCAST: LAYERCAST}
"""``--dtypes`` names and the arms they stand for."""


def parse_dtypes(text: str) -> tuple[Arm, ...]:
    """``fp32,bf16,fp16,layercast`` -> arms; an unknown or repeated name is an ``InputError``."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("no dtype given", field="dtypes")
    for n in names:
        if n not in DTYPE_ARMS and n not in CASTS:
            raise InputError(f"unknown dtype {n!r}; dtypes are {', '.join(DTYPE_ARMS)}", field="dtypes")
        if names.count(n) > 1:
            raise InputError(f"dtype {n!r} is given twice", field="dtypes")
    return tuple(parse_arm(DTYPE_ARMS.get(n, n)) for n in names)


def parse_batch_sizes(text: str) -> tuple[int, ...]:
    """``1,8,32`` -> (1, 8, 32); each a positive integer, at least two of them, none repeated."""
    try:
        sizes = tuple(int(n) for n in text.split(",") if n.strip())
    except ValueError:
        raise InputError(f"batch sizes must be integers, got {text!r}", field="batch-sizes") from None
    if len(sizes) < 2 or min(sizes) < 1 or len(set(sizes)) != len(sizes):
        raise InputError(f"need two or more different positive batch sizes, got {text!r}",
                         field="batch-sizes")
    return sizes


@dataclass(frozen=True, slots=True)
class Decoded:
    """One answer: graded, with its tokens and the top token's probability at each step."""

    correct: bool
    tokens: tuple[int, ...]
    top1: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BatchRun:
    batch_size: int
    accuracy: float
    wall_s: float


@dataclass(frozen=True, slots=True)
class ArmRepro:
    """The divergence metrics of one arm across batch sizes (see the module docstring)."""

    arm: str
    problems: int
    runs: tuple[BatchRun, ...]
    std_accuracy: float
    mean_std_length: float
    divergent: int
    mean_divergence_index: float
    mean_std_top1: float

    def to_dict(self) -> dict[str, Any]:
        return {"arm": self.arm, "problems": self.problems,
                "accuracy_by_batch_size": {str(r.batch_size): _num(r.accuracy) for r in self.runs},
                "wall_s_by_batch_size": {str(r.batch_size): round(r.wall_s, 2) for r in self.runs},
                "std_at_acc": _num(self.std_accuracy), "mean_std_output_length": _num(self.mean_std_length),
                "divergent_problems": self.divergent,
                "mean_first_divergent_token": _num(self.mean_divergence_index),
                "mean_std_top1_probability": _num(self.mean_std_top1)}


@dataclass(frozen=True, slots=True)
class Repro:
    model: str
    strategy: str
    problems: int
    batch_sizes: tuple[int, ...]
    arms: tuple[ArmRepro, ...]
    wall_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "strategy": self.strategy, "problems": self.problems,
                "batch_sizes": list(self.batch_sizes), "wall_s": round(self.wall_s, 2),
                "arms": [a.to_dict() for a in self.arms]}


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(f"{x:.6g}")


def divergence(runs: Sequence[Sequence[int]]) -> int | None:
    """The first index where the token sequences ``runs`` are not all equal (a sequence that ends first
    differs there), or None when they are identical."""
    shortest = min(len(r) for r in runs)
    for i in range(shortest):
        if len({r[i] for r in runs}) > 1:
            return i
    return None if all(len(r) == shortest for r in runs) else shortest


def summarize(arm: str, runs: Sequence[tuple[BatchRun, Sequence[Decoded]]]) -> ArmRepro:
    """The metrics of one arm from its runs (one per batch size, the same problems in the same order)."""
    per_problem = list(zip(*(answers for _, answers in runs), strict=True))
    accuracies = [r.accuracy for r, _ in runs]
    length_stds, top1_stds, indices = [], [], []
    for answers in per_problem:
        length_stds.append(statistics.pstdev([len(a.tokens) for a in answers]))
        index = divergence([a.tokens for a in answers])
        if index is not None:
            indices.append(index)
        common = min(len(a.tokens) for a in answers) if index is None else index
        if common:
            top1_stds.append(statistics.fmean(statistics.pstdev([a.top1[i] for a in answers])
                                              for i in range(common)))
    return ArmRepro(arm, len(per_problem), tuple(r for r, _ in runs),
                    statistics.stdev(accuracies) if len(accuracies) > 1 else math.nan,
                    statistics.fmean(length_stds) if length_stds else math.nan, len(indices),
                    statistics.fmean(indices) if indices else math.nan,
                    statistics.fmean(top1_stds) if top1_stds else math.nan)


def decode_batch(model: Any, strategy: Any, questions: Sequence[str], golds: Sequence[str],
                 executor: Any = None) -> list[Decoded]:
    """Answer ``questions`` as one batch (the backend's own batching; ``executor`` runs code for strategies
    that write programs) and read each answer's tokens and top-1 probabilities from the decoding steps."""
    from verimath.answers import grade

    local = local_torch(model)

    async def answer_all() -> list[Any]:
        return await asyncio.gather(*(strategy.attempt(q, model, executor) for q in questions))

    with local.step_logits() as steps:
        attempts = asyncio.run(answer_all())
    if not steps or steps[0].shape[0] != len(questions) or any(a.model_calls != 1 for a in attempts):
        raise InputError("the strategy did not answer in one batched model call per problem; repro needs a "
                         "single-call strategy (direct, cot, pal)", field="strategy")
    probs = [s.softmax(-1) for s in steps]
    top1 = [p.max(-1) for p in probs]
    out = []
    for row, (attempt, gold) in enumerate(zip(attempts, golds, strict=True)):
        length = min(attempt.usage.completion_tokens, len(steps))
        out.append(Decoded(attempt.answer is not None and grade(attempt.answer, gold).correct,
                           tuple(int(t.indices[row]) for t in top1[:length]),
                           tuple(float(t.values[row]) for t in top1[:length])))
    return out


def repro(model_spec: str, arms: Sequence[Arm], batch_sizes: Sequence[int], questions: Sequence[str],
          golds: Sequence[str], *, strategy: str = "pal", max_tokens: int | None = None,
          on_progress: Callable[[str, int, int], None] | None = None) -> Repro:
    """Run the experiment (see the module docstring) on ``questions`` with gold answers ``golds``."""
    from verimath.sandbox import Sandbox
    from verimath.strategies import get_strategy

    if not questions:
        raise InputError("no problem selected", field="dataset")
    options: dict[str, Any] = {"temperature": 0.0}
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    chosen = get_strategy(strategy, **options)
    start = time.perf_counter()
    results = []
    with contextlib.ExitStack() as stack:
        executor = stack.enter_context(Sandbox()) if chosen.uses_code else None
        for arm in arms:
            results.append(_arm_runs(model_spec, arm, batch_sizes, chosen, executor, questions, golds,
                                     on_progress))
    return Repro(model_spec, strategy, len(questions), tuple(batch_sizes), tuple(results),
                 time.perf_counter() - start)


def _arm_runs(model_spec: str, arm: Arm, batch_sizes: Sequence[int], strategy: Any, executor: Any,
              questions: Sequence[str], golds: Sequence[str],
              on_progress: Callable[[str, int, int], None] | None) -> ArmRepro:
    model = load_model(model_spec, max_batch=max(batch_sizes))
    runs = []
    with swap(local_torch(model).module, arm):
        for size in batch_sizes:
            began = time.perf_counter()
            answers: list[Decoded] = []
            for first in range(0, len(questions), size):
                answers += decode_batch(model, strategy, questions[first:first + size],
                                        golds[first:first + size], executor)
                if on_progress is not None:
                    on_progress(f"{arm.name} batch {size}", len(answers), len(questions))
            accuracy = sum(a.correct for a in answers) / len(answers)
            runs.append((BatchRun(size, accuracy, time.perf_counter() - began), answers))
    return summarize(arm.name, runs)
