"""``RayExecutor`` on a real two-node Ray cluster: the same stored answers as the local executor (with resume
and ``-n`` extension), a worker SIGKILLed mid-run, and an unreachable cluster as one line from the CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")

from verimath.distributed import RayExecutor
from verimath.eval import EvalConfig, evaluate
from verimath.models.testing import ScriptedServer, ServedRequest


def stored(run_dir: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return db.execute("SELECT problem_id, sample, answer, correct, errored FROM attempts "
                          "ORDER BY problem_id, sample").fetchall()


def sums(path: Path, count: int) -> Path:
    with path.open("w") as f:
        for i in range(count):
            f.write(json.dumps({"id": f"p{i:02d}", "question": f"What is {i} + {2 * i + 1}?",
                                "answer": str(3 * i + 1)}) + "\n")
    return path


def add_up(request: ServedRequest) -> str:
    a, b = map(Fraction, re.findall(r"\d+", request.last)[:2])
    return f"The sum is \\boxed{{{a + b}}}."


def test_builtin_tiny_through_ray_stores_what_the_local_executor_stores(ray_cluster: Any,
                                                                        tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from verimath.tinylab import held_out

    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text("".join(json.dumps({"id": p.id, "question": p.question, "answer": p.answer}) + "\n"
                               for p in held_out(6)))

    def config(run: str, n: int) -> EvalConfig:
        return EvalConfig(dataset=str(dataset), model="builtin:tiny", run_dir=tmp_path / run, strategy="pal",
                          n=n, strategy_options={"temperature": 0.0})  # one temperature, so -n 2 extends

    on_ray = RayExecutor(actors=2, chunk_size=2)
    first = evaluate(config("ray", 1), executor=on_ray)
    assert first.done == 6
    extended = evaluate(config("ray", 2), executor=on_ray)  # -n 2 extends the run: only the 6 new samples
    local = evaluate(config("local", 2))
    assert extended.done == local.done == 12
    assert stored(tmp_path / "ray") == stored(tmp_path / "local")
    assert sum(row[3] for row in stored(tmp_path / "ray")) > 0  # the tiny model solves some: answers compared
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2
    again = evaluate(config("ray", 2), executor=on_ray)  # resuming a finished run attempts nothing
    assert again.done == 12 and stored(tmp_path / "ray") == stored(tmp_path / "local")


def actor_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::AttemptActor"):
                pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_run_loses_nothing_and_stores_each_sample_once(ray_cluster: Any,
                                                                           tmp_path: Path) -> None:
    dataset = sums(tmp_path / "sums.jsonl", 12)
    killed: list[int] = []
    kill_once = threading.Lock()
    in_flight = 8  # 2 workers x 2 chunks x 2 jobs: once 8 requests have arrived, every worker holds work

    def answer_and_kill_a_worker(request: ServedRequest) -> str:
        # ">=": requests keep arriving during the server's delay, so the count can pass 8 before any answer
        with kill_once:
            if len(server.requests) >= in_flight and not killed:
                pids = actor_pids()
                assert len(pids) == 2, pids
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
        return add_up(request)

    with ScriptedServer(answer_and_kill_a_worker, delay_s=0.2) as server:
        config = EvalConfig(dataset=str(dataset), model="openai:scripted", base_url=server.base_url,
                            run_dir=tmp_path / "run", strategy="cot", n=2)
        final = evaluate(config, executor=RayExecutor(actors=2, chunk_size=2))
        served = len(server.requests)
    assert killed
    rows = stored(tmp_path / "run")
    assert final.done == 24 and final.errors == 0
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == 24
    assert all(r[3] == 1 and r[4] == 0 for r in rows)
    assert served >= 24 + 2  # the killed worker's chunks (2 jobs each) were asked again by another worker


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_is_one_line_and_keeps_what_is_stored(tmp_path: Path) -> None:
    dataset = sums(tmp_path / "sums.jsonl", 3)
    with ScriptedServer(add_up) as server:
        common = ["eval", "--dataset", str(dataset), "--model", "openai:scripted", "--base-url",
                  server.base_url, "--strategy", "cot", "--temperature", "0", "--run-dir", "run"]
        assert cli(*common, cwd=tmp_path).returncode == 0
        before = stored(tmp_path / "run")
        address = f"127.0.0.1:{closed_port()}"
        done = cli(*common, "-n", "2", "--executor", "ray", "--ray-address", address, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Ray cluster at " + address), lines
    assert stored(tmp_path / "run") == before and len(before) == 3


def test_grade_on_the_cluster_writes_what_local_grading_writes(ray_cluster: Any, tmp_path: Path) -> None:
    rows = [{"prediction": f"so the answer is \\boxed{{{i % 7}}}", "gold": str(i % 5)} for i in range(200)]
    source = tmp_path / "outputs.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    local = cli("grade", str(source), "-o", "local.jsonl", cwd=tmp_path)
    on_ray = cli("grade", str(source), "-o", "ray.jsonl", "--executor", "ray", "--ray-address",
                 ray_cluster.address, cwd=tmp_path)
    assert local.returncode == on_ray.returncode == 0, on_ray.stderr
    assert (tmp_path / "ray.jsonl").read_text() == (tmp_path / "local.jsonl").read_text()
    graded = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    assert [g["correct"] for g in graded] == [i % 7 == i % 5 for i in range(200)]


def test_bad_executor_options_are_usage_errors(tmp_path: Path) -> None:
    dataset = sums(tmp_path / "sums.jsonl", 1)
    common = ["eval", "--dataset", str(dataset), "--model", "openai:m", "--run-dir", "run"]
    wrong = cli(*common, "--executor", "spark", cwd=tmp_path)
    assert wrong.returncode == 2 and "must be local or ray" in wrong.stderr
    stray = cli(*common, "--ray-address", "127.0.0.1:6379", cwd=tmp_path)
    assert stray.returncode == 2 and "--ray-address needs --executor ray" in stray.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("address", "message"), [
    ("garbage", "must look like HOST:PORT"),
    ("127.0.0.1:99999", "must look like HOST:PORT"),
    ("http://127.0.0.1:6379", "must look like HOST:PORT"),
    ("", "is empty"),
])
def test_a_malformed_ray_address_is_a_usage_error_naming_the_flag(tmp_path: Path, address: str,
                                                                   message: str) -> None:
    dataset = sums(tmp_path / "sums.jsonl", 1)
    for command in (["eval", "--dataset", str(dataset), "--model", "openai:m", "--run-dir", "run"],
                    ["grade", str(dataset), "-o", "graded.jsonl"]):
        done = cli(*command, "--executor", "ray", "--ray-address", address, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: field '--ray-address': "), lines
        assert message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sums.jsonl"]


def test_ray_client_address_without_a_server_is_refused_at_once(tmp_path: Path) -> None:
    dataset = sums(tmp_path / "sums.jsonl", 1)
    address = f"ray://127.0.0.1:{closed_port()}"
    done = cli("eval", "--dataset", str(dataset), "--model", "openai:m", "--run-dir", "run", "--executor",
               "ray", "--ray-address", address, cwd=tmp_path)  # Ray Client alone waits 30 s, then warns
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Ray cluster at " + address), lines
    assert not (tmp_path / "run").exists()


LOST_DRIVER = """
import sys
import time
from verimath.distributed import RayExecutor
from verimath.eval import EvalConfig, evaluate
from verimath.errors import ClusterUnavailable

