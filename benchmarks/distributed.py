"""The Ray executor against the local executor, and grading on one vs two Ray nodes, on this machine.

1. Evaluation: ``builtin:tiny`` with ``pal`` (a model call and a sandboxed cell per attempt) on held-out
   problems, the same work through the local executor, through ``RayExecutor`` with its default workers (one
   per CPU) and with the former default (two per CPU, ``num_cpus=0.5``), on a local Ray (started once, timed
   apart). Each is run at three sizes (``-n 2``, ``-n 8``, ``-n 40``: 80, 320 and 1,600 attempts with 40
   problems; fresh run directories, interleaved so all see the same machine load). A line fitted through the
   three wall times gives each executor's fixed cost (Ray's workers loading the model and warming a sandbox;
   the cluster's start not included) and its cost per attempt, hence where Ray's wall time falls to 1.3x the
   local executor's. CPU-seconds are those of this process and every process under it (Ray's workers and
   daemons, sandbox cells), sampled every 0.1 s from ``/proc``, so they are robust to other load on the
   machine. The stored answers of all executors are compared.
2. Grading throughput: ``grade_jsonl`` through ``RayPool`` (what ``verimath grade --executor ray`` does) on
   distinct generated rows that need real comparisons, on a Ray cluster of one node with one CPU, then of two
   such nodes (``ray.cluster_utils.Cluster``). The driver's own CPU-seconds (reading, sending, writing rows)
   are reported apart from the grading's CPU per row, measured by grading the same rows in this process.

Run: ``python benchmarks/distributed.py [--problems 40] [--rows 30000]``. Writes
``benchmarks/results/distributed.json``. Timings on a shared machine are noisy: the table says how many cores
the machine has and its load average when the run started.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import sqlite3
import sys
import tempfile
import threading
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
SIZES = (2, 8, 40)
RAY_SETUPS = {"ray": {}, "ray-0.5cpu": {"num_cpus": 0.5}}  # the default; the former default (2 per CPU)
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


class TreeCPU:
    """CPU-seconds used by this process and all its descendants while in the block, sampled from /proc every
    ``interval_s`` (a process that lives shorter than that is missed, in either executor alike). Also the
    seconds Ray's worker processes (``ray::…``) were running or runnable (waiting in the kernel's run queue
    for a core): a worker that always has work is runnable all the time, whether or not it gets a core."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.seconds = 0.0
        self.ray_workers_runnable_s = 0.0
        self._stop = threading.Event()

    @staticmethod
    def _sample() -> dict[int, tuple[float, float]]:
        """{pid: (CPU seconds, running-or-runnable seconds if a Ray worker else 0)} over this tree."""
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                pid = int(entry.name)
                parents[pid] = int(fields[1])
                cpu[pid] = (int(fields[11]) + int(fields[12])) * TICK_S  # utime + stime
        mine, frontier = set(), {os.getpid()}
        while frontier:
            mine |= frontier
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - mine
        out = {}
        for pid in mine & cpu.keys():
            runnable = 0.0
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read(5) == b"ray::":
                        with open(f"/proc/{pid}/schedstat") as g:
                            running_ns, waiting_ns = map(int, g.read().split()[:2])
                        runnable = (running_ns + waiting_ns) / 1e9
            except OSError:
                pass
            out[pid] = (cpu[pid], runnable)
        return out

    def __enter__(self) -> TreeCPU:
        self._start = self._sample()
        self._last = dict(self._start)
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._last.update(self._sample())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._sample())
        before = {pid: self._start.get(pid, (0.0, 0.0)) for pid in self._last}
        self.seconds = sum(t - before[pid][0] for pid, (t, _) in self._last.items())
        self.ray_workers_runnable_s = sum(r - before[pid][1] for pid, (_, r) in self._last.items())


