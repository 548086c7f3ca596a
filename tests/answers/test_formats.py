"""Grading as a stranger tries it (round 3): bare answers in every notation and responses in every ending.

Each case is (prediction, gold, correct) through ``grade``. The classes: bare notation (fractions, mixed
numbers, scientific notation, separators, units, percent, degrees, intervals, sets, tuples, matrices, complex
numbers, wrappers, choices, yes/no); response endings ("The answer is: ...", "Final answer", bold headings,
nested and repeated boxes, ``####``, ``<answer>`` tags, code output, trailing prose); further notation
(quotes and code spans, Python's ``**``, ``2!3!``, ``0.1(6)``, angles, inverse functions, ``x \\ne a``,
units in ``\\text``); angles in trigonometric functions and function definitions; modulo; prose endings with
alternatives and negations; and pairs that must never be confused. (Lead-in words such as "So x = 3 or
x = -2." are in ``test_round2.py``.)
"""

from __future__ import annotations

import pytest

from verimath.answers import grade

BARE_NOTATION = [
 ('3/4', '0.75', True), ('\\frac{3}{4}', '3/4', True), ('-3/4', '-0.75', True), ('1 1/2', '3/2', True),
 ('1\\frac{1}{2}', '1.5', True), ('6.02 \\times 10^{23}', '6.02e23', True),
 ('6.02\\cdot10^{23}', '602000000000000000000000', True), ('6.02E+23', '6.02 \\times 10^{23}', True),
 ('1,000,000', '1000000', True), ('1 000 000', '1000000', True), ('1\\,000', '1000', True),
 ('1{,}000', '1000', True), ('12 cm', '12', True), ('12\\text{ cm}', '12', True),
 ('12 \\mathrm{cm}', '12', True), ('12\\ \\text{cm}^2', '12', True), ('12 square meters', '12', True),
 ('5 hours', '5', True), ('\\$1,234.50', '1234.5', True), ('$1234.50', '1234.5', True),
 ('25\\%', '25', True), ('25%', '0.25', True), ('30^\\circ', '30', True), ('30 degrees', '30', True),
 ('30°', '30', True), ('(0, 1]', '(0,1]', True), ('(0, 1]', '[0,1]', False),
 ('[2, \\infty)', 'x \\geq 2', True), ('(-\\infty, 3)', 'x < 3', True),
 ('\\{1, 2, 3\\}', '\\{3, 1, 2\\}', True), ('\\{1,2\\}', '\\{1,2,3\\}', False),
 ('(1, 2, 3)', '(1,2,3)', True), ('(1, -2)', '(1,-2)', True),
 ('\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{pmatrix}1\\\\2\\end{pmatrix}', True),
 ('\\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix}',
  '\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}', True),
 ('3+4i', '4i+3', True), ('3 + 4i', '3-4i', False),
 ('\\frac{1}{2} + \\frac{\\sqrt{3}}{2}i', '\\frac{1+i\\sqrt{3}}{2}', True),
 ('2e^{i\\pi/3}', '1 + i\\sqrt{3}', True), ('\\text{(A)}', 'A', True), ('(A)', 'A', True),
 ('A', '(A)', True), ('A)', 'A', True), ('A.', 'A', True), ('a', 'A', False), ('B', 'A', False),
 ('yes', 'Yes', True), ('Yes', '\\text{Yes}', True), ('No', 'yes', False), ('\\text{No}', 'No', True),
 ('six', '7', False), ('\\text{even}', 'even', True), ('\\textbf{12}', '12', True),
 ('\\boxed{12}', '12', True), ('\\mathbf{12}', '12', True), ('{12}', '12', True), ('12.0', '12', True),
 ('12.00', '12', True), ('012', '12', True), ('+12', '12', True), ('-0', '0', True), ('0.5', '.5', True),
 ('\\frac12', '0.5', True), ('\\sqrt{8}', '2\\sqrt{2}', True), ('2\\sqrt2', '\\sqrt8', True),
 ('\\sqrt{8}', '2\\sqrt{3}', False), ('\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt{2}}', True),
 ('\\pi', '3.14159', True), ('2\\pi r', '2 \\pi r', True), ('x^2+2x+1', '(x+1)^2', True),
 ('x^2-1', '(x-1)(x+1)', True), ('y=2x+1', 'y = 1 + 2x', True), ('2x+1', '2x+2', False),
 ('\\infty', '\\infty', True), ('-\\infty', '\\infty', False), ('\\emptyset', '\\varnothing', True),
 ('\\text{no solution}', '\\text{No solution}', True), ('None', 'none', True),
]

