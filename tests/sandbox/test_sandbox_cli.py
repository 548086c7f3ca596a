"""``verimath exec``: runs a file or stdin in the sandbox, prints the ExecResult as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verimath", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_exec_stdin_prints_json_when_piped():
    out = run_cli("exec", "-", stdin="import sympy as sp\nprint(sp.solve('x**2 - 4'))")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "ok" and result["stdout"] == "[-2, 2]\n"


def test_exec_file_with_timeout_reports_failure(tmp_path: Path):
    script = tmp_path / "loop.py"
    script.write_text("while True:\n    pass\n")
    out = run_cli("exec", str(script), "--timeout", "0.5", "--json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["status"] == "timeout"


def test_exec_plain_output_with_no_json():
    out = run_cli("exec", "-", "--no-json", stdin="print('hello')\n1/0")
    assert out.returncode == 1
    assert out.stdout == "hello\n"
    assert "ZeroDivisionError" in out.stderr and "Traceback" not in out.stderr


def test_exec_missing_file_is_a_one_line_input_error(tmp_path: Path):
    out = run_cli("exec", str(tmp_path / "nope.py"))
    assert out.returncode == 2
    assert (
        "nope.py" in out.stderr
        and "Traceback" not in out.stderr
        and len(out.stderr.strip().splitlines()) == 1
    )


def test_exec_bad_limit_is_a_usage_error():
    out = run_cli("exec", "-", "--memory", "0", stdin="print(1)")
    assert out.returncode == 2 and "memory_mb" in out.stderr


def test_exec_escapes_control_characters_for_the_terminal():
    """A sandboxed program must not drive the user's terminal (escape sequences, bells, carriage returns)."""
    code = (
        "import sys\nprint('\\x1b]0;owned\\x07\\x1b[2Jred\\r')\n"
        "sys.stderr.write('\\x1b[8m')\nraise ValueError('\\x1b[5m')"
    )
    out = run_cli("exec", "-", "--no-json", stdin=code)
    assert out.returncode == 1
    for stream in (out.stdout, out.stderr):
        assert not any(ord(ch) < 0x20 and ch not in "\n\t" for ch in stream), repr(stream)
    assert "\\x1b]0;owned\\x07\\x1b[2Jred\\r\n" in out.stdout
    assert "\\x1b[8m" in out.stderr and "ValueError: \\x1b[5m" in out.stderr
