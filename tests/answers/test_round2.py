"""Regression tests for answer-engine round 2 (issue 11), one group per class of input.

Each case is (prediction, gold, correct) through ``grade``: predictions are bare answers or whole responses,
as users hand them over. The classes: bare answers graded whole, response endings, notation, policy, garbage.
(Bounded work, class 5, is ``test_fuzz.py``.)
"""

from __future__ import annotations

import pytest

from verimath.answers import grade

BARE_ANSWERS = [
    ("1.5e3", "1500", True), ("1.5 \\times 10^{3}", "1500", True), ("2\\frac{1}{2}", "\\frac52", True),
    ("11 + 4/9", "\\frac{103}{9}", True), ("\\pm\\frac{10}{9}", "\\frac{10}{9}, -\\frac{10}{9}", True),
    ("1 000", "1000", True), ("\\cos(0)", "1", True), ("\\cos(0)", "0", False), ("1+", "1", False),
    ("\\sqrt{2}", "2", False), ("-\\frac{3}{4}", "4", False), ("x^2", "2", False), ("\\pi/2", "2", False),
    ("x \\in [0, 1)", "[0,1)", True), ("(1,2)", "2", False), ("\\frac{10}{9}", "10/9", True),
    ("Therefore the probability is \\frac{3}{4}.", "\\frac34", True),
    ("So the side is 2\\sqrt{3} units long.", "2\\sqrt3", True),
    ("We get 16 - 3 = 13 eggs.", "13", True),
]

RESPONSE_ENDINGS = [
    ("work...\nFinal Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.", "0.5", True),
    ("So $\\boxed{7}$.\nFinal Answer: The final answer is $8$. I hope it is correct.", "8", True),
    ("The answer is 42.", "42", True), ("The answer is 42, since 6 times 7 is 42.", "42", True),
    ("The answer is $5$ dollars.", "5", True), ("Thus $x = 3$ is the solution.", "3", True),
    ("\\(\\frac{1}{2}\\)", "1/2", True), ("We find \\(x = \\frac{1}{2}\\).", "1/2", True),
    ("$$\\boxed{1} \\quad\\text{and}\\quad \\boxed{2}$$", "1, 2", True),
    ("so \\(\\boxed{1}\\) and \\(\\boxed{2}\\).", "2, 1", True), ("\\boxed{1} and \\boxed{2}", "1,2", True),
    ("$y_1 = \\boxed{3}$ and $y_2 = \\boxed{4}$", "3, 4", True),
    ("<think>the answer is 3</think>\nAfter checking, the final answer is 4.", "4", True),
    ("<think>long reasoning 3</think> So we have 4 apples.", "4", True),
    ("The total is **42** apples.", "42", True), ("#### 1,200", "1200", True),
    ("The correct answer is D.", "D", True), ("The correct option is (D).", "D", True),
    ("Option D is correct.", "(D)", True), ("I choose (B).", "B", True), ("Answer: (C)", "C", True),
    ("The correct answer is D.", "C", False), ("AZYUK2A", "2", False),
    ("The maximum number of points is 19. <|im_start|>user", "19", True),
    ("Jane started growing 3 hours ago. I hope it is correct.", "3", True),
    ("so the number is 1,000.99m²", "1000.99", True),
]

