from __future__ import annotations

import subprocess
import sys

from verimath import __version__


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_version_prints_the_package_version():
    out = run_cli("--version")
    assert out.returncode == 0
    assert __version__ in out.stdout


def test_unknown_command_is_a_usage_error_without_traceback():
    out = run_cli("no-such-command")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_a_file_system_failure_is_one_line_naming_the_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = run_cli("tiny-demo", "--out", str(blocker / "runs"))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("error:") and str(blocker) in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
