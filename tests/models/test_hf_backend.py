"""The hf backend with a real tiny transformer built in a fixture (random weights): mechanics, not
accuracy."""

from __future__ import annotations

import asyncio

import pytest

from verimath.errors import ModelError
from verimath.models import ChatRequest, CompletionRequest, Message, Sampling, load_model
from verimath.models._base import render_plain_chat

CHAT = (Message("system", "Be brief."), Message("user", "What is 6 times 7?"))


@pytest.fixture(scope="module")
def model(tiny_hf_model):
    m = load_model(f"hf:{tiny_hf_model}", device="cpu")
    yield m
    m.close()


def test_chat_uses_the_tokenizers_template_and_returns_n_samples(model):
    request = ChatRequest(CHAT, Sampling(n=3, temperature=1.0, max_tokens=8, seed=1))
    assert model.render(request) == "<|system|>Be brief.<|end|><|user|>What is 6 times 7?<|end|><|assistant|>"
    out = model.generate_sync(request)
    assert len(out) == 3
    assert all(c.usage.completion_tokens <= 8 for c in out)
    assert out[0].usage.prompt_tokens == len(model.tokenizer(model.render(request))["input_ids"])
    assert [c.usage.prompt_tokens for c in out[1:]] == [0, 0]
    assert all(c.finish_reason in ("stop", "length") and c.latency_s > 0 for c in out)


def test_greedy_is_deterministic_and_seeds_reproduce_samples(model):
    greedy = ChatRequest(CHAT, Sampling(max_tokens=8))
    assert model.generate_sync(greedy)[0].text == model.generate_sync(greedy)[0].text
    sampled = CompletionRequest("The answer is", Sampling(n=2, temperature=1.0, max_tokens=8, seed=7))
    first, again = model.generate_sync(sampled), model.generate_sync(sampled)
    assert [c.text for c in first] == [c.text for c in again]


def test_max_tokens_bounds_generation(model):
    out = model.generate_sync(CompletionRequest("x = 6 * 7", Sampling(max_tokens=5)))[0]
    assert out.usage.completion_tokens <= 5
    assert out.finish_reason == "length" or out.usage.completion_tokens < 5


def test_stop_strings_end_generation_and_are_cut_from_the_text(model):
    free = model.generate_sync(CompletionRequest("x = 6 * 7", Sampling(max_tokens=24)))[0]
    assert len(free.text) >= 6, "the tiny model should generate some text greedily"
    stop = free.text[3:6]
    stopped = model.generate_sync(CompletionRequest("x = 6 * 7", Sampling(max_tokens=24, stop=(stop,))))[0]
    assert stopped.text == free.text[: free.text.index(stop)]
    assert stopped.finish_reason == "stop"
    assert stopped.usage.completion_tokens <= free.usage.completion_tokens


def test_concurrent_requests_are_batched_with_the_same_results(model):
    prompts = ["What is", "x = 6 * 7\nprint(x)", "Sub-task 1: compute the product of many numbers"]
    requests = [CompletionRequest(p, Sampling(max_tokens=6)) for p in prompts]
    alone = [model.generate_sync(r)[0].text for r in requests]
    before = model.stats.requests

    async def together():
        return await asyncio.gather(*(model.generate(r) for r in requests))

    batched = [out[0].text for out in asyncio.run(together())]
    assert batched == alone
    assert model.stats.requests == before + 3


def test_templates_fall_back_to_plain_role_blocks():
    assert render_plain_chat(CHAT) == "System: Be brief.\n\nUser: What is 6 times 7?\n\nAssistant:"


def test_a_missing_model_folder_is_a_model_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(ModelError, match="cannot load"):
        load_model(f"hf:{tmp_path / 'nothing'}")
