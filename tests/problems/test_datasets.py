from __future__ import annotations

import json
from pathlib import Path

import pytest

from verimath.errors import InputError
from verimath.problems import Problem, load_dataset, write_jsonl

ROWS = [
    {"uid": "a", "problem": "1+1?", "solution": "2", "level": "Level 5", "type": "Algebra"},
    {"uid": "b", "problem": "2+2?", "solution": 4, "level": "Level 2", "type": "Algebra"},
    {"uid": "c", "problem": "3+3?", "solution": 6.0, "level": 5, "type": "Geometry"},
]
MAP = {"question_field": "problem", "answer_field": "solution", "id_field": "uid"}


def write(tmp_path: Path, rows, name="d.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_with_field_mapping(tmp_path):
    problems = list(load_dataset(write(tmp_path, ROWS), **MAP))
    assert [p.id for p in problems] == ["a", "b", "c"]
    assert [p.answer for p in problems] == ["2", "4", "6"]
    assert problems[0].metadata == {"level": "Level 5", "type": "Algebra"}


def test_filters_limit_and_seeded_shuffle(tmp_path):
    path = write(tmp_path, ROWS)
    assert [p.id for p in load_dataset(path, **MAP, filters=["level=5"])] == ["a", "c"]
    assert [p.id for p in load_dataset(path, **MAP, filters={"type": "Algebra"}, limit=1)] == ["a"]
    big = write(tmp_path, [{**ROWS[0], "uid": str(i)} for i in range(50)], "big.jsonl")
    one = [p.id for p in load_dataset(big, **MAP, shuffle=True, seed=4)]
    assert one == [p.id for p in load_dataset(big, **MAP, shuffle=True, seed=4)]
    assert one != [p.id for p in load_dataset(big, **MAP, shuffle=True, seed=5)]
    assert sorted(one, key=int) == [str(i) for i in range(50)]


def test_csv_and_json(tmp_path):
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("uid,problem,solution\nx,What is 2*3?,6\ny,\"Half of 9, as a fraction?\",9/2\n")
    assert [(p.id, p.answer) for p in load_dataset(csv_path, **MAP)] == [("x", "6"), ("y", "9/2")]
    json_path = tmp_path / "d.json"
    json_path.write_text(json.dumps({"data": ROWS}))
    assert len(list(load_dataset(json_path, **MAP))) == 3


def test_malformed_rows_name_file_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(InputError) as info:
        list(load_dataset(path, **MAP))
    assert info.value.file == str(path) and info.value.line == 2
    path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps({"uid": "z", "problem": "q"}) + "\n")
    with pytest.raises(InputError) as info:
        list(load_dataset(path, **MAP))
    assert (info.value.line, info.value.field) == (2, "solution")
    assert "bad.jsonl:2 field 'solution'" in str(info.value)


def test_missing_file_and_bad_filter(tmp_path):
    with pytest.raises(InputError, match="no such dataset"):
        load_dataset(tmp_path / "none.jsonl")
    with pytest.raises(InputError, match="FIELD=VALUE"):
        load_dataset(write(tmp_path, ROWS), filters=["level"])


def test_gsm8k_style_answers_keep_the_solution(tmp_path):
    path = write(tmp_path, [{"question": "q", "answer": "2 + 2 = <<2+2=4>>4\n#### 1,004"}])
    (p,) = load_dataset(path)
    assert p.answer == "1004" and p.id == "0" and p.metadata["solution"].startswith("2 + 2")


def test_round_trip_through_jsonl_keeps_lineage(tmp_path):
    original = Problem(id="v", question="q", answer="3", metadata={"solution": "s"}, parent_id="p",
                       perturbation="distractor", template_id="t")
    path = tmp_path / "out.jsonl"
    write_jsonl([original], path)
    assert list(load_dataset(path)) == [original]


def test_problems_pickle_hash_and_keep_metadata_read_only():
    import pickle

    p = Problem(id="a", question="q", answer="1", metadata={"level": 5}, parent_id="p",
                perturbation="distractor")
    assert pickle.loads(pickle.dumps(p)) == p
    assert len({p, pickle.loads(pickle.dumps(p))}) == 1
    with pytest.raises(TypeError):
        p.metadata["level"] = 6  # type: ignore[index]


def test_parquet(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist([{"uid": "a", "problem": "q", "solution": "1"}]), path)
    assert [p.id for p in load_dataset(path, **MAP)] == ["a"]


def test_shared_math500_level_filter(shared_data):
    problems = list(load_dataset(shared_data / "math500.jsonl", filters=["level=5"], limit=20))
    assert len(problems) == 20 and all(p.metadata["level"] == 5 for p in problems)


def test_an_id_field_given_by_name_must_be_in_every_row(tmp_path):
    path = write(tmp_path, [ROWS[0], {k: v for k, v in ROWS[1].items() if k != "uid"}])
    with pytest.raises(InputError) as info:
        list(load_dataset(path, **{**MAP, "id_field": "uid"}))
    assert (info.value.line, info.value.field) == (2, "uid")
    with pytest.raises(InputError) as info:  # a misspelled id field is refused, not replaced by row numbers
        list(load_dataset(path, **{**MAP, "id_field": "iud"}))
    assert (info.value.line, info.value.field) == (1, "iud")
    rows = [{k: v for k, v in r.items() if k != "uid"} for r in ROWS]  # the default field may be absent
    assert [p.id for p in load_dataset(write(tmp_path, rows), question_field="problem",
                                       answer_field="solution")] == ["0", "1", "2"]
