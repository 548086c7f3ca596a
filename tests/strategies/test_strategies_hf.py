"""Every strategy through the hf backend with a tiny random-weight model: the mechanics of chat templates,
completion prompts and traces hold whatever the model says."""

from __future__ import annotations

import asyncio

import pytest

from verimath.models import load_model
from verimath.strategies import Attempt, MessageStep, get_strategy, strategies


@pytest.fixture(scope="module")
def model(tiny_hf_model):
    m = load_model(f"hf:{tiny_hf_model}", device="cpu")
    yield m
    m.close()


@pytest.mark.parametrize("mode", ["chat", "completion"])
@pytest.mark.parametrize("name", strategies())
def test_every_strategy_completes_an_attempt_with_a_full_trace(model, executor, name, mode):
    strategy = get_strategy(name, mode=mode, max_tokens=12, temperature=1.0, seed=0)
    attempt = asyncio.run(strategy.attempt("What is 6 times 7?", model, executor))
    assert attempt.strategy == name
    assert attempt.model_calls >= 1
    generated = [s for s in attempt.trace if isinstance(s, MessageStep) and s.role == "assistant"]
    assert len(generated) == attempt.model_calls
    assert all(s.usage is not None and 0 < s.usage.completion_tokens <= 12 for s in generated)
    assert attempt.usage.prompt_tokens > 0
    assert attempt.answer is not None or attempt.error is not None
    assert Attempt.from_json(attempt.to_json()) == attempt
