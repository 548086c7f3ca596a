"""slime's reward shapes: the remote reward model (``--rm-url http://HOST:PORT/slime/reward`` posts
``{prompt, response, label}`` and reads back a number) and a custom reward function
(``--custom-rm-path verimath.serve.slime.reward``: ``async reward(args, sample) -> float``).
Imports ``verimath.errors`` and its own package.
"""

from __future__ import annotations

from typing import Any

from verimath.serve._client import grader
from verimath.serve._pool import GradeItem
from verimath.serve._wire import MISSING, gold_text, object_body, text_field, verdict_reward

DEFAULT_TIMEOUT_S = 5.0


def item(raw: Any, timeout_s: float) -> GradeItem:
    body = object_body(raw)
    label = gold_text(body.get("label", MISSING), "label")
    return GradeItem(text_field(body, "response"), label, True, timeout_s)


async def reward(args: Any, sample: Any, **_: Any) -> float:
    """slime custom reward: 1.0 when ``sample.response``'s final answer equals ``sample.label``. Grades
    through ``$VERIMATH_SERVE_URL`` when set, else in-process workers."""
    verdicts = await grader().agrade([(str(sample.response), str(sample.label))], DEFAULT_TIMEOUT_S)
    return verdict_reward(verdicts[0])
