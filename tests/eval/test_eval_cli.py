"""`verimath eval` end to end against the scripted OpenAI-compatible server on loopback: resume, refusal,
Ctrl-C; errors as their own outcome, input checked before anything is created, sampling that matches the
metric, reproducible traces and their export, solve's controls, runs compared and listed."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

testing = pytest.importorskip("verimath.models.testing", reason="needs verimath.models")
for _needed in ("verimath.strategies", "verimath.problems", "verimath.sandbox"):
    pytest.importorskip(_needed, reason=f"needs {_needed}")


def respond(req):
    match = re.search(r"What is (\d+) \+ 1\?", req.text)
    return f"So the answer is \\boxed{{{int(match.group(1)) + 1 if match else 0}}}."


def dataset(tmp_path, count=6, *, ids=None, name="d.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps({"id": ids[i] if ids else f"q{i}", "question": f"What is {i} + 1?",
                                        "answer": str(i + 1), "level": f"Level {i % 2 + 1}"}) + "\n"
                            for i in range(count)))
    return path


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "verimath", *map(str, args)], capture_output=True, text=True,
                          timeout=240, **kw)


def eval_args(data, server, run, *more, model="openai:scripted", strategy="cot"):
    """The eval command line against ``server`` (a ScriptedServer, or a base URL)."""
    url = server if isinstance(server, str) else server.base_url
    return ("eval", "--dataset", data, "--model", model, "--base-url", url, "--strategy", strategy,
            "--run-dir", run, *more)


def test_eval_runs_resumes_without_new_requests_and_refuses_a_changed_configuration(tmp_path):
    data, run = dataset(tmp_path), tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        url = server.base_url
        first = cli(*eval_args(data, server, run, "-n", "2", "--json"))
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout) == {"run_dir": str(run), "attempts": 12, "correct": 12, "errors": 0}
        requests = len(server.requests)
        again = cli(*eval_args(data, server, run, "-n", "2", "--json"))
        assert again.returncode == 0 and json.loads(again.stdout)["attempts"] == 12
        assert len(server.requests) == requests  # nothing asked twice
        changed = cli(*eval_args(data, server, run, "-n", "2", "--temperature", "0.3"))
        assert changed.returncode == 2 and "different configuration" in changed.stderr
        assert "Traceback" not in changed.stderr
    report = json.loads(cli("report", run, "--json").stdout)
    assert report["accuracy"] == 1.0 and report["samples"] == 12 and set(report["groups"]["level"]) == {
        "Level 1", "Level 2"}
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["identity"]["dataset"]["sha256"] and len(manifest["sessions"]) == 2
    assert manifest["sessions"][0]["config"]["base_url"] == url


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes_the_work(tmp_path):
    data, run = dataset(tmp_path, 8), tmp_path / "run"
    # Slow replies keep the run going for seconds, so the interrupt lands mid-run even on a loaded machine.
    with testing.ScriptedServer(respond, delay_s=0.4) as server:
        proc = subprocess.Popen([sys.executable, "-m", "verimath", *map(str, eval_args(
            data, server, run, "-n", "3", "--concurrency", "2"))], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with sqlite3.connect(f"file:{run / 'run.sqlite'}?mode=ro", uri=True, timeout=5) as db:
                    if db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] >= 3:
                        break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "rerun the same command to resume" in " ".join(err.split()) and "Traceback" not in err
        done = cli(*eval_args(data, server, run, "-n", "3", "--json"))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["attempts"] == 24


def one_line_error(out):
    lines = [line for line in out.stderr.splitlines() if line.strip() and not line.startswith("eval ")]
    assert "Traceback" not in out.stderr
    assert lines and lines[-1].startswith("error:"), out.stderr
    return " ".join(out.stderr.split())


def report(run):
    out = cli("report", run, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# -- errors are their own outcome ----------------------------------------------------------------------------
def test_an_unreachable_server_is_an_error_not_wrong_answers_and_the_next_run_retries(tmp_path):
    data, run = dataset(tmp_path, 5), tmp_path / "run"
    down = cli(*eval_args(data, "http://127.0.0.1:9/v1", run, "--limit", "5"))
    assert down.returncode == 1
    assert "failed after 5 tries" in one_line_error(down) and "stopped" in one_line_error(down)
    before = report(run)
    assert before["errors"] >= 3 and before["samples"] == 0  # nothing counted as a wrong answer
    with testing.ScriptedServer(respond) as server:
        fixed = cli(*eval_args(data, server, run, "--limit", "5", "--json"))
        assert fixed.returncode == 0, fixed.stderr
        assert len(server.requests) == 5  # every problem asked for, the failed ones included
    assert json.loads(fixed.stdout) == {"run_dir": str(run), "attempts": 5, "correct": 5, "errors": 0}
    after = report(run)
    assert (after["errors"], after["samples"], after["headline"]["value"]) == (0, 5, 1.0)


def test_a_misspelled_model_stops_early_and_errors_are_kept_or_retried(tmp_path):
    data, run = dataset(tmp_path, 20), tmp_path / "run"
    state = {"up": False}

    def server_side(req):
        if state["up"]:
            return respond(req)
        return testing.HTTPFailure(404, f"model {req.model!r} does not exist")

    with testing.ScriptedServer(server_side) as server:
        args = eval_args(data, server, run, "--concurrency", "1", model="openai:scripted-typo")
        stopped = cli(*args)
        assert stopped.returncode == 1
        message = one_line_error(stopped)
        assert "HTTP 404 (model not found)" in message and "first 3 attempts" in message
        assert len(server.requests) == 3  # stopped at once, not 20 failures
        data_json = report(run)
        assert data_json["errors"] == 3 and data_json["samples"] == 0
        assert "404" in next(iter(data_json["error_messages"]))
        table = cli("report", run)
        assert table.returncode == 0 and "3 errors" in " ".join(table.stdout.split())
        state["up"] = True
        kept = cli(*args, "--no-retry-errors", "--json")
        assert kept.returncode == 1 and json.loads(kept.stdout)["errors"] == 3  # kept, still reported
        assert len(server.requests) == 3 + 17
        retried = cli(*args, "--json")
        assert retried.returncode == 0 and json.loads(retried.stdout) == {
            "run_dir": str(run), "attempts": 20, "correct": 20, "errors": 0}
        assert len(server.requests) == 3 + 17 + 3
    assert report(run)["errors"] == 0


def test_model_side_failures_stay_wrong_answers(tmp_path):
    data, run = dataset(tmp_path, 4), tmp_path / "run"
    with testing.ScriptedServer(lambda req: "I cannot say.") as server:
        out = cli(*eval_args(data, server, run, "--json"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"run_dir": str(run), "attempts": 4, "correct": 0, "errors": 0}
    assert (report(run)["samples"], report(run)["errors"]) == (4, 0)


# -- input validation up front: exit 2, nothing created ------------------------------------------------------
@pytest.mark.parametrize(("setup", "more", "expected"), [
    ("duplicates", (), "'q1' (2 times)"),
    ("plain", ("--filter", "level=7"), "--filter level=7 matches none of the 6 rows"),
    ("plain", ("--filter", "levle=1"), "no row has a field 'levle'"),
    ("plain", ("--limit", "0"), "--limit 0 selects no problem"),
    ("plain", ("--question-field", "problem"), "field 'problem': missing or empty"),
    ("plain", ("--base-url", "localhost:8000/v1"), "'localhost:8000/v1' must start with http://"),
    ("plain", ("--base-url", ""), "field 'base_url': is empty"),
])
def test_bad_selections_are_refused_before_anything_is_created(tmp_path, setup, more, expected):
    ids = ["q0", "q1", "q2", "q1", "q4", "q5"] if setup == "duplicates" else None
    data, run = dataset(tmp_path, ids=ids), tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        out = cli(*eval_args(data, server, run, *more))
        assert out.returncode == 2
        assert expected in one_line_error(out)
        assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr  # no blank line
        assert not run.exists() and not server.requests
        if setup == "plain":  # the corrected command is not refused afterwards
            fixed = cli(*eval_args(data, server, run, "--json"))
            assert fixed.returncode == 0 and json.loads(fixed.stdout)["attempts"] == 6


# -- sampling matches the metric -----------------------------------------------------------------------------
def test_several_samples_without_a_temperature_sample_at_the_documented_default(tmp_path):
    from verimath.strategies import SAMPLING_TEMPERATURE

    data, run = dataset(tmp_path, 2), tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        out = cli(*eval_args(data, server, run, "-n", "4"))
        assert out.returncode == 0, out.stderr
        assert {r.body["temperature"] for r in server.requests} == {SAMPLING_TEMPERATURE} != {0.0}
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["identity"]["strategy_settings"]["temperature"] == SAMPLING_TEMPERATURE
    assert manifest["sessions"][0]["sampling"] == {"temperature": SAMPLING_TEMPERATURE,
                                                    "chosen_by": "default for n > 1"}


# -- reproducible traces, exported ---------------------------------------------------------------------------
def test_stored_messages_are_exactly_what_was_sent_few_shot_turns_included(tmp_path):
    data, run = dataset(tmp_path, 3), tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        assert cli(*eval_args(data, server, run, "--concurrency", "1")).returncode == 0
        sent = {r.last: list(r.messages) for r in server.requests}
    out = tmp_path / "samples.jsonl"
    exported = cli("export", run, "-o", out)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["problem_id"], r["sample"]) for r in rows] == [("q0", 0), ("q1", 0), ("q2", 0)]
    for row in rows:
        request = sent[row["question"]]
        assert row["messages"][: len(request)] == request  # the request, turn by turn
        assert row["messages"][len(request)]["role"] == "assistant"
        assert len([m for m in request if m["role"] == "user"]) == 3  # two few-shot questions, then this one
        assert row["answer"] == row["gold"] and row["verdict"]["correct"] is True and row["error"] is None
        assert row["timings"]["wall_s"] > 0 and row["timings"]["model_s"] > 0


# -- parity of controls --------------------------------------------------------------------------------------
def test_eval_has_solve_s_controls(tmp_path):
    data = dataset(tmp_path, 2)
    with testing.ScriptedServer(respond) as server:
        out = cli(*eval_args(data, server, tmp_path / "completion", "--mode", "completion",
                             "--num-fewshot", "0", "--api-key-env", "VERIMATH_TEST_KEY",
                             "--max-tokens", "64"),
                  env={**os.environ, "VERIMATH_TEST_KEY": "sk-test"})
        assert out.returncode == 0, out.stderr
        assert {r.kind for r in server.requests} == {"completion"}
        assert all(r.prompt.count("User:") == 1 for r in server.requests)  # no few-shot turns
        assert {r.headers.get("authorization") for r in server.requests} == {"Bearer sk-test"}
    tir = dataset(tmp_path, 1, name="t.jsonl")
    with testing.ScriptedServer(lambda req: "```python\nprint(1)\n```") as server:
        out = cli(*eval_args(tir, server, tmp_path / "tir", "--max-rounds", "2",
                             "--cell-timeout", "3", "--time-limit", "60", strategy="tir"))
        assert out.returncode == 0, out.stderr
        assert len(server.requests) == 2  # two rounds, then the attempt ends without an answer
    identity = json.loads((tmp_path / "tir" / "manifest.json").read_text())["identity"]
    assert identity["cell_timeout_s"] == 3.0 and identity["strategy_settings"]["max_rounds"] == 2


def test_hub_datasets_take_a_split_and_a_subset(tmp_path):
    pytest.importorskip("datasets")
    hub = tmp_path / "hub"
    for subset, sizes in (("small", (2, 3)), ("large", (4, 5))):
        (hub / subset).mkdir(parents=True)
        dataset(hub / subset, sizes[0], name="train.jsonl")
        dataset(hub / subset, sizes[1], name="test.jsonl")
    (hub / "README.md").write_text("---\nconfigs:\n" + "".join(
        f"- config_name: {c}\n  data_files:\n  - split: train\n    path: {c}/train.jsonl\n"
        f"  - split: test\n    path: {c}/test.jsonl\n" for c in ("small", "large")) + "---\n")
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    with testing.ScriptedServer(respond) as server:
        for subset, split, count in (("small", "train", 2), ("small", "test", 3), ("large", "test", 5)):
            out = cli(*eval_args(f"hf:{hub}", server, tmp_path / f"{subset}-{split}",
                                 "--split", split, "--subset", subset, "--json"), env=env)
            assert out.returncode == 0, out.stderr
            assert json.loads(out.stdout)["attempts"] == count
    identity = json.loads((tmp_path / "small-train" / "manifest.json").read_text())["identity"]
    assert (identity["dataset"]["split"], identity["dataset"]["subset"]) == ("train", "small")


# -- compare and list ----------------------------------------------------------------------------------------
def test_report_compares_two_runs_and_runs_lists_them(tmp_path):
    data = dataset(tmp_path, 6)

    def wrong_on_odd(req):
        match = re.search(r"What is (\d+) \+ 1\?", req.last)
        i = int(match.group(1)) if match else 0
        return f"\\boxed{{{i + 1 if i % 2 == 0 else i}}}"

    runs = tmp_path / "runs"
    with testing.ScriptedServer(respond) as server:
        assert cli(*eval_args(data, server, runs / "a", "-n", "2")).returncode == 0
    with testing.ScriptedServer(wrong_on_odd) as server:
        assert cli(*eval_args(data, server, runs / "b", "-n", "2")).returncode == 0
    out = cli("report", runs / "a", runs / "b", "--json")
    assert out.returncode == 0, out.stderr
    c = json.loads(out.stdout)
    assert c["shared"] == 6 and c["metrics"]["pass@1"]["a"] == 1.0 and c["metrics"]["pass@1"]["b"] == 0.5
    assert c["metrics"]["pass@1"]["delta"] == -0.5
    low, high = c["metrics"]["pass@1"]["ci95"]
    assert low <= -0.5 <= high < 0
    assert c["lost"] == ["q1", "q3", "q5"] and c["gained"] == []
    table = cli("report", runs / "a", runs / "b")
    assert table.returncode == 0 and "pass@1" in table.stdout and "lost by B: q1, q3, q5" in table.stdout
    listed = cli("runs", runs, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["path"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == {str(runs / "a"), str(runs / "b")}
    b = rows[str(runs / "b")]
    assert (b["model"], b["strategy"], b["dataset"], b["samples"], b["accuracy"], b["errors"]) == (
        "openai:scripted", "cot", str(data), 12, 0.5, 0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["date"])
    table = cli("runs", runs, env={**os.environ, "COLUMNS": "160"})
    assert table.returncode == 0
    assert re.search(r"\bb\b.*openai:scripted.*cot.*d\.jsonl.*12.*50\.0", table.stdout)


def test_a_server_list_file_reaches_the_executor_as_its_urls(tmp_path):
    """A Ray worker on another node has no @FILE: the recipe it gets carries the URLs the file names."""
    from verimath.eval import EvalConfig, LocalExecutor, evaluate

    class Recording:  # runs here, and keeps the recipe a remote worker would be sent
        def __init__(self):
            self.recipes, self.local = [], LocalExecutor(2)

        def map(self, jobs, work):
            self.recipes.append(work.recipe)
            return self.local.map(jobs, work)

    executor = Recording()
    with testing.ScriptedServer(respond) as a, testing.ScriptedServer(respond) as b:
        urls = [a.base_url, b.base_url]
        listing = tmp_path / "servers.txt"
        listing.write_text(f"# two servers\n{urls[0]}\n\n{urls[1]}\n")
        config = EvalConfig(dataset=str(dataset(tmp_path, 2)), model="openai:scripted", strategy="cot",
                            base_url=f"@{listing}", run_dir=str(tmp_path / "run"))
        final = evaluate(config, executor=executor)
    assert (final.done, final.correct) == (2, 2)
    assert [r.model_options["base_url"] for r in executor.recipes] == [",".join(urls)]


def test_export_refuses_to_write_over_the_runs_own_files(tmp_path):
    data, run = dataset(tmp_path, 2), tmp_path / "run"
    with testing.ScriptedServer(respond) as server:
        assert cli(*eval_args(data, server, run)).returncode == 0
    manifest = (run / "manifest.json").read_text()
    for name in ("run.sqlite", "manifest.json"):
        out = cli("export", run, "-o", tmp_path / "." / "run" / name)
        assert out.returncode == 2 and "is the run's own file" in one_line_error(out)
    assert (run / "manifest.json").read_text() == manifest
    with sqlite3.connect(run / "run.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM attempts").fetchone() == (2,)
    fine = cli("export", run, "-o", run / "samples.jsonl")
    assert fine.returncode == 0 and len((run / "samples.jsonl").read_text().splitlines()) == 2
