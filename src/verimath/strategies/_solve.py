"""Several attempts at one question and a vote over their answers."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from verimath.errors import InputError
from verimath.models import Model
from verimath.strategies._attempt import Attempt
from verimath.strategies._execution import CodeExecutor
from verimath.strategies._strategies import Strategy

SAMPLING_TEMPERATURE = 0.7
"""The temperature used when several samples of one question are asked for and no temperature is given:
greedy decoding would make them copies of one another (pass@k = pass@1)."""

VERIFICATION_WEIGHT = {"true": 1.0, "uncertain": 0.5, "false": 0.2}
"""Vote weight of an answer by its self-verification (CSV's verification-weighted voting); 1 when
unchecked."""


@dataclass(frozen=True, slots=True)
class Solution:
    """The attempts at a question and the answer their (weighted) vote picks."""

    question: str
    answer: str | None
    attempts: tuple[Attempt, ...]
    votes: tuple[tuple[str, float], ...]
    """Each distinct answer (whitespace-normalised) with its total weight, heaviest first."""

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {"question": self.question, "answer": self.answer,
                "votes": [{"answer": a, "weight": w} for a, w in self.votes],
                "attempts": [a.to_dict() for a in self.attempts],
                "trace": [] if best is None else [s.to_dict() for s in best.trace]}

    @property
    def best(self) -> Attempt | None:
        """The first attempt whose answer won the vote (else the first attempt)."""
        for a in self.attempts:
            if a.answer is not None and _key(a.answer) == self.answer:
                return a
        return self.attempts[0] if self.attempts else None


def _key(answer: str) -> str:
    return " ".join(answer.split())


def vote(attempts: tuple[Attempt, ...]) -> tuple[tuple[str, float], ...]:
    """Total weight per distinct answer, heaviest first (ties: first seen first)."""
    weights: dict[str, float] = {}
    for a in attempts:
        if a.answer is not None:
            w = VERIFICATION_WEIGHT.get(a.verification, 1.0) if a.verification else 1.0
            weights[_key(a.answer)] = weights.get(_key(a.answer), 0.0) + w
    return tuple(sorted(weights.items(), key=lambda kv: -kv[1]))


async def solve(question: str, model: Model, executor: CodeExecutor | None, strategy: Strategy, *,
                n: int = 1) -> Solution:
    """``n`` concurrent attempts (seeds ``seed``, ``seed+1``, ... where the strategy has a seed) and their
    vote."""
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}", field="n")
    variants = [strategy] * n
    seed = getattr(strategy, "seed", None)
    if seed is not None and dataclasses.is_dataclass(strategy):
        variants = [dataclasses.replace(strategy, seed=seed + k) for k in range(n)]  # type: ignore[type-var]
    attempts = tuple(await asyncio.gather(*(s.attempt(question, model, executor) for s in variants)))
    votes = vote(attempts)
    return Solution(question.strip(), votes[0][0] if votes else None, attempts, votes)
