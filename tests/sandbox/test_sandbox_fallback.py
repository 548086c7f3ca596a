"""Without bubblewrap the sandbox still enforces deadlines, output caps, memory limits and the environment
whitelist, and ``isolation`` says exactly which layers are active (with a one-line warning)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import SECRET, Contained

from verimath.sandbox import FULL_LAYERS


@pytest.fixture(scope="module", params=["unshare", "none"])
def fallback(request: pytest.FixtureRequest) -> Iterator[Contained]:
    c = Contained(request.param)
    yield c
    c.close()


def test_isolation_tells_the_truth(fallback: Contained):
    iso = fallback.hello["isolation"]
    assert iso["full"] is False
    assert "fs-readonly" not in iso["layers"] and "bwrap" not in iso["layers"]
    if iso["backend"] == "none":
        assert not {"net-ns", "pid-ns"} & set(iso["layers"])
    else:
        assert {"net-ns", "pid-ns", "ipc-ns", "uts-ns"} <= set(iso["layers"])
    assert len(fallback.hello["warnings"]) == 1 and "WEAKER than full" in fallback.hello["warnings"][0]
    assert "fs-readonly" in fallback.hello["warnings"][0]
    extras = {"tmpfs-limited", "caps-dropped", "bwrap", "memory-cgroup"}
    assert set(iso["layers"]) - {"landlock"} <= FULL_LAYERS | extras


def test_deadline(fallback: Contained):
    result, after = fallback.run("while True:\n    pass", timeout_s=1)
    assert result.status == "timeout" and result.duration_ms < 3000
    assert after.stdout == "alive\n"


def test_sleeping_past_the_deadline(fallback: Contained):
    result, _ = fallback.run("import time; time.sleep(30)", timeout_s=1)
    assert result.status == "timeout"


def test_output_cap(fallback: Contained):
    result, _ = fallback.run("print('x' * 10**6)", output_bytes=1000)
    assert result.truncated and result.stdout == "x" * 1000


def test_memory_limit(fallback: Contained):
    result, after = fallback.run(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 2**20))", memory_mb=256, timeout_s=5
    )
    assert result.status == "memory"
    assert after.stdout == "alive\n"


def test_environment_whitelist(fallback: Contained):
    result, _ = fallback.run("import os; print(sorted(os.environ.items()))")
    assert result.status == "ok"
    assert SECRET not in result.stdout and "AWS_SECRET_ACCESS_KEY" not in result.stdout


def test_no_fork_and_no_network_even_without_namespaces(fallback: Contained):
    fork, _ = fallback.run("import os; os.fork()")
    assert fork.status == "error"
    net, _ = fallback.run("import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)")
    assert net.status == "error"
