from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verimath.batch import grade_jsonl
from verimath.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "verimath" / "data" / "example_outputs.jsonl"


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_embedded_examples_agree_with_their_labels():
    summary = grade_jsonl(EXAMPLES, label_field="is_correct")
    assert summary.rows == summary.labelled == len(EXAMPLES.read_text().splitlines())
    assert summary.agreement == 1.0


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_line_is_written_back_in_order_with_a_verdict_or_an_error(tmp_path, jobs):
    source = write_jsonl(tmp_path / "in.jsonl", [
        json.dumps({"id": 1, "prediction": "so \\boxed{4}", "gold": "4"}),
        "{not json",
        json.dumps({"id": 2, "prediction": "The answer is 5."}),
        json.dumps({"id": 3, "prediction": "The answer is 5.", "gold": 6}),
        json.dumps([1, 2]),
        "",
        json.dumps({"id": 4, "prediction": "#### 1,000", "gold": 1000}),
    ])
    errors = []
    out = tmp_path / "out.jsonl"
    with out.open("w") as handle:
        summary = grade_jsonl(source, handle, jobs=jobs, on_error=errors.append)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(source.read_text().splitlines())
    assert [r.get("id") for r in rows] == [1, None, 2, 3, None, None, 4]
    assert [r["correct"] for r in rows] == [True, None, None, False, None, None, True]
    assert rows[0]["extracted"] == "4" and "error" not in rows[0]
    assert rows[1]["error"] == f"{source}:2: not JSON (Expecting property name enclosed in double quotes)"
    assert rows[2]["error"] == f"{source}:3: field 'gold' is missing"
    assert rows[4] == {"row": [1, 2], "error": f"{source}:5: not a JSON object", "correct": None}
    assert rows[5]["error"] == f"{source}:6: empty line"
    assert (summary.rows, summary.correct, summary.errors) == (3, 2, 4)
    assert [e.line for e in errors] == [2, 3, 5, 6]


def test_extracted_answers_are_graded_whole(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [
        json.dumps({"answer": "2\\frac{1}{2}", "gold": "5/2"}),
        json.dumps({"answer": "\\boxed{3} wait, no: 4", "gold": "3"}),
    ])
    graded = grade_jsonl(source, prediction_field="answer", extracted=True)
    response = grade_jsonl(source, prediction_field="answer")
    assert (graded.correct, response.correct) == (1, 2)  # a column of answers: nothing is searched for a box


@pytest.mark.parametrize(("fields", "named"), [
    ({"prediction_field": "response"}, "'response'"),
    ({"gold_field": "answer"}, "'answer'"),
    ({"label_field": "is_corect"}, "'is_corect'"),
])
def test_a_field_in_no_row_is_an_input_error_before_anything_is_written(tmp_path, fields, named):
    row = {"prediction": "1", "gold": "1", "is_correct": True}
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(row)])
    opened = []
    with pytest.raises(InputError, match=named):
        grade_jsonl(source, lambda: opened.append(1), **fields)  # type: ignore[arg-type,return-value]
    assert opened == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_grade_writes_rows_and_prints_a_json_summary(tmp_path):
    out = tmp_path / "graded.jsonl"
    result = run_cli("grade", str(EXAMPLES), "-o", str(out), "--label-field", "is_correct", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == len(out.read_text().splitlines())
    assert summary["agreement"] == 1.0


def test_cli_grade_extracted_and_a_missing_field(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"answer": "1.5 \\times 10^{3}", "gold": "1500"}),
                                                 json.dumps({"answer": "AZYUK2A", "gold": "2"})])
    out = tmp_path / "graded.jsonl"
    result = run_cli("grade", str(source), "--prediction-field", "answer", "--extracted", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == [True, False]
    out.unlink()
    for flag, name in (("--prediction-field", "response"), ("--label-field", "is_corect")):
        result = run_cli("grade", str(source), "--prediction-field", "answer", flag, name, "-o", str(out))
        assert result.returncode == 2
        assert "\n" not in result.stderr.strip() and name in result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()


def test_cli_grade_missing_file_is_a_one_line_usage_error(tmp_path):
    result = run_cli("grade", str(tmp_path / "absent.jsonl"))
    assert result.returncode == 2
    assert "absent.jsonl" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_grade_refuses_to_write_over_its_input(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"prediction": "\\boxed{2}", "gold": "2"})])
    before = source.read_text()
    for same in (str(source), str(tmp_path / "." / "in.jsonl")):
        result = run_cli("grade", str(source), "-o", same)
        assert result.returncode == 2
        assert result.stderr.strip().startswith("error: field '--output': "), result.stderr
        assert "is the input file" in result.stderr
        assert "\n" not in result.stderr.strip()
    assert source.read_text() == before


def test_cli_grade_into_a_missing_folder_is_refused_before_grading(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"prediction": "\\boxed{2}", "gold": "2"})])
    target = tmp_path / "absent" / "graded.jsonl"
    result = run_cli("grade", str(source), "-o", str(target))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {target}: cannot write: no folder '{target.parent}'"
