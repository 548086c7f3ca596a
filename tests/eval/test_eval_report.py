"""Reports over a stored run: metrics, JSON, re-grading, the CLI, the HTML page."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from eval_doubles import evaluate, problems, scripted_answer

from verimath.answers import Verdict
from verimath.eval import RunStore, build_report, regrade, render_html


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True,
                          timeout=120)


def expected_accuracy(count: int) -> float:
    return sum(scripted_answer(p.question) == p.gold for p in problems(count)) / count


def test_report_metrics_match_the_stored_answers(tmp_path):
    evaluate(str(tmp_path), 20, 4)
    report = build_report(tmp_path)
    s = report.summary
    assert (s.problems, s.samples) == (20, 80)
    acc = expected_accuracy(20)
    # Every sample of a problem gives the same answer, so all metrics equal first-sample accuracy.
    assert s.accuracy.value == acc
    assert s.pass_at_k[4].value == acc and s.maj_at_k[2].value == acc
    assert s.accuracy.low <= acc <= s.accuracy.high
    assert set(s.groups["level"]) == {"L0", "L1"}
    assert sum(g.problems for g in s.groups["level"].values()) == 20
    assert s.compute.tokens == 80 * 15


def test_score_field_adds_best_of_k_and_score_weighted_votes(tmp_path):
    evaluate(str(tmp_path), 12, 3)
    plain = build_report(tmp_path).summary
    scored = build_report(tmp_path, score_field="wall_s").summary
    assert not plain.best_of_k and "score" not in plain.weighted_at_k
    acc = expected_accuracy(12)
    assert scored.best_of_k[3].value == acc and scored.weighted_at_k["score"][2].value == acc
    assert scored.to_dict()["best_of_k"]["3"] == round(acc, 6)


def test_regrade_rejudges_and_records_the_grader_version(tmp_path):
    evaluate(str(tmp_path), 10, 2)

    class Lenient:
        version = "lenient-2"

        def __call__(self, answer, gold):
            return Verdict(answer is not None, answer, "any", "", 0.0)

    result = regrade(tmp_path, Lenient())
    answered = sum(scripted_answer(p.question) is not None for p in problems(10)) * 2
    assert result.attempts == 20 and result.grader == "lenient-2"
    assert build_report(tmp_path).summary.accuracy.value == answered / 20
    with RunStore.open(tmp_path) as store:
        assert store.manifest()["regraded"]["grader"] == "lenient-2"
        assert {r.grader for _, rs in store.attempts(with_attempt=False) for r in rs} == {"lenient-2"}


def test_cli_report_json_and_regrade(tmp_path):
    evaluate(str(tmp_path), 6, 2)
    out = run_cli("report", str(tmp_path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"problems", "samples", "accuracy", "pass_at_k", "maj_at_k", "ci95"} <= data.keys()
    assert data["problems"] == 6 and data["samples"] == 12
    table = run_cli("report", str(tmp_path))
    assert table.returncode == 0 and "pass@k" in table.stdout
    regraded = run_cli("regrade", str(tmp_path), "--json")
    assert regraded.returncode == 0, regraded.stderr
    assert json.loads(regraded.stdout)["grader"].startswith("answers-")


def test_cli_report_on_a_missing_run_is_a_one_line_input_error(tmp_path):
    out = run_cli("report", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert "no run here" in " ".join(out.stderr.split()) and "Traceback" not in out.stderr


def test_html_report_is_self_contained_with_figures_and_traces(tmp_path):
    evaluate(str(tmp_path), 8, 3)
    page = render_html(build_report(tmp_path), tmp_path)
    assert page.count('<svg class="figure"') == 2  # accuracy against k (ticks give tokens), pass@1 by level
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "What is 7 mod 3?" in page and 'class="clusters"' in page and 'class="cell code"' in page


def test_real_dataset_real_grader_and_breakdowns_by_its_metadata(tmp_path, shared_data):
    import asyncio

    from eval_doubles import attempt_of

    from verimath.eval import LocalExecutor, StoredProblem, default_grader, run_eval
    from verimath.problems import load_dataset

    rows = list(load_dataset(shared_data / "math500.jsonl", limit=24))
    gold = {p.question: p.answer for p in rows}
    wrong = {p.question for i, p in enumerate(rows) if i % 3 == 0 and p.answer.strip() != "0"}

    class Oracle:
        name = "oracle"

        uses_code = False

        async def attempt(self, question, model, executor=None):
            return attempt_of(question, "0" if question in wrong else gold[question])

    problems_ = [StoredProblem(p.id, i, p.question, p.answer, dict(p.metadata)) for i, p in enumerate(rows)]
    with RunStore.open(tmp_path, {"dataset": "math500[:24]"}, {}) as store:
        asyncio.run(run_eval(store, problems_, n=2, strategy=Oracle(), model=None, code_executor=None,
                             grader=default_grader(), executor=LocalExecutor(4)))
    s = build_report(tmp_path).summary
    assert s.accuracy.value == pytest.approx(1 - len(wrong) / 24)  # every gold answer graded equal to itself
    assert set(s.groups) >= {"level", "type"}
    assert sum(g.problems for g in s.groups["type"].values()) == 24


def test_outcome_reads_lineage_from_stored_metadata():
    from verimath.eval._report import outcome
    from verimath.scaling import Outcome

    assert outcome("q1", {"level": "1"}, 0.5) == Outcome("q1", 0.5)
    assert outcome("a.b#3", {"template_id": "a.b", "variant": "base"}, 1.0) == Outcome(
        "a.b#3", 1.0, template="a.b", instance=3)
    assert outcome("axb#3", {"template_id": "a.b"}, 1.0).instance is None  # the id is matched literally
    assert outcome("m-noop#0", {"template_id": "m-noop", "variant": "noop", "variant_of": "m"},
                   0.0) == Outcome("m-noop#0", 0.0, template="m", kind="noop", instance=0)
    perturbed = {"template_id": "m-noop", "variant": "noop", "variant_of": "m", "parent_id": "m-noop#0",
                 "perturbation": "distractor"}
    assert outcome("m-noop#0/distractor", perturbed, 1.0) == Outcome(
        "m-noop#0/distractor", 1.0, template="m", parent="m-noop#0", kind="distractor")


def test_a_run_compared_with_itself_differs_by_nothing_and_nothing_flips(tmp_path):
    from verimath.eval import compare_runs

    evaluate(str(tmp_path), 12, 3)
    report = build_report(tmp_path)
    same = compare_runs(report, report)
    assert same.shared == 12 and same.gained == same.lost == ()
    assert {d.metric for d in same.differences} >= {"pass@1", "first-sample accuracy", "pass@3", "maj@3"}
    assert all((d.delta, d.low, d.high) == (0.0, 0.0, 0.0) and d.a == d.b for d in same.differences)
    assert report.summary.headline == report.summary.pass_at_k[1]
    assert report.to_dict()["headline"]["metric"] == "pass@1" and report.to_dict()["errors"] == 0