NOTATION = [
    ("7:32", "7 : 32", True), ("\\frac{7}{32}", "7:32", True), ("1", "|AB|=1", True),
    ("4, 5", "AB=4, CD=5", True),
    ("5, 4", "AB=4, CD=5", False), ("3, 2", "x_1 = 2, x_2 = 3", True), ("4, 6", "AB=4, CD=5", False),
    ("7:32", "S_{ABC}:S=7:32", True),
    ("(5,2),(7,2)", "p=5,q=2;\\ p=7,q=2", True), ("(5,2),(2,7)", "p=5,q=2;\\ p=7,q=2", False),
    ("\\frac{1}{\\sqrt{6}}", "\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", True), ("NO", "\\text{no}", True),
    ("1, 2, 3, \\ldots", "1, 2, 3", False), ("1, 2, 3, \\dots", "1,2,3,\\ldots", True),
    ("1, 2, 3, ...", "1, 2, 3", False),
    ("(-2, 2)", "|x| < 2", True), ("(-\\infty,-1)\\cup(1,\\infty)", "|x| > 1", True),
    ("z \\in [-2,-1] \\cup [1,2]", "1 \\le |z| \\le 2", True), ("[-2, 2]", "1 \\le |z| \\le 2", False),
    ("11 6/6", "6/6", False), ("11 6/6", "12", True), ("2 1/2", "2.5", True),
    ("-2\\frac{1}{2}", "-2.5", True), ("-2½", "-5/2", True), ("½", "0.5", True), ("x ∈ [0,1)", "[0,1)", True),
    ("ℝ", "(-\\infty, \\infty)", True),
    ("3⋅4", "12", True),
    ("32 (pet fish)", "32", True), ("8 (km/hour); 3 (km/hour)", "8; 3", True),
    ("Mrs. Hilt", "Mrs. Hilt", True), ("3:30 p.m.", "3:30 p.m.", True), ("(C)", "C", True),
    ("28 pct", "28\\%", True), ("35 cm", "35", True), ("2,74", "2.74", True), ("3,5", "3.5", False),
    ("1000,99", "1000.99", True), ("1,000", "1000", True),
    ("\\begin{pmatrix}1 & 2\\end{pmatrix} + \\begin{pmatrix}3 & 4\\end{pmatrix}",
     "\\begin{pmatrix}4 & 6\\end{pmatrix}", True),
    ("2\\begin{pmatrix}1 & 2\\end{pmatrix}", "\\begin{pmatrix}2 & 5\\end{pmatrix}", False),
    ("\\\\frac{1}{2}", "0.5", True),
]

POLICY = [
    ("x = 5+5+1 = 11", "x = 11", True), ("x = 5+5+1 = 11", "x = 12", False),
    ("x = \\frac{1}{3} \\approx 0.33", "\\frac13", True), ("\\frac12 = 0.5", "0.5", True),
    ("7 = 11a + c", "11a + c", False), ("0", "a + 3z = 0", False), ("4", "xy = 4", False),
    ("2", "x/y = 2", False),
    ("Thus $a+b = 7$.", "7", True), ("x + 1 = 7", "6", False),
    ("28", "28\\%", True), ("28\\%", "28\\%", True), ("0.28", "28\\%", True), ("50\\%", "0.5", True),
    ("28", "0.28", False), ("0.29", "28\\%", False), ("28 percent", "0.28", True),
    ("3", "11_{2}", True), ("11", "11_{2}", True), ("11_{2}", "11", False), ("4", "11_{2}", False),
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}", False), ("1 - \\frac{1}{e}", "1 + \\frac{1}{e}", False),
    ("10001", "10000", False), ("\\sqrt[3]{x}^2", "x^{2/3}", True),
]

