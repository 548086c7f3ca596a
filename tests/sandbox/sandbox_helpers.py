"""Helpers for the sandbox tests: a sandbox server inside containment of the tests' own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from verimath.sandbox import ExecResult

HERE = Path(__file__).resolve().parent
SECRET = "verimath-test-secret-8c1f0e"


class Contained:
    """A sandbox running in a PID namespace (and cgroups where possible) owned by the test: ``script``
    (in this folder) runs there and speaks JSON lines; its first line is :attr:`hello`."""

    def __init__(self, backend: str, script: str = "_contained.py", *args: str) -> None:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            pytest.skip("destructive sandbox tests need a PID namespace of their own (root + unshare)")
        env = {**os.environ, "VERIMATH_TEST_SECRET": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET}
        self.proc = subprocess.Popen(
            [
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc",
                sys.executable,
                str(HERE / script),
                backend,
                *args,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"contained sandbox ({backend}) did not start: exit {self.proc.wait()}")
        self.hello: dict[str, Any] = json.loads(line)

    def run(self, code: str, **limits: Any) -> tuple[ExecResult, ExecResult]:
        """Run ``code`` (limits default to a 5 s timeout) and then a plain run; return both results."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"code": code, "limits": {"timeout_s": 5, **limits}}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the contained sandbox server died"
        reply = json.loads(line)
        return ExecResult.from_dict(reply["result"]), ExecResult.from_dict(reply["after"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
