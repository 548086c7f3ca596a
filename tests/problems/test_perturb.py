from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import pytest

from verimath.errors import InputError, VerimathError
from verimath.problems import (
    LiftError,
    PerturbReport,
    Problem,
    lift,
    load_dataset,
    perturb,
    perturb_problem,
    symbolic_problem,
)
from verimath.problems._program import find_numbers

JANET = Problem(
    id="janet",
    question="Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
             "muffins for her friends every day with four. She sells the remainder at the farmers' market "
             "daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' "
             "market?",
    answer="18",
    metadata={"solution": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
                          "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18"})


def numbers(text: str) -> list[Fraction]:
    return [s.value for s in find_numbers(text)]


def test_lift_reads_the_calculation():
    program = lift(JANET.question, JANET.answer, solution=JANET.metadata["solution"])
    assert program.slots == (16, 3, 4, 2)
    assert program.steps == ("s0 - s1 - s2", "r0 * s3")
    assert program.run(program.slots)[-1] == 18


@pytest.mark.parametrize("op", ["numeric_substitution", "digit_expansion"])
def test_new_numbers_give_the_recomputed_answer(op):
    for seed in range(20):
        v = perturb_problem(JANET, op, random.Random(seed))
        eggs, ate, baked, price = numbers(v.question)
        assert Fraction(v.answer) == (eggs - ate - baked) * price  # the problem's own arithmetic
        assert v.parent_id == "janet" and v.perturbation == op
    assert max(numbers(perturb_problem(JANET, "digit_expansion", random.Random(1)).question)) >= 100


def test_integer_to_decimal_and_fraction():
    v = perturb_problem(JANET, "integer_to_decimal", random.Random(0))
    eggs, ate, baked, price = numbers(v.question)
    assert Fraction(v.answer) == (eggs - ate - baked) * price
    assert any(n.denominator != 1 for n in (eggs, ate, baked, price))
    w = perturb_problem(JANET, "integer_to_fraction", random.Random(0))
    assert re.search(r"\d+ \d/\d", w.question)


def test_value_preserving_rewrites_keep_the_answer():
    p = Problem(id="r", question="A rope is 2.5 meters long and costs $3.50. She uses 3/4 of it and 1/3 of a "
                                 "second rope. How much is left?", answer="0.625")
    v = perturb_problem(p, "decimal_to_fraction", random.Random(0))
    assert "2 1/2 meters" in v.question and "$3.50" in v.question and v.answer == p.answer
    w = perturb_problem(p, "fraction_to_decimal", random.Random(0))
    assert "0.75 of it" in w.question and "1/3 of" in w.question and w.answer == p.answer
    with pytest.raises(LiftError):
        perturb_problem(JANET, "decimal_to_fraction", random.Random(0))


def test_distractor_keeps_the_answer_and_the_question_sentence():
    v = perturb_problem(JANET, "distractor", random.Random(0))
    assert v.answer == JANET.answer and v.question.endswith("farmers' market?")
    assert len(v.question) > len(JANET.question)


def test_ambiguous_problems_are_dropped_with_a_count():
    twice = Problem(id="t", question="Tom has 2 dogs and twice as many cats. How many pets?", answer="6",
                    metadata={"solution": "2*2=<<2*2=4>>4 cats; 2+4=<<2+4=6>>6\n#### 6"})
    with pytest.raises(LiftError):
        lift(twice.question, twice.answer, solution=twice.metadata["solution"])
    report = PerturbReport()
    out = list(perturb([twice, JANET], ["numeric_substitution"], report=report))
    assert [v.parent_id for v in out] == ["janet"]
    assert sum(report.dropped.values()) == 1 and report.made["numeric_substitution"] == 1


def test_numbers_derived_outside_the_annotations_are_not_lifted():
    jeff = ("Jeff and Brad divide 100 dollars. Jeff gets 4 times as much as Brad. How much does Jeff get?",
            "80", "100/5=<<100/5=20>>20; 20*4=<<20*4=80>>80\n#### 80")
    with pytest.raises(LiftError, match="derived"):
        lift(jeff[0], jeff[1], solution=jeff[2])
    total = ("Bea bought ten packets. Six had 8 crayons and four had 16. How many crayons?", "112",
             "6*8=<<6*8=48>>48; 4*16=<<4*16=64>>64; 48+64=<<48+64=112>>112\n#### 112")
    with pytest.raises(LiftError, match="does not use"):
        lift(total[0], total[1], solution=total[2])
    grade = ("Of the 300 Grade 5 students, 2/5 are boys. How many girls?", "180",
             "300*2/5=<<300*2/5=120>>120; 300-120=<<300-120=180>>180\n#### 180")
    with pytest.raises(LiftError, match="fraction"):
        lift(grade[0], grade[1], solution=grade[2])