# Formats people write, beyond the classes above (answers, responses, choices, units, currency, languages).
MORE_FORMATS = [
 (r"x=\frac{-1\pm\sqrt{5}}{2}", r"\frac{-1+\sqrt5}{2}, \frac{-1-\sqrt5}{2}", True),
 (r"(-\infty, -2) \cup (3, \infty)", r"x < -2 \text{ or } x > 3", True),
 (r"2 \le x \le 5", "[2,5]", True), (r"\mathbb{R}", r"(-\infty, \infty)", True),
 (r"\emptyset", r"\{\}", True), (r"\sqrt{2}/2", r"\frac{1}{\sqrt{2}}", True), (r"\ln 2", r"\log 2", True),
 (r"\log_{10} 100", "2", True), ("5\\%", "0.05", True), (r"\$5.50", "5.5", True), ("3.14", r"\pi", True),
 ("0.33", "1/3", False), ("(x+1)(x-1)", "x^2-1", True), ("y = 2x + 3", "2x+3", True),
 ("f(x) = x^2", "x^2", True),
 ("a=1, b=2", "(1,2)", True), ("x = 1, y = 2", "(1, 2)", True), ("(1,2)", "x=1, y=2", True),
 ("(2,1)", "x=1, y=2", False),
 ("x = 2 or x = -3", "-3, 2", True), (r"x \in \{1, 2\}", "1, 2", True), (r"\pm 3", "3, -3", True),
 (r"\text{A}", "A", True), ("Tuesday", r"\text{Tuesday}", True), ("yes", "Yes.", True),
 ("1,234,567", "1234567", True),
 (r"1.2 \times 10^{-3}", "0.0012", True), (r"\sqrt[3]{2}", "2^{1/3}", True),
 (r"i\sqrt{2}", r"\sqrt{-2}", True),
 ("5!", "120", True), (r"\text{undefined}", "undefined", True),
 (r"The answer is $\boxed{5}$ cm.", "5", True), (r"**Final Answer:** $\boxed{5}$", "5", True),
 ("answer is 5", "5", True), ("So, the answer should be 5.", "5", True), ("Total = 5", "5", True),
 ("The answer is -5.", "-5", True), ("答案是 5", "5", True), ("答案：$\\boxed{5}$", "5", True),
 ("The answer is $\\frac{1}{2}$ or 0.5.", "1/2", True), ("x^2 + 2x + 1", "(x+1)^2", True),
 ("The answer is 12 cm^2.", "12", True), ("\\boxed{12\\text{ cm}^2}", "12", True),
 ("The solutions are $x = 1$ and $x = 2$.", "1, 2", True), ("Thus $a+b = 7$.", "7", True),
 ("The sum is $\\boxed{-\\frac{1}{2}}$.", "-0.5", True), ("$\\frac{\\pi}{3}$", "60^\\circ", False),
 ("Final answer: (B)", "B", True), ("The answer is B) 12", "B", True), ("**B**", "B", True),
 ("**Answer: C**", "C", True), ("Answer: (A) 5", "A", True), ("\\textbf{(D)}", "D", True),
 ("x = -1", "-1", True), ("$-1$", "-1", True), ("−1", "-1", True), ("4/6", "2/3", True),
 ("\\frac{4}{6}", "\\frac{2}{3}", True), ("0.\\overline{6}", "2/3", True), ("0.666...", "2/3", False),
 ("1e3", "1000", True), ("10^3", "1000", True), ("1 \\times 10^3", "1000", True), ("1.0E3", "1000", True),
 ("$1,000", "1000", True), ("1000 dollars", "1000", True), ("USD 1000", "1000", True), ("€5", "5", True),
 ("5 m/s", "5", True), ("5\\,\\text{m}", "5", True), ("45°", "45", True), ("45^{\\circ}", "45", True),
 ("3 \\cdot 10^{8}", "300000000", True), ("2^{10}", "1024", True), ("\\dfrac{3}{4}", "0.75", True),
 ("[1, 2]", "[1,2]", True), ("[1, 2)", "[1,2]", False), ("\\{1,2,3\\}", "\\{3,2,1\\}", True),
 ("(1, 2, 3)", "(3, 2, 1)", False), ("\\begin{bmatrix}1\\\\2\\end{bmatrix}", "(1,2)", True),
 ("The area is 25\\pi square units.", "25\\pi", True), ("It is $25\\pi$.", "25\\pi", True),
 ("We get 7.5", "15/2", True), ("\\boxed{7.5}", "\\frac{15}{2}", True), ("7,5", "7.5", False),
 ("\\text{(B) } 10", "B", True), ("B: 10", "B", False),
]

# Pairs that must never be graded equal (false positives of lenient graders, or of an earlier verimath).
NEVER_EQUAL = [
 ("5%", "0.5"), ("50", "0.5"), ("0.5", "5"), ("x=2", "y=2"), ("2", "x=2, y=3"), ("(2,3)", "x=3, y=2"),
 ("\\frac{1}{2}", "\\frac{1}{2}x"), ("3", "3x"), ("[0,1]", "(0,1)"), ("A", "B"), ("yes", "no"), ("-5", "5"),
 ("\\pi", "3.1"), ("1,2", "12"), ("1,234", "1.234"), ("0,5", "5"), ("x>2", "x\\geq 2"),
 ("\\infty", "-\\infty"),
 ("1e3", "1000.5"), ("11_2", "11"), ("1/2004!", "1/2006!"), ("1 - 1/e", "1 + 1/e"), ("2x", "x^2"),
 ("The answer is 5, not 6.", "6"), ("I think it's 3 or 4", "3"), ("x = 1 or x = 2", "1"),
 ("\\boxed{1} or \\boxed{2}", "1"), ("1, 2, 3, \\ldots", "1, 2, 3"), ("\\sqrt{2}", "2"), ("x^2", "2"),
 ("\\cos(0)", "0"), ("-\\frac{3}{4}", "4"), ("\\pi/2", "2"), ("1+", "1"), ("2^{10}", "10"),
 ("The answer is (B).", "C"), ("Option D is correct.", "B"), ("\\boxed{\\text{(A)}}", "B"),
 ("100", "10^{2} + 1"), ("10^{100}", "10^{100} + 1"), ("\\frac{1}{3}", "0.3"), ("0.33", "\\frac13"),
 ("12.5\\%", "0.125%"), ("AZYUK2A", "2"), ("x + 1 = 7", "7x"), ("y = 2x", "2"), ("2", "y = 2x"),
 ("f(x) = 2", "x"), ("a = 3", "b"), ("3", "a + b = 3"), ("3:00", "3"), ("(1,2)", "[1,2]"),
 ("\\{1, 2\\}", "(1, 2)"),
 ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}"),
 ("So we get 10. Wait, that's wrong: 12", "10"), ("<think>The answer is 5</think> The answer is 6", "5"),
 ("#### 5\n#### 6", "5"), ("5 apples and 6 oranges", "5"), ("\\boxed{}", ""), ("", "5"), ("\\boxed{5", "5"),
 ("5\x00", "5"), ("\u202e5", "5"), ("five", "5"), ("5!", "5"), ("0.1 + 0.2", "0.3000001"),
 ("1.000001", "1"), ("999999999999999999", "1000000000000000000"),
]

