"""Run store and runner: resume after SIGKILL, refusal of a changed configuration, the execution cache."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eval_doubles import CountingExecutor, ScriptedStrategy, evaluate, problems, scripted_answer
from hypothesis import given
from hypothesis import strategies as st

from verimath.answers import Verdict
from verimath.errors import InputError
from verimath.eval import CachingExecutor, RunStore

HERE = Path(__file__).parent


def rows(run_dir: Path) -> list[tuple]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return db.execute("SELECT problem_id, sample, answer, correct FROM attempts "
                          "ORDER BY problem_id, sample").fetchall()


def stored(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "run.sqlite", timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_resume_after_sigkill_loses_and_repeats_nothing(tmp_path):
    count, n = 30, 4
    reference = tmp_path / "reference"
    evaluate(str(reference), count, n)
    expected = rows(reference)
    assert len(expected) == count * n

    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(HERE / "eval_doubles.py"), str(run), str(count), str(n),
                             "0.05"])
    deadline = time.monotonic() + 60
    while stored(run) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    at_kill = stored(run)
    assert 0 < at_kill < count * n, "the run should have been killed part-way"

    strategy = evaluate(str(run), count, n)
    assert strategy.calls == count * n - at_kill  # finished attempts are never requested again
    assert rows(run) == expected  # none lost, none counted twice, same results


def test_rerun_of_a_finished_run_requests_nothing(tmp_path):
    evaluate(str(tmp_path), 5, 2)
    assert evaluate(str(tmp_path), 5, 2).calls == 0
    assert evaluate(str(tmp_path), 5, 3).calls == 5  # a larger n extends the run


def test_changed_configuration_is_refused_with_the_fields_named(tmp_path):
    RunStore.open(tmp_path, {"model": "openai:a", "strategy": "tir"}, {}).close()
    with pytest.raises(InputError, match=r"model: 'openai:a' -> 'openai:b'"):
        RunStore.open(tmp_path, {"model": "openai:b", "strategy": "tir"}, {})
    with RunStore.open(tmp_path, {"model": "openai:a", "strategy": "tir"}, {"argv": ["again"]}) as store:
        assert [s.get("argv") for s in store.manifest()["sessions"]] == [None, ["again"]]
    assert (tmp_path / "manifest.json").is_file()


def test_opening_a_missing_run_for_reading_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no run here"):
        RunStore.open(tmp_path / "nothing")


def test_execution_results_are_cached_by_content_and_sessions_replay_state(tmp_path):
    inner = CountingExecutor()
    with RunStore.open(tmp_path, {"x": 1}, {}) as store:
        cached = CachingExecutor(inner, store)
        assert cached.run("print(6*7)").stdout == "42\n"
        assert cached.run("print(6*7)").stdout == "42\n"
        assert inner.runs == 1
        with cached.session() as s:
            s.run("x = 5")
            assert s.run("print(x)").stdout == "5\n"
        runs = inner.runs
        with cached.session() as s:  # the same cells again: all from the cache
            s.run("x = 5")
            assert s.run("print(x)").stdout == "5\n"
            assert inner.runs == runs
            assert s.run("print(x + 1)").stdout == "6\n"  # a miss replays the two earlier cells first
        assert inner.runs == runs + 3


def test_strategy_sees_the_executor_and_traces_are_stored(tmp_path):
    strategy = ScriptedStrategy()
    import asyncio

    from eval_doubles import exact_grader

    from verimath.eval import LocalExecutor, run_eval

    with RunStore.open(tmp_path, {"x": 1}, {}) as store:
        final = asyncio.run(run_eval(store, problems(3), n=2, strategy=strategy, model=None,
                                     code_executor=CachingExecutor(CountingExecutor(), store),
                                     grader=exact_grader(), executor=LocalExecutor(2)))
        assert (final.done, final.total) == (6, 6)
        batches = list(store.attempts())
    assert [p.id for p, _ in batches] == ["p0", "p1", "p2"]
    record = batches[1][1][0]
    assert record.answer == scripted_answer(batches[1][0].question)
    assert record.attempt["trace"][1]["result"]["stdout"] == f"{len(batches[1][0].question)}\n"
    assert record.tokens == 15 and record.grader == "exact-1"


@given(st.booleans(), st.none() | st.text(max_size=20), st.text(max_size=12), st.text(max_size=30),
       st.floats(0, 10, allow_nan=False))
def test_verdicts_round_trip_through_their_json_form(correct, extracted, method, reason, elapsed):
    verdict = Verdict(correct, extracted, method, reason, elapsed)
    assert Verdict.from_dict(json.loads(json.dumps(verdict.to_dict()))) == verdict


def test_an_error_row_is_replaced_by_the_retried_attempt_and_counted_apart(tmp_path):
    from verimath.eval import AttemptRecord

    problem = problems(1)[0]
    with RunStore.open(tmp_path, {"x": 1}, {}) as store:
        store.add_problem(problem)
        store.add_attempt(AttemptRecord.failure(problem.id, 0, "openai:m: HTTP 404 (model not found)", 0.1))
        assert store.done(problem.id) == set() and store.done(problem.id, keep_errors=True) == {0}
        assert (store.counts().attempts, store.counts().errors) == (0, 1)
        verdict = Verdict(True, "1", "string", "", 0.0)
        store.add_attempt(AttemptRecord(problem.id, 0, "1", True, "g", verdict, None, None, 0, 3, 0, 0.2, {}))
        assert (store.counts().attempts, store.counts().correct, store.counts().errors) == (1, 1, 0)
        [(_, [record])] = list(store.attempts())
        assert record.verdict == verdict and not record.errored
        with pytest.raises(sqlite3.IntegrityError):  # a graded attempt is never stored twice
            store.add_attempt(AttemptRecord(problem.id, 0, "2", False, "g", verdict, None, None, 0, 3, 0, 0.2,
                                            {}))
