"""The HTTP wire forms of grading: request bodies -> ``GradeItem``s (checked field by field, a clear
``InputError`` naming the field otherwise) and ``Verdict`` -> the response object.

Owns the ``verdict`` labels (``correct``, ``incorrect``, ``unparseable``, ``timeout``) and the batch stats.
Imports ``verimath.answers`` (public API), ``verimath.errors`` and its own package.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from verimath.answers import Verdict
from verimath.errors import InputError
from verimath.serve._pool import GradeItem

_UNPARSEABLE = frozenset({"no-answer", "parse-error", "too-long", "error"})


def verdict_reward(verdict: Verdict) -> float:
    """The reward every route and adapter gives for a verdict: 1.0 when correct, else 0.0."""
    return 1.0 if verdict.correct else 0.0


def verdict_label(verdict: Verdict) -> str:
    if verdict.correct:
        return "correct"
    if verdict.method == "deadline":
        return "timeout"
    return "unparseable" if verdict.method in _UNPARSEABLE else "incorrect"


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """One graded item as the service answers it: the verdict's own ``to_dict`` form (so ``Verdict.from_dict``
    reads it back), plus ``score``, the ``verdict`` label and ``elapsed_ms``."""
    return {
        **verdict.to_dict(),
        "score": verdict_reward(verdict),
        "verdict": verdict_label(verdict),
        "elapsed_ms": round(verdict.elapsed * 1000, 3),
    }


def batch_stats(verdicts: list[Verdict], elapsed_s: float) -> dict[str, Any]:
    labels = Counter(verdict_label(v) for v in verdicts)
    return {
        "items": len(verdicts),
        **{k: labels.get(k, 0) for k in ("correct", "incorrect", "unparseable", "timeout")},
        "elapsed_ms": round(elapsed_s * 1000, 3),
    }


def object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError(f"the body must be a JSON object, got {type(body).__name__}", field="body")
    return body


def timeout_s(value: Any, where: str, default_ms: float, max_ms: float) -> float:
    if value is None:
        return default_ms / 1000
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InputError(f"must be a positive number of milliseconds, got {value!r}", field=where)
    if value > max_ms:
        raise InputError(f"at most {max_ms:g} ms, got {value!r}", field=where)
    return value / 1000


def text_field(
    body: dict[str, Any], name: str, field: str | None = None, *, default: str | None = None
) -> str:
    """``body[name]``, which must be a string; with a ``default``, an absent or null field gives it.
    Otherwise a 422 naming ``field`` (``name`` unless given) and what was found ("missing" when absent)."""
    value = body.get(name, MISSING if default is None else default)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {_kind(value)}", field=field or name)
    return value


def gold_text(value: Any, field: str) -> str:
    """A reference answer as text: a string as it is, or a JSON number (RL datasets often store golds as
    numbers: ``42``, ``0.5``) as Python writes it; anything else (``true``, ``null``, lists) is refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise InputError(f"must be a string or a number, got {_kind(value)}", field=field)


def _kind(value: Any) -> str:
    return "missing" if value is MISSING else type(value).__name__


MISSING = object()
"""What a reader passes for an absent field (``body.get(name, MISSING)``), so the error says "missing"."""


def grade_item(raw: Any, where: str, default_ms: float, max_ms: float) -> GradeItem:
    """``{response, gold, extract?, timeout_ms?}`` -> ``GradeItem``; ``where`` prefixes field names."""
    if not isinstance(raw, dict):
        raise InputError(f"must be an object, got {type(raw).__name__}", field=where or "body")
    prefix = f"{where}." if where else ""
    response = text_field(raw, "response", prefix + "response")
    gold = gold_text(raw.get("gold", MISSING), prefix + "gold")
    extract = raw.get("extract", True)
    if not isinstance(extract, bool):
        raise InputError(f"must be true or false, got {extract!r}", field=prefix + "extract")
    return GradeItem(
        response,
        gold,
        extract,
        timeout_s(raw.get("timeout_ms"), prefix + "timeout_ms", default_ms, max_ms),
    )


def grade_batch(body: Any, max_items: int, default_ms: float, max_ms: float) -> list[GradeItem]:
    """``{items: [...], timeout_ms?}``: the batch's ``timeout_ms`` is every item's default."""
    body = object_body(body)
    items = body.get("items")
    if not isinstance(items, list):
        raise InputError("must be a list of {response, gold} objects", field="items")
    if len(items) > max_items:
        raise InputError(f"at most {max_items} items per batch, got {len(items)}", field="items")
    batch_ms = timeout_s(body.get("timeout_ms"), "timeout_ms", default_ms, max_ms) * 1000
    return [grade_item(raw, f"items[{i}]", batch_ms, max_ms) for i, raw in enumerate(items)]