def answers(run_dir: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return db.execute("SELECT problem_id, sample, answer, correct FROM attempts ORDER BY 1, 2").fetchall()


def timed_eval(dataset: Path, run_dir: Path, n: int, executor: RayExecutor | None) -> tuple[float, float]:
    """Wall seconds and CPU-seconds (this process tree) of one fresh run."""
    config = EvalConfig(dataset=str(dataset), model="builtin:tiny", run_dir=run_dir, strategy="pal", n=n,
                        strategy_options={"temperature": 0.0})
    start = time.perf_counter()
    with TreeCPU() as cpu:
        done = evaluate(config, executor=executor)
    elapsed = time.perf_counter() - start
    assert done.done == n * len(dataset.read_text().splitlines()), done
    return elapsed, cpu.seconds


def fit(points: dict[int, float]) -> tuple[float, float]:
    """Least-squares line through ``{attempts: seconds}``: (fixed seconds, seconds per attempt)."""
    xs, ys = list(points), list(points.values())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def crossover(ray: tuple[float, float], local: tuple[float, float], ratio: float) -> float | None:
    """Attempts from which Ray's fitted wall time is at most ``ratio`` times the local executor's (None:
    never, its cost per attempt is too high)."""
    (ray_fixed, ray_slope), (local_fixed, local_slope) = ray, local
    if ray_slope >= ratio * local_slope:
        return None
    return max(0.0, (ray_fixed - ratio * local_fixed) / (ratio * local_slope - ray_slope))


def executors(problems: int, work: Path) -> dict[str, Any]:
    dataset = work / "tiny.jsonl"
    dataset.write_text("".join(json.dumps({"id": p.id, "question": p.question, "answer": p.answer}) + "\n"
                               for p in held_out(problems)))
    names = ["local", *RAY_SETUPS]
    walls: dict[str, dict[int, float]] = {name: {} for name in names}
    cpus: dict[str, dict[int, float]] = {name: {} for name in names}
    start = time.perf_counter()
    with connected(None):
        cluster_start = time.perf_counter() - start
        timed_eval(dataset, work / "warm-up", 1, None)  # imports (torch, the strategy) paid before timing
        for n in SIZES:  # interleaved, so all see the same machine load
            for name in names:
                executor = None if name == "local" else RayExecutor(**RAY_SETUPS[name])
                walls[name][n], cpus[name][n] = timed_eval(dataset, work / f"{name}-{n}", n, executor)
        workers = {name: int(ray.cluster_resources().get("CPU", 1) / RayExecutor(**setup).num_cpus)
                   for name, setup in RAY_SETUPS.items()}
    lines = {name: fit({n * problems: t for n, t in v.items()}) for name, v in walls.items()}
    cpu_lines = {name: fit({n * problems: t for n, t in v.items()}) for name, v in cpus.items()}
    return {
        "problems": problems, "samples": list(SIZES), "attempts": [n * problems for n in SIZES],
        "ray_workers": workers, "ray_cluster_start_s": cluster_start,
        "wall_s": {k: {str(n): t for n, t in v.items()} for k, v in walls.items()},
        "cpu_s": {k: {str(n): t for n, t in v.items()} for k, v in cpus.items()},
        "fixed_wall_s": {k: fixed for k, (fixed, _) in lines.items()},
        "per_attempt_ms": {k: 1000 * slope for k, (_, slope) in lines.items()},
        "fixed_cpu_s": {k: fixed for k, (fixed, _) in cpu_lines.items()},
        "cpu_per_attempt_ms": {k: 1000 * slope for k, (_, slope) in cpu_lines.items()},
        "wall_ratio": {k: {str(n): walls[k][n] / walls["local"][n] for n in SIZES} for k in RAY_SETUPS},
        "attempts_for_ratio_1_3": {k: crossover(lines[k], lines["local"], 1.3) for k in RAY_SETUPS},
        "attempts_for_ratio_1_0": {k: crossover(lines[k], lines["local"], 1.0) for k in RAY_SETUPS},
        "same_answers": all(answers(work / f"{k}-{n}") == answers(work / f"local-{n}")
                            for k in RAY_SETUPS for n in SIZES),
    }


def grading_rows(count: int, path: Path, first: int = 1) -> Path:
    """``count`` distinct JSONL rows of a prediction and a gold, equal in value but not in text: fractions
    against their quotient, squares against their expansion, roots against integers (about 0.2 ms of CPU
    each to grade, 30 times the driver's part). Distinct, so no worker's parse cache answers for another's
    rows."""

    def row(i: int) -> tuple[str, str]:
        if i % 3 == 0:
            return f"so the answer is \\boxed{{\\frac{{{i}}}{{{i % 7 + 2}}}}}", f"{i}/{i % 7 + 2}"
        if i % 3 == 1:
            return f"The result is \\boxed{{(x+{i})^2}}", f"x^2+{2 * i}x+{i * i}"
        return f"Answer: \\boxed{{\\sqrt{{{4 * i * i}}}}}", f"{2 * i}"

    with path.open("w") as f:
        for i in range(first, first + count):
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
            driver_start = time.process_time()
            with TreeCPU() as cpu, open(os.devnull, "w") as sink:
                summary = grade_jsonl(rows, sink, pool=pool, jobs=pool.workers)
            driver_cpu = time.process_time() - driver_start
    finally:
        ray.shutdown()
        cluster.shutdown()
    return {"nodes": nodes, "rows": summary.rows, "seconds": summary.seconds,
            "rows_per_s": summary.rows_per_second, "correct": summary.correct,
            "driver_cpu_s": driver_cpu, "all_cpu_s": cpu.seconds,
            # share of the run's wall time each node's worker was running or waiting for a core (not for work)
            "workers_runnable_share": cpu.ray_workers_runnable_s / (nodes * summary.seconds),
            "driver_cpu_share": driver_cpu / cpu.seconds if cpu.seconds else None}


class Answered:
    """A pool that answers every row without grading it: what is left is the driver's own work per row."""

    def map(self, fn: Any, items: Any, /, *, chunksize: int = 1) -> Any:
        return ((True, "1", "equal") for _ in items)


def grading_cost(rows: Path, warm_up: Path, count: int) -> dict[str, float]:
    """CPU per row of grading itself (the first ``count`` rows, graded in this process after a warm-up on
    other rows) and of the driver's part alone (reading, parsing, writing every row)."""
    grade_jsonl(warm_up, None)  # imports and compiled patterns paid first
    sample = rows.parent / "cost.jsonl"
    sample.write_text("".join(itertools.islice(rows.open(), count)))
    start = time.process_time()
    grade_jsonl(sample, None)
    graded = (time.process_time() - start) / count
    start = time.process_time()
    with open(os.devnull, "w") as sink:
        summary = grade_jsonl(rows, sink, pool=Answered())
    driver = (time.process_time() - start) / summary.rows
    return {"grading_ms_per_row": 1000 * graded, "driver_ms_per_row": 1000 * driver}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=40, help="0: grading only")
    parser.add_argument("--rows", type=int, default=30000)
    args = parser.parse_args()
    machine = {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0],
               "note": "shared machine: other engineers' tests ran at the same time"}
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(sys.stdout):
        evaluation = executors(args.problems, Path(tmp)) if args.problems else None
        rows = grading_rows(args.rows, Path(tmp) / "rows.jsonl")
        # distinct from the timed rows, and enough for a chunk on every worker (each imports the grader)
        warm_up = grading_rows(2048, Path(tmp) / "warm-up.jsonl", first=args.rows + 1)
        grading = [grade_on(1, rows, warm_up), grade_on(2, rows, warm_up)]
        cost = grading_cost(rows, Path(tmp) / "warm-up.jsonl", 2000)
    speedup = grading[1]["rows_per_s"] / grading[0]["rows_per_s"]
    result = {"machine": machine, "evaluation": evaluation, "grading": grading, "grading_cost": cost,
              "grading_speedup_2_nodes": speedup,
              "targets": {"wall_ratio": 1.3, "grading_speedup_2_nodes": 1.8}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(result, indent=2) + "\n")

    print(f"machine: {machine['cores']} cores, load average {machine['load_average_at_start']:.2f} at start "
          f"(shared; noisy)")
    if evaluation:
        print_evaluation(evaluation)
    print(f"{'grading (RayPool)':<20}{'rows':>8}{'seconds':>10}{'rows/s':>10}{'CPU s':>9}{'driver':>9}"
          f"{'runnable':>10}")
    for g in grading:
        label = f"{g['nodes']} node(s) x 1 CPU"
        print(f"{label:<20}{g['rows']:>8}{g['seconds']:>10.2f}{g['rows_per_s']:>10.0f}"
              f"{g['all_cpu_s']:>9.1f}{g['driver_cpu_share']:>9.0%}{g['workers_runnable_share']:>10.0%}")
    print(f"2 nodes / 1 node: {speedup:.2f}x (target >= 1.8x); grading costs "
          f"{cost['grading_ms_per_row']:.3f} ms CPU per row, the driver {cost['driver_ms_per_row']:.3f} ms")


