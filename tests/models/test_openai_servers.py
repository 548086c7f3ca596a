"""Several OpenAI-compatible servers behind one ``openai:`` model: real loopback servers, one of them dead.
Requests spread by least outstanding requests; a dead or failing server costs retries, not the run."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.errors import InputError, ModelUnavailable
from verimath.models import ChatRequest, Message, load_model
from verimath.models._servers import ServerPool, server_urls
from verimath.models.testing import HTTPFailure, ScriptedServer

HELLO = ChatRequest((Message("user", "Say hello"),))


def dead_url() -> str:
    with socket.socket() as s:  # a port that was free: nothing listens there once closed
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


async def ask(model, count: int) -> list[str]:
    replies = await asyncio.gather(*(model.generate(HELLO) for _ in range(count)))
    await model.aclose()
    return [r[0].text for r in replies]


def test_requests_spread_over_live_servers_and_a_dead_one_costs_only_retries() -> None:
    dead = dead_url()
    with ScriptedServer(lambda r: "a", delay_s=0.02) as a, ScriptedServer(lambda r: "b", delay_s=0.02) as b, \
            ScriptedServer(lambda r: "c", delay_s=0.02) as c:
        model = load_model("openai:m", base_url=f"{a.base_url},{dead},{b.base_url},{c.base_url}",
                           max_retries=2, backoff_s=0.01, max_concurrency=8)
        texts = asyncio.run(ask(model, 90))
    assert len(texts) == 90 and model.stats.failures == 0
    served = [len(a.requests), len(b.requests), len(c.requests)]
    assert sum(served) == 90 and min(served) >= 15, served  # every live server took a share
    dead_state = next(s for s in model.servers.servers if s.url == dead)
    assert model.stats.retries == dead_state.requests >= 1  # each request the dead one got cost one retry
    assert dead_state.requests <= 8  # it rested after failing: asked at most once per request in flight


def test_the_least_loaded_server_gets_more_work() -> None:
    with ScriptedServer(lambda r: "slow", delay_s=0.3) as slow, ScriptedServer(lambda r: "fast") as fast:
        model = load_model("openai:m", base_url=f"{slow.base_url},{fast.base_url}", max_concurrency=4)
        texts = asyncio.run(ask(model, 40))
    assert texts.count("fast") > 3 * texts.count("slow"), (texts.count("fast"), texts.count("slow"))


def test_a_failing_server_rests_and_the_retry_goes_elsewhere_at_once() -> None:
    with ScriptedServer(lambda r: HTTPFailure(503)) as sick, ScriptedServer(lambda r: "ok") as well:
        model = load_model("openai:m", base_url=f"{sick.base_url},{well.base_url}", max_retries=1,
                           backoff_s=5.0)
        start = time.perf_counter()
        texts = asyncio.run(ask(model, 6))
    assert texts == ["ok"] * 6
    assert time.perf_counter() - start < 2.0  # no 5 s backoff: the retry went straight to the other server
    assert len(sick.requests) <= 3  # its half of the first six, sent before its first 503 came back


def test_every_server_dead_is_unavailable() -> None:
    model = load_model("openai:m", base_url=f"{dead_url()},{dead_url()}", max_retries=3, backoff_s=0.01)
    with pytest.raises(ModelUnavailable, match="failed after 4 tries"):
        model.generate_sync(HELLO)


def test_a_server_list_file(tmp_path: Path) -> None:
    with ScriptedServer(lambda r: "a") as a, ScriptedServer(lambda r: "b") as b:
        listing = tmp_path / "servers.txt"
        listing.write_text(f"# one vLLM per GPU\n{a.base_url}\n\n{b.base_url}  # the second\n")
        model = load_model("openai:m", base_url=f"@{listing}")
        texts = asyncio.run(ask(model, 10))
    assert sorted(set(texts)) == ["a", "b"]


def test_bad_server_lists_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must start with http"):
        server_urls("http://127.0.0.1:1/v1,localhost:8000")
    with pytest.raises(InputError, match="names no server URL"):
        server_urls(" , ")
    with pytest.raises(InputError, match=r"missing\.txt.*cannot read the server list"):
        server_urls(f"@{tmp_path / 'missing.txt'}")


def test_a_bad_line_of_a_server_list_file_is_named_and_a_bare_at_sign_is_refused(tmp_path: Path) -> None:
    servers = tmp_path / "servers.txt"
    servers.write_text("# gpu nodes\nhttp://gpu1:8000/v1\n\ngpu2:8000/v1  # no scheme\n")
    with pytest.raises(InputError) as refused:
        server_urls(f"@{servers}")
    assert str(refused.value) == (f"{servers}:4 field 'base_url': server URL 'gpu2:8000/v1' must start with "
                                  f"http:// or https://")
    for empty in ("", "  "):
        with pytest.raises(InputError, match=r"^field 'base_url': is empty"):
            load_model("openai:m", base_url=empty)
    for bare in ("@", "@  "):
        with pytest.raises(InputError, match=r"^field 'base_url': @ needs a file name"):
            server_urls(bare)


@given(st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=8))
def test_pick_takes_a_least_loaded_server_among_those_not_resting(states: list[tuple[int, bool]]) -> None:
    pool = ServerPool([f"http://s{i}" for i in range(len(states))])
    for server, (outstanding, resting) in zip(pool.servers, states, strict=True):
        server.outstanding = outstanding
        server.rest_until = time.monotonic() + 60 if resting else 0.0
    chosen = pool.pick()
    ready = [s for s in pool.servers if s.rest_until == 0.0]
    if ready:
        assert chosen in ready and chosen.outstanding == min(s.outstanding for s in ready)
    else:
        assert chosen.rest_until == min(s.rest_until for s in pool.servers)
