"""Model specs, the backend registry, and the request/usage values."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.errors import InputError, MissingExtra, ModelError
from verimath.models import (
    Backend,
    BatchingBackend,
    ChatRequest,
    Completion,
    CompletionRequest,
    Message,
    Model,
    Request,
    Sampling,
    Usage,
    backends,
    load_model,
    register_backend,
)
from verimath.models._base import cut_at_stop, split_evenly


class Echo(Backend):
    """A backend registered under a new prefix, as ``builtin:tiny`` will be."""

    def __init__(self, name: str, *, suffix: str = "!") -> None:
        super().__init__(f"echo:{name}")
        self.suffix = suffix

    async def _generate(self, request: Request) -> list[Completion]:
        text = request.prompt if isinstance(request, CompletionRequest) else request.messages[-1].content
        return [Completion(text + self.suffix, "stop", Usage(1, 1))] * request.sampling.n


def test_a_registered_prefix_loads_through_load_model():
    register_backend("echo", Echo, replace=True)
    model = load_model("echo:any", suffix="?")
    assert isinstance(model, Model) and "echo" in backends()
    out = model.generate_sync(ChatRequest((Message("user", "hi"),), Sampling(n=2)))
    assert [c.text for c in out] == ["hi?", "hi?"]
    assert model.stats.usage == Usage(2, 2)
    with pytest.raises(ValueError, match="already registered"):
        register_backend("echo", Echo)


@pytest.mark.parametrize("spec", ["gpt-4o", "nosuch:model", "openai:", ":x"])
def test_bad_specs_are_input_errors_naming_the_field(spec):
    with pytest.raises(InputError, match="field 'model'"):
        load_model(spec)


def test_unknown_backend_options_are_input_errors():
    with pytest.raises(InputError, match="OpenAIModel"):
        load_model("openai:m", no_such_option=1)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_a_missing_optional_backend_says_how_to_install_it():
    with pytest.raises(MissingExtra, match=r"pip install 'verimath\[vllm\]'"):
        load_model("vllm:/nonexistent")


@pytest.mark.parametrize(("field", "kwargs"), [
    ("n", {"n": 0}), ("temperature", {"temperature": -1}), ("top_p", {"top_p": 0}),
    ("max_tokens", {"max_tokens": 0}),
])
def test_sampling_rejects_out_of_range_settings(field, kwargs):
    with pytest.raises(InputError, match=field):
        Sampling(**kwargs)


def test_requests_need_content():
    with pytest.raises(InputError, match="messages"):
        ChatRequest(())
    with pytest.raises(InputError, match="prompt"):
        CompletionRequest("")
    assert Sampling(stop="x").stop == ("x",)


usages = st.builds(Usage, st.integers(0, 10**6), st.integers(0, 10**6))


@given(usages, usages, usages)
def test_usage_addition_is_associative_with_zero(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + Usage() == a
    assert (a + b).total_tokens == a.total_tokens + b.total_tokens
    assert Usage.from_dict(a.to_dict()) == a


@given(st.integers(0, 10**6), st.integers(1, 64))
def test_split_evenly_sums_and_balances(total, parts):
    split = split_evenly(total, parts)
    assert sum(split) == total and len(split) == parts and max(split) - min(split) <= 1


@given(st.text(), st.lists(st.text(min_size=1), max_size=3))
def test_cut_at_stop_removes_every_stop_string(text, stops):
    cut, found = cut_at_stop(text, tuple(stops))
    assert text.startswith(cut)
    assert found == any(s in text for s in stops)
    assert not any(s in cut for s in stops)


class Recorder(BatchingBackend):
    """A local "engine" that records the batches it is given (the subject is BatchingBackend's queueing)."""

    def __init__(self) -> None:
        super().__init__("recorder:x", max_batch=4)
        self.batches: list[tuple[list[str], Sampling]] = []

    def render(self, request: Request) -> str:
        return request.prompt if isinstance(request, CompletionRequest) else request.messages[-1].content

    def _run_batch(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        self.batches.append((prompts, sampling))
        if "boom" in prompts:
            raise RuntimeError("engine fell over")
        return [[Completion(f"{p}/{i}", "stop") for i in range(sampling.n)] for p in prompts]


def test_waiting_requests_with_equal_sampling_are_batched():
    engine = Recorder()
    a, b = Sampling(), Sampling(n=2, temperature=1.0)
    requests = [CompletionRequest(f"p{i}", a if i % 3 else b) for i in range(7)]

    async def together():
        return await asyncio.gather(*(engine.generate(r) for r in requests))

    out = asyncio.run(together())
    assert [[c.text for c in o] for o in out][:2] == [["p0/0", "p0/1"], ["p1/0"]]
    assert [(len(p), s) for p, s in engine.batches] == [(3, b), (4, a)]


def test_an_engine_failure_fails_only_its_batch():
    engine = Recorder()

    async def together():
        return await asyncio.gather(engine.generate(CompletionRequest("boom")),
                                    engine.generate(CompletionRequest("fine", Sampling(n=2))),
                                    return_exceptions=True)

    failed, fine = asyncio.run(together())
    assert isinstance(failed, ModelError) and "engine fell over" in str(failed)
    assert [c.text for c in fine] == ["fine/0", "fine/1"]
