"""Strategies end to end through a real HTTP round trip: a scripted OpenAI-compatible server on loopback, the
openai backend, and a real code executor."""

from __future__ import annotations

import asyncio
import re

import pytest

from verimath.errors import InputError, ModelUnavailable
from verimath.models import load_model
from verimath.models.testing import HTTPFailure, ScriptedServer, ServedRequest
from verimath.strategies import Attempt, CodeStep, MessageStep, get_strategy, load_prompts, solve

QUESTION = "What is six times seven, plus one?"


def since_question(req: ServedRequest) -> str:
    """What the model was shown after the question (few-shot examples come before it)."""
    text = req.text
    return text[text.rindex(QUESTION):]


def outputs(req: ServedRequest) -> list[str]:
    return re.findall(r"```output\n(.*?)\n```", since_question(req), re.DOTALL)


def tir_script(req: ServedRequest) -> str:
    """Code first; then code that needs the first cell's state; an answer once both outputs are back."""
    seen = outputs(req)
    if not seen:
        return "Multiply first.\n```python\nx = 6 * 7\nprint(x)\n```\n"
    if len(seen) == 1:
        return f"The product is {seen[0]}. Now add one, reusing x.\n```python\nprint(x + 1)\n```"
    return f"So the result is \\boxed{{{seen[-1].strip()}}}."


def run(strategy, server: ServedRequest | ScriptedServer, executor, question: str = QUESTION, **model_opts):
    model = load_model("openai:scripted", base_url=server.base_url, backoff_s=0.01, **model_opts)
    return asyncio.run(strategy.attempt(question, model, executor)), model


@pytest.mark.parametrize("mode", ["chat", "completion"])
def test_tir_executes_code_feeds_outputs_back_and_keeps_state_across_rounds(executor, mode):
    with ScriptedServer(tir_script) as server:
        attempt, _ = run(get_strategy("tir", mode=mode), server, executor)
    assert attempt.answer == "43"
    assert attempt.error is None
    assert [c.code for c in attempt.cells] == ["x = 6 * 7\nprint(x)", "print(x + 1)"]
    assert [c.result.stdout.strip() for c in attempt.cells] == ["42", "43"]
    assert [c.status for c in attempt.cells] == ["ok", "ok"]
    assert (attempt.model_calls, attempt.code_calls) == (3, 2)
    kinds = {"chat": "chat", "completion": "completion"}[mode]
    assert {r.kind for r in server.requests} == {kinds}
    # The second request carries the first cell's real output; the stop string keeps imagined outputs out.
    assert outputs(server.requests[1]) == ["42"]
    assert all(r.body["stop"] == ["```output"] for r in server.requests)
    assert attempt.usage.completion_tokens > 0 and attempt.wall_s >= attempt.model_s + attempt.exec_s


def test_tir_feeds_errors_back_for_correction(executor):
    def script(req: ServedRequest) -> str:
        seen = outputs(req)
        if not seen:
            return "```python\nprint(undefined_name)\n```"
        if "NameError" in seen[-1]:
            return "Oops, define it first.\n```python\nundefined_name = 5\nprint(undefined_name)\n```"
        return f"\\boxed{{{seen[-1]}}}"

    with ScriptedServer(script) as server:
        attempt, _ = run(get_strategy("tir"), server, executor)
    assert attempt.answer == "5"
    assert attempt.cells[0].status == "error"
    assert "NameError: name 'undefined_name' is not defined" in outputs(server.requests[1])[0]


def test_tir_stops_at_max_rounds(executor):
    with ScriptedServer(lambda req: f"```python\nprint({len(outputs(req))})\n```") as server:
        attempt, _ = run(get_strategy("tir", max_rounds=3), server, executor)
    assert attempt.answer is None
    assert "max_rounds=3" in attempt.error
    assert attempt.model_calls == 3 and len(server.requests) == 3
    assert [c.result.stdout.strip() for c in attempt.cells] == ["0", "1", "2"]


def test_code_that_never_terminates_is_stopped_and_reported(quick_executor):
    executor = quick_executor

    def script(req: ServedRequest) -> str:
        seen = outputs(req)
        return "```python\nwhile True:\n    pass\n```" if not seen else f"Reported: {seen[0]} \\boxed{{none}}"

    with ScriptedServer(script) as server:
        attempt, _ = run(get_strategy("tir"), server, executor)
    assert attempt.cells[0].status == "timeout"
    assert "TimeoutError" in outputs(server.requests[1])[0]
    assert attempt.answer == "none"
    assert attempt.cells[0].duration_s < 10


def test_attempt_time_limit_ends_the_attempt_with_a_recorded_error(executor):
    with ScriptedServer(tir_script, delay_s=0.4) as server:
        attempt, _ = run(get_strategy("tir", time_limit_s=0.6), server, executor)
    assert attempt.answer is None
    assert "time limit" in attempt.error
    assert attempt.wall_s < 2


