"""Inference speed and held-out accuracy of the built-in tiny model (``builtin:tiny``) on CPU.

Two measurements on one held-out set (new seeds; ranges x1, x10, x100):

- the model alone: every question sent as a concurrent chat request (pal and direct prompts), answered in
  batches by the backend — problems per second, model load time;
- the whole job: ``verimath.tinylab.run_demo`` (held-out set written, ``verimath eval`` with pal and with
  direct, sandboxed programs, grading, HTML reports) — wall time, problems per second, accuracy by operand
  length.

Run: ``python benchmarks/tiny.py [--n 405] [--model builtin:tiny] [--threads T]``; writes
``benchmarks/results/tiny.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from verimath.models import ChatRequest, Message, Sampling, load_model
from verimath.strategies import load_prompts
from verimath.tinylab import held_out, run_demo

RESULTS = Path(__file__).resolve().parent / "results"


def model_throughput(spec: str, questions: list[str], strategy: str) -> float:
    model = load_model(spec)
    system = load_prompts(strategy).fill("system")
    requests = [ChatRequest((Message("system", system), Message("user", q)), Sampling(max_tokens=200))
                for q in questions]

    async def all_at_once() -> None:
        await asyncio.gather(*(model.generate(r) for r in requests))

    start = time.perf_counter()
    asyncio.run(all_at_once())
    return len(questions) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=405)
    parser.add_argument("--model", default="builtin:tiny")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    load_model(args.model)
    load_s = time.perf_counter() - start
    questions = [p.question for p in held_out(args.n)]
    speeds = {s: model_throughput(args.model, questions, s) for s in ("pal", "direct")}
    with tempfile.TemporaryDirectory() as tmp:
        demo = run_demo(Path(tmp), n=args.n, model=args.model)
    rows = [("model load", f"{load_s:.2f} s")]
    rows += [(f"model only, {s} prompts", f"{v:,.0f} problems/s") for s, v in speeds.items()]
    rows += [(f"verimath eval --strategy {r.strategy}", f"{r.problems / r.wall_s:,.1f} problems/s "
              f"({r.problems} in {r.wall_s:.1f} s), accuracy {r.accuracy:.1%}") for r in demo.runs]
    groups = [(f"largest number {row.value} digits", row) for row in demo.by_length]
    groups += [(f"template ranges x{row.value}", row) for row in demo.by_range]
    rows += [(f"  {label} (n={row.problems})",
              "  ".join(f"{s} {c / row.problems:.1%}" for s, c in row.correct.items()))
             for label, row in groups]
    rows.append(("whole job (held-out set, both evals, reports)", f"{demo.wall_s:.1f} s"))
    width = max(len(r[0]) for r in rows)
    print(f"builtin:tiny on {len(questions)} held-out problems, {os.cpu_count()} CPUs")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    RESULTS.mkdir(exist_ok=True)
    out = {"model": args.model, "problems": len(questions), "cpus": os.cpu_count(),
           "load_s": round(load_s, 3),
           "model_only_problems_per_s": {s: round(v, 1) for s, v in speeds.items()}, "job": demo.to_dict()}
    (RESULTS / "tiny.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
