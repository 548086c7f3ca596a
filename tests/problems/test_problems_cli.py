from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_generate_is_reproducible_and_writes_the_documented_rows(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out, hash_seed in ((a, "1"), (b, "2")):  # no dependence on string hashing either
        res = run_cli("generate", "--templates", "builtin", "--per-template", "2", "--seed", "5", "-o",
                      str(out), "--json", hash_seed=hash_seed)
        assert res.returncode == 0, res.stderr
    assert a.read_bytes() == b.read_bytes()
    rows = [json.loads(line) for line in a.read_text().splitlines()]
    assert {"id", "template_id", "question", "answer", "solution", "variables"} <= set(rows[0])
    summary = json.loads(res.stdout)
    assert summary["instances"] == len(rows) and summary["failed"] == []


def test_generate_widen_makes_longer_numbers(tmp_path):
    plain, wide = tmp_path / "p.jsonl", tmp_path / "w.jsonl"
    for out, factor in ((plain, "1"), (wide, "100")):
        res = run_cli("generate", "--templates", "builtin", "--per-template", "1", "--seed", "5",
                      "--widen", factor, "--max-tries", "20000", "-o", str(out), "--json")
        assert res.returncode == 0, res.stderr

    def longest(path):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return max(len(n) for r in rows for n in re.findall(r"\d+", r["question"]))

    assert longest(wide) >= longest(plain) + 2


def test_generate_reports_a_bad_template_folder(tmp_path):
    res = run_cli("generate", "--templates", str(tmp_path / "missing"), "-o", str(tmp_path / "o.jsonl"))
    assert res.returncode == 2 and "Traceback" not in res.stderr and "missing" in res.stderr


def test_perturb_writes_variants_with_lineage(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "q1", "question": "Ann has 12 apples and buys 7 more. How many now?",
                                "answer": "19", "solution": "12+7=<<12+7=19>>19\n#### 19"}) + "\n")
    out = tmp_path / "v.jsonl"
    res = run_cli("perturb", str(data), "--ops", "numeric_substitution,distractor", "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["perturbation"] for r in rows} == {"numeric_substitution", "distractor"}
    assert all(r["parent_id"] == "q1" for r in rows)
    assert json.loads(res.stdout)["made"] == {"numeric_substitution": 1, "distractor": 1}


def test_perturb_bad_input_is_one_line_exit_2(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": 1, "question": "q"}\n')
    res = run_cli("perturb", str(data), "-o", str(tmp_path / "o.jsonl"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{Path(data)}:1 field 'answer'" in res.stderr.replace("\n", "")
