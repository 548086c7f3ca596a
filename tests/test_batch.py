from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verimath.batch import grade_jsonl

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "verimath" / "data" / "example_outputs.jsonl"


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_embedded_examples_agree_with_their_labels():
    summary = grade_jsonl(EXAMPLES, label_field="is_correct")
    assert summary.rows == summary.labelled == len(EXAMPLES.read_text().splitlines())
    assert summary.agreement == 1.0


@pytest.mark.parametrize("jobs", [1, 2])
def test_rows_are_written_in_order_with_verdicts_and_bad_lines_skipped(tmp_path, jobs):
    source = write_jsonl(tmp_path / "in.jsonl", [
        json.dumps({"id": 1, "prediction": "so \\boxed{4}", "gold": "4"}),
        "{not json",
        json.dumps({"id": 2, "prediction": "The answer is 5."}),
        json.dumps({"id": 3, "prediction": "The answer is 5.", "gold": 6}),
        json.dumps([1, 2]),
        json.dumps({"id": 4, "prediction": "#### 1,000", "gold": 1000}),
    ])
    skipped = []
    out = tmp_path / "out.jsonl"
    with out.open("w") as handle:
        summary = grade_jsonl(source, handle, jobs=jobs, on_skip=skipped.append)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 3, 4]
    assert [r["correct"] for r in rows] == [True, False, True]
    assert rows[0]["extracted"] == "4"
    assert all(isinstance(r["reason"], str) for r in rows)
    assert (summary.rows, summary.correct, summary.skipped) == (3, 2, 3)
    assert [s.line for s in skipped] == [2, 3, 5]
    assert "field 'gold' is missing" in skipped[1].reason


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True, timeout=120)


def test_cli_grade_writes_rows_and_prints_a_json_summary(tmp_path):
    out = tmp_path / "graded.jsonl"
    result = run_cli("grade", str(EXAMPLES), "-o", str(out), "--label-field", "is_correct", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == len(out.read_text().splitlines())
    assert summary["agreement"] == 1.0


def test_cli_grade_missing_file_is_a_one_line_usage_error(tmp_path):
    result = run_cli("grade", str(tmp_path / "absent.jsonl"))
    assert result.returncode == 2
    assert "absent.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
