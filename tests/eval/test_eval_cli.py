"""`verimath eval` end to end: the scripted OpenAI-compatible server on loopback, resume, refusal, Ctrl-C."""

from __future__ import annotations

import json
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


def dataset(tmp_path, count=6):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + 1?", "answer": str(i + 1),
                                        "level": f"Level {i % 2 + 1}"}) + "\n" for i in range(count)))
    return path


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "verimath", *map(str, args)], capture_output=True, text=True,
                          timeout=180, **kw)


def eval_args(data, server, run, *more):
    return ("eval", "--dataset", data, "--model", "openai:scripted", "--base-url", server.base_url,
            "--strategy", "cot", "--run-dir", run, *more)


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
            data, server, run, "-n", "3", "--concurrency", "2"))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
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