RESPONSE_ENDINGS = [
 ('Some work.\nThe answer is: 42', '42', True),
 ('Some work.\nThe answer is: $\\frac{3}{4}$.', '0.75', True), ('Some work.\nFinal answer: 42', '42', True),
 ('Some work.\nFinal Answer: 42.', '42', True), ('Some work.\n**Answer:** 42', '42', True),
 ('Some work.\n**Answer:** $42$', '42', True), ('Some work.\n**Final Answer:** \\boxed{42}', '42', True),
 ('Some work.\n**Final Answer**\n\n\\boxed{42}', '42', True),
 ('Some work.\n**Final Answer**\n42', '42', True), ('Some work.\n### Final Answer\n42', '42', True),
 ('Some work.\n### Final Answer\n$$\\boxed{\\frac{1}{2}}$$', '1/2', True),
 ('We have \\boxed{\\frac{\\sqrt{3}}{2}} as the answer.', '\\frac{\\sqrt3}{2}', True),
 ('First \\boxed{3}, then corrected: \\boxed{4}.', '4', True),
 ('First \\boxed{3}, then corrected: \\boxed{4}.', '3', False), ('\\boxed{\\boxed{5}}', '5', True),
 ('\\boxed{x = 5}', '5', True), ('Work\n#### 42', '42', True), ('Work\n####42', '42', True),
 ('Work\n#### $42', '42', True), ('The answer is 42. I hope this helps!', '42', True),
 ('The answer is 42 apples.', '42', True), ('The answer is $42$, which is even.', '42', True),
 ('So the answer is 42!', '42', True),
 ('Therefore, the final answer is $\\boxed{42}$. I hope it is correct.', '42', True),
 ('Answer: 42\n\nExplanation: 6 times 7 is 42, not 41.', '42', True),
 ('```python\nprint(6*7)\n```\n```output\n42\n```\nThe answer is 42.', '42', True),
 ('```python\nprint(6*7)\n```\n```output\n42\n```', '42', True), ('```\n42\n```', '42', True),
 ('<answer>42</answer>', '42', True), ('<think>hmm 41</think><answer>42</answer>', '42', True),
 ('<think>hmm 41</think>\n<answer>\n42\n</answer>', '42', True),
 ('<answer>\\frac{1}{2}</answer>', '0.5', True), ('<answer> The answer is 42 </answer>', '42', True),
 ('<answer>42</answer>', '41', False), ('The final answer is 42.', '42', True),
 ('Final answer: **42**', '42', True), ('**42**', '42', True), ('# 42', '42', True),
 ('The answer is (B).', 'B', True), ('The answer is B', 'B', True), ('Answer: B', 'B', True),
 ('Answer: (B) 12', 'B', True), ('Answer: B) 12', 'B', True), ('B) 12', 'B', True), ('(B) 12', 'B', True),
 ('The correct choice is B.', 'B', True), ('The answer is B.', 'C', False), ('\\boxed{B}', 'B', True),
 ('\\boxed{(B)}', 'B', True), ('\\boxed{\\text{B}}', 'B', True),
 ('The answer is \\boxed{yes}.', 'yes', True), ('The answer is yes.', 'Yes', True),
 ('The answer is no.', 'yes', False), ('Yes, it is.', 'yes', True), ('The answer is $x = 3$.', '3', True),
 ('The value of $x$ is $3$.', '3', True), ('The value of $x$ is 3.', '3', True),
 ('Thus the area is $12\\text{ cm}^2$.', '12', True), ('So she has 42 apples left.', '42', True),
 ('So she has 42 apples left.', '4', False), ('The result is 3.5 hours.', '3.5', True),
 ('The result is 3.5 hours.', '7/2', True), ('She pays $\\$12.50$.', '12.5', True),
 ('She pays $12.50.', '12.5', True), ('The answer is 1,234.', '1234', True),
 ('The answer is 1,234.5.', '1234.5', True), ('The answer is 3.14.', '3.14', True),
 ('The answer is 50%.', '50', True), ('The answer is 50%.', '0.5', True),
 ('Answer: 2/3', '\\frac{2}{3}', True), ('Answer: -5', '-5', True), ('Answer: −5', '-5', True),
 ('answer: 5', '5', True), ('ANSWER: 5', '5', True), ('The answer is\n\n$$\n\\frac{1}{2}\n$$', '1/2', True),
 ('The answer is:\n\n$$x = 2$$', '2', True),
]

