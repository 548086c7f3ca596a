from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verimath.errors import InputError
from verimath.problems import Problem, TemplateError, generate, generate_many, load_templates, parse_template
from verimath.problems._expr import Labeled, compile_expr
from verimath.problems._library import LISTS, RngBox, make_functions
from verimath.problems._words import parse_number_text

FUNCS = make_functions(RngBox())
REASONS = {"format", "refused", "undefined", "unsatisfiable", "too_few", "answer_mismatch"}


def template(question: str, answer_annotated: str, tid: str = "t") -> object:
    return parse_template({"question_annotated": question, "answer_annotated": answer_annotated},
                          template_id=tid)


def restore(value):
    if isinstance(value, list) and len(value) == 2:
        return Labeled(restore(value[0]), restore(value[1]))
    if isinstance(value, str) and re.fullmatch(r"-?\d+/\d+|-?\d+\.\d+", value):
        return parse_number_text(value)
    return value


def check_instance(t, p: Problem) -> None:
    env = {**LISTS, **{k: restore(v) for k, v in p.metadata["variables"].items()}}
    for cond in t.conditions:
        assert compile_expr(cond.replace("$", ""), FUNCS)(env), (t.id, cond, p.metadata["variables"])
    final = p.metadata["solution"].strip().splitlines()[-1]
    assert final.startswith("####")
    assert parse_number_text(final[4:]) == parse_number_text(p.answer)
    assert "{" not in p.question and "}" not in p.question


def test_a_small_template_end_to_end():
    t = template("{name,Ann} has {x,4} apples and eats {y,1}. How many are left?\n\n#init:\n"
                 "- name = sample(names_female)\n- $x = range(2, 30)\n- $y = range(1, 10)\n\n"
                 "#conditions:\n- y < x\n- divides(x, 2)\n\n#answer: x - y",
                 "{name} has {x} - {y} = <<{x}-{y}={x-y}>>{x-y} left.\n#### {x-y}")
    problems = generate(t, 20, seed=3)
    assert len({p.question for p in problems}) == 20
    for p in problems:
        check_instance(t, p)
        assert p.template_id == "t" and p.id.startswith("t#")
        assert p.metadata["variables"]["name"] in LISTS["names_female"]
    assert t.render_defaults().startswith("Ann has 4 apples")


def test_widen_scales_integer_ranges_and_keeps_the_conditions():
    t = template("{name,Ann} has {x,4} apples and eats {y,1}. How many are left?\n\n#init:\n"
                 "- name = sample(names_female)\n- $x = range(2, 30)\n- $y = range(1, 10)\n\n"
                 "#conditions:\n- y < x\n- divides(x, 2)\n\n#answer: x - y",
                 "{name} has {x} - {y} = <<{x}-{y}={x-y}>>{x-y} left.\n#### {x-y}")
    wide = generate(t, 20, seed=3, widen=100)
    for p in wide:
        check_instance(t, p)
        assert 200 <= p.metadata["variables"]["x"] < 3000 and 100 <= p.metadata["variables"]["y"] < 1000
    assert generate(t, 20, seed=3, widen=1) == generate(t, 20, seed=3)
    with pytest.raises(InputError):
        generate(t, 1, widen=0)


def test_slot_spans_locate_each_slot_of_an_instance():
    t = template("{name,Ann} has {x,4} apples and eats {y,1}.\n\n#init:\n- name = sample(names_female)\n"
                 "- $x = range(20, 30)\n- $y = range(1, 10)\n\n#answer: x - y", "#### {x-y}")
    p = generate(t, 1, seed=0)[0]
    spans = t.slot_spans(p.question)
    assert [name for name, _, _ in spans] == ["name", "x", "y"]
    assert [p.question[a:b] for _, a, b in spans][1:] == [str(p.metadata["variables"][v]) for v in "xy"]
    assert t.slot_spans("something else") is None
    assert t.answer_expression() == "x - y"


def test_same_seed_same_bytes_other_seed_other_instances():
    ts = load_templates("builtin")[:6]
    a = json.dumps([p.to_dict() for p in generate_many(ts, 5, seed=1)[0]])
    b = json.dumps([p.to_dict() for p in generate_many(ts, 5, seed=1)[0]])
    c = json.dumps([p.to_dict() for p in generate_many(ts, 5, seed=2)[0]])
    assert a == b and a != c