dataset, base_url, run_dir, address = sys.argv[1:]
config = EvalConfig(dataset=dataset, model="openai:scripted", base_url=base_url, run_dir=run_dir,
                    strategy="cot", strategy_options={"temperature": 0.0})
try:
    evaluate(config, executor=RayExecutor(address=address, actors=1, chunk_size=2, head_check_s=0.5))
except ClusterUnavailable as exc:
    print(str(exc), file=sys.stderr)
    sys.exit(3)
"""


def test_a_cluster_lost_mid_run_is_an_error_and_keeps_what_is_stored(tmp_path: Path) -> None:
    """A cluster of its own (the shared one must survive): its head and node are stopped while a driver in
    another process is mid-run."""
    from ray.cluster_utils import Cluster

    dataset = sums(tmp_path / "sums.jsonl", 40)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False,
                                                           "object_store_memory": 80 * 2**20})
    stopped = False
    try:
        def answer_and_stop_the_cluster(request: ServedRequest) -> str:
            nonlocal stopped
            if len(server.requests) == 8 and not stopped:
                stopped = True
                cluster.shutdown()
            return add_up(request)

        with ScriptedServer(answer_and_stop_the_cluster, delay_s=0.1) as server:
            driver = subprocess.run([sys.executable, "-c", LOST_DRIVER, str(dataset), server.base_url,
                                     str(tmp_path / "run"), cluster.address], capture_output=True, text=True,
                                    timeout=60)
    finally:
        if not stopped:
            cluster.shutdown()
    assert driver.returncode == 3, driver.stderr
    assert "Traceback" not in driver.stderr
    assert "the Ray cluster was lost mid-run" in driver.stderr.strip().splitlines()[-1]
    rows = stored(tmp_path / "run")
    assert 0 < len(rows) < 40 and all(r[3] == 1 for r in rows)  # what came back before the loss is kept


def test_workers_get_the_drivers_api_key(ray_cluster: Any, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIMATH_TEST_KEY", "sk-from-the-driver")
    with ScriptedServer(add_up) as server:
        config = EvalConfig(dataset=str(sums(tmp_path / "sums.jsonl", 2)), model="openai:scripted",
                            base_url=server.base_url, api_key_env="VERIMATH_TEST_KEY",
                            run_dir=tmp_path / "run", strategy="cot")
        assert evaluate(config, executor=RayExecutor(actors=1)).done == 2
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer sk-from-the-driver"}


def stored_count(run_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True, timeout=1.0) as db:
            return int(db.execute("SELECT count(*) FROM attempts").fetchone()[0])
    except sqlite3.Error:  # not created yet, or mid-write
        return 0


def test_a_driver_killed_mid_run_resumes_and_its_workers_go_away(ray_cluster: Any, tmp_path: Path) -> None:
    """``verimath eval --executor ray`` SIGKILLed once some attempts are stored: its workers (actors owned by
    the dead driver) are stopped by the cluster, and the same command finishes the run, each sample stored
    once."""
    pytest.importorskip("torch")
    from verimath.tinylab import held_out

    problems = held_out(12)
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text("".join(json.dumps({"id": p.id, "question": p.question, "answer": p.answer}) + "\n"
                               for p in problems))
    total = 8 * len(problems)
    command = [sys.executable, "-m", "verimath", "eval", "--dataset", str(dataset), "--model", "builtin:tiny",
               "--strategy", "pal", "-n", "8", "--temperature", "0.7", "--run-dir", "run",
               "--executor", "ray", "--ray-address", ray_cluster.address]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    before = set(actor_pids())
    driver = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        stored_before_kill = 0
        while driver.poll() is None and stored_before_kill == 0:
            stored_before_kill = stored_count(tmp_path / "run")
            time.sleep(0.05)
        workers = set(actor_pids()) - before
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == -signal.SIGKILL, driver.stderr.read() if driver.stderr else ""
    assert 0 < stored_count(tmp_path / "run") < total  # killed mid-run
    assert workers, "the driver had started no workers on the cluster"
    deadline = time.monotonic() + 30
    while workers & set(actor_pids()) and time.monotonic() < deadline:  # the cluster stops them
        time.sleep(0.2)
    assert not workers & set(actor_pids()), "the dead driver's workers are still running"

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"{total} attempts stored" in again.stdout
    rows = stored(tmp_path / "run")
    assert sorted((r[0], r[1]) for r in rows) == sorted((p.id, s) for p in problems for s in range(8))
    assert not any(r[4] for r in rows)


def test_ray_pool_results_come_back_in_input_order_when_chunks_finish_out_of_order(ray_cluster: Any) -> None:
    from math import factorial

    from verimath.distributed import RayPool

    sizes = [30_000 if i % 5 == 0 else i for i in range(60)]  # every fifth chunk far slower than the rest
    with RayPool(window_per_cpu=2) as pool:
        assert list(pool.map(factorial, sizes, chunksize=2)) == [factorial(n) for n in sizes]