GARBAGE = [
    ("\\boxed{\x01\x02\x03}", "1", False), ("\\boxed{\x07 1}", "1", False), ("\x1c1", "1", False),
    ("\\boxed{1\x00}", "1", False), ("\\boxed{\\frac{1}{", "1", False), ("\\boxed{}}}{{1", "1", False),
    ("{{{1", "1", False), ("\\frac{1}{", "\\frac{1}{", False), ("\\boxed{\\frac{1}{", "\\frac{1}{", False),
    ("\\frac{\x0b}{1}", "1", False),
]


@pytest.mark.parametrize(("prediction", "gold", "correct"),
                         BARE_ANSWERS + RESPONSE_ENDINGS + NOTATION + POLICY + MORE_FORMATS + GARBAGE)
def test_round_two_classes(prediction: str, gold: str, correct: bool) -> None:
    verdict = grade(prediction, gold)
    assert verdict.correct is correct, verdict


def test_the_verdict_shows_the_answer_that_was_chosen_and_says_what_was_compared() -> None:
    assert grade("1.5e3", "1500").extracted == "1.5e3"
    assert grade("The correct option is (D).", "D").extracted == "D"
    verdict = grade("4", "11_{2}")
    assert "11_2" in verdict.reason or "base" in verdict.reason
    assert grade("0.28", "28\\%").reason == "28% read as 7/25"


@pytest.mark.parametrize(("prediction", "gold"), NEVER_EQUAL)
def test_no_false_positive(prediction: str, gold: str) -> None:
    verdict = grade(prediction, gold)
    assert not verdict.correct, verdict


# Prose words before a solution statement, and solutions joined by "or"/"and" (round 3): the words are prose,
# never a product of one-letter names, and the joined solutions are one list; a negated value is not stated.
LEAD_INS_AND_JOINED_SOLUTIONS = [
    ("So x = 3 or x = -2.", "-2, 3", True), ("Therefore, x = 3 or x = -2.", "-2, 3", True),
    ("Hence, x = 3 and x = -2.", "-2, 3", True), ("We get x = 3 or x = -2.", "3, -2", True),
    ("So the solutions are x = 3 or x = -2.", "-2, 3", True), ("Thus, $x = 3$ or $x = -2$.", "-2, 3", True),
    ("So, x = 3 or -2.", "-2, 3", True), ("So x = 3, -2", "-2, 3", True), ("Then x=2 or x=5", "2, 5", True),
    ("So x = 3 and y = -2.", "(3,-2)", True), ("Putting it together, we get $x=3$, $y=-2$.", "(3, -2)", True),
    ("So 28 percent", "0.28", True), ("28 percent", "0.28", True), ("So x = 3.", "3", True),
    ("It must be 5.", "5", True), ("The value is 6, not 5.", "6", True),
    ("So x = 3 or x = -2.", "3", False), ("Therefore, x = 3 or x = -2.", "-2", False),
    ("So the solutions are x = 3 or x = -2.", "-2", False), ("Thus, $x = 3$ or $x = -2$.", "3", False),
    ("not 5", "5", False), ("It is not 5.", "5", False), ("x is not 5", "5", False),
    ("The answer is not $5$.", "5", False), ("never 5", "5", False), ("5", "not 5", False),
    ("ab", "a b", True), ("Ax + By", "A x + B y", True),
]


@pytest.mark.parametrize(("prediction", "gold", "correct"), LEAD_INS_AND_JOINED_SOLUTIONS)
def test_lead_in_words_and_joined_solutions(prediction: str, gold: str, correct: bool) -> None:
    verdict = grade(prediction, gold)
    assert verdict.correct is correct, verdict
