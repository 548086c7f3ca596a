"""grade: the wrong verdicts of other graders as regressions, bounded work under attack, the real datasets."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verimath.answers import Verdict, grade

# (prediction, gold, correct): each a wrong verdict of Math-Verify 0.9.0, Qwen2.5-Math/ToRA, PRM800K or
# lm-eval.
REGRESSIONS = [
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}", False),
    ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False),
    ("1+", "1", False),
    ("3x-1y+13=0", "3x+4y+14=0", False),
    ("1728", "1331 and 1728", False),
    ("\\sqrt3/2", "0.866", True),
    ("\\text{yes}", "Yes", True),
    ("(C)", "C", True),
    ("\\dfrac{9}{7}", "\\dfrac{9}{7}", True),
    ("\\frac{9}{7}", "\\dfrac{9}{7}", True),
    ("500", "5", False),
    ("10001", "10000", False),
    ("(2, 1)", "(1, 2)", False),
    ("\\{2,1\\}", "\\{1,2\\}", True),
    ("2x+2y=2", "x+y=1", True),
    ("\\left( \\frac{4}{3}, -\\frac{1}{3} \\right)", "\\left(\\frac43, -\\frac13\\right)", True),
]


@pytest.mark.parametrize(("prediction", "gold", "correct"), REGRESSIONS)
def test_known_wrong_verdicts_are_decided_correctly(prediction: str, gold: str, correct: bool) -> None:
    v = grade(prediction, gold, extract_answer=False)
    assert isinstance(v, Verdict)
    assert v.correct is correct, v
    assert v.extracted == prediction and v.elapsed >= 0
    if not correct:
        assert v.reason


def test_boxed_answer_in_a_response_and_a_boxed_gold() -> None:
    response = ("We rationalise: $\\frac{1}{\\sqrt2} = \\frac{\\sqrt2}{2}$, so the answer is "
                "$\\boxed{\\frac{\\sqrt{2}}{2}}$.")
    v = grade(response, "\\boxed{\\frac{1}{\\sqrt{2}}}")
    assert v.correct and v.extracted == "\\frac{\\sqrt{2}}{2}"


def test_malformed_and_wrongly_typed_input_never_raises() -> None:
    assert grade(None, "1").correct is False  # type: ignore[arg-type]
    assert grade("1", 1).method == "error"  # type: ignore[arg-type]
    v = grade("\\frac{1}{2", "\\frac12", extract_answer=False)
    assert v.method == "parse-error" and "prediction" in v.reason
    assert grade("x" * 5000, "1", extract_answer=False).method == "too-long"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80), st.text(alphabet="0123456789\\{}()[]^_+-*/=<>,.xyz frac sqrt pi", max_size=60))
def test_grade_never_raises(prediction: str, gold: str) -> None:
    v = grade(prediction, gold, extract_answer=False, budget=2.0)
    assert isinstance(v.correct, bool) and isinstance(v.reason, str)


def _adversarial() -> list[tuple[str, str, bool | None]]:
    """(prediction, gold, correct); ``None`` where the verdict depends on the extractor (a full response)."""
    rng = random.Random(7)
    garbage = "".join(rng.choice("(){}[]\\^_!abcxyz0123456789+-*/ ") for _ in range(1_000_000))
    return [
        ("2^{2^{2^{2^{2^{2^{2^{2}}}}}}}", "2^{2^{2^{2^{2^{2^{2^{2}}}}}}} + 1", False),
        ("9^9^9^9^9^9^9", "9^{9^{9^{9^{9^{9^{9}}}}}}", True),
        ("10^{10^{10^{10}}}", "1", False),
        ("e^{e^{e^{e^{100}}}}", "e^{e^{e^{e^{100}}}} - 1", False),
        ("(10^{100})!", "(10^{100})! + 1", False),
        ("100000!", "99999!", False),
        ("(" * 100_000 + "1" + ")" * 100_000, "1", False),
        ("\\boxed{" + "{" * 100_000 + "1" + "}" * 100_000 + "}", "1", None),
        (garbage, "1", False),
        ("\\boxed{" + garbage[:1500] + "}", "1", None),
        (garbage, "\\boxed{1}", None),
        ("\\frac{1}{2", "\\frac{1}{2}", False),
        ("}}}{{{\\left(\\right]", "1", False),
        ("-" * 1999 + "1", "1", False),
        ("+".join(["x^{99}"] * 150), "150x^{99}", True),
        ("\\sqrt{" * 40 + "2" + "}" * 40, "1", False),
    ]


def test_adversarial_inputs_finish_inside_the_deadline_from_several_threads() -> None:
    cases = _adversarial() * 2
    budget = 1.0

    def run(case: tuple[str, str, bool | None]) -> Verdict:
        return grade(case[0], case[1], budget=budget, extract_answer=case[2] is None)

    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(run, cases))
    for (p, g, correct), v in zip(cases, verdicts, strict=True):
        assert isinstance(v, Verdict), (p[:40], g)
        assert v.elapsed < budget + 0.5, (p[:40], g, v.method, v.elapsed)
        if correct is not None:
            assert v.correct is correct, (p[:40], g, v)


def test_threads_agree_with_a_single_thread() -> None:
    pairs = [(a, b) for a in ("x^2-1", "\\frac{\\sqrt3}{2}", "0.866", "(1,2)", "2x+2y=2") for b in
             ("(x-1)(x+1)", "0.866", "\\sqrt{3}/2", "(2,1)", "x+y=1")]
    expected = [grade(p, g, extract_answer=False).correct for p, g in pairs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda pg: grade(pg[0], pg[1], extract_answer=False).correct, pairs * 4))
    assert got == expected * 4


def _rows(path: Path) -> list[dict]:
    with path.open() as f:
        return [json.loads(line) for line in f]


def test_math_reference_solutions_grade_true_against_their_answers(shared_data) -> None:
    rows = _rows(shared_data / "math_test.jsonl")
    correct = sum(grade(r["solution"], r["answer"]).correct for r in rows)
    assert correct / len(rows) >= 0.99


def test_gsm8k_verdicts_agree_with_the_published_grades(shared_data) -> None:
    rows = _rows(shared_data / "gsm8k_model_answer_grading.jsonl")
    agree = sum(grade(r["model_solution"], r["gold_answer"]).correct == r["is_correct"] for r in rows)
    assert agree / len(rows) >= 0.995
