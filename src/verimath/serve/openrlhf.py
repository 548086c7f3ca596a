"""OpenRLHF's remote reward model shape (``--remote_rm_url http://HOST:PORT/get_reward``): ``{query, prompts,
labels}`` -> ``{rewards, scores, extra_logs}``. ``query`` is prompt + response; the prompt prefix is stripped
before grading. Imports ``verimath.answers``, ``verimath.errors`` and its own package.
"""

from __future__ import annotations

from typing import Any

from verimath.answers import Verdict
from verimath.errors import InputError
from verimath.serve._pool import GradeItem
from verimath.serve._wire import gold_text, object_body, verdict_label, verdict_reward


def _strings(body: dict[str, Any], name: str) -> list[str]:
    values = body.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputError("must be a list of strings", field=name)
    return values


def items(raw: Any, timeout_s: float) -> list[GradeItem]:
    body = object_body(raw)
    queries = _strings(body, "query")
    if not isinstance(body.get("labels"), list):
        raise InputError("must be a list of strings or numbers", field="labels")
    labels = [gold_text(label, f"labels[{i}]") for i, label in enumerate(body["labels"])]
    prompts = _strings(body, "prompts") if "prompts" in body else [""] * len(queries)
    if not len(queries) == len(prompts) == len(labels):
        raise InputError(
            f"query, prompts and labels differ in length ({len(queries)}, {len(prompts)}, {len(labels)})",
            field="labels",
        )
    return [
        GradeItem(q[len(p) :] if q.startswith(p) else q, label, True, timeout_s)
        for q, p, label in zip(queries, prompts, labels, strict=True)
    ]


def answer(verdicts: list[Verdict]) -> dict[str, Any]:
    rewards = [verdict_reward(v) for v in verdicts]
    return {
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": {
            "verdict_timeout": [float(verdict_label(v) == "timeout") for v in verdicts],
            "verdict_unparseable": [float(verdict_label(v) == "unparseable") for v in verdicts],
        },
    }
