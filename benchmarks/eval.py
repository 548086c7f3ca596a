"""Harness overhead per sample and peak memory of ``verimath.eval``'s runner.

Runs an evaluation of synthetic problems against a zero-latency model, so that all time spent is the
harness's own: scheduling, the strategy's plumbing, grading with ``verimath.answers``, and one SQLite row per
attempt. Two backends:

- ``openai`` (when ``verimath.models`` and ``verimath.strategies`` are installed): the ``cot`` strategy over
  ``openai:scripted`` against the scripted OpenAI-compatible server on loopback (in its own process), real
  HTTP and the OpenAI client included;
- ``harness``: a zero-latency strategy in this script, measuring the runner, grader and store alone.

Each size runs in a fresh process, which reports its wall time and peak RSS; memory should stay flat as the
number of samples grows (attempts are streamed to the store). Prints a table and writes
``benchmarks/results/eval.json``.

    python benchmarks/eval.py [--samples 5000] [--backend openai|harness|auto]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from verimath.eval import (  # noqa: E402
    LocalExecutor,
    RunStore,
    StoredProblem,
    build_report,
    default_grader,
    run_eval,
)
from verimath.models import Message, Usage  # noqa: E402
from verimath.strategies import Attempt, MessageStep  # noqa: E402

SAMPLES_PER_PROBLEM = 5


def problems(count: int) -> list[StoredProblem]:
    return [StoredProblem(f"p{i}", i, f"What is {i} + {i % 7}?", str(i + i % 7), {"level": str(i % 5)})
            for i in range(count)]


def answer_to(text: str) -> str:
    """The sum asked for in ``text`` (a question, or a prompt that contains one)."""
    match = re.search(r"What is (\d+) \+ (\d+)\?", text)
    return str(int(match.group(1)) + int(match.group(2))) if match else "0"


class ZeroLatencyStrategy:
    """Answers at once (every third answer is off by one, so grading sees both verdicts)."""

    name = "zero"
    uses_code = False

    def __init__(self) -> None:
        self.calls = 0

    async def attempt(self, question: str, model: Any, executor: Any = None) -> Attempt:
        self.calls += 1
        right = answer_to(question)
        answer = right if self.calls % 3 else str(int(right) + 1)
        reply = f"\\boxed{{{answer}}}"
        return Attempt("zero", question, answer, (MessageStep("assistant", reply),), Usage(40, 12),
                       model_calls=1, messages=(Message("user", question), Message("assistant", reply)))


def _openai_parts() -> tuple[Any, Any, Any] | None:
    try:
        from verimath.models import load_model
        from verimath.models.testing import ScriptedServer
        from verimath.strategies import get_strategy
    except ImportError:
        return None
    return load_model, ScriptedServer, get_strategy


def serve() -> None:
    """Serve zero-latency right answers on loopback until killed; prints the base URL first."""
    _, scripted_server, _ = _openai_parts()  # type: ignore[misc]
    with scripted_server(lambda req: f"So the answer is \\boxed{{{answer_to(req.last)}}}.") as server:
        print(server.base_url, flush=True)
        threading.Event().wait()


def worker(samples: int, backend: str, concurrency: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    count = samples // SAMPLES_PER_PROBLEM
    with tempfile.TemporaryDirectory() as tmp, RunStore.open(tmp, {"bench": samples}, {}) as store:
        grader = default_grader()
        if backend == "openai":
            load_model, _, get_strategy = _openai_parts()  # type: ignore[misc]
            # The server runs in its own process: its CPU (and its log of requests) is not the harness's.
            server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE,
                                      text=True)
            base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
            model, strategy = load_model("openai:scripted", base_url=base_url), get_strategy("cot")
        else:
            server, model, strategy = None, None, ZeroLatencyStrategy()
        start, cpu_start = time.perf_counter(), time.process_time()
        final = asyncio.run(run_eval(store, problems(count), n=SAMPLES_PER_PROBLEM, strategy=strategy,
                                     model=model, code_executor=None, grader=grader,
                                     executor=LocalExecutor(concurrency)))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        run_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if server is not None:
            server.kill()
            server.wait()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = children.ru_utime + children.ru_stime
        start = time.perf_counter()
        build_report(tmp)
        report_s = time.perf_counter() - start
    return {"samples": final.done, "correct": final.correct, "wall_s": wall, "report_s": report_s,
            "ms_per_sample": 1000 * wall / max(final.done, 1),
            "cpu_ms_per_sample": 1000 * cpu / max(final.done, 1),
            "server_cpu_ms_per_sample": 1000 * server_cpu / max(final.done, 1),
            "peak_rss_mib": run_rss,
            "report_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--backend", choices=("auto", "openai", "harness"), default="auto")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    backend = args.backend if args.backend != "auto" else ("openai" if _openai_parts() else "harness")
    if args.worker:
        print(json.dumps(worker(args.worker, backend, args.concurrency)))
        return
    rows = []
    for samples in sorted({args.samples // 5, args.samples // 2, args.samples}):
        out = subprocess.run([sys.executable, __file__, "--worker", str(samples), "--backend", backend,
                              "--concurrency", str(args.concurrency)], capture_output=True, text=True,
                             check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"backend: {backend}   concurrency: {args.concurrency}   {SAMPLES_PER_PROBLEM} samples per problem")
    print(f"{'samples':>8} {'wall s':>8} {'ms/sample':>10} {'CPU ms/sample':>14} {'server CPU':>11} "
          f"{'peak RSS MiB':>13} {'accuracy':>9} {'report s':>9}")
    for r in rows:
        print(f"{r['samples']:>8} {r['wall_s']:>8.2f} {r['ms_per_sample']:>10.3f} "
              f"{r['cpu_ms_per_sample']:>14.3f} {r['server_cpu_ms_per_sample']:>11.3f} "
              f"{r['peak_rss_mib']:>13.1f} {r['correct'] / max(r['samples'], 1):>9.3f} {r['report_s']:>9.2f}")
    growth = rows[-1]["peak_rss_mib"] - rows[0]["peak_rss_mib"]
    print("CPU ms/sample: this process's CPU during the run (harness, and with openai the SDK and HTTP "
          "client); server CPU: the scripted server's process")
    print("peak RSS is measured after the run, before the report (the report keeps small per-problem scores)")
    print(f"peak RSS growth from {rows[0]['samples']} to {rows[-1]['samples']} samples: {growth:+.1f} MiB")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "eval.json").write_text(json.dumps(
        {"backend": backend, "concurrency": args.concurrency, "rows": rows, "rss_growth_mib": growth,
         "python": platform.python_version(), "machine": platform.machine()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
