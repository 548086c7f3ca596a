"""``grade(prediction, gold) -> Verdict``: one bounded, exception-free check of a model response.

Owns ``Verdict`` and the orchestration of extract -> parse -> equivalent under one deadline. Never raises to
the caller: malformed input, oversized input and deadline overruns all give ``correct=False`` with a reason.
Imports only ``verimath.answers`` modules and ``verimath.errors``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verimath.answers._budget import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS, Budget
from verimath.answers._lexer import normalise
from verimath.answers.compare import equivalent
from verimath.answers.extract import extract
from verimath.answers.parse import parse
from verimath.errors import BudgetExceeded, InputError


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of grading one prediction against one gold answer."""

    correct: bool
    """Whether the extracted answer is equivalent to the gold answer."""
    extracted: str | None
    """The final answer found in the prediction (None when none was found)."""
    method: str
    """What decided it: ``string``, ``exact``, ``decimal``, ``numeric``, ``identity``, ``relation``, ``set``,
    ``text``, ``symbolic``, ... or ``no-answer``, ``parse-error``, ``deadline``, ``error``."""
    reason: str
    """A short human explanation (empty when nothing needs explaining)."""
    elapsed: float
    """Seconds this check took."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the run store's, and any wire's)."""
        return {"correct": self.correct, "extracted": self.extracted, "method": self.method,
                "reason": self.reason, "elapsed": self.elapsed}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Verdict:
        """Inverse of :meth:`to_dict`."""
        return cls(bool(d["correct"]), d.get("extracted"), str(d.get("method", "")), str(d.get("reason", "")),
                   float(d.get("elapsed", 0.0)))


def grade(prediction: str, gold: str, *, budget: float = 1.0, extract_answer: bool = True) -> Verdict:
    """Grade a model response against a gold answer within ``budget`` seconds; never raises.

    ``prediction`` is a full model response whose final answer is found with ``extract`` (pass
    ``extract_answer=False`` when it already is the bare answer). ``gold`` is the reference answer, bare or
    itself wrapped in ``\\boxed{}``. The equivalence policy is ``equivalent``'s.
    """
    start = time.perf_counter()
    extracted: str | None = None

    def verdict(correct: bool, method: str, reason: str = "") -> Verdict:
        return Verdict(correct, extracted, method, reason, time.perf_counter() - start)

    try:
        if not isinstance(prediction, str) or not isinstance(gold, str):
            return verdict(False, "error", "prediction and gold must be strings")
        deadline = Budget(budget)
        response = prediction[-MAX_RESPONSE_CHARS:]
        extracted = extract(response) if extract_answer else response
        if extracted is None:
            return verdict(False, "no-answer", "no final answer found in the prediction")
        gold_answer = extract(gold) if "\\boxed" in gold or "\\fbox" in gold else gold
        if gold_answer is None:
            return verdict(False, "error", "the gold answer has an empty \\boxed{}")
        if len(extracted) > MAX_ANSWER_CHARS:
            return verdict(False, "too-long", f"answer longer than {MAX_ANSWER_CHARS} characters")
        if normalise(extracted) == normalise(gold_answer):
            return verdict(True, "string")
        try:
            gold_value = parse(gold_answer)
        except InputError as e:
            return verdict(False, "parse-error", f"gold: {e}")
        try:
            value = parse(extracted)
        except InputError as e:
            return verdict(False, "parse-error", f"prediction: {e}")
        match = equivalent(value, gold_value, budget=deadline)
        return verdict(match.equal, match.method, match.reason)
    except BudgetExceeded as e:
        return verdict(False, "deadline", str(e))
    except RecursionError:
        return verdict(False, "error", "input nested too deeply")
    except Exception as e:  # the contract is "never an exception to the caller"
        return verdict(False, "error", f"{type(e).__name__}: {e}")
