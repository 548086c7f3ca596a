from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.answers.extract import extract

CASES = [
    # boxes: the last one wins, nested braces survive, parts on one line are joined
    (r"First \boxed{1}. On reflection \boxed{2}.", "2"),
    (r"So $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
    (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
    (r"\fbox{7}", "7"),
    (r"The answer is \boxed 5", "5"),
    (r"Thus \boxed{1} and \boxed{2}", "1, 2"),
    (r"\boxed{3}" + "\n" + r"and a broken \boxed{4", "3"),
    (r"\boxed{}" + " then 12", "12"),
    # stated answers
    ("The final answer is $5$. I hope it is correct.", "5"),
    ("So the answer is 3.14.", "3.14"),
    ("The answer is: $\\frac{9}{7}$", r"\frac{9}{7}"),
    ("Answer: 42", "42"),
    ("work\n#### 1,234", "1,234"),
    ("She makes 2 * 9 = $<<2*9=18>>18 per day\nA: 18", "18"),
    ("the answer is 3\nwait, no.\nThe answer is **4**", "4"),
    # markdown bold, choices, math
    ("**Step 1:** add\nTotal: **42**", "42"),
    ("Reasoning...\n(C)", "C"),
    ("Reasoning...\nB.", "B"),
    (r"Therefore we get \(x = 3\)", "x = 3"),
    (r"so $$\frac{1}{3}$$", r"\frac{1}{3}"),
    # reasoning blocks are ignored
    ("<think>the answer is 3</think>The answer is 4.", "4"),
    ("half-open reasoning, the answer is 3</think>\n\\boxed{5}", "5"),
    # the last number only when nothing else is there
    ("I computed 3 apples and then 1,250 pears", "1,250"),
    ("no numbers at all", None),
    ("", None),
]


@pytest.mark.parametrize(("response", "expected"), CASES)
def test_extract_rules(response, expected):
    assert extract(response) == expected


def test_calculator_annotations_are_not_answers():
    assert extract("16 - 3 = <<16-3=13>>13 eggs") == "13"


@pytest.mark.parametrize(
    "hostile",
    [
        "\\boxed{" * 150_000,
        "\\[" * 500_000,
        "\n" * 1_000_000,
        "<think>" * 100_000,
        "{" * 1_000_000 + "\\boxed{1}",
        "**a" * 300_000,
        "$" * 1_000_000,
    ],
    ids=["unclosed-boxes", "display-openers", "newlines", "think-tags", "open-braces", "bold", "dollars"],
)
def test_megabyte_inputs_finish_quickly(hostile):
    start = time.perf_counter()
    extract(hostile)
    assert time.perf_counter() - start < 0.5


_ANSWER = st.text(alphabet=st.characters(blacklist_characters="{}\\\n", blacklist_categories=("Cs",)),
                  min_size=1).filter(lambda s: s.strip() == s and s
                                     and "<think>" not in s)  # tags are reasoning


@given(prefix=st.text(max_size=200).filter(lambda s: "\\boxed" not in s and "\\fbox" not in s
                                           and "</think>" not in s), answer=_ANSWER)
def test_a_final_box_is_always_found(prefix, answer):
    assert extract(prefix + "\n\\boxed{" + answer + "}") == answer


@given(st.text(max_size=2000))
def test_extract_never_raises(text):
    result = extract(text)
    assert result is None or isinstance(result, str)
