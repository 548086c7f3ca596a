"""The Ray executor against the local executor, and grading on one vs two Ray nodes, on this machine.

1. Evaluation: ``builtin:tiny`` with ``pal`` (a model call and a sandboxed cell per attempt) on held-out
   problems, the same work through the local executor and through ``RayExecutor`` on a local Ray (started
   once, timed apart). Each is run at two sizes (``-n 2`` and ``-n 8``, fresh run directories); the wall
   time per extra attempt (the slope between the sizes) gives Ray's overhead per attempt without the fixed
   costs, and the wall-time ratio is taken on the larger run (Ray's workers loading the model and warming a
   sandbox included, the cluster's start not). The stored answers of both executors are compared.
2. Grading throughput: ``grade_jsonl`` through ``RayPool`` (what ``verimath grade --executor ray`` does) on
   distinct generated rows that need real comparisons, on a Ray cluster of one node with one CPU, then of two
   such nodes (``ray.cluster_utils.Cluster``).

Run: ``python benchmarks/distributed.py [--problems 40] [--rows 30000]``. Writes
``benchmarks/results/distributed.json``. Timings on a shared machine are noisy: the table says how many cores
the machine has and its load average when the run started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ray
from ray.cluster_utils import Cluster

from verimath.batch import grade_jsonl
from verimath.distributed import RayExecutor, RayPool, connected
from verimath.eval import EvalConfig, evaluate
from verimath.tinylab import held_out

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (2, 8)


def answers(run_dir: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return db.execute("SELECT problem_id, sample, answer, correct FROM attempts ORDER BY 1, 2").fetchall()


def timed_eval(dataset: Path, run_dir: Path, n: int, executor: RayExecutor | None) -> float:
    config = EvalConfig(dataset=str(dataset), model="builtin:tiny", run_dir=run_dir, strategy="pal", n=n,
                        strategy_options={"temperature": 0.0})
    start = time.perf_counter()
    done = evaluate(config, executor=executor)
    elapsed = time.perf_counter() - start
    assert done.done == n * len(dataset.read_text().splitlines()), done
    return elapsed


def executors(problems: int, work: Path) -> dict[str, Any]:
    dataset = work / "tiny.jsonl"
    dataset.write_text("".join(json.dumps({"id": p.id, "question": p.question, "answer": p.answer}) + "\n"
                               for p in held_out(problems)))
    walls: dict[str, dict[int, float]] = {"local": {}, "ray": {}}
    start = time.perf_counter()
    with connected(None):
        cluster_start = time.perf_counter() - start
        timed_eval(dataset, work / "warm-up", 1, None)  # imports (torch, the strategy) paid before timing
        for n in SIZES:  # interleaved, so both see the same machine load
            walls["local"][n] = timed_eval(dataset, work / f"local-{n}", n, None)
            walls["ray"][n] = timed_eval(dataset, work / f"ray-{n}", n, RayExecutor())
        workers = int(ray.cluster_resources().get("CPU", 1) / RayExecutor().num_cpus)
    small, large = SIZES
    extra = (large - small) * problems
    per_attempt = {k: (v[large] - v[small]) / extra for k, v in walls.items()}
    return {
        "problems": problems, "samples": list(SIZES), "attempts_large": large * problems,
        "ray_workers": workers, "ray_cluster_start_s": cluster_start,
        "wall_s": {k: {str(n): t for n, t in v.items()} for k, v in walls.items()},
        "per_attempt_ms": {k: 1000 * v for k, v in per_attempt.items()},
        "overhead_per_attempt_ms": 1000 * (per_attempt["ray"] - per_attempt["local"]),
        "wall_ratio": walls["ray"][large] / walls["local"][large],
        "wall_ratio_with_cluster_start": (walls["ray"][large] + cluster_start) / walls["local"][large],
        "same_answers": all(answers(work / f"ray-{n}") == answers(work / f"local-{n}") for n in SIZES),
    }


def grading_rows(count: int, path: Path) -> Path:
    """``count`` distinct JSONL rows of a prediction and a gold, equal in value but not in text: fractions
    against their quotient, squares against their expansion, roots against integers (about 0.4 ms each to
    grade). Distinct, so no worker's parse cache answers for another's rows."""

    def row(i: int) -> tuple[str, str]:
        if i % 3 == 0:
            return f"so the answer is \\boxed{{\\frac{{{i}}}{{{i % 7 + 2}}}}}", f"{i}/{i % 7 + 2}"
        if i % 3 == 1:
            return f"The result is \\boxed{{(x+{i})^2}}", f"x^2+{2 * i}x+{i * i}"
        return f"Answer: \\boxed{{\\sqrt{{{4 * i * i}}}}}", f"{2 * i}"

    with path.open("w") as f:
        for i in range(1, count + 1):
            prediction, gold = row(i)
            f.write(json.dumps({"prediction": prediction, "gold": gold}) + "\n")
    return path


def grade_on(nodes: int, rows: Path, warm_up: Path) -> dict[str, Any]:
    node = {"num_cpus": 1, "object_store_memory": 100 * 2**20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(**node)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
    try:
        with RayPool() as pool:
            grade_jsonl(warm_up, None, pool=pool, jobs=pool.workers)  # workers started, grader imported
            summary = grade_jsonl(rows, None, pool=pool, jobs=pool.workers)
    finally:
        ray.shutdown()
        cluster.shutdown()
    return {"nodes": nodes, "rows": summary.rows, "seconds": summary.seconds,
            "rows_per_s": summary.rows_per_second, "correct": summary.correct}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--rows", type=int, default=30000)
    args = parser.parse_args()
    machine = {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0],
               "note": "shared machine: other engineers' tests ran at the same time"}
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(sys.stdout):
        evaluation = executors(args.problems, Path(tmp))
        rows = grading_rows(args.rows, Path(tmp) / "rows.jsonl")
        warm_up = grading_rows(64, Path(tmp) / "warm-up.jsonl")
        grading = [grade_on(1, rows, warm_up), grade_on(2, rows, warm_up)]
    speedup = grading[1]["rows_per_s"] / grading[0]["rows_per_s"]
    result = {"machine": machine, "evaluation": evaluation, "grading": grading,
              "grading_speedup_2_nodes": speedup,
              "targets": {"wall_ratio": 1.3, "grading_speedup_2_nodes": 1.8}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(result, indent=2) + "\n")

    e = evaluation
    large = str(SIZES[-1])
    print(f"machine: {machine['cores']} cores, load average {machine['load_average_at_start']:.2f} at start "
          f"(shared; noisy)")
    print(f"{'evaluation (builtin:tiny, pal)':<44}{'local':>12}{'ray':>12}")
    for n in SIZES:
        label = f"wall s, {n * e['problems']} attempts"
        print(f"{label:<44}{e['wall_s']['local'][str(n)]:>12.2f}{e['wall_s']['ray'][str(n)]:>12.2f}")
    print(f"{'ms per extra attempt (slope)':<44}{e['per_attempt_ms']['local']:>12.1f}"
          f"{e['per_attempt_ms']['ray']:>12.1f}")
    print(f"Ray overhead per attempt: {e['overhead_per_attempt_ms']:.1f} ms; wall ratio ray/local at "
          f"{large} samples: {e['wall_ratio']:.2f}x (target <= 1.3x; "
          f"{e['wall_ratio_with_cluster_start']:.2f}x with the {e['ray_cluster_start_s']:.1f} s cluster "
          f"start); same answers: {e['same_answers']}")
    print(f"{'grading (RayPool)':<20}{'rows':>8}{'seconds':>10}{'rows/s':>10}")
    for g in grading:
        label = f"{g['nodes']} node(s) x 1 CPU"
        print(f"{label:<20}{g['rows']:>8}{g['seconds']:>10.2f}{g['rows_per_s']:>10.0f}")
    print(f"2 nodes / 1 node: {speedup:.2f}x (target >= 1.8x)")


if __name__ == "__main__":
    main()
