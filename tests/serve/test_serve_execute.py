"""Code execution over real HTTP: SandboxFusion's /run_code schema, verl's own sandbox client unchanged,
test batches with verl's codes, and sessions."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

import httpx
import pytest


@pytest.fixture(scope="module")
def url(server) -> str:
    if httpx.get(f"{server.url}/v1/info").json()["sandbox"] != "ready":
        pytest.skip("the sandbox cannot start on this machine")
    return server.url


def run_code(url: str, **body) -> dict:
    r = httpx.post(f"{url}/run_code", json={"language": "python", **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_program_that_finishes(url):
    out = run_code(url, code="import sympy as sp\nprint(sp.factor('x**2-1'))")
    assert out["status"] == "Success" and out["compile_result"] is None
    run = out["run_result"]
    assert (run["status"], run["return_code"], run["stdout"], run["stderr"]) == (
        "Finished",
        0,
        "(x - 1)*(x + 1)\n",
        "",
    )
    assert 0 < run["execution_time"] < 10


def test_stdin_a_raised_error_and_an_exit_code(url):
    out = run_code(url, code="import sys\nline = sys.stdin.read()\nprint(line[::-1])\n1/0", stdin="abc")
    run = out["run_result"]
    assert out["status"] == "Failed" and run["status"] == "Finished" and run["return_code"] == 1
    assert run["stdout"] == "cba\n"
    assert run["stderr"].startswith("Traceback (most recent call last):\n")
    assert run["stderr"].rstrip().endswith("ZeroDivisionError: division by zero")
    assert "exec(compile" not in run["stderr"]  # the stdin prelude stays invisible
    assert run_code(url, code="import sys; sys.exit(3)")["run_result"]["return_code"] == 3
    assert run_code(url, code="import sys; sys.exit(0)")["status"] == "Success"


def test_a_program_past_its_deadline(url):
    out = run_code(url, code="while True: pass", run_timeout=0.5)
    assert out["status"] == "Failed"
    assert out["run_result"]["status"] == "TimeLimitExceeded" and out["run_result"]["return_code"] is None


def test_files_in_and_fetch_files_out(url):
    data = base64.b64encode(b"3 4\n").decode()
    out = run_code(
        url,
        code="a, b = map(int, open('in.txt').read().split())\nopen('out.txt', 'w').write(str(a * b))",
        files={"in.txt": data},
        fetch_files=["out.txt", "missing.txt"],
    )
    assert out["status"] == "Success" and out["run_result"]["stdout"] == ""
    assert out["files"] == {"out.txt": base64.b64encode(b"12").decode()}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "print(1)", "language": "cpp"}, "language"),
        ({"code": 3}, "code"),
        ({"code": "print(1)", "run_timeout": 0}, "run_timeout"),
        ({"code": "print(1)", "files": {"a": "not base64!"}}, "files.a"),
        ({"code": "print(1)", "files": {"../escape.txt": "MTI="}}, "files"),
        ({"code": "print(1)", "files": {"/etc/x": "MTI="}}, "files"),
        ({"code": "print(1)", "files": {"a/../../b": "MTI="}}, "files"),
        ({"code": "print(1)", "files": {"": "MTI="}}, "files"),
    ],
)
def test_a_malformed_run_is_a_422(url, body, field):
    r = httpx.post(f"{url}/run_code", json=body)
    assert r.status_code == 422 and f"'{field}'" in r.json()["detail"]


def test_a_run_without_code_says_the_field_is_missing(url):
    r = httpx.post(f"{url}/run_code", json={"stdin": "1"})
    assert r.status_code == 422 and r.json()["detail"] == "field 'code': must be a string, got missing"
    r = httpx.post(f"{url}/run_code", json={"code": None})
    assert r.status_code == 422 and r.json()["detail"] == "field 'code': must be a string, got NoneType"


def _verl_sandbox_client():
    """verl's own SandboxFusion client module, loaded from the installed verl without importing verl's
    package (whose __init__ needs ray and a GPU stack)."""
    spec = importlib.util.find_spec("verl")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("verl is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "utils/reward_score/sandbox_fusion/utils.py"
    module_spec = importlib.util.spec_from_file_location("verl_sandbox_fusion_utils", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_verls_sandbox_client_works_unchanged(url):
    verl = _verl_sandbox_client()
    code = "n = int(input())\nif n == 3: 1/0\nif n == 4:\n    while True: pass\nprint(n * n)"
    in_outs = {"inputs": ["2\n", "5\n", "3\n", "4\n"], "outputs": ["4\n", "24\n", "9\n", "16\n"]}
    results, metadata = verl.check_correctness(f"{url}/run_code", in_outs, code, timeout=1)
    assert results == [True, False, -2, -3]
    assert [m["status"] for m in metadata] == ["success", "wrong_answer", "runtime_error", "timeout"]


def test_a_test_batch_gives_verls_codes(url):
    code = "n = int(input())\nif n == 3: 1/0\nif n == 4:\n    while True: pass\nprint(n * n)"
    tests = [
        {"input": "2\n", "output": "4\n"},
        {"input": "5\n", "output": "24"},
        {"input": "3\n", "output": "9"},
        {"input": "4\n", "output": "16"},
    ]
    r = httpx.post(
        f"{url}/v1/execute/batch", json={"code": code, "tests": tests, "run_timeout": 1}, timeout=30
    )
    assert r.status_code == 200
    body = r.json()
    assert body["results"] == [True, False, -2, -3] and (body["passed"], body["total"]) == (1, 4)
    assert body["runs"][0]["run_result"]["stdout"] == "4\n"
    assert httpx.post(f"{url}/v1/execute/batch", json={"code": code, "tests": []}).status_code == 422


def test_a_session_keeps_state_across_runs_until_closed(url):
    session = httpx.post(f"{url}/v1/sessions").json()["session_id"]
    assert run_code(url, code="x = 21", session_id=session)["status"] == "Success"
    r = httpx.post(f"{url}/v1/execute", json={"code": "print(x * 2)", "session_id": session})
    assert r.json()["run_result"]["stdout"] == "42\n"
    assert httpx.delete(f"{url}/v1/sessions/{session}").status_code == 200
    gone = httpx.post(f"{url}/v1/execute", json={"code": "print(x)", "session_id": session})
    assert gone.status_code == 422 and "session" in gone.json()["detail"]
    assert httpx.delete(f"{url}/v1/sessions/{session}").status_code == 404


def test_a_session_takes_its_limits_when_opened(url):
    session = httpx.post(f"{url}/v1/sessions", json={"run_timeout": 0.5}).json()["session_id"]
    try:
        endless = {"code": "while True: pass", "session_id": session}
        slow = httpx.post(f"{url}/v1/execute", json=endless, timeout=30)
        assert slow.json()["run_result"]["status"] == "TimeLimitExceeded"
        kept = httpx.post(f"{url}/v1/execute", json={"code": "print('still here')", "session_id": session})
        assert kept.json()["run_result"]["stdout"] == "still here\n"
    finally:
        httpx.delete(f"{url}/v1/sessions/{session}")
    bad = httpx.post(f"{url}/v1/sessions", json={"run_timeout": -1})
    assert bad.status_code == 422 and "'run_timeout'" in bad.json()["detail"]
