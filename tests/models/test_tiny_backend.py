"""``builtin:tiny``: the shipped weights load through the Model protocol and solve held-out problems."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from verimath.errors import InputError
from verimath.models import ChatRequest, Message, Model, Sampling, load_model
from verimath.models.tiny import SHIPPED_WEIGHTS, request_mode_and_question
from verimath.strategies import get_strategy, load_prompts
from verimath.tinylab import held_out


@pytest.fixture(scope="module")
def tiny() -> Model:
    return load_model("builtin:tiny")


def chat(strategy: str, question: str) -> ChatRequest:
    prompts = load_prompts(strategy)
    return ChatRequest((Message("system", prompts.fill("system")), Message("user", question)),
                       Sampling(max_tokens=200))


def test_shipped_weights_are_small_and_load(tiny: Model) -> None:
    weights = SHIPPED_WEIGHTS
    assert weights.stat().st_size <= 20 * 2**20
    assert isinstance(tiny, Model)
    assert tiny.net.parameter_count() <= 10_000_000  # type: ignore[attr-defined]
    record = json.loads(weights.with_suffix(".json").read_text())
    assert record["training"]["steps"] > 0


def test_the_mode_comes_from_the_system_prompt() -> None:
    assert request_mode_and_question(chat("pal", " What is 2 + 3? ")) == ("pal", "What is 2 + 3?")
    assert request_mode_and_question(chat("direct", "What is 2 + 3?"))[0] == "direct"
    assert request_mode_and_question(chat("cot", "What is 2 + 3?"))[0] == "direct"


def test_replies_are_what_the_strategies_expect(tiny: Model) -> None:
    question = "Ava buys 4 notebooks at $3 each and a backpack for $25. How much does she spend in total?"
    pal = tiny.generate_sync(chat("pal", question))[0].text
    assert pal.startswith("```python\n") and pal.endswith("\n```") and "print(" in pal
    direct = tiny.generate_sync(chat("direct", question))[0].text
    assert direct.startswith("\\boxed{") and direct.endswith("}")


def test_concurrent_requests_are_batched_with_the_same_answers(tiny: Model) -> None:
    questions = [p.question for p in held_out(8)]
    alone = [tiny.generate_sync(chat("pal", q))[0].text for q in questions]

    async def together() -> list[str]:
        replies = await asyncio.gather(*(tiny.generate(chat("pal", q)) for q in questions))
        return [r[0].text for r in replies]

    assert asyncio.run(together()) == alone


def test_pal_solves_held_out_problems_with_longer_numbers(tmp_path: Path) -> None:
    from verimath.problems import write_jsonl

    problems = held_out(9, seed=424242)
    assert max(p.metadata["operand_digits"] for p in problems) >= 4
    data = tmp_path / "held.jsonl"
    write_jsonl(problems, data)
    out = subprocess.run([sys.executable, "-m", "verimath", "eval", "--dataset", str(data), "--model",
                          "builtin:tiny",
                          "--strategy", "pal", "--run-dir", str(tmp_path / "run"), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    assert counts["attempts"] == 9 and counts["correct"] >= 8


def test_direct_strategy_reads_the_boxed_answer(tiny: Model) -> None:
    from verimath.sandbox import Sandbox

    with Sandbox() as sandbox:
        attempt = asyncio.run(get_strategy("direct").attempt("What is 2 + 3?", tiny, sandbox))
    assert attempt.error is None and attempt.answer is not None


@pytest.mark.parametrize("content", [None, b"not a safetensors file"])
def test_bad_weights_are_a_clear_input_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.safetensors"
    if content is not None:
        path.write_bytes(content)
        path.with_suffix(".json").write_text(SHIPPED_WEIGHTS.with_suffix(".json").read_text())
    with pytest.raises(InputError, match="broken"):
        load_model(f"builtin:{path}")