def test_builtin_templates_generate_valid_distinct_instances():
    ts = load_templates("builtin")
    bases = [t for t in ts if t.metadata.get("variant") == "base"]
    assert len(bases) >= 60
    assert {t.metadata["variant"] for t in ts} == {"base", "noop", "p1", "p2"}
    problems, failures = generate_many(ts, 8, seed=0)
    assert failures == []
    by_template: dict[str, list[Problem]] = {}
    for p in problems:
        by_template.setdefault(p.template_id, []).append(p)
    for t in ts:
        got = by_template[t.id]
        assert len({p.question for p in got}) == 8
        for p in got:
            check_instance(t, p)


def test_noop_variant_keeps_the_answer_of_its_base():
    ts = {t.id: t for t in load_templates("builtin")}
    base, noop = ts["money-01"], ts["money-01-noop"]
    assert noop.metadata["variant_of"] == "money-01" and noop.answer == base.answer
    assert len(noop.question) > len(base.question)
    (p,) = generate(noop, 1)
    assert (p.metadata["variant"], p.metadata["variant_of"], p.metadata["topic"]) == (
        "noop", "money-01", "money")


@pytest.mark.parametrize(("question", "reason"), [
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#conditions:\n- x > 10\n\n#answer: x", "unsatisfiable"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#answer: x", "too_few"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#answer: __import__('os').getcwd()", "refused"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#answer: x.real", "refused"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#conditions:\n- 2 ** 100000 > x\n\n#answer: x", "unsatisfiable"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#answer: x + nowhere", "undefined"),
    ("{x,1}\n\n#init:\n- $x = range(2, 5)\n\n#answer: x + 1", "answer_mismatch"),
    ("{x,1}\n\n#init:\n- $x = range(10 ** 13)\n\n#answer: x", "refused"),
    ("{x,1}\n\n#init:\n- $x = ().__class__.__subclasses__()\n\n#answer: x", "refused"),
    ("{x,1}\n\n#init:\n- $x = exec('1')\n\n#answer: x", "refused"),
])
def test_bad_templates_fail_with_a_named_reason(question, reason):
    t = template(question, "#### {x}")
    with pytest.raises(TemplateError) as info:
        generate(t, 10, max_tries=3000)
    assert info.value.reason == reason
    assert "template t" in str(info.value)


def test_equality_conditions_are_solved_not_guessed():
    t = template("{a,1} {b,2} {total,3}\n\n#init:\n- $total = range(0, 100000)\n- $a = range(1, 50)\n"
                 "- $b = range(1, 50)\n\n#conditions:\n- total == a * b + 7\n\n#answer: total",
                 "#### {a*b+7}")
    for p in generate(t, 30, max_tries=200):
        v = p.metadata["variables"]
        assert v["total"] == v["a"] * v["b"] + 7


def gsm_templates(shared_data: Path) -> list:
    return load_templates(shared_data / "gsm_symbolic" / "templates")


def test_every_gsm_symbolic_template_generates_or_names_its_reason(shared_data):
    ts = gsm_templates(shared_data)
    assert len(ts) == 250
    ok = {"symbolic": 0, "p1": 0, "p2": 0}
    for t in ts:
        try:
            problems = generate(t, 4, seed=0, max_tries=20_000)
        except TemplateError as exc:
            assert exc.reason in REASONS and exc.template_id == t.id and str(exc)
            continue
        ok[t.id.split("/")[0]] += 1
        for p in problems:
            check_instance(t, p)
    assert ok["symbolic"] >= 95
    assert ok["p1"] + ok["p2"] >= 0.95 * 150


def test_a_gsm_symbolic_template_renders_word_styles(shared_data):
    t = next(t for t in gsm_templates(shared_data) if t.id == "symbolic/0088")
    for p in generate(t, 5, seed=0):
        assert re.search(r"\b(half|one-|two-|three-|quarter|third)", p.question)
        assert Fraction(p.answer) >= 0


BUILTIN = load_templates("builtin")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(BUILTIN), st.integers(min_value=0, max_value=10**9))
def test_any_seed_gives_instances_that_satisfy_the_template(t, seed):
    problems = generate(t, 3, seed=seed)
    assert len({p.question for p in problems}) == 3
    for p in problems:
        check_instance(t, p)
