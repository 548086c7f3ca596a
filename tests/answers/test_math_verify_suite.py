"""Math-Verify's public test suite, read as data: verimath must agree on >= 95% with zero false positives.

The cases come from ``math_verify_suite.json`` (gold, prediction, expected, read from the parametrisations of
huggingface/Math-Verify's tests at the commit the file names). Both sides go through ``grade`` as
Math-Verify's tests send them through ``parse``: a gold may itself be a worked solution. Cases whose
expectation holds only under a Math-Verify-only option are in the file's ``excluded`` list with the option
named.
"""

from __future__ import annotations

import json
from pathlib import Path

from verimath.answers import grade

SUITE = json.loads((Path(__file__).parent / "math_verify_suite.json").read_text(encoding="utf-8"))

# Every case where verimath's verdict differs from the suite's expectation, and why verimath's is the right
# one.
DISAGREEMENTS = {
    4: "the strings hold U+000C (Python read '\\f' in '-\\\\\\frac' as a form feed): not LaTeX; input "
       "that does not parse is never graded correct, even when both sides carry the same garbage",
    76: "{1,3} is TeX grouping around the two numbers 1 and 3; (1,3) is a point or an open interval: "
        "two answers are not one pair",
    169: "\\zzz is no LaTeX command: a gold that cannot be read grades nothing correct",
    215: "the gold's \\boxed never closes: a cut-off answer states nothing, and a gold that cannot be read "
         "grades nothing correct",
    235: "boxes separated by prose (\\text{ for part (a) and }) answer separate parts: verimath reads the "
         "last box, (1, 1), as it reads MATH's '\\boxed{A} \\text{ and } \\boxed{B}' (alternatives, either "
         "correct); only connectors (and, commas, \\quad\\text{and}\\quad) join boxes into one list",
    255: "\\sum with a bound index is outside the answer grammar: verimath does not guess, and the two "
         "sides are different strings",
    259: "1 - 1/e and 1 + 1/e are different numbers (0.632... and 1.368...); Math-Verify's own test "
         "keeps it as 1",
}


def _verdicts() -> list[tuple[dict[str, object], bool]]:
    return [(case, grade(case["prediction"], case["gold"]).correct) for case in SUITE["cases"]]


def test_agreement_is_at_least_95_percent_with_no_false_positive_and_every_disagreement_explained() -> None:
    verdicts = _verdicts()
    disagreeing = {case["id"] for case, correct in verdicts if correct != case["expected"]}
    false_positives = [case["id"] for case, correct in verdicts if correct and not case["expected"]]
    assert false_positives == []
    assert disagreeing == set(DISAGREEMENTS)
    assert 1 - len(disagreeing) / len(verdicts) >= 0.95


def test_the_suite_file_names_its_source_and_every_exclusion_names_an_option() -> None:
    assert SUITE["repository"] == "https://github.com/huggingface/Math-Verify"
    assert len(SUITE["commit"]) == 40
    assert len(SUITE["cases"]) == 258
    assert all(case["option"] for case in SUITE["excluded"])
    assert {case["id"] for case in SUITE["cases"]}.isdisjoint(case["id"] for case in SUITE["excluded"])
