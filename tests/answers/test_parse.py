"""parse: one test per answer type, plus the MATH reference answers as a corpus."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from verimath.answers import (
    Choice,
    Expr,
    FiniteSet,
    Interval,
    Matrix,
    Number,
    Relation,
    SolutionList,
    Text,
    Tuple,
    Union,
    parse,
)
from verimath.errors import InputError


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", Fraction(42)),
        ("-7", Fraction(-7)),
        ("1,234,567", Fraction(1234567)),
        ("11,\\! 111,\\! 111,\\! 100", Fraction(11111111100)),
        ("150 000", Fraction(150000)),
        ("\\frac{3}{4}", Fraction(3, 4)),
        ("\\dfrac{9}{7}", Fraction(9, 7)),
        ("\\tfrac12", Fraction(1, 2)),
        ("\\frac 1{72}", Fraction(1, 72)),
        ("-\\frac{40}{153}", Fraction(-40, 153)),
        ("3/8", Fraction(3, 8)),
        ("2\\frac12", Fraction(5, 2)),
        ("6 \\frac{3}{4}", Fraction(27, 4)),
        ("0.\\overline{3}", Fraction(1, 3)),
        ("0.1\\overline{6}", Fraction(1, 6)),
        ("50\\%", Fraction(50)),
        ("\\$18", Fraction(18)),
        ("18 dollars", Fraction(18)),
        ("162\\text{ minutes}", Fraction(162)),
        ("440\\text{ cm}^2", Fraction(440)),
        ("90^\\circ", Fraction(90)),
        ("45^{\\circ}", Fraction(45)),
        ("\\sqrt{16}", Fraction(4)),
        ("\\sqrt[3]{-27}", Fraction(-3)),
        ("\\sqrt 16", Fraction(4)),
        ("2^{10}", Fraction(1024)),
        ("5!", Fraction(120)),
        ("\\binom{6}{2}", Fraction(15)),
        ("\\left\\lfloor \\frac{7}{2} \\right\\rfloor", Fraction(3)),
        ("|-3|", Fraction(3)),
        ("\\frac{1}{2^{99}}", Fraction(1, 2**99)),
        ("3:1", Fraction(3)),
    ],
)
def test_exact_numbers(text: str, value: Fraction) -> None:
    v = parse(text)
    assert isinstance(v, Number) and v.exact and v.value == value


@pytest.mark.parametrize(
    ("text", "value", "half_unit", "digits"),
    [
        ("0.866", Fraction(866, 1000), Fraction(1, 2000), 3),
        ("-2.50", Fraction(-5, 2), Fraction(1, 200), 3),
        ("1.5e3", Fraction(1500), Fraction(50), 2),
        ("1.5 \\times 10^{3}", Fraction(1500), Fraction(50), 2),
        ("1e-7", Fraction(1, 10**7), Fraction(1, 2 * 10**7), 1),
        ("0.0012", Fraction(12, 10000), Fraction(1, 20000), 2),
    ],
)
def test_decimals_keep_their_stated_precision(text: str, value: Fraction, half_unit: Fraction,
                                              digits: int) -> None:
    v = parse(text)
    assert isinstance(v, Number)
    assert (v.value, v.precision, v.significant) == (value, half_unit, digits)


def test_base_subscripts() -> None:
    v = parse("1011_2")
    assert isinstance(v, Number) and (v.value, v.base, v.digits) == (11, 2, "1011")
    assert parse("0.0011_{2}").value == Fraction(3, 16)  # type: ignore[union-attr]
    with pytest.raises(InputError):
        parse("19_8")


@pytest.mark.parametrize(
    "text",
    ["\\frac{\\sqrt{3}}{2}", "2\\pi", "3+4i", "e^{2}", "\\log_2 5", "\\sin 2x", "x^2 - 1", "\\alpha + 1"]
)
def test_expressions(text: str) -> None:
    assert isinstance(parse(text), Expr)


def test_expression_symbols_and_functions() -> None:
    v = parse("\\sin^2 x + \\cos^{2}(y) + \\ln z")
    assert isinstance(v, Expr) and v.symbols == frozenset({"x", "y", "z"})
    inverse = parse("\\sin^{-1} x")
    assert isinstance(inverse, Expr) and inverse.node.op == "func" and inverse.node.args[0] == "arcsin"


def test_structures() -> None:
    assert isinstance(parse("(1, 2)"), Tuple)
    assert parse("(-\\infty, 3]") == Interval(parse("-\\infty"), Number(Fraction(3)), False, True)
    assert isinstance(parse("[0,\\infty)"), Interval)
    assert isinstance(parse("(-\\infty,-8)\\cup (8,\\infty)"), Union)
    assert parse("\\{1, 2\\}") == FiniteSet((Number(Fraction(1)), Number(Fraction(2))))
    assert parse("\\emptyset") == FiniteSet(()) == parse("\\varnothing")
    m = parse("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}")
    assert isinstance(m, Matrix) and len(m.rows) == 2 and len(m.rows[0]) == 2
    assert isinstance(parse("\\begin{bmatrix} 1 \\\\ -2 \\end{bmatrix}"), Matrix)


def test_relations_and_lists() -> None:
    assert parse("x = 5") == Relation(("=",), (parse("x"), Number(Fraction(5))))
    chain = parse("-2 < x \\le 5")
    assert isinstance(chain, Relation) and chain.ops == ("<", "<=")
    assert isinstance(parse("x \\in [1, 2]"), Interval)
    for text in ("x=1 or x=2", "1, 2", "19 \\text{ and }43", "1; 2"):
        v = parse(text)
        assert isinstance(v, SolutionList) and len(v.items) == 2, text
    pm = parse("1 \\pm \\sqrt{2}")
    assert isinstance(pm, SolutionList) and len(pm.items) == 2


def test_text_and_choices() -> None:
    assert parse("\\text{Yes}") == Text("yes") == parse("yes")
    assert parse("\\text{Monday}") == Text("monday")
    for text in ("C", "(C)", "\\text{(C)}", "\\textbf{C}", "(\\text{C})", "\\textbf{(C)} 12"):
        assert parse(text) == Choice("C"), text


@pytest.mark.parametrize(
    "text",
    ["", "1+", "\\frac{1}{2", "(1, 2", "x = ", "\\begin{pmatrix} 1 & 2 \\\\ 3 \\end{pmatrix}",
     "\\unknowncmd{3}",
     "1/0", "(" * 200 + "1" + ")" * 200, "x" * 3000, "x_", "y^", "0.51e5\\overline{3}", "\\sin(1, 2)",
     "\\frac{1}{2, 3}", "(1, 2) + 3"],
)
def test_malformed_input_raises_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse(text)


def test_every_math_reference_answer_parses(shared_data) -> None:
    with (shared_data / "math_test.jsonl").open() as f:
        answers = [json.loads(line)["answer"] for line in f]
    failures = []
    for a in answers:
        try:
            parse(a)
        except InputError as e:
            failures.append((a, str(e)))
    assert len(answers) == 5000
    assert failures == []
