"""TRL's ``reward_funcs``: ``RewardFunction`` (sync) and ``AsyncRewardFunction`` (TRL runs these on its own
event loop, in parallel with other async rewards). Each gives 1.0 to a completion whose final answer equals
the row's gold answer (the dataset column ``gold_column``), else 0.0::

    from verimath.serve.trl import RewardFunction
    GRPOTrainer(model=..., reward_funcs=[RewardFunction(gold_column="answer")], train_dataset=ds, ...)

Imports its own package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verimath.errors import InputError
from verimath.serve._client import grader
from verimath.serve._wire import verdict_reward


def _text(completion: Any) -> str:
    """A completion as text: a plain string, or the last message's content of a conversational one."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return str(completion)


class RewardFunction:
    """Synchronous TRL reward function grading completions against ``kwargs[gold_column]``."""

    def __init__(
        self,
        gold_column: str = "answer",
        *,
        url: str | None = None,
        timeout_s: float = 5.0,
        name: str = "verimath_correct",
    ) -> None:
        self.gold_column, self.url, self.timeout_s = gold_column, url, timeout_s
        self.__name__ = name  # TRL logs each reward under its function's name

    def _pairs(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[tuple[str, str]]:
        if self.gold_column not in columns:
            raise InputError(
                f"the dataset has no column {self.gold_column!r} (it has: "
                f"{', '.join(sorted(columns)) or 'none'})",
                field="gold_column",
            )
        golds = columns[self.gold_column]
        return [(_text(c), str(g)) for c, g in zip(completions, golds, strict=True)]

    def __call__(
        self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any
    ) -> list[float]:
        verdicts = grader(self.url).grade(self._pairs(completions, columns), self.timeout_s)
        return [verdict_reward(v) for v in verdicts]


class AsyncRewardFunction(RewardFunction):
    """The same reward, awaitable (TRL detects the ``async __call__``)."""

    async def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),  # type: ignore[override]
        **columns: Any,
    ) -> list[float]:
        verdicts = await grader(self.url).agrade(self._pairs(completions, columns), self.timeout_s)
        return [verdict_reward(v) for v in verdicts]
