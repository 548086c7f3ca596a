"""equivalent: the policy, type by type, and its laws (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from verimath.answers import Match, equivalent, parse
from verimath.answers._budget import Budget
from verimath.errors import BudgetExceeded

SAME = [
    # numbers
    ("\\frac{1}{2}", "0.5"), ("0.5", "50\\%"), ("28\\%", "0.28"), ("28\\%", "28"),
    ("1/2", "\\dfrac12"), ("2\\frac12", "\\frac52"), ("1,000", "1000"), ("18.0", "18"),
    ("0.\\overline{3}", "\\frac13"), ("1.5e3", "1500"), ("50\\%", "50"), ("\\$18.00", "18"), ("5 cm", "5"),
    ("1011_2", "11"), ("-\\frac{3}{4}", "\\frac{-3}{4}"),
    # decimals against exact values
    ("0.866", "\\frac{\\sqrt3}{2}"), ("3.14", "\\pi"), ("0.333", "\\frac13"), ("2.50", "2.5"),
    ("1.41421356", "\\sqrt{2}"),
    # constants
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"), ("2\\sqrt{3}", "\\sqrt{12}"), ("\\sin \\pi", "0"),
    ("\\log_2 8", "3"), ("3+4i", "4i+3"), ("(1+i)^2", "2i"), ("e^{i\\pi}", "-1"), ("\\binom{5}{2}", "10"),
    ("2^{2^{100}}", "4^{2^{99}}"), ("10^{10^{10}}", "10^{10^{10}}"),
    # expressions
    ("x^2-1", "(x-1)(x+1)"), ("\\frac{x^2-1}{x-1}", "x+1"), ("\\sin^2 x + \\cos^2 x", "1"),
    ("6p^4 + 5p^2 - 4", "5p^2 + 6p^4 - 4"), ("(a+b)^2", "a^2+2ab+b^2"), ("\\sqrt{x^2}", "|x|"),
    # relations
    ("2x+2y=2", "x+y=1"), ("y = 2x+3", "2x - y + 3 = 0"), ("x = 5", "5"), ("5 = x", "5"), ("x>3", "3<x"),
    ("x > 3", "(3, \\infty)"), ("-2 < x \\le 5", "(-2, 5]"), ("x \\ge 0", "[0, \\infty)"),
    ("x < 1 \\text{ or } x > 2", "(-\\infty, 1) \\cup (2, \\infty)"), ("2x < 4", "x < 2"),
    # containers
    ("\\{2,1\\}", "\\{1,2\\}"), ("x=1 \\text{ or } x=2", "2, 1"), ("1 \\pm \\sqrt2", "1-\\sqrt2, 1+\\sqrt2"),
    ("\\pm 3", "3, -3"), ("(x, y) = (1, 2)", "(1, 2)"), ("\\{5\\}", "5"), ("(1, 2)", "\\left(1, 2\\right)"),
    ("(1,2)", "(1, 2)"),
    ("(-\\infty,-8)\\cup (8,\\infty)", "(8,\\infty)\\cup(-\\infty,-8)"), ("\\emptyset", "\\{\\}"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1, 2)"),
    ("\\begin{pmatrix} 1/2 & 0 \\\\ 0 & 1 \\end{pmatrix}",
     "\\begin{bmatrix} 0.5 & 0 \\\\ 0 & 1 \\end{bmatrix}"),
    # text and choices
    ("\\text{yes}", "Yes"), ("\\text{(C)}", "C"), ("(C)", "C"), ("\\textbf{Monday}", "monday"),
]

DIFFERENT = [
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}"), ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}"), ("500", "5"),
    ("10001", "10000"), ("0.3", "\\frac13"), ("1e-7", "0"), ("28", "0.28"), ("0.86", "\\frac{\\sqrt3}{2}"),
    ("0.867", "\\frac{\\sqrt3}{2}"), ("1011", "1011_2"),
    ("3x-1y+13=0", "3x+4y+14=0"), ("1728", "1331 and 1728"),
    ("(2, 1)", "(1, 2)"), ("x^2-1", "(x-1)(x+2)"), ("\\sqrt{x^2}", "x"), ("x \\ge 3", "(3, \\infty)"),
    ("x < 2", "x > 2"), ("2x < 4", "-2x < -4"), ("(1, 2]", "(1, 2)"), ("[1, 2]", "(1, 2)"),
    ("\\{1, 2\\}", "\\{1\\}"),
    ("1, 2", "1, 2, 3"), ("\\text{yes}", "\\text{no}"), ("A", "B"), ("x + y = 1", "x - y = 1"),
    ("\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}"),
    ("3+4i", "3-4i"),
    ("10^{10^{10}}", "10^{10^{10}} + 1"), ("2^{2^{2^{2^{2^{2}}}}}", "1"), ("x = 1", "y = 1"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_equivalent_pairs(a: str, b: str) -> None:
    m = equivalent(a, b)
    assert isinstance(m, Match)
    assert m.equal, (a, b, m)
    assert equivalent(b, a).equal


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_pairs(a: str, b: str) -> None:
    m = equivalent(a, b)
    assert not m.equal, (a, b, m)
    assert not equivalent(b, a).equal
    assert m.reason


def test_decimal_rule_needs_three_significant_digits() -> None:
    assert not equivalent("0.87", "\\frac{\\sqrt3}{2}").equal
    m = equivalent("0.866", "\\frac{\\sqrt3}{2}")
    assert m.equal and m.method == "decimal"


def test_budget_is_enforced() -> None:
    expired = Budget(0.0)
    with pytest.raises(BudgetExceeded):
        equivalent(parse("x^2-1"), parse("(x-1)(x+1)"), budget=expired)


def test_symbolic_fallback_decides_when_no_point_is_defined() -> None:
    # floor of a complex number is undefined numerically at every test point: SymPy (in a worker) decides.
    m = equivalent("\\lfloor x + i \\rfloor + 1", "1 + \\lfloor x + i \\rfloor", budget=Budget(30.0))
    assert m.method == "symbolic" and m.equal


def test_symbolic_worker_is_killed_at_the_deadline() -> None:
    from verimath.answers import _symbolic

    a = parse("\\lfloor x + i \\rfloor (x+1)^{20}").node  # type: ignore[union-attr]
    b = parse("\\lfloor x + i \\rfloor (x^2+2x+1)^{10}").node  # type: ignore[union-attr]
    assert _symbolic.equal(a, b, timeout=0.001) is None


# ------------------------------------------------------------------------------------------- laws

_leaf = st.sampled_from(["x", "y", "2", "3", "7", "\\pi", "\\frac{1}{3}", "\\sqrt{2}"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda p: f"({p[0]}) + ({p[1]})"),
        pair.map(lambda p: f"({p[0]}) - ({p[1]})"),
        pair.map(lambda p: f"({p[0]})\\cdot({p[1]})"),
        pair.map(lambda p: f"\\frac{{{p[0]}}}{{({p[1]})^2 + 1}}"),
        children.map(lambda c: f"({c})^{{2}}"),
        children.map(lambda c: f"\\sqrt{{({c})^2 + 1}}"),
        children.map(lambda c: f"\\sin({c})"),
    )


expressions = st.recursive(_leaf, _combine, max_leaves=6)


@settings(max_examples=60, deadline=None)
@given(expressions)
def test_rewritten_expression_is_equivalent(e: str) -> None:
    assert equivalent(e, e).equal
    assert equivalent(e, f"\\frac{{2({e})}}{{2}}").equal
    assert equivalent(e, f"({e}) + x - x").equal


@settings(max_examples=60, deadline=None)
@given(expressions, st.sampled_from(["1", "\\frac{1}{1000}", "x", "\\pi"]))
def test_perturbed_expression_is_rejected(e: str, delta: str) -> None:
    assert not equivalent(e, f"({e}) + {delta}").equal


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=2, max_size=5), st.data())
def test_perturbed_polynomial_coefficient_is_rejected(coeffs: list[int], data: st.DataObject) -> None:
    def render(cs: list[int]) -> str:
        return " + ".join(f"({c})x^{{{k}}}" for k, c in enumerate(cs))

    k = data.draw(st.integers(0, len(coeffs) - 1))
    bump = data.draw(st.integers(-3, 3).filter(bool))
    changed = [c + bump if i == k else c for i, c in enumerate(coeffs)]
    factored = "(" + render(coeffs) + ")(x+1)"
    expanded = " + ".join(f"({a})x^{{{k}}}" for k, a in enumerate(
        [coeffs[0]] + [coeffs[i] + coeffs[i - 1] for i in range(1, len(coeffs))] + [coeffs[-1]]))
    assert equivalent(factored, expanded).equal
    assert not equivalent("(" + render(changed) + ")(x+1)", expanded).equal


ANSWERS = [a for pair in SAME + DIFFERENT for a in pair]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ANSWERS), st.sampled_from(ANSWERS))
def test_equivalence_is_symmetric(a: str, b: str) -> None:
    assert equivalent(a, b).equal == equivalent(b, a).equal


@settings(max_examples=60, deadline=None)
@given(st.fractions(max_denominator=10**6))
def test_a_fraction_equals_its_renderings(q) -> None:  # type: ignore[no-untyped-def]
    frac = (f"\\frac{{{q.numerator}}}{{{q.denominator}}}" if q >= 0
            else f"-\\frac{{{-q.numerator}}}{{{q.denominator}}}")
    assert equivalent(frac, f"{q.numerator}/{q.denominator}").equal
    assert equivalent(frac, str(q.numerator * 3) + f"/{q.denominator * 3}").equal
    assert not equivalent(frac, f"{q.numerator + 1}/{q.denominator}").equal


@settings(max_examples=80, deadline=None)
@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**4).filter(lambda q: abs(q) > 0.01),
       st.integers(3, 12))
def test_a_rounded_decimal_matches_and_a_wrong_last_digit_does_not(q, digits: int) -> None:  # type: ignore[no-untyped-def]
    from decimal import Context, Decimal

    exact_text = f"\\frac{{{q.numerator}}}{{{q.denominator}}}"
    rounded = Context(prec=digits).divide(Decimal(q.numerator), Decimal(q.denominator))
    text = format(rounded, "f")
    assume("." in text)  # "100" is an exact integer, not a rounded decimal
    assert equivalent(text, exact_text).equal, (text, exact_text)
    ulp = Decimal(1).scaleb(rounded.adjusted() - digits + 1)
    wrong = format(rounded + 2 * ulp if rounded > 0 else rounded - 2 * ulp, "f")
    assert not equivalent(wrong, exact_text).equal, (wrong, exact_text)
