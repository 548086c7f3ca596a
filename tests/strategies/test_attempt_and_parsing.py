"""Attempt values, prompt files, and the text helpers strategies use to read model output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.errors import InputError
from verimath.models import Message, Sampling, Usage
from verimath.sandbox import ExecError, ExecResult
from verimath.strategies import (
    VERIFICATION_WEIGHT,
    Attempt,
    CodeStep,
    MessageStep,
    get_strategy,
    load_prompts,
    parse_subtasks,
    parse_verification,
    vote,
)
from verimath.strategies._execution import code_blocks, describe, program_in, truncate
from verimath.strategies._run import Dialogue, pending_code

text = st.text(max_size=40)
floats = st.floats(0, 1e4, allow_nan=False)
usages = st.builds(Usage, st.integers(0, 10**6), st.integers(0, 10**6))
message_steps = st.builds(MessageStep, st.sampled_from(["system", "user", "assistant"]), text, text, floats,
                          floats, st.none() | usages, st.none() | st.sampled_from(["stop", "length"]))
errors = st.none() | st.builds(ExecError, text, text, text)
results = st.builds(ExecResult, st.sampled_from(["ok", "error", "timeout"]), text, text, errors, floats,
                    st.booleans())
code_steps = st.builds(CodeStep, text, results, text, text, floats, floats)
messages = st.lists(st.builds(Message, st.sampled_from(["system", "user", "assistant"]), text), max_size=4)
attempts = st.builds(Attempt, st.sampled_from(["cot", "tir"]), text, st.none() | text,
                     st.lists(message_steps | code_steps, max_size=6).map(tuple), usages, st.integers(0, 99),
                     st.integers(0, 99), floats, floats, floats,
                     st.none() | st.sampled_from(["true", "false", "uncertain"]), st.none() | text,
                     messages.map(tuple))


@given(attempts)
def test_attempts_round_trip_through_json(attempt):
    assert Attempt.from_json(attempt.to_json()) == attempt
    assert attempt.overhead_s >= 0


@given(st.text(max_size=500), st.integers(20, 200))
def test_truncate_keeps_head_and_tail_within_the_limit(s, limit):
    cut = truncate(s, limit)
    if len(s) <= limit:
        assert cut == s
    else:
        head, tail = limit * 2 // 3, limit - limit * 2 // 3
        assert cut.startswith(s[:head]) and cut.endswith(s[-tail:])
        assert f"[{len(s) - limit} characters omitted]" in cut


def test_describe_shows_output_then_the_error_line_or_what_stopped_the_cell():
    err = ExecError("ZeroDivisionError", "division by zero",
                    "Traceback ...\nZeroDivisionError: division by zero")
    assert describe(ExecResult("error", "partial\n", "", err), limit=100) == (
        "partial\nZeroDivisionError: division by zero")
    assert describe(ExecResult("timeout"), limit=100).startswith("TimeoutError")
    assert describe(ExecResult("memory"), limit=100).startswith("MemoryError")
    assert "print()" in describe(ExecResult("ok"), limit=100)
    assert describe(ExecResult("ok", "x" * 500), limit=90).count("x") == 90


def test_code_blocks_and_pending_code():
    reply = "Try:\n```python\na = 1\n```\nthen\n```py\nprint(a)\n```"
    assert [c for c, _ in code_blocks(reply)] == ["a = 1", "print(a)"]
    assert pending_code(reply) == "print(a)"
    assert pending_code(reply + "\nSo \\boxed{1}.") is None
    assert pending_code("```python\nprint(2)") == "print(2)"  # cut by the stop string: unclosed block
    assert pending_code("No code; \\boxed{3}") is None
    assert program_in("```\nprint(5)\n```") == "print(5)"
    assert program_in("just words") is None


@pytest.mark.parametrize(("reply", "state"), [
    ("Checked.\nVerification: True", "true"),
    ("**Verification:** false", "false"),
    ("verification: Uncertain.", "uncertain"),
    ("Verification: True\n...on reflection\nVerification: False", "false"),
    ("no verdict given", "uncertain"),
])
def test_parse_verification(reply, state):
    assert parse_verification(reply) == state


def test_parse_subtasks():
    plan = "Plan:\n1. Find the roots.\n2) Sum them\n**Sub-task 3:** Check the sum.\n- 4. Report"
    assert parse_subtasks(plan) == ["Find the roots.", "Sum them", "Check the sum.", "Report"]
    assert parse_subtasks("no list here") == []


def test_votes_are_weighted_by_verification():
    def a(answer, verification=None):
        return Attempt("self_verify", "q", answer, verification=verification)

    assert vote((a("1", "false"), a("1", "false"), a("2", "true"))) == (
        ("2", VERIFICATION_WEIGHT["true"]), ("1", 2 * VERIFICATION_WEIGHT["false"]))
    assert vote((a(" 3 "), a("3"), a(None))) == (("3", 2.0),)


def test_chat_dialogues_turn_example_outputs_into_user_turns_and_completion_dialogues_splice_them():
    solution = "Compute.\n```python\nprint(2)\n```\n```output\n2\n```\nSo \\boxed{2}."
    chat = Dialogue("chat")
    chat.add_example("Q?", solution)
    assert [m.role for m in chat.messages] == ["user", "assistant", "user", "assistant"]
    assert chat.messages[2].content == "```output\n2\n```"
    flat = Dialogue("completion")
    flat.add("system", "Sys.")
    flat.add_example("Q?", solution)
    flat.add("user", "Real question?")
    flat.add("assistant", "```python\nprint(1)\n```")
    flat.add_output("1")
    prompt = flat.request(Sampling()).prompt
    assert prompt.startswith("Sys.\n\nUser: Q?\n\nAssistant: Compute.")
    assert prompt.endswith("User: Real question?\n\nAssistant: ```python\nprint(1)\n```\n```output\n1\n```\n")


def test_prompts_are_overridable_by_file_or_mapping(tmp_path):
    custom = tmp_path / "p.toml"
    custom.write_text('system = "Only code."\n[[examples]]\nquestion = "1+1?"\nsolution = "\\\\boxed{2}"\n')
    p = load_prompts("tir", custom)
    assert p.fill("system") == "Only code." and p.examples == (("1+1?", "\\boxed{2}"),)
    assert p.fill("question", question="What is $x$ in {{x}}?") == "What is $x$ in {{x}}?"
    assert load_prompts("tir", {"examples": []}).examples == ()


def test_bad_prompt_files_and_options_are_input_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("system = [")
    with pytest.raises(InputError, match=r"bad\.toml"):
        get_strategy("tir", prompts=bad)
    with pytest.raises(InputError, match="field 'nonsense'"):
        get_strategy("tir", prompts={"nonsense": "x"})
    with pytest.raises(InputError, match="placeholder"):
        load_prompts("cot", {"question": "{{problem}}"}).fill("question", question="q")
    with pytest.raises(InputError, match="field 'max_rounds'"):
        get_strategy("tir", max_rounds=0)
    with pytest.raises(InputError, match="field 'mode'"):
        get_strategy("tir", mode="voice")
    with pytest.raises(InputError, match="field 'strategy'"):
        get_strategy("nope")
    with pytest.raises(InputError, match="no option 'max_rounds'"):
        get_strategy("cot", max_rounds=2)
    with pytest.raises(InputError, match="field 'temperature'"):
        get_strategy("cot", temperature=-1)