MORE_NOTATION = [
 ('x=3', '3', True), ('x = \\frac{3}{2}', '1.5', True), ('$x=3$', 'x=3', True), ('\\(x=3\\)', '3', True),
 ('\\[x=3\\]', '3', True), ('$$3$$', '3', True), ('3.', '3', True), ('3.0.', '3', True),
 ('-3.', '-3', True), ('**3**', '3', True), ('`3`', '3', True), ('"3"', '3', True), ("'3'", '3', True),
 ('3 (three)', '3', True), ('three (3)', '3', True), ('\\text{3 apples}', '3', True),
 ('3\\text{ apples}', '3', True), ('3 apples', '3', True), ('3 apples', '4', False),
 ('18 dollars', '18', True), ('\\$18.00', '18', True), ('18.00', '\\$18', True), ('10:30', '10:30', True),
 ('2:1', '2/1', True), ('2:1', '2', True), ('1/2', '2', False), ('1:2', '1/2', True),
 ('x \\le 3', '(-\\infty, 3]', True), ('x \\leq 3', 'x < 3', False), ('-1 < x < 1', '(-1,1)', True),
 ('x > 0', '(0, \\infty)', True), ('(-\\infty,0)\\cup(0,\\infty)', 'x \\neq 0', True),
 ('[1,2]\\cup[3,4]', '[3,4]\\cup[1,2]', True), ('\\{(1,2),(3,4)\\}', '(3,4),(1,2)', True),
 ('(1,2),(3,4)', '(1,2),(3,5)', False),
 ('\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]',
  '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', True),
 ('\\langle 1, 2 \\rangle', '(1,2)', True), ('(1, 2)', '\\begin{pmatrix}1\\\\2\\end{pmatrix}', True),
 ('i', '\\sqrt{-1}', True), ('-i', 'i', False), ('1-i', '1 - i', True),
 ('\\frac{1-i}{2}', '0.5-0.5i', True), ('e', '\\exp(1)', True), ('e^2', '\\exp(2)', True),
 ('\\ln(e^2)', '2', True), ('\\log_2 8', '3', True), ('\\sin^2 x + \\cos^2 x', '1', True),
 ('\\tan(\\pi/4)', '1', True), ('\\binom{5}{2}', '10', True), ('5!', '120', True),
 ('\\frac{5!}{2!3!}', '10', True), ('10^{-2}', '0.01', True), ('1.0 \\times 10^{-2}', '0.01', True),
 ('2^{-1}', '0.5', True), ('\\sqrt[3]{27}', '3', True), ('27^{1/3}', '3', True), ('|{-5}|', '5', True),
 ('|-5|', '5', True), ('\\lfloor 3.7 \\rfloor', '3', True), ('\\lceil 3.2 \\rceil', '4', True),
 ('0.\\overline{3}', '1/3', True), ('0.(3)', '1/3', True), ('0.333\\ldots', '1/3', False),
 ('\\dfrac{22}{7}', '\\pi', False), ('3.1416', '\\pi', True), ('1.41', '\\sqrt{2}', True),
 ('1.4', '\\sqrt{2}', False), ('1.414', '\\sqrt2', True), ('6\\frac{1}{4}', '25/4', True),
 ('6 \\frac{1}{4}', '25/4', True), ('6\\tfrac14', '6.25', True), ('-6\\frac{1}{4}', '-6.25', True),
 ('2x', 'x*2', True), ('2*x', '2x', True), ('x/2', '\\frac{x}{2}', True), ('x^{2}', 'x**2', True),
 ('a^2+b^2', 'b^2+a^2', True), ('\\alpha + \\beta', '\\beta+\\alpha', True),
 ('n(n+1)/2', '\\frac{n^2+n}{2}', True), ('\\frac{n(n+1)}{2}', '\\binom{n+1}{2}', True),
 ('2^n', '2**n', True), ('k=5', '5', True), ('AB = 5', '5', True), ('\\angle ABC = 30^\\circ', '30', True),
 ('m\\angle A = 45', '45', True), ('P(A) = 0.5', '0.5', True), ('f(2) = 7', '7', True),
 ('f^{-1}(x) = 2x', '2x', True), ('\\text{Monday}', 'Monday', True), ('Monday', 'Tuesday', False),
 ('\\textbf{(C) } 7', 'C', True), ('\\mathrm{(C)}\\ 7', 'C', True), ('(C) 7', '7', False),
 ('C', '7', False), ('\\text{True}', 'True', True), ('True', 'False', False), ('T', 'True', False),
]

