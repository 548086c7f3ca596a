"""Robustness end to end: `verimath generate` (a base template with its no-op and P1 variants) and
`verimath perturb` (a small GSM8K-style file) make a dataset with lineage; it is evaluated by a scripted
strategy (and, when verimath.models is there, by `verimath eval` against the scripted server) that fails a
chosen set of problems; `verimath report --json` must show the hand-computed robustness numbers."""

from __future__ import annotations

import asyncio
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from eval_doubles import CountingExecutor, attempt_of, exact_grader

import verimath.problems
from verimath.eval import CachingExecutor, LocalExecutor, RunStore, StoredProblem, run_eval
from verimath.problems import load_dataset
from verimath.strategies import Attempt

GSM = [
    ("ann", "Ann has 12 apples and buys 7 more. How many apples does she have now?", "19",
     "12+7=<<12+7=19>>19\n#### 19"),
    ("janet", "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
              "muffins for her friends every day with four. She sells the remainder at the farmers' market "
              "daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' "
              "market?", "18",
     "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18"),
    ("tom", "Tom reads 15 pages a day for 4 days. How many pages does he read?", "60",
     "15*4=<<15*4=60>>60\n#### 60"),
]
WRONG = {"noop#0", "p1#0", "p1#1", "ann/distractor", "janet"}
"""Problems the scripted solver gets wrong (generated ids by their variant and instance)."""


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def make_dataset(tmp_path: Path) -> tuple[Path, str]:
    """Generated instances of one base template with its no-op and P1 variants, then GSM-style originals with
    their numeric_substitution and distractor variants, in one JSONL file; and the base template's id."""
    folder = Path(verimath.problems.__file__).parent / "templates"
    templates = [t for f in sorted(folder.glob("*.json")) for t in json.loads(f.read_text())]
    base = next(t["variant_of"] for t in templates if t.get("variant") == "p1")
    chosen = [t for t in templates if base in (t["id"], t.get("variant_of"))]
    assert {t.get("variant") for t in chosen} >= {"base", "noop", "p1"}
    chosen = [t for t in chosen if t.get("variant") in ("base", "noop", "p1")]
    (tmp_path / "t.json").write_text(json.dumps(chosen))
    res = cli("generate", "--templates", tmp_path / "t.json", "-n", "3", "-o", tmp_path / "gen.jsonl",
              "--json")
    assert res.returncode == 0, res.stderr
    (tmp_path / "gsm.jsonl").write_text("".join(
        json.dumps({"id": i, "question": q, "answer": a, "solution": s}) + "\n" for i, q, a, s in GSM))
    res = cli("perturb", tmp_path / "gsm.jsonl", "--ops", "numeric_substitution,distractor",
              "--include-original",
              "-o", tmp_path / "pert.jsonl", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["made"] == {"numeric_substitution": 3, "distractor": 3}
    data = tmp_path / "data.jsonl"
    data.write_text((tmp_path / "gen.jsonl").read_text() + (tmp_path / "pert.jsonl").read_text())
    return data, base


def answers(data: Path) -> dict[str, tuple[str, bool]]:
    """Question -> (gold, whether the scripted solver gets it right)."""
    out = {}
    for line in data.read_text().splitlines():
        row = json.loads(line)
        name = row["id"]
        if "template_id" in row:
            name = f"{row.get('variant', 'base')}#{row['id'].rsplit('#', 1)[1]}"
        out[row["question"]] = (str(row["answer"]), name not in WRONG)
    return out


def check_report(run: Path, base: str) -> None:
    res = cli("report", run, "--json")
    assert res.returncode == 0, res.stderr
    r = json.loads(res.stdout)["robustness"]

    def near(x: float) -> object:
        return pytest.approx(x, abs=1e-6)  # the JSON holds six decimals

    # originals: 3 base instances, ann and tom (right), janet (wrong) -> 5/6; variants: noop 2/3, p1 1/3,
    # numeric_substitution 3/3, distractor 2/3 -> 8/12.
    assert r["originals"]["value"] == near(5 / 6) and r["variants"]["value"] == near(8 / 12)
    assert r["drop"]["value"] == near(5 / 6 - 8 / 12)
    kinds = r["by_kind"]
    assert set(kinds) == {"noop", "p1", "numeric_substitution", "distractor"}
    assert kinds["noop"]["paired"] is False and kinds["noop"]["reference"]["value"] == 1.0
    assert kinds["noop"]["drop"]["value"] == near(1 / 3) and kinds["p1"]["drop"]["value"] == near(2 / 3)
    assert kinds["numeric_substitution"]["paired"] is True
    assert kinds["numeric_substitution"]["drop"]["value"] == near(-1 / 3)  # janet is wrong, its variant right
    assert kinds["distractor"]["drop"]["value"] == near(0.0)
    assert list(r["templates"]) == [base]
    assert r["templates"][base] == {"problems": 9, "mean": near(6 / 9), "worst_case": 0.0, "std": near(
        math.sqrt(2 / 9)), "min": 0.0, "max": 1.0}
    parents = r["parents"]
    assert {k: (g["problems"], g["worst_case"]) for k, g in parents.items()} == {
        "ann": (3, 0.0), "janet": (3, 0.0), "tom": (3, 1.0)}
    assert r["worst_case"]["parent"]["value"] == near(1 / 3) and r["mean"]["parent"]["value"] == near(7 / 9)
    assert r["worst_case"]["template"]["value"] == 0.0
    assert r["spread"]["original"] == {"sets": 3, "mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0}
    assert r["spread"]["noop"] == {"sets": 3, "mean": near(2 / 3), "std": near(math.sqrt(2 / 9)), "min": 0.0,
                                   "max": 1.0}
    assert r["spread"]["p1"]["mean"] == near(1 / 3)
    table = cli("report", run)
    assert table.returncode == 0 and "robustness" in table.stdout and "numeric_substitution" in table.stdout


class LookupStrategy:
    """Answers from the dataset's own golds, wrong (the gold with a digit appended) where told."""

    name = "lookup"

    def __init__(self, table: dict[str, tuple[str, bool]]) -> None:
        self.table = table

    uses_code = False

    async def attempt(self, question: str, model: object, executor: object = None) -> Attempt:
        gold, right = self.table[question]
        return attempt_of(question, gold if right else gold + "1")


def test_report_shows_robustness_of_generated_and_perturbed_problems(tmp_path):
    data, base = make_dataset(tmp_path)
    problems = [StoredProblem.from_problem(p, i) for i, p in enumerate(load_dataset(str(data)))]
    assert {p.metadata.get("variant") for p in problems} >= {"base", "noop", "p1"}
    run = tmp_path / "run"
    with RunStore.open(run, {"dataset": "robust", "strategy": "lookup"}, {"argv": sys.argv}) as store:
        asyncio.run(run_eval(store, problems, n=2, strategy=LookupStrategy(answers(data)), model=None,
                             code_executor=CachingExecutor(CountingExecutor(), store), grader=exact_grader(),
                             executor=LocalExecutor(4)))
    check_report(run, base)


def test_verimath_eval_over_the_scripted_server_reports_robustness(tmp_path):
    testing = pytest.importorskip("verimath.models.testing", reason="needs verimath.models")
    pytest.importorskip("verimath.strategies", reason="needs verimath.strategies")
    data, base = make_dataset(tmp_path)
    table = answers(data)

    def respond(req):
        question = next(q for q in table if q in req.text)
        gold, right = table[question]
        return f"So the answer is \\boxed{{{gold if right else '-987654'}}}."

    run = tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        res = cli("eval", "--dataset", data, "--model", "openai:scripted", "--base-url", server.base_url,
                  "--strategy", "cot", "--run-dir", run, "-n", "1", "--json")
    assert res.returncode == 0, res.stderr
    check_report(run, base)
    assert re.search(r"robustness", cli("report", run).stdout)
