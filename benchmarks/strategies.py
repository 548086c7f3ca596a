"""Per-attempt overhead of verimath itself: wall time of an attempt less the time spent waiting for the model
and the sandbox, for every strategy, against a zero-latency scripted OpenAI-compatible server on loopback.

The "model" is ``verimath.strategies.testing.Tutor`` behind ``verimath.models.testing.ScriptedServer``: it
writes code, reads the real outputs and answers, so each attempt runs the full machinery (prompt files,
dialogue rendering, stop strings, code extraction, stateful sandbox sessions, output feedback, answer
extraction, trace recording). Model time is the openai client's request (HTTP round trip included); sandbox
time is every session open/close and cell. The rest is verimath's own overhead; the target is under 2 ms per
attempt.

The sandbox is ``verimath.sandbox.Sandbox`` (one cell). Attempts run one at a time so that waiting is not
counted as overhead.

Run: ``python benchmarks/strategies.py [--attempts N]``; writes ``benchmarks/results/strategies.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from verimath.models import load_model
from verimath.models.testing import ScriptedServer
from verimath.sandbox import Sandbox
from verimath.strategies import get_strategy, strategies
from verimath.strategies.testing import Tutor

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 2.0


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100,
                                method="inclusive")[int(q) - 1] * 1000 if len(values) > 1 else (
        values[0] * 1000)


async def _measure(name: str, model: Any, executor: Any, tutor: Tutor, attempts: int) -> dict[str, Any]:
    strategy = get_strategy(name)
    overheads, calls, cells, model_s, exec_s = [], [], [], [], []
    for i in range(attempts + 5):
        start = time.perf_counter()
        attempt = await strategy.attempt(tutor.question, model, executor)
        wall = time.perf_counter() - start
        if attempt.answer != tutor.answer:
            raise SystemExit(f"{name}: wrong answer {attempt.answer!r} ({attempt.error})")
        if i >= 5:  # warm-up excluded
            overheads.append(max(0.0, wall - attempt.model_s - attempt.exec_s))
            calls.append(attempt.model_calls)
            cells.append(attempt.code_calls)
            model_s.append(attempt.model_s)
            exec_s.append(attempt.exec_s)
    return {"strategy": name, "attempts": attempts, "model_calls": statistics.mean(calls),
            "cells": statistics.mean(cells), "overhead_median_ms": statistics.median(overheads) * 1000,
            "overhead_mean_ms": statistics.mean(overheads) * 1000, "overhead_p95_ms": _ms(overheads, 95),
            "model_ms": statistics.mean(model_s) * 1000, "sandbox_ms": statistics.mean(exec_s) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100, help="measured attempts per strategy")
    args = parser.parse_args()
    tutor = Tutor("6 * 7 + 1")
    executor = Sandbox(cells=1)
    executor_name = f"verimath.sandbox ({executor.isolation.backend})"
    rows = []
    with ScriptedServer(tutor) as server:
        model = load_model("openai:tutor", base_url=server.base_url)

        async def run_all() -> None:
            for name in strategies():
                rows.append(await _measure(name, model, executor, tutor, args.attempts))
            await model.aclose()

        asyncio.run(run_all())
    executor.close()

    table = Table(title=f"verimath per-attempt overhead (target < {TARGET_MS:g} ms) — sandbox: "
                        f"{executor_name}")
    for col in ("strategy", "calls", "cells", "overhead p50 ms", "mean", "p95", "model ms", "sandbox ms"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for r in rows:
        table.add_row(r["strategy"], f"{r['model_calls']:.0f}", f"{r['cells']:.0f}",
                      f"{r['overhead_median_ms']:.3f}",
                      f"{r['overhead_mean_ms']:.3f}", f"{r['overhead_p95_ms']:.3f}", f"{r['model_ms']:.2f}",
                      f"{r['sandbox_ms']:.2f}")
    Console(width=120).print(table)
    ok = all(r["overhead_median_ms"] < TARGET_MS for r in rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "strategies.json").write_text(json.dumps({
        "benchmark": "strategies", "target_ms": TARGET_MS, "passed": ok, "executor": executor_name,
        "python": sys.version.split()[0], "machine": platform.machine(), "rows": rows}, indent=2) + "\n")
    print("PASS" if ok else "FAIL", f"median overhead per attempt < {TARGET_MS:g} ms for every strategy")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
