from __future__ import annotations

import subprocess
import sys

import verimath


def test_every_public_name_resolves():
    for name in verimath.__all__:
        assert getattr(verimath, name) is not None, name


def test_importing_the_grader_stays_light():
    code = ("import sys, verimath.answers; "
            "print(sorted(m for m in ('numpy', 'sqlite3', 'verimath.sandbox', 'verimath.eval') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
