from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.problems._words import canonical, int_to_words, parse_number_text, render_in_style, style_of


@given(st.integers(min_value=0, max_value=99))
def test_small_number_words_read_back(n):
    assert parse_number_text(int_to_words(n)) == n


def test_large_number_words():
    assert int_to_words(1_300_042) == "one million three hundred thousand forty-two"


@given(st.fractions(max_denominator=1000))
def test_canonical_text_reads_back_exactly(x):
    assert parse_number_text(canonical(x)) == x


@pytest.mark.parametrize(("value", "default", "text"), [
    (42, "forty-two", "forty-two"),
    (3, "twice", "three times"),
    (2, "three times", "twice"),
    (Fraction(1, 2), "twice", "half"),
    (Fraction(2, 3), "half", "two-thirds"),
    (Fraction(1, 4), "a third", "a quarter"),
    (Fraction(3, 4), "three quarters", "three quarters"),
    (Fraction(9, 10), "0.90", "0.90"),
    (1234567, "1,000", "1,234,567"),
    (3, "double", "triple"),
    (Fraction(7, 3), "1/2", "7/3"),
    (Fraction(1, 3), "0.25", "1/3"),
])
def test_slot_styles_follow_the_default(value, default, text):
    assert render_in_style(value, style_of(default)) == text
