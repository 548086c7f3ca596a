"""``verimath.serve`` stays a room on top of the leaves: public API of ``answers`` and ``sandbox`` only, never
``eval``, and fastapi only where the app is built."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import verimath.serve

PACKAGE = Path(verimath.serve.__file__).parent
ALLOWED = {"verimath.answers", "verimath.sandbox", "verimath.errors", "verimath._version"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_serve_imports_only_the_public_api_of_the_leaves():
    for path in PACKAGE.glob("*.py"):
        for name in imported_modules(path):
            if name.startswith("verimath") and not name.startswith("verimath.serve"):
                assert name in ALLOWED, f"{path.name} imports {name}"


def test_the_adapters_and_the_pool_load_without_fastapi_or_eval():
    code = ("import sys, verimath.serve, verimath.serve.verl, verimath.serve.trl, verimath.serve.openrlhf, "
            "verimath.serve.slime; print(sorted(m for m in ('fastapi', 'uvicorn', 'verimath.eval') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