def test_http_errors_are_retried_then_succeed(executor):
    failures = iter([HTTPFailure(503), HTTPFailure(429, retry_after=0.01)])

    def script(req: ServedRequest):
        return next(failures, None) or tir_script(req)

    with ScriptedServer(script) as server:
        attempt, model = run(get_strategy("tir"), server, executor, max_retries=3)
    assert attempt.answer == "43"
    assert model.stats.retries == 2 and model.stats.failures == 0


@pytest.mark.parametrize("status", [400, 413, 422])
def test_http_errors_about_the_request_are_recorded_on_the_attempt(executor, status):
    with ScriptedServer(lambda req: HTTPFailure(status, "prompt too long")) as server:
        attempt, model = run(get_strategy("tir"), server, executor, max_retries=2)
    assert attempt.answer is None
    assert attempt.error.startswith("model failed") and str(status) in attempt.error
    assert len(server.requests) == 1
    assert model.stats.failures == 1


@pytest.mark.parametrize(("status", "tries", "says"), [
    (500, 3, "failed after 3 tries"), (503, 3, "503"), (404, 1, "HTTP 404 (model not found)"),
    (401, 1, "401")])
def test_an_unavailable_model_raises_instead_of_making_an_attempt(executor, status, tries, says):
    with ScriptedServer(lambda req: HTTPFailure(status, "broken")) as server, \
            pytest.raises(ModelUnavailable, match=re.escape(says)):
        run(get_strategy("tir"), server, executor, max_retries=2)
    assert len(server.requests) == tries


def test_request_timeouts_are_retried_then_raised(executor):
    with ScriptedServer(tir_script, delay_s=1.0) as server, pytest.raises(ModelUnavailable,
                                                                          match="failed after 2 tries"):
        run(get_strategy("cot"), server, executor, timeout_s=0.2, max_retries=1)


def test_a_model_returning_nothing_is_a_recorded_error(executor):
    with ScriptedServer(lambda req: "") as server:
        attempt, _ = run(get_strategy("tir"), server, executor)
    assert (attempt.answer, attempt.error) == (None, "the model returned nothing")


def test_an_unparseable_final_answer_gives_no_answer(executor):
    with ScriptedServer(lambda req: "I think it is probably somewhere around forty.") as server:
        attempt, _ = run(get_strategy("cot"), server, executor)
    assert attempt.answer is None and "no final answer" in attempt.error


def test_an_empty_question_is_bad_input(executor):
    with ScriptedServer(tir_script) as server, pytest.raises(InputError, match="question"):
        run(get_strategy("tir"), server, executor, question="   ")
    assert server.requests == []


def test_cot_sends_few_shot_examples_and_reads_the_boxed_answer(executor):
    with ScriptedServer(lambda req: "6*7+1 = 43, so \\boxed{43}.") as server:
        attempt, _ = run(get_strategy("cot", temperature=0.5, top_p=0.9, max_tokens=77, seed=3), server,
                         executor)
    assert attempt.answer == "43" and attempt.code_calls == 0
    body = server.requests[0].body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.5, 0.9, 77, 3)
    roles = [m["role"] for m in body["messages"]]
    assert roles[0] == "system" and roles.count("assistant") == 2 and roles[-1] == "user"


def test_pal_runs_the_program_and_takes_its_last_printed_line(executor):
    program = ("Here:\n```python\nfrom fractions import Fraction\nprint('working')\n"
               "print(Fraction(6 * 7 + 1, 1))\n```")
    with ScriptedServer(lambda req: program) as server:
        attempt, _ = run(get_strategy("pal"), server, executor)
    assert attempt.answer == "43"
    assert attempt.cells[0].result.stdout == "working\n43\n"


@pytest.mark.parametrize(("reply", "error"), [
    ("```python\n1/0\n```", "the program failed: ZeroDivisionError: division by zero"),
    ("```python\nx = 43\n```", "the program printed nothing"),
    ("It is 43.", "the model wrote no program"),
])
def test_pal_failures_are_recorded(executor, reply, error):
    with ScriptedServer(lambda req: reply) as server:
        attempt, _ = run(get_strategy("pal"), server, executor)
    assert (attempt.answer, attempt.error) == (None, error)


def self_verify_script(req: ServedRequest) -> str:
    """Answers 41, finds it wrong with code, amends to 43, confirms it."""
    last = req.last
    seen = outputs(req)
    if "check the answer" in last:
        answer = re.search(r"answer (\d+)", last).group(1)
        return f"```python\nprint({answer} == 6 * 7 + 1)\n```"
    if last.startswith("```output") and seen[-1] in ("True", "False"):
        return f"The check printed {seen[-1]}.\nVerification: {seen[-1]}"
    if "is wrong" in last:
        return "```python\nfixed = x + 2\nprint(fixed)\n```"
    if seen and seen[-1] == "43":
        return "\\boxed{43}"
    if not seen:
        return "```python\nx = 41\nprint(x)\n```"
    return "\\boxed{41}"


