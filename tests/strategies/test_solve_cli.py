"""``verimath solve`` end to end: a subprocess running the CLI against the scripted server and the hf
backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from verimath.models.testing import ScriptedServer
from verimath.strategies import strategies
from verimath.strategies.testing import Tutor

TUTOR = Tutor("6 * 7 + 1")
QUESTION = TUTOR.question


def solve_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", "solve", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "120"}, input=stdin)


@pytest.mark.parametrize("name", strategies())
def test_solve_prints_every_executed_cell_with_its_output_and_the_answer(name):
    with ScriptedServer(TUTOR) as server:
        out = solve_cli(QUESTION, "--model", "openai:tutor", "--base-url", server.base_url, "--strategy",
                        name)
    assert out.returncode == 0, out.stderr
    assert "answer: 43" in out.stdout
    if name not in ("cot", "direct"):  # the strategies without code
        assert "cell" in out.stdout and "output" in out.stdout
    if name == "tir":  # both cells ran, the second reading the first one's state
        assert "x = 6 * 7 + 1" in out.stdout and "print(x)" in out.stdout and "43" in out.stdout


def test_solve_json_has_answer_attempts_and_trace():
    with ScriptedServer(TUTOR) as server:
        out = solve_cli("-", "--model", "openai:tutor", "--base-url", server.base_url, "--strategy",
                        "self_verify", "-n", "2", "--json", stdin=QUESTION)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"] == "43" and len(data["attempts"]) == 2
    assert all(a["verification"] == "true" for a in data["attempts"])
    cells = [s for s in data["trace"] if s["kind"] == "code"]
    assert [c["result"]["stdout"].strip() for c in cells] == ["43", "43", "True"]


def test_solve_through_the_hf_backend(tiny_hf_model):
    out = solve_cli(QUESTION, "--model", f"hf:{tiny_hf_model}", "--strategy", "tir", "--max-tokens", "8",
                    "--json")
    data = json.loads(out.stdout)
    assert out.returncode == (0 if data["answer"] is not None else 1)
    assert data["attempts"][0]["model_calls"] >= 1 and data["trace"]


@pytest.mark.parametrize(("args", "field"), [
    (["", "--model", "openai:x", "--strategy", "cot"], "question"),
    ([QUESTION, "--model", "hf:/x", "--base-url", "http://127.0.0.1:9/v1"], "model"),
    ([QUESTION, "--model", "gpt-4o"], "model"),
    ([QUESTION, "--model", "openai:x", "--strategy", "nope"], "strategy"),
    ([QUESTION, "--model", "openai:x", "--strategy", "cot", "--max-rounds", "3"], "max_rounds"),
])
def test_bad_input_is_a_one_line_error_with_exit_2(args, field):
    out = solve_cli(*args)
    assert out.returncode == 2
    assert f"field '{field}'" in out.stderr and "Traceback" not in out.stderr


def test_an_unreachable_model_is_a_one_line_error_not_an_answerless_solution():
    out = solve_cli(QUESTION, "--model", "openai:x", "--base-url", "http://127.0.0.1:9/v1",
                    "--strategy", "cot")
    assert out.returncode == 1
    assert out.stderr.strip().startswith("error:") and "failed after 5 tries" in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr and "no answer" not in out.stdout


def test_num_fewshot_limits_the_examples_shown():
    with ScriptedServer(TUTOR) as server:
        out = solve_cli(QUESTION, "--model", "openai:tutor", "--base-url", server.base_url,
                        "--strategy", "cot", "--num-fewshot", "0")
        assert out.returncode == 0, out.stderr
        assert [m["role"] for m in server.requests[0].messages] == ["system", "user"]