ANGLES_AND_DEFINITIONS = [
 ('\\sin 30^\\circ', '1/2', True), ('\\sin(30^{\\circ})', '\\frac12', True), ('\\sin 30', '1/2', False),
 ('\\cos 60°', '0.5', True), ('\\sin(90^{\\circ}-x)', '\\cos(x)', True), ('30^\\circ', '30', True),
 ('\\angle A = 30^\\circ', '30', True), ('f(x) = 2x + 3', 'y = 2x + 3', True),
 ('f(x) = 2x + 3', 'y = 2x + 4', False), ('y = 2x+3', 'z = 2x+3', False), ('x = 2', 'y = 2', False),
 ('f(x) = 2', 'y = 2', False), ('g(t) = t^2', 'f(t) = t^2', True), ('y = x', 'x = y', True),
 ('f(x) = x', 'y = x', True), ('10\\text{ cm}^{2}', '10', True),
 ('\\\\begin{matrix} x \\\\\\\\ 2 \\\\end{matrix}', '\\begin{matrix} x \\\\ 2 \\end{matrix}', True),
 ('\\\\frac{1}{2}', '0.5', True),
]

MODULO = [
 ('$17 \\bmod 5 = 2$', '2', True), ('17 \\bmod 5', '2', True), ('17 mod 5', '2', True),
 ('17 \\bmod 5', '3', False), ('x \\bmod 5', 'x \\bmod 5', True), ('2^{100} \\bmod 7', '2', True),
]

PROSE_ENDINGS = [
 ('The answer is $\\boxed{12}$ and the remainder is 3.', '12', True),
 ('Thus, the answer is 12 (twelve).', '12', True), ('So the total cost is $\\$15.75$.', '15.75', True),
 ('Therefore, Janet makes $18 every day.', '18', True),
 ("Therefore, Janet makes \\$18 every day at the farmers' market.", '18', True),
 ('She needs 3/4 cup of sugar.', '3/4', True), ('The probability is 3/8.', '0.375', True),
 ('The probability is 0.375.', '3/8', True), ('The ratio is 2:3.', '2/3', True),
 ('The speed is 60 km/h.', '60', True), ('It takes 2.5 hours.', '5/2', True),
 ('The final answer is \\(\\frac{7}{2}\\).', '3.5', True),
 ('Final answer: \\[x = \\frac{7}{2}\\]', '7/2', True), ('The answer is $-\\frac{1}{2}$.', '-0.5', True),
 ('The answer is $-\\frac{1}{2}$.', '0.5', False), ('The answer is $2\\sqrt{3}$.', '\\sqrt{12}', True),
 ('The answer is $(1, 2)$.', '(1,2)', True), ('The answer is $[1, 2)$.', '[1,2)', True),
 ('The answer is $\\{1, 2\\}$.', '\\{1,2\\}', True), ('The roots are $x=1$ and $x=2$.', '1, 2', True),
 ('The roots are $1$ and $2$.', '1,2', True), ('The roots are $1$ and $2$.', '2', False),
 ('The roots are $1, 2$.', '2, 1', True), ('Thus the solutions are $x = \\pm 2$.', '2, -2', True),
 ('The answer is: x = 2, y = 3', '(2,3)', True), ('Hence the point is $(2, 3)$.', '(2, 3)', True),
 ('The minimum value is $\\boxed{-4}$ at $x=2$.', '-4', True), ('\\boxed{-4} is the minimum.', '-4', True),
 ('The answer is \\boxed{5}.\n\nLet me double check: 2+3 = 5. Yes.', '5', True),
 ('$\\boxed{5}$\n\nNote: we assumed n = 7.', '5', True), ('Step 1: 3+4=7\nStep 2: 7*2=14\n14', '14', True),
 ('Step 1: 3+4=7\nStep 2: 7*2=14', '14', True), ('3 + 4 = 7', '7', True), ('7 * 2 = 14 apples', '14', True),
 ('Total: 14', '14', True), ('Result = 14', '14', True), ('=> 14', '14', True), ('→ 14', '14', True),
 ('Answer 14', '14', True), ('The answer is 14.\n\n**Answer: 14**', '14', True),
 ('**Answer:** \\boxed{14}', '14', True), ('#### The answer is 14', '14', True),
 ('The answer is fourteen (14).', '14', True), ("I think the answer is 14, but I'm not sure.", '14', True),
 ('The answer is 14 or 15.', '14', False), ('The answer is between 14 and 15.', '14', False),
 ('14 or 15', '14', False), ('Either 14 or 15.', '14', False), ('not 14 but 15', '15', True),
 ('not 14 but 15', '14', False), ('The answer is 14, not 15.', '15', False),
 ('The answer is 14, not 15.', '14', True), ('14 is wrong; the answer is 15.', '15', True),
 ('14 is wrong; the answer is 15.', '14', False), ('The answer is \\boxed{14} (or 15).', '14', True),
]

