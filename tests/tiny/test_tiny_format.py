"""The tiny model's text format and data: tokenizer round trips, number formats, PAL targets, held-out
sets."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verimath.errors import InputError
from verimath.models.tiny import TinyTokenizer, numbers_in, render_program, reverse_digits
from verimath.problems import builtin_dir, generate, load_templates
from verimath.tinylab import (
    example_of,
    examples,
    held_out,
    is_held_out_question,
    operand_digits,
    supported_templates,
)

TEMPLATES = {t.id: t for t in load_templates(builtin_dir())}


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [ex.question for ex in examples(supported_templates(), 3, seed=5)]


@pytest.fixture(scope="module")
def tokenizer(questions: list[str]) -> TinyTokenizer:
    return TinyTokenizer.build(questions)


def round_trip(tok: TinyTokenizer, text: str, mode: str) -> str:
    enc = tok.encode_question(text, mode)  # type: ignore[arg-type]
    assert enc.ids[1] == enc.ids[-1]  # the mode token opens and closes the question
    return tok.decode(enc.ids[2:-1], enc.literals)


def test_generated_questions_round_trip_in_both_modes(tokenizer: TinyTokenizer, questions: list[str]) -> None:
    for q in questions + [p.question for p in held_out(12)]:
        assert round_trip(tokenizer, q, "pal") == q
        assert round_trip(tokenizer, q, "direct") == q


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
       mode=st.sampled_from(["pal", "direct"]))
def test_printable_text_round_trips(text: str, mode: str) -> None:
    tok = TinyTokenizer.build(["Ava buys 4 notebooks at $3 each."])
    if mode == "pal" and len(numbers_in(text)) > 24:
        return
    assert round_trip(tok, text, mode) == text


def test_pal_mode_hides_number_length(tokenizer: TinyTokenizer) -> None:
    short = tokenizer.encode_question("Ava has 12 apples and buys 7 more.", "pal")
    long = tokenizer.encode_question("Ava has 1234567 apples and buys 70000 more.", "pal")
    assert short.ids == long.ids
    assert long.literals == ("1234567", "70000")
    direct = tokenizer.encode_question("Ava has 1234567 apples.", "direct")
    assert len(direct.ids) > len(tokenizer.encode_question("Ava has 12 apples.", "direct").ids)


@given(st.text(alphabet="0123456789,./ -x", max_size=30))
def test_reversing_digits_is_an_involution(text: str) -> None:
    assert reverse_digits(reverse_digits(text)) == text


def test_direct_targets_follow_the_number_format() -> None:
    reversed_tok = TinyTokenizer.build(["x"], direct_format="reversed")
    plain_tok = TinyTokenizer.build(["x"], direct_format="plain")
    assert reversed_tok.decode(reversed_tok.encode_target("1250", "direct")[:-1]) == "0521"
    assert reversed_tok.decode_answer(reversed_tok.encode_target("1250", "direct")[:-1]) == "1250"
    assert plain_tok.decode(plain_tok.encode_target("1250", "direct")[:-1]) == "1250"
    with pytest.raises(InputError):
        TinyTokenizer(("a",))


def test_pal_target_copies_question_numbers_and_is_checked() -> None:
    template = TEMPLATES["money-01"]  # n * p + b
    problem = generate(template, 1, seed=3)[0]
    ex = example_of(template, problem)
    assert ex is not None and ex.expression == "<n0> * <n1> + <n2>"
    program = render_program(ex.expression, numbers_in(problem.question))
    scope: dict[str, object] = {}
    head, _, last = program.rpartition("\nprint(")
    exec(head, scope)
    assert Fraction(eval(last[:-1], scope)) == Fraction(problem.answer)


def test_word_fractions_become_literals() -> None:
    template = TEMPLATES["fraction-03"]  # n * f * g with f, g written in words
    ex = example_of(template, generate(template, 1, seed=1)[0])
    assert ex is not None and "Fraction(" in ex.expression and "<n0>" in ex.expression


def test_templates_whose_answer_is_not_in_the_question_are_left_out() -> None:
    ids = {t.id for t in supported_templates()}
    assert "age-01" not in ids  # the daughter's age is solved for, never shown
    assert len(ids) >= 130


def test_held_out_is_reproducible_and_widens_numbers() -> None:
    first, again = held_out(30), held_out(30)
    assert [p.question for p in first] == [p.question for p in again]
    assert len(first) == 30 and len({p.id for p in first}) == 30
    by_factor = {f: [p.metadata["operand_digits"] for p in first if p.metadata["widen"] == f]
                 for f in (1, 10, 100)}
    assert max(by_factor[100]) > max(by_factor[1])
    assert all(is_held_out_question(p.question) for p in first)
    assert not any(is_held_out_question(ex.question) for ex in examples(supported_templates(), 5, seed=0))
    assert operand_digits("Pay $1,250.50 for 3 items") == 4
    with pytest.raises(InputError):
        held_out(0)