def test_self_verify_amends_a_failed_check_and_records_the_verification(executor):
    with ScriptedServer(self_verify_script) as server:
        attempt, _ = run(get_strategy("self_verify"), server, executor)
    assert (attempt.answer, attempt.verification, attempt.error) == ("43", "true", None)
    labels = [s.label for s in attempt.trace if isinstance(s, MessageStep) and s.role == "user"]
    assert labels == ["question", "verify 1", "amend 1", "verify 2"]
    # the amendment reused x from the first cell: state persisted across phases
    assert [c.result.stdout.strip() for c in attempt.cells] == ["41", "False", "43", "True"]


def test_self_verify_keeps_a_false_verification_when_amendments_run_out(executor):
    with ScriptedServer(self_verify_script) as server:
        attempt, _ = run(get_strategy("self_verify", max_amends=0), server, executor)
    assert (attempt.answer, attempt.verification) == ("41", "false")


def test_decompose_runs_code_per_sub_task_with_shared_state_and_error_feedback(executor):
    def script(req: ServedRequest) -> str:
        last = req.last
        if "numbered list" in last:
            return "1. Compute the product.\n2. Add one to it."
        if last.startswith("Sub-task 1"):
            return "```python\nproduct = 6 * 7\nprint(product)\n```"
        if last.startswith("Sub-task 2"):
            return "```python\nprint(prodct + 1)\n```"
        if "NameError" in last:
            return "```python\ntotal = product + 1\nprint(total)\n```"
        if "All sub-tasks are done" in last:
            return "\\boxed{43}"
        return "unexpected"

    with ScriptedServer(script) as server:
        attempt, _ = run(get_strategy("decompose"), server, executor)
    assert attempt.answer == "43"
    assert [c.status for c in attempt.cells] == ["ok", "error", "ok"]
    assert [c.label for c in attempt.cells] == ["sub-task 1", "sub-task 2", "sub-task 2 (2)"]
    assert attempt.cells[-1].result.stdout == "43\n"


def test_solve_votes_over_attempts_with_distinct_seeds(executor):
    def script(req: ServedRequest) -> str:
        return "\\boxed{44}" if req.body["seed"] == 2 else "The answer is \\boxed{ 43 }."

    with ScriptedServer(script) as server:
        model = load_model("openai:scripted", base_url=server.base_url)
        solution = asyncio.run(solve(QUESTION, model, executor, get_strategy("cot", seed=0), n=4))
    assert sorted(r.body["seed"] for r in server.requests) == [0, 1, 2, 3]
    assert solution.answer == "43"
    assert solution.votes == (("43", 3.0), ("44", 1.0))
    assert solution.best is solution.attempts[0]
    assert solution.to_dict()["trace"] == [s.to_dict() for s in solution.attempts[0].trace]


def test_a_real_attempt_round_trips_through_json(executor):
    with ScriptedServer(tir_script) as server:
        attempt, _ = run(get_strategy("tir"), server, executor)
    again = Attempt.from_json(attempt.to_json())
    assert again == attempt
    assert isinstance(again.trace[-1], MessageStep) and isinstance(again.cells[0], CodeStep)


def test_the_attempt_records_every_message_sent_few_shot_turns_included(executor):
    with ScriptedServer(tir_script) as server:
        attempt, _ = run(get_strategy("tir"), server, executor)
    sent = [m.to_dict() for m in attempt.messages]
    for request in server.requests:  # each request is a prefix of the recorded conversation
        assert sent[: len(request.messages)] == list(request.messages)
    assert sent[-1] == {"role": "assistant", "content": attempt.trace[-1].content}
    examples = load_prompts("tir").examples
    users = [m["content"] for m in sent if m["role"] == "user"]
    assert all(q in users for q, _ in examples) and users.index(QUESTION) > users.index(examples[-1][0])
    assert Attempt.from_json(attempt.to_json()).messages == attempt.messages


def test_num_fewshot_keeps_the_first_examples_and_strategies_without_code_need_no_executor():
    with ScriptedServer(lambda req: "\\boxed{43}") as server:
        attempt, model = run(get_strategy("cot", num_fewshot=1), server, None)
        assert attempt.answer == "43"
        # one example, then the question
        assert [m["role"] for m in server.requests[0].messages].count("user") == 2
        with pytest.raises(InputError, match="needs a code executor"):
            asyncio.run(get_strategy("tir").attempt(QUESTION, model, None))
    with pytest.raises(InputError, match="num_fewshot must be between 0 and 2"):
        get_strategy("cot", num_fewshot=3)
    assert not get_strategy("cot").uses_code and get_strategy("pal").uses_code