def print_evaluation(e: dict[str, Any]) -> None:
    names = ["local", *RAY_SETUPS]

    def line(label: str, values: dict[str, float]) -> None:
        print(f"{label:<36}" + "".join(f"{values[k]:>14.2f}" for k in names))

    print(f"{'evaluation (builtin:tiny, pal)':<36}" + "".join(f"{name:>14}" for name in names))
    for n, attempts in zip(SIZES, e["attempts"], strict=True):
        line(f"wall s, {attempts} attempts", {k: v[str(n)] for k, v in e["wall_s"].items()})
        line(f"CPU s, {attempts} attempts", {k: v[str(n)] for k, v in e["cpu_s"].items()})
    line("fixed wall s (fit)", e["fixed_wall_s"])
    line("fixed CPU s (fit)", e["fixed_cpu_s"])
    line("wall ms per attempt (fit)", e["per_attempt_ms"])
    line("CPU ms per attempt (fit)", e["cpu_per_attempt_ms"])
    for k in RAY_SETUPS:
        ratios = ", ".join(f"{a}: {e['wall_ratio'][k][str(n)]:.2f}x" for n, a in zip(SIZES, e["attempts"],
                                                                                       strict=True))
        at_13, at_1 = e["attempts_for_ratio_1_3"][k], e["attempts_for_ratio_1_0"][k]
        print(f"{k} ({e['ray_workers'][k]} workers) / local wall: {ratios}; <= 1.3x from "
              f"{'never' if at_13 is None else f'{at_13:.0f}'} attempts, <= 1.0x from "
              f"{'never' if at_1 is None else f'{at_1:.0f}'} (fitted lines)")
    print(f"cluster start {e['ray_cluster_start_s']:.1f} s (not counted); same answers: {e['same_answers']}")


if __name__ == "__main__":
    main()
