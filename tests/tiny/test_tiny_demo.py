"""`verimath tiny-demo` (what `make run` runs) end to end on a small held-out set with the shipped weights."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")


def test_tiny_demo_compares_pal_and_direct_by_operand_length(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "verimath", "tiny-demo", "--out", str(tmp_path), "-n", "12",
                          "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    runs = {r["strategy"]: r for r in result["runs"]}
    assert set(runs) == {"pal", "direct"} and all(r["problems"] == 12 for r in runs.values())
    assert runs["pal"]["accuracy"] >= 0.9 and runs["pal"]["accuracy"] > runs["direct"]["accuracy"]
    assert sum(row["problems"] for row in result["by_operand_digits"]) == 12
    assert [row["widen"] for row in result["by_range_factor"]] == [1, 10, 100]
    for r in runs.values():
        assert "<html" in Path(r["html"]).read_text()[:500].lower()
    assert len((tmp_path / "held_out.jsonl").read_text().splitlines()) == 12
