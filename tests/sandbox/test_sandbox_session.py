"""Sessions: state persists across cells; a timed-out or crashing cell rolls back to the state before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verimath.sandbox import Limits, Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(limits=Limits(timeout_s=2), cells=1) as sb:
        yield sb


def test_state_persists_across_cells(sandbox: Sandbox):
    with sandbox.session() as s:
        assert s.run("import sympy as sp\nx = sp.symbols('x')\nroots = sp.solve(x**2 - 2, x)").status == "ok"
        r = s.run("print(len(roots), roots[1])")
        assert (r.status, r.stdout) == ("ok", "2 sqrt(2)\n")


def test_bare_last_expression_is_echoed_like_a_repl(sandbox: Sandbox):
    with sandbox.session() as s:
        s.run("n = 6")
        assert s.run("n * 7").stdout == "42\n"
        assert s.run("None").stdout == ""
        assert s.run("print('a')\nn").stdout == "a\n6\n"
        assert s.run("print(_ + 1)").stdout == "7\n"


def test_timed_out_cell_rolls_back_to_the_previous_state(sandbox: Sandbox):
    with sandbox.session() as s:
        s.run("counter = 1\nitems = [1]")
        r = s.run("counter = 99\nitems.append(2)\nwhile True:\n    pass")
        assert r.status == "timeout"
        assert s.run("print(counter, items)").stdout == "1 [1]\n"


def test_crashing_cell_rolls_back_to_the_previous_state(sandbox: Sandbox):
    with sandbox.session() as s:
        s.run("value = 'before'")
        r = s.run("value = 'after'\nimport ctypes\nctypes.string_at(0)")
        assert r.status == "killed"
        assert s.run("print(value)").stdout == "before\n"


def test_memory_blowup_keeps_the_session_usable(sandbox: Sandbox):
    with sandbox.session() as s:
        s.run("kept = 5")
        assert s.run("big = bytearray(64 * 2**30)").status == "memory"
        assert s.run("print(kept)").stdout == "5\n"


def test_an_exception_keeps_what_ran_before_it_like_a_repl(sandbox: Sandbox):
    with sandbox.session() as s:
        r = s.run("partial = 1\n1 / 0")
        assert r.status == "error" and r.error is not None and r.error.type == "ZeroDivisionError"
        assert "1 / 0" in r.error.traceback
        assert s.run("print(partial)").stdout == "1\n"


def test_session_code_cannot_fork_outside_the_checkpoint_gate(sandbox: Sandbox):
    with sandbox.session() as s:
        r = s.run("import os\nos.fork()")
        assert r.status == "error" and r.error is not None and r.error.type == "PermissionError"
        assert s.run("print('still here')").stdout == "still here\n"


def test_sessions_are_isolated_from_each_other_and_from_runs(sandbox: Sandbox):
    with sandbox.session() as a, sandbox.session() as b:
        a.run("secret = 'a'\nopen('note.txt', 'w').write('a')")
        r = b.run("print('secret' in globals())\nimport os\nprint(os.path.exists('note.txt'))")
        assert r.stdout == "False\nFalse\n"
        assert sandbox.run("print('secret' in globals())").stdout == "False\n"
        assert a.run("print(open('note.txt').read())").stdout == "a\n"


def test_a_closed_session_reports_it(sandbox: Sandbox):
    s = sandbox.session()
    s.close()
    r = s.run("print(1)")
    assert r.status == "killed" and r.error is not None


async def _arun_cells(sandbox: Sandbox) -> list[str]:
    with sandbox.session() as s:
        await s.arun("total = 0")
        for i in range(3):
            await s.arun(f"total += {i}")
        return [(await s.arun("total")).stdout]


def test_session_arun(sandbox: Sandbox):
    import asyncio

    assert asyncio.run(_arun_cells(sandbox)) == ["3\n"]


def test_a_sessions_files_are_hidden_from_other_sessions_and_runs(sandbox: Sandbox):
    with sandbox.session() as a, sandbox.session() as b:
        where = a.run("open('secret.txt', 'w').write('s3cr3t')\nimport os\nprint(os.getcwd())").stdout.strip()
        peek = f"print(open({where + '/secret.txt'!r}).read())"
        for r in (b.run(peek), sandbox.run(peek)):
            assert r.status == "error" and r.error is not None and r.error.type == "PermissionError", r
        assert a.run(peek).stdout == "s3cr3t\n"


def test_many_quick_cells_all_land(sandbox: Sandbox):
    """Back-to-back cells: every checkpoint hand-over succeeds (no cell is mistaken for a crash)."""
    with sandbox.session() as s:
        s.run("n = 0")
        statuses = {s.run("n += 1").status for _ in range(60)}
        assert statuses == {"ok"}
        assert s.run("n").stdout == "60\n"
