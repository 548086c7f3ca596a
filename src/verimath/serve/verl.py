"""verl's ``custom_reward_function``: ``compute_score`` (one item), ``compute_score_batch`` (verl's batch
reward manager) and ``compute_score_async`` (verl's reward loop), grading in-process or through a service URL.

Point verl at this file::

    custom_reward_function.path=$(python -c 'import verimath.serve.verl as m; print(m.__file__)')
    custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.url=http://127.0.0.1:8000   # optional: a running `verimath serve`

verl loads the file by path, so this module uses absolute imports only. Imports its own package.
"""

from __future__ import annotations

from typing import Any

from verimath.answers import Verdict
from verimath.serve._client import grader
from verimath.serve._wire import verdict_reward

DEFAULT_TIMEOUT_S = 5.0


def _score(verdict: Verdict) -> dict[str, Any]:
    """verl takes ``score`` as the reward and logs the other keys per sample."""
    return {
        "score": verdict_reward(verdict),
        "acc": verdict.correct,
        "pred": verdict.extracted or "",
        "method": verdict.method,
    }


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **_: Any,
) -> dict[str, Any]:
    """One rollout's reward: ``{"score": 1.0 | 0.0, "acc", "pred", "method"}``. ``data_source`` and
    ``extra_info`` are accepted for verl's signature; every source is graded the same way."""
    return _score(grader(url).grade([(solution_str, str(ground_truth))], timeout_s)[0])


def compute_score_batch(
    data_sources: list[str],
    solution_strs: list[str],
    ground_truths: list[Any],
    extra_infos: list[dict] | None = None,
    *,
    url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **_: Any,
) -> list[dict[str, Any]]:
    """verl's ``BatchRewardManager`` form: lists in, one score dict per rollout out, in order."""
    pairs = [(s, str(g)) for s, g in zip(solution_strs, ground_truths, strict=True)]
    return [_score(v) for v in grader(url).grade(pairs, timeout_s)]


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **_: Any,
) -> dict[str, Any]:
    """``compute_score`` for verl's asynchronous reward loop."""
    return _score((await grader(url).agrade([(solution_str, str(ground_truth))], timeout_s))[0])
