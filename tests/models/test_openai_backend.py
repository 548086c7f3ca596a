"""The openai backend against a real HTTP server on loopback (verimath.models.testing.ScriptedServer)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from verimath.errors import ModelError, ModelUnavailable
from verimath.models import ChatRequest, CompletionRequest, Message, Sampling, load_model
from verimath.models.testing import HTTPFailure, ScriptedServer, ServedRequest

HELLO = ChatRequest((Message("system", "Be brief."), Message("user", "Say hello")))


def model_for(server: ScriptedServer, **options):
    return load_model("openai:scripted-model", base_url=server.base_url, backoff_s=0.01, **options)


def test_chat_sends_every_setting_and_returns_n_completions_with_usage():
    with ScriptedServer(lambda req: ["hello there", "hi"]) as server:
        model = model_for(server)
        sampling = Sampling(n=2, temperature=0.7, top_p=0.95, max_tokens=50, stop=("\n\n",), seed=11)
        out = model.generate_sync(ChatRequest(HELLO.messages, sampling))
        model.close()
    assert [c.text for c in out] == ["hello there", "hi"]
    body = server.requests[0].body
    assert body["model"] == "scripted-model"
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Say hello"}]
    assert (body["n"], body["temperature"], body["top_p"], body["max_tokens"], body["stop"],
            body["seed"]) == (
        2, 0.7, 0.95, 50, ["\n\n"], 11)
    # usage over the batch sums to the server's report: prompt once, generated tokens split by sample
    assert [c.usage.prompt_tokens for c in out] == [4, 0]
    assert sum(c.usage.completion_tokens for c in out) == 3
    assert all(c.latency_s > 0 and c.finish_reason == "stop" for c in out)
    assert model.stats.requests == 1 and model.stats.usage.total_tokens == 7


def test_raw_completion_continues_the_prompt_and_honours_stop_and_length():
    with ScriptedServer(lambda req: "x = 1\n```output\nimagined") as server:
        model = model_for(server)
        stopped = model.generate_sync(CompletionRequest("Question: ...\n```python\n",
                                                        Sampling(stop=("```output",))))
        cut = model.generate_sync(CompletionRequest("Question:", Sampling(max_tokens=2)))
    assert server.requests[0].kind == "completion" and server.requests[0].prompt.endswith("```python\n")
    assert stopped[0].text == "x = 1\n" and stopped[0].finish_reason == "stop"
    assert cut[0].finish_reason == "length"


def test_servers_that_return_fewer_choices_than_n_are_asked_again():
    with ScriptedServer(lambda req: ["only one"]) as server:
        out = model_for(server).generate_sync(ChatRequest(HELLO.messages, Sampling(n=3)))
    assert [c.text for c in out] == ["only one"] * 3
    assert [r.body["n"] for r in server.requests] == [3, 2, 1]


def test_rate_limits_and_server_errors_are_retried_with_backoff():
    failures = iter([HTTPFailure(429, retry_after=0.05), HTTPFailure(502), HTTPFailure(503)])
    with ScriptedServer(lambda req: next(failures, "ok")) as server:
        model = model_for(server, max_retries=3)
        start = time.perf_counter()
        out = model.generate_sync(HELLO)
    assert out[0].text == "ok"
    assert len(server.requests) == 4 and model.stats.retries == 3
    assert time.perf_counter() - start >= 0.05  # Retry-After was honoured


def test_persistent_failures_raise_model_unavailable_after_the_retries():
    with ScriptedServer(lambda req: HTTPFailure(503, "overloaded")) as server:
        model = model_for(server, max_retries=2)
        with pytest.raises(ModelUnavailable, match=r"failed after 3 tries.*overloaded"):
            model.generate_sync(HELLO)
    assert len(server.requests) == 3
    assert (model.stats.requests, model.stats.failures) == (1, 1)


@pytest.mark.parametrize(("status", "unavailable"), [(400, False), (413, False), (422, False), (401, True),
                                                     (403, True), (404, True)])
def test_client_errors_are_not_retried_and_only_request_errors_are_model_side(status, unavailable):
    with ScriptedServer(lambda req: HTTPFailure(status, "nope")) as server:
        model = model_for(server, max_retries=3)
        with pytest.raises(ModelError, match=f"HTTP {status}") as raised:
            model.generate_sync(HELLO)
    assert len(server.requests) == 1
    assert isinstance(raised.value, ModelUnavailable) == unavailable
    assert ("model not found" in str(raised.value)) == (status == 404)


def test_timeouts_are_retried_then_raise():
    with ScriptedServer(lambda req: "late", delay_s=0.5) as server:
        model = model_for(server, timeout_s=0.1, max_retries=1)
        with pytest.raises(ModelUnavailable, match="failed after 2 tries"):
            model.generate_sync(HELLO)
    assert model.stats.retries == 1


def test_an_unreachable_server_is_unavailable():
    with ScriptedServer(lambda req: "x") as server:
        url = server.base_url
    model = load_model("openai:m", base_url=url, max_retries=1, backoff_s=0.01)
    with pytest.raises(ModelUnavailable):
        model.generate_sync(HELLO)


def test_concurrency_is_bounded():
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def slow(req: ServedRequest) -> str:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return "done"

    with ScriptedServer(slow) as server:
        model = model_for(server, max_concurrency=2)

        async def many():
            return await asyncio.gather(*(model.generate(HELLO) for _ in range(6)))

        results = asyncio.run(many())
    assert len(results) == 6 and state["peak"] == 2


def test_one_model_serves_several_event_loops():
    with ScriptedServer(lambda req: "again") as server:
        model = model_for(server)
        first = asyncio.run(model.generate(HELLO))
        second = asyncio.run(model.generate(HELLO))
        third = model.generate_sync(HELLO)
    assert [x[0].text for x in (first, second, third)] == ["again"] * 3


def test_generate_sync_refuses_to_run_inside_an_event_loop():
    with ScriptedServer(lambda req: "x") as server:
        model = model_for(server)

        async def inside():
            model.generate_sync(HELLO)

        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(inside())
