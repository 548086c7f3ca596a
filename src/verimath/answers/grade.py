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
from verimath.answers._lexer import CONTROL, balanced, normalise
from verimath.answers.compare import Match, equivalent
from verimath.answers.extract import extract, has_prose, looks_bare
from verimath.answers.parse import parse
from verimath.answers.values import Expr, Number, Relation, Value
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

    ``prediction`` is a full model response or a bare answer: a text that parses whole as an answer is graded
    whole, otherwise its final answer is found with ``extract`` (pass ``extract_answer=False`` when it already
    is the bare answer). ``gold`` is read the same way (bare, boxed, or a worked solution). The equivalence
    policy is ``equivalent``'s; in addition a gold written with a base subscript (``1011_2``) accepts the same
    digits without it (``1011``), as the question asked for that base.
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
        gold_answer = gold.strip() if looks_bare(gold) else extract(gold) or gold
        extracted = _answer_in(response, gold_answer) if extract_answer else response
        if extracted is None:
            return verdict(False, "no-answer", "no final answer found in the prediction")
        if len(extracted) > MAX_ANSWER_CHARS:
            return verdict(False, "too-long", f"answer longer than {MAX_ANSWER_CHARS} characters")
        for side, text in (("prediction", extracted), ("gold", gold_answer)):
            control = CONTROL.search(text)
            if control is not None:
                code = f"U+{ord(control.group()):04X}"
                return verdict(False, "parse-error", f"{side}: control character {code}")
        if normalise(extracted) == normalise(gold_answer) and balanced(extracted):  # broken LaTeX never is
            return verdict(True, "string")
        try:
            gold_value = parse(gold_answer)
        except InputError as e:
            return verdict(False, "parse-error", f"gold: {e}")
        try:
            value = parse(extracted)
        except InputError as e:
            return verdict(False, "parse-error", f"prediction: {e}")
        match = (_digits_of_based_gold(value, gold_value) or _stated_result(value, gold_value, deadline)
                 or equivalent(value, gold_value, budget=deadline))
        return verdict(match.equal, match.method, match.reason)
    except BudgetExceeded as e:
        return verdict(False, "deadline", str(e))
    except RecursionError:
        return verdict(False, "error", "input nested too deeply")
    except Exception as e:  # the contract is "never an exception to the caller"
        return verdict(False, "error", f"{type(e).__name__}: {e}")


def _answer_in(response: str, gold_answer: str) -> str | None:
    """The answer a prediction gives: all of it when it is the gold's very text ("Mrs. Hilt") or a bare answer
    (one that parses, or a broken one such as ``1+`` or garbage: not prose, so never searched for a number);
    otherwise what ``extract`` finds in the response."""
    if CONTROL.search(response) is not None:  # garbage stays garbage (str.strip would drop U+001C)
        return response if looks_bare(response) else extract(response)
    if response.strip() == gold_answer:
        return gold_answer
    if not looks_bare(response):
        return extract(response)
    whole = normalise(response) == normalise(gold_answer) or _parses(response) or not has_prose(response)
    return response.strip() if whole else extract(response)


def _digits_of_based_gold(value: Value, gold: Value) -> Match | None:
    """A gold ``1011_2`` accepts ``1011``: the same digits, the base left implicit as the question set it."""
    if not (isinstance(gold, Number) and gold.base not in (None, 10) and isinstance(value, Number)
            and value.base is None and value.exact and value.value.denominator == 1 and value.value >= 0):
        return None
    if str(value.value.numerator) != gold.digits:
        return None
    return Match(True, "base", f"the digits of {gold.digits}_{gold.base}, the base left implicit")


def _parses(text: str) -> bool:
    try:
        parse(text)
    except InputError:
        return False
    return True


def _stated_result(value: Value, gold: Value, budget: Budget) -> Match | None:
    """A response that ends in ``a + b = 7`` states the value 7 for the quantity asked: against a constant
    gold, its constant right side is graded (a gold ``a + 3z = 0`` is an equation and stays one)."""
    if not (isinstance(value, Relation) and value.ops == ("=",) and isinstance(gold, Number | Expr)
            and not (isinstance(gold, Expr) and gold.symbols)):
        return None
    left, right = value.sides
    if not (isinstance(left, Expr) and left.symbols) or (isinstance(right, Expr) and right.symbols):
        return None
    match = equivalent(right, gold, budget=budget)
    return Match(match.equal, match.method, f"the stated result {right}: {match.reason}".rstrip(": "))