def test_unknown_operation_is_an_input_error():
    with pytest.raises(InputError, match="unknown perturbation"):
        perturb([JANET], ["shuffle_words"])


def test_variants_are_reproducible_and_distinct():
    a = [v.to_dict() for v in perturb([JANET], ["numeric_substitution"], seed=3, variants=4)]
    b = [v.to_dict() for v in perturb([JANET], ["numeric_substitution"], seed=3, variants=4)]
    assert a == b and len({v["question"] for v in a}) == len(a) >= 3


def test_svamp_equation_lifts(shared_data):
    problems = list(load_dataset(shared_data / "svamp.jsonl", limit=30))
    report = PerturbReport()
    variants = list(perturb(problems, ["numeric_substitution"], seed=0, report=report))
    assert len(variants) + sum(report.dropped.values()) == 30 and len(variants) >= 12
    for v in variants:
        eq = next(p for p in problems if p.id == v.parent_id).metadata["equation"]
        assert "equation" not in v.metadata and v.metadata["solution"].endswith(f"#### {v.answer}")
        assert eq


def test_gsm8k_variants_recompute_from_their_own_solution(shared_data):
    problems = list(load_dataset(shared_data / "gsm8k_test.jsonl", limit=300))
    variants = list(perturb(problems, ["numeric_substitution", "integer_to_decimal"], seed=0))
    assert len(variants) >= 100
    for v in variants:
        # every step written in the new solution is true arithmetic, and the last one is the answer
        for expr, result in re.findall(r"<<([^=]+)=([^>]+)>>", v.metadata["solution"]):
            assert Fraction(result) == Fraction(eval_plain(expr))
        assert v.metadata["solution"].rstrip().endswith(f"#### {v.answer}")
        parent = next(p for p in problems if p.id == v.parent_id)
        assert numbers(v.question) != numbers(parent.question)


def eval_plain(expr: str) -> Fraction:
    from verimath.problems._expr import compile_expr
    return Fraction(compile_expr(expr, {})({}))


def test_symbolic_operations_recompute_with_sympy():
    sp = pytest.importorskip("sympy")
    x = sp.Symbol("x")
    base = symbolic_problem("s", "differentiate", "x**3*sin(2*x)")
    assert sp.simplify(sp.sympify(base.answer) - sp.diff(x**3 * sp.sin(2 * x), x)) == 0
    for op in ("symbolic_numeric", "symbolic_parameter", "symbolic_equivalent"):
        v = perturb_problem(base, op, random.Random(1))
        expr = sp.sympify(v.metadata["expression"], locals={"a": sp.Symbol("a", positive=True)})
        answer = sp.sympify(v.answer, locals={"a": sp.Symbol("a", positive=True)})
        assert sp.simplify(answer - sp.diff(expr, x)) == 0
        assert v.parent_id == "s" and v.perturbation == op
    same = perturb_problem(base, "symbolic_equivalent", random.Random(2))
    assert sp.simplify(sp.sympify(same.answer) - sp.sympify(base.answer)) == 0
    assert "a" in perturb_problem(base, "symbolic_parameter", random.Random(0)).answer
    assert json.dumps(base.to_dict())


def test_lift_and_symbolic_failures_are_verimath_errors():
    # Callers (and the CLI) catch every deliberate failure as ``VerimathError``: one line, no traceback.
    with pytest.raises(VerimathError, match="fraction"):
        lift("Of the 300 Grade 5 students, 2/5 are boys. How many girls?", "180",
             solution="300*2/5=<<300*2/5=120>>120; 300-120=<<300-120=180>>180\n#### 180")
    with pytest.raises(VerimathError):
        symbolic_problem("s", "differentiate", "__import__('os')")
