"""The public API: results, limits, errors, concurrency, back-pressure, recycling, closing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verimath.errors import BudgetExceeded, InputError, SandboxUnavailable
from verimath.sandbox import ExecError, ExecResult, Limits, Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(limits=Limits(timeout_s=5), cells=2) as sb:
        yield sb


def test_stdout_stderr_and_ok(sandbox: Sandbox):
    r = sandbox.run("import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert (r.status, r.stdout, r.stderr, r.error, r.truncated) == ("ok", "out\n", "err\n", None, False)
    assert r.duration_ms > 0


def test_error_carries_type_message_and_a_short_traceback(sandbox: Sandbox):
    r = sandbox.run("def f(x):\n    return 1 / x\n\nf(0)")
    assert r.status == "error" and r.error is not None
    assert (r.error.type, r.error.message) == ("ZeroDivisionError", "division by zero")
    assert "return 1 / x" in r.error.traceback and "zygote" not in r.error.traceback


def test_syntax_error(sandbox: Sandbox):
    r = sandbox.run("def (:")
    assert r.status == "error" and r.error is not None and r.error.type == "SyntaxError"


def test_sys_exit(sandbox: Sandbox):
    assert sandbox.run("import sys; print('a'); sys.exit(0)").status == "ok"
    r = sandbox.run("import sys; sys.exit(3)")
    assert r.status == "error" and r.error is not None and r.error.message == "3"


def test_numpy_and_sympy_are_warm_and_single_threaded(sandbox: Sandbox):
    r = sandbox.run(
        "import numpy as np, sympy as sp, os\n"
        "print(np.linalg.det(np.eye(2)), sp.factor(sp.Symbol('x')**2 - 1), "
        "os.environ['OPENBLAS_NUM_THREADS'])"
    )
    assert r.stdout == "1.0 (x - 1)*(x + 1) 1\n"


def test_a_job_imports_what_the_zygote_did_not(sandbox: Sandbox):
    # The interpreter may live below a directory the job's uid cannot otherwise cross (/root/.pyenv/...).
    r = sandbox.run("import sys\nprint('graphlib' in sys.modules)\nimport graphlib\nprint(graphlib.__name__)")
    assert (r.status, r.stdout) == ("ok", "False\ngraphlib\n")


def test_jobs_may_use_threads_and_draw_fresh_random_numbers(sandbox: Sandbox):
    code = (
        "import random, threading\n"
        "seen = []\n"
        "threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(3)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(sorted(seen), threading.active_count(), random.getrandbits(64))"
    )
    runs = [sandbox.run(code) for _ in range(3)]
    assert all(r.status == "ok" and r.stdout.startswith("[0, 1, 2] 1 ") for r in runs), runs
    assert len({r.stdout for r in runs}) == 3  # random is reseeded in every job, not inherited


def test_per_run_limits_override(sandbox: Sandbox):
    r = sandbox.run("import time; time.sleep(5)", limits=Limits(timeout_s=0.3))
    assert r.status == "timeout"
    assert sandbox.run("print('x' * 100)", limits=Limits(output_bytes=10)).stdout == "x" * 10


def test_unicode_and_binary_output(sandbox: Sandbox):
    r = sandbox.run(
        "import sys\nprint('√2 ≈ 1.414')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\n')"
    )
    assert r.stdout.startswith("√2 ≈ 1.414\n") and "\ufffd" in r.stdout


def test_concurrent_runs_from_threads(sandbox: Sandbox):
    results: list[ExecResult] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        r = sandbox.run(f"print({i} * {i})")
        with lock:
            results.append(r)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(r.stdout) for r in results) == sorted(i * i for i in range(8))


def test_arun_with_asyncio_gather(sandbox: Sandbox):
    async def main() -> list[str]:
        rs = await asyncio.gather(*(sandbox.arun(f"print({i})") for i in range(6)))
        return [r.stdout for r in rs]

    assert asyncio.run(main()) == [f"{i}\n" for i in range(6)]


def test_back_pressure_refuses_beyond_max_waiting():
    with Sandbox(limits=Limits(timeout_s=5), cells=1, max_waiting=0, warm=False) as sb:
        t = threading.Thread(target=sb.run, args=("import time; time.sleep(1.5)",))
        t.start()
        deadline = time.monotonic() + 10
        while sb._idle and time.monotonic() < deadline:  # until the slow run holds the only cell
            time.sleep(0.01)
        with pytest.raises(BudgetExceeded):
            sb.run("print(1)")
        t.join()
        assert sb.run("print(2)").stdout == "2\n"


def test_cells_are_recycled_after_n_runs():
    with Sandbox(cells=1, recycle_after=2, warm=False) as sb:
        cells = set()
        for i in range(5):
            assert sb.run(f"print({i})").stdout == f"{i}\n"
            cells.add(sb._all[0]._proc.pid)
        assert len(cells) >= 2  # the cell was replaced by a fresh one
        assert len(sb._all) == 1


def test_cells_sharing_the_load_are_not_recycled_at_once():
    # With the load spread evenly, cells that all recycled after the same count would restart together and
    # leave no capacity; the first recycling is staggered (1/n, 2/n, ... of recycle_after).
    with Sandbox(cells=2, recycle_after=4, warm=False) as sb:
        first = {cell._proc.pid for cell in sb._all}
        for i in range(4):  # two runs on each cell, one at a time
            assert sb.run(f"print({i})").stdout == f"{i}\n"
        deadline = time.monotonic() + 30

        def pids() -> set[int]:
            return {cell._proc.pid for cell in sb._all}

        while pids() == first and time.monotonic() < deadline:  # the replacement starts in the background
            time.sleep(0.05)
        assert len(sb._all) == 2 and len(first & pids()) == 1  # one recycled, one kept


def test_close_is_idempotent_and_final():
    sb = Sandbox(cells=1, warm=False)
    with sb:
        assert sb.run("print(1)").ok
    sb.close()
    with pytest.raises(SandboxUnavailable):
        sb.run("print(1)")


def test_isolation_is_full_with_bubblewrap(sandbox: Sandbox):
    if sandbox.isolation.backend != "bwrap":
        pytest.skip("bubblewrap is not available here")
    assert sandbox.isolation.full, sandbox.isolation.missing
    assert {"seccomp", "uid", "net-ns", "pid-ns", "fs-readonly"} <= sandbox.isolation.layers
    assert json.loads(json.dumps(sandbox.isolation.to_dict()))["full"] is True


def test_unknown_backend_is_refused():
    with pytest.raises(SandboxUnavailable):
        Sandbox(backend="docker")


@pytest.mark.parametrize("field", ["timeout_s", "memory_mb", "output_bytes"])
@pytest.mark.parametrize("bad", [0, -1, float("nan"), "5"])
def test_limits_reject_bad_values(field: str, bad: object):
    with pytest.raises(InputError) as info:
        Limits(**{field: bad})  # type: ignore[arg-type]
    assert info.value.field == field


_text = st.text(max_size=50)
_errors = st.none() | st.builds(ExecError, type=_text, message=_text, traceback=_text)


@given(
    st.builds(
        ExecResult,
        status=st.sampled_from(["ok", "error", "timeout", "memory", "killed"]),
        stdout=_text,
        stderr=_text,
        error=_errors,
        duration_ms=st.floats(0, 1e6),
        truncated=st.booleans(),
    )
)
def test_exec_result_round_trips_through_json(result: ExecResult):
    assert ExecResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_exec_result_from_dict_rejects_unknown_status():
    with pytest.raises(InputError):
        ExecResult.from_dict({"status": "fine"})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 5000), cap=st.integers(1, 3000))
def test_output_cap_law(sandbox: Sandbox, n: int, cap: int):
    """stdout holds exactly min(n, cap) of the n bytes written, and ``truncated`` says whether any were
    cut."""
    r = sandbox.run(f"import sys; sys.stdout.write('a' * {n})", limits=Limits(output_bytes=cap))
    assert r.status == "ok"
    assert r.stdout == "a" * min(n, cap)
    assert r.truncated == (n > cap)