NEVER_CONFUSED = [
 ('So x = 3 or x = 4', '3', False), ('x = 3 => x = 4', '3', False), ('x = 3 => x = 4', '4', True),
 ('Yes', 'No', False), ('No, it is 5.', 'no', False), ('No, it is 5.', '5', True),
 ('Yes, 5.', 'yes', False), ('\\sin 30^\\circ', '\\sin 30', False), ('30^\\circ', '\\frac{\\pi}{6}', False),
 ('\\cos 0^\\circ', '1', True), ('f(x) = x^2', 'g(x) = x^3', False), ('f(x) = x', 'x = y', False),
 ('y = x^2', 'x = y^2', False), ('0.5', '\\sin(\\pi/6 + 10^{-45})', False),
 ('0.5', '\\frac{1}{2} + 10^{-45}', False), ('0.5', '\\cos(1)', False), ('2^6 3^5', '2^{63}', False),
 ('2^6 3', '192', True), ('2!3!', '12', True), ('2!3!', '23', False), ('0.(3)', '0', False),
 ('0.(3)', '0.3', False), ('`3`', '4', False), ('"yes"', 'no', False), ('x**2', '2x', False),
 ('x**2', 'x^2', True), ('**2**', '2', True), ('\\angle A = 30', '60', False), ('\\angle ABC', '30', False),
 ('x \\neq 0', '(-\\infty, 0)', False), ('x \\ne 1', '(-\\infty,1)\\cup(1,\\infty)', True),
 ('x \\neq 1', '(-\\infty,0)\\cup(0,\\infty)', False), ('\\text{3 apples}', '4', False), ('3页', '4', False),
 ('答案是 5', '6', False), ('17 \\bmod 5', '17', False),
 ('The values $3$ and $4$ sum to $7$.', '3, 4', False),
 ('The values $3$ and $4$ sum to $7$.', '7', True), ('We have $a = 2$ and $b = 3$.', '3', False),
 ('between 3 and 4', '4', False), ('3 and 4', '4', False), ('It is either 3 or 4.', '4', False),
 ('The answer is 3, or maybe 4.', '3', False), ('It must be 3 and not 4', '3', True),
 ('It must be 3 and not 4', '4', False), ('<answer>3</answer> then 4', '4', False),
 ('<answer></answer> 4', '4', False), ('\\boxed{\\boxed{3}}', '\\boxed{4}', False),
 ('\\boxed{3}\\boxed{4}', '3', False), ('The answer is 5!.', '120', True), ('The answer is 5!', '5', True),
 ('The answer is $5!$', '120', True), ('The answer is $5!$', '5', False), ('if x = 3', '3', True),
 ('for x = 3', '3', True), ('be 3', '3', True), ('it', 'i t', False), ('so', 's o', False),
]


@pytest.mark.parametrize(("prediction", "gold", "correct"),
                         BARE_NOTATION + RESPONSE_ENDINGS + MORE_NOTATION + ANGLES_AND_DEFINITIONS + MODULO
                         + PROSE_ENDINGS + NEVER_CONFUSED)
def test_a_strangers_answers_and_responses(prediction: str, gold: str, correct: bool) -> None:
    verdict = grade(prediction, gold)
    assert verdict.correct is correct, verdict
