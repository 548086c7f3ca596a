"""The in-cell modules on their own: bounded parsing (``wire``), directory walks (``tree``), the fork gate's
flag check (``session``), reading a job's result (``job``), and the rule that ``_incell`` imports nothing but
the standard library, ``pyseccomp`` and itself."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verimath.sandbox._incell import job, session, tree, wire

INCELL = Path(job.__file__).resolve().parent
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()


def nested(depth: int) -> st.SearchStrategy[object]:
    if depth == 0:
        return SCALARS
    inner = nested(depth - 1)
    return SCALARS | st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)


@given(nested(4))
def test_loads_reads_back_what_dumps_wrote_within_the_depth(value: object):
    assert wire.loads(json.dumps(value).encode(), max_depth=4) == value


@given(st.integers(5, 3000), st.sampled_from(["[", "{\"k\": "]))
def test_loads_refuses_deeper_nesting_without_recursing(depth: int, opener: str):
    closer = "]" if opener == "[" else "}"
    data = (opener * depth + "1" + closer * depth).encode()
    with pytest.raises(ValueError, match="deeper"):
        wire.loads(data, max_depth=4)


def test_loads_ignores_brackets_inside_strings_and_refuses_oversize():
    data = json.dumps({"s": "[[[[[[[[[[\\\"]]]]", "t": ["{{{{"]}).encode()
    assert wire.loads(data, max_depth=2)["s"].startswith("[[[")
    with pytest.raises(ValueError, match="exceeds"):
        wire.loads(b"[" + b"0," * 1000 + b"0]", max_bytes=100)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'"ok"',
        b'{"status": "ok"}',
        b'{"status": "error", "error": "boom"}',
        b'{"status": "ok", "error": {"type": "a", "message": "b", "traceback": "c"}}',
        b'{"status": "timeout", "error": {"type": "a", "message": "b", "traceback": "c"}}',
        b'{"status": "error", "error": {"type": 1, "message": "b", "traceback": "c"}}',
        b'{"status": "error", "error": null}',
    ],
)
def test_read_result_rejects_anything_but_the_schema(raw: bytes):
    assert job.read_result(raw) is None


def test_read_result_keeps_a_valid_result():
    err = {"type": "ValueError", "message": "m" * 5000, "traceback": "t"}
    got = job.read_result(json.dumps({"status": "error", "error": err}).encode())
    assert got is not None and got["status"] == "error" and len(got["error"]["message"]) == job.MESSAGE_CAP


def test_tree_walks_measure_and_remove_a_deep_unreadable_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    top = tmp_path / "job"
    top.mkdir()
    monkeypatch.chdir(top)  # restored after the test
    try:
        for _ in range(1500):
            os.mkdir("dd")
            os.chdir("dd")
            with open("f", "wb") as f:
                f.write(b"x" * 100)
        os.chmod(".", 0)
    finally:
        os.chdir(tmp_path)
    _, files = tree.usage(str(top), max_files=10**6)
    assert files == 3000
    assert tree.remove(str(top)) and not top.exists()


@pytest.mark.parametrize(
    ("name", "flags", "plain"),
    [
        ("clone", 0x01200011, True),  # glibc fork: CHILD_SETTID | CHILD_CLEARTID | SIGCHLD
        ("fork", 0, True),
        ("clone", 0x10000011, False),  # CLONE_NEWUSER
        ("clone", 0x00000111, False),  # CLONE_VM
        ("clone", 0x01200009, False),  # SIGKILL as the exit signal
        ("vfork", 0, False),
    ],
)
def test_the_gate_admits_only_plain_fork_flags(name: str, flags: int, plain: bool):
    calls = {56: "clone", 57: "fork", 58: "vfork"}
    nr = {v: k for k, v in calls.items()}[name]
    assert session.plain_fork(nr, (flags, 0, 0, 0, 0, 0), calls) is plain


def test_incell_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"pyseccomp"}
    for path in INCELL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            outside = [n for n in names if n.split(".")[0] not in allowed]
            assert not outside, f"{path.name} imports {outside}"
