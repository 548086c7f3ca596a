"""Bounded work on every path: thousands of generated and mutated answers, each graded within its deadline.

Two sources of input: a grammar of LaTeX and plain answers (numbers of every notation, huge exponents, towers,
factorials, repeating decimals, base subscripts, roots, functions, sets, intervals, relations, matrices,
text), and mutations of real answers from ``../shared/data`` (skipped when absent). Every check must return
a verdict within its budget (plus a margin for the process, never a signal), and a control character is
never correct.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verimath.answers import grade, parse

BUDGET = 0.5
MARGIN = 0.5
"""Seconds allowed beyond the budget: the cooperative deadline is checked between steps, and a loaded CI
runner
schedules late."""

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

_digits = st.text("0123456789", min_size=1, max_size=12)
_exponent = st.one_of(st.integers(-30, 30), st.integers(-10**12, 10**12))
_numbers = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.builds(lambda a, b: f"{a}.{b}", _digits, _digits),
    st.builds(lambda a, e: f"{a}e{e}", _digits, _exponent),
    st.builds(lambda a, e: f"{a} \\times 10^{{{e}}}", _digits, _exponent),
    st.builds(lambda a, b: f"{a}_{{{b}}}", _digits, st.integers(0, 40)),
    st.builds(lambda a, r: f"0.{a}\\overline{{{r}}}", _digits, _digits),
    st.builds(lambda a: f"{a}\\%", _digits),
    st.builds(lambda a, b: f"{a},{b}", _digits, _digits),
    st.builds(lambda a, b, c: f"{a} {b}/{c}", _digits, _digits, _digits),
    st.sampled_from(["\\pi", "e", "i", "\\infty", "x", "y", "AB", "\\ldots", "1 000", "1,000,000"]),
)


def _compose(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        pair.map(lambda p: f"\\frac{{{p[0]}}}{{{p[1]}}}"),
        pair.map(lambda p: f"{p[0]}^{{{p[1]}}}"),
        pair.map(lambda p: f"{p[0]} + {p[1]}"),
        pair.map(lambda p: f"{p[0]} - {p[1]}"),
        pair.map(lambda p: f"{p[0]} \\cdot {p[1]}"),
        pair.map(lambda p: f"{p[0]}:{p[1]}"),
        pair.map(lambda p: f"\\binom{{{p[0]}}}{{{p[1]}}}"),
        pair.map(lambda p: f"({p[0]}, {p[1]})"),
        pair.map(lambda p: f"[{p[0]}, {p[1]})"),
        pair.map(lambda p: f"\\{{{p[0]}, {p[1]}\\}}"),
        pair.map(lambda p: f"x = {p[0]} = {p[1]}"),
        pair.map(lambda p: f"{p[0]} \\le |x| < {p[1]}"),
        pair.map(lambda p: f"{p[0]} \\pm {p[1]}"),
        pair.map(lambda p: f"\\begin{{pmatrix}} {p[0]} & {p[1]} \\\\ {p[1]} & {p[0]} \\end{{pmatrix}}"),
        inner.map(lambda a: f"\\sqrt{{{a}}}"),
        inner.map(lambda a: f"\\sqrt[3]{{{a}}}"),
        inner.map(lambda a: f"({a})!"),
        inner.map(lambda a: f"\\sin({a})"),
        inner.map(lambda a: f"\\exp({a})"),
        inner.map(lambda a: f"\\log_{{2}}({a})"),
        inner.map(lambda a: f"\\left| {a} \\right|"),
        inner.map(lambda a: f"\\text{{{a} cm}}"),
    )


ANSWERS = st.recursive(_numbers, _compose, max_leaves=6)
RESPONSES = st.one_of(
    ANSWERS,
    ANSWERS.map(lambda a: f"so the answer is $\\boxed{{{a}}}$."),
    ANSWERS.map(lambda a: f"Final Answer: The final answer is ${a}$. I hope it is correct."),
    ANSWERS.map(lambda a: f"Therefore the value is {a}."),
    st.tuples(ANSWERS, ANSWERS).map(
        lambda p: f"\\boxed{{{p[0]}}} \\quad\\text{{and}}\\quad \\boxed{{{p[1]}}}"),
)
_FUZZ = settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _timed(prediction: str, gold: str) -> None:
    took = _seconds(prediction, gold)
    if took >= BUDGET + MARGIN:  # a scheduler stall on a loaded runner passes; a slow input is slow twice
        parse.cache_clear()  # type: ignore[attr-defined]
        took = _seconds(prediction, gold)
    assert took < BUDGET + MARGIN, (prediction, gold, took)


def _seconds(prediction: str, gold: str) -> float:
    start = time.perf_counter()
    grade(prediction, gold, budget=BUDGET)
    return time.perf_counter() - start


@_FUZZ
@given(prediction=RESPONSES, gold=ANSWERS)
def test_generated_answers_are_graded_within_the_deadline(prediction: str, gold: str) -> None:
    for pair in ((prediction, gold), (gold, prediction), (prediction, prediction)):  # 3 checks per example
        _timed(*pair)


def _real_answers() -> list[str]:
    answers: list[str] = []
    math = DATA / "math_test.jsonl"
    gsm = DATA / "gsm8k_test.jsonl"
    if math.is_file():
        answers += [json.loads(line)["answer"] for line in math.open(encoding="utf-8")]
    if gsm.is_file():
        answers += [json.loads(line)["answer"].rsplit("####", 1)[-1].strip()
                    for line in gsm.open(encoding="utf-8")]
    return answers


REAL = _real_answers()
_INSERTS = st.sampled_from(["{", "}", "\\", "\\frac", "^{", "_", "!", "9" * 40, "e999999999", "\\left(", "$",
                            "\\boxed{", "\x00", "\x1c", "\u202e", "\\sqrt[", "&", "\\\\", "\\text{", "%", ",",
                            "..."])


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, str]:
    gold = draw(st.sampled_from(REAL))
    text = gold
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.integers(0, 3))
        if action == 0:
            text = text[:at] + draw(_INSERTS) + text[at:]
        elif action == 1:
            text = text[:at] + text[at + draw(st.integers(1, 5)):]
        elif action == 2:
            text = text[:at] * draw(st.integers(1, 30)) + text[at:]
        else:
            text = text[:at] + draw(ANSWERS) + text[at:]
    return text, gold


@pytest.mark.skipif(not REAL, reason="../shared/data is absent")
@_FUZZ
@given(pair=_mutated())
def test_mutated_real_answers_are_graded_within_the_deadline(pair: tuple[str, str]) -> None:
    prediction, gold = pair
    _timed(prediction, gold)
    _timed(gold, prediction)
    verdict = grade(prediction, gold, budget=BUDGET)
    if verdict.correct:  # garbage is never an answer: no control character in what was graded correct
        assert verdict.extracted is not None and not _has_control(verdict.extracted)
        assert "\\boxed" in prediction or not _has_control(prediction)


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\t\n\r" for c in text)


@pytest.mark.parametrize(
    ("prediction", "gold"),
    [
        ("\\boxed{1e999999999}", "1"),
        ("1e-999999999", "0"),
        ("10^{10^{10^{10}}}", "10^{10^{10^{10}}} + 1"),
        ("2^{2^{2^{2^{2^{2}}}}}", "2"),
        ("(10^{6})!", "1"),
        ("\\binom{10^{1000}}{4000}", "1"),
        ("\\sin(10^{100000})", "0"),
        ("0.\\overline{" + "9" * 1900 + "}", "1"),
        ("1" * 1999, "1" * 1998),
        ("{" * 59 + "1" + "}" * 59, "1"),
        ("\\frac" * 400 + "1", "1"),
        ("-" * 1999 + "1", "1"),
        ("1+" * 999 + "1", "1000"),
        ("x^{" * 50 + "2" + "}" * 50, "x"),
        ("\\sqrt{" * 50 + "2" + "}" * 50, "2"),
        ("\\exp(10^{6})", "1"),  # the reason once printed its decimal digits
        ("\\sqrt{\\exp((507 02080/210448743774)!)}", "(\\exp(\\binom{67979095e18}{08652,207266601}))!"),
        ("answer: " * 4000 + "5", "5"),
        ("Final Answer: The final answer is " * 1000 + "5", "5"),
        ("\\boxed{1} and " * 3000, "1"),
        ("(" * 100_000, "1"),
    ],
    ids=lambda value: value[:24],
)
def test_the_hanging_classes_return_in_time(prediction: str, gold: str) -> None:
    for side in ((prediction, gold), (gold, prediction)):
        _timed(*side)
