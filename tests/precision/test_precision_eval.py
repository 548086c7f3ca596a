"""``verimath precision eval`` end to end: real tiny models, real ``verimath eval`` runs, real grading."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")

from verimath.eval import RunStore, list_runs  # noqa: E402
from verimath.precision import EvalPlan, parse_arms, parse_scopes, precision_eval  # noqa: E402
from verimath.problems import Problem, write_jsonl  # noqa: E402
from verimath.tinylab import held_out  # noqa: E402


def _correct(run_dir):
    with RunStore.open(run_dir) as store:
        return {p.id: records[0].correct for p, records in store.attempts(with_attempt=False)}


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("precision-eval")
    write_jsonl(held_out(4), out / "held.jsonl")
    plan = EvalPlan("builtin:tiny", "direct", parse_arms("fp32,lmul3,layercast"), parse_scopes("attention"),
                    str(out / "held.jsonl"), out, probe=2)
    return plan, precision_eval(plan)


def test_each_arm_is_a_verimath_eval_run_of_its_own(tiny_result):
    plan, result = tiny_result
    assert [r.label for r in result.runs] == ["fp32", "layercast", "lmul3@attention"]
    models = {info.path.name: info.model for info in list_runs(plan.out / "direct")}
    assert models == {"fp32": "builtin:tiny", "layercast": "precision:layercast:builtin:tiny",
                      "lmul3@attention": "precision:lmul3@attention:builtin:tiny"}
    reference = _correct(result.runs[0].run_dir)
    for run in result.runs:
        assert run.problems == 4 and run.errors == 0
        mine = _correct(run.run_dir)
        assert run.accuracy == sum(mine.values()) / 4
        assert set(run.gained) == {p for p in mine if mine[p] and not reference[p]}
        assert set(run.lost) == {p for p in mine if reference[p] and not mine[p]}
        assert run.delta == pytest.approx(run.accuracy - result.runs[0].accuracy)


def test_a_rerun_resumes_without_new_attempts(tiny_result):
    plan, result = tiny_result
    before = {r.label: r.run_dir.joinpath("manifest.json").read_text() for r in result.runs}
    again = precision_eval(dataclasses.replace(plan, probe=0))
    assert [(r.label, r.accuracy) for r in again.runs] == [(r.label, r.accuracy) for r in result.runs]
    for r in again.runs:
        sessions = json.loads(r.run_dir.joinpath("manifest.json").read_text())["sessions"]
        assert len(sessions) == len(json.loads(before[r.label])["sessions"]) + 1
        with RunStore.open(r.run_dir) as store:
            assert store.counts().attempts == 4


def test_per_layer_rows_cover_each_layer_and_all(tiny_result):
    _, result = tiny_result
    labels = [row.label for row in result.layers]
    assert labels == ["layercast · all layers", *(f"lmul3@attention · layer {i}" for i in range(4)),
                      "lmul3@attention · all layers"]
    for row in result.layers:
        assert row.positions > 2 and row.kl >= 0 and 0 <= row.top1 <= 1
    lmul = {row.layer: row for row in result.layers if row.arm == "lmul3"}
    assert lmul[None].kl > 0
    layercast = result.layers[0]
    assert layercast.kl < lmul[None].kl  # bf16 weights move the distribution less than L-Mul attention


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "verimath", "precision", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_the_command_on_a_tiny_hugging_face_llama(tiny_llama_model, tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl([Problem(f"p{i}", f"What is {i} + {i}?", str(2 * i)) for i in range(2)], data)
    done = _cli("eval", "--model", f"hf:{tiny_llama_model}", "--strategy", "direct", "--arms", "fp32,lmul3",
                "--scope", "attention,all", "--dataset", str(data), "--max-tokens", "4", "--probe", "2",
                "--out", str(tmp_path / "out"), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(a["arm"], a["scope"], a["problems"]) for a in report["arms"]] == [
        ("fp32", "model", 2), ("lmul3", "attention", 2), ("lmul3", "all", 2)]
    rows = report["per_layer"]["rows"]
    assert [(r["scope"], r["layer"]) for r in rows] == [
        ("attention", 0), ("attention", 1), ("attention", "all"), ("all", 0), ("all", 1), ("all", "all")]
    assert all(r["positions"] == report["per_layer"]["problems"] * 5 for r in rows)  # 4 tokens + the end
    page = (tmp_path / "out" / "direct" / "precision.html").read_text()
    assert page.count('<svg class="figure"') == 3 and "lmul3@all · layer 1" in page


@pytest.mark.parametrize(("args", "message"), [
    (["--arms", "fp32,lmul3x"], "field 'arms': unknown arm 'lmul3x'"),
    (["--scope", "attention,attn"], "field 'scope': unknown scope 'attn'"),
    (["--model", "openai:gpt-4o"], "needs a local torch model"),
])
def test_bad_names_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, message):
    from verimath.cli import main

    model = [] if "--model" in args else ["--model", "builtin:tiny"]
    monkeypatch.setattr(sys, "argv", ["verimath", "precision", "eval", *model, *args,
                                      "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
