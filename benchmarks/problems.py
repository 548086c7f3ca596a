"""Benchmark of verimath.problems: template instances per second, GSM-Symbolic coverage, perturbation yield.

Prints a table and writes benchmarks/results/problems.json. Run from the repository root:
    python benchmarks/problems.py [--per-template 50] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from verimath.problems import (  # noqa: E402
    PerturbReport,
    generate_many,
    load_dataset,
    load_templates,
    perturb,
)


def bench_templates(name: str, templates: list, n: int) -> dict:
    start = time.perf_counter()
    problems, failures = generate_many(templates, n, seed=0)
    seconds = time.perf_counter() - start
    ok = len(templates) - len(failures)
    failed_ok = {f.template_id for f in failures}
    fast = [t for t in templates if t.id not in failed_ok]
    start = time.perf_counter()
    count = len(generate_many(fast, n, seed=1)[0])
    ok_seconds = time.perf_counter() - start
    return {"set": name, "templates": len(templates), "succeeded": ok, "instances": len(problems),
            "seconds": round(seconds, 2), "instances_per_second": round(count / ok_seconds, 1),
            "failures": {f.template_id: f"{f.reason}: {f}" for f in failures},
            "failure_reasons": dict(Counter(f.reason for f in failures))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-template", type=int, default=50)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    data = Path(args.data)
    rows = [bench_templates("builtin", load_templates("builtin"), args.per_template)]
    gsm = data / "gsm_symbolic" / "templates"
    if gsm.is_dir():
        for sub in ("symbolic", "p1", "p2"):
            rows.append(bench_templates(f"gsm_symbolic/{sub}", load_templates(gsm / sub), args.per_template))
    perturb_rows = []
    for name in ("gsm8k_test.jsonl", "svamp.jsonl"):
        if (data / name).is_file():
            problems = list(load_dataset(data / name))
            report = PerturbReport()
            start = time.perf_counter()
            made = sum(1 for _ in perturb(problems, ["numeric_substitution", "digit_expansion",
                                                     "integer_to_decimal", "distractor"], report=report))
            seconds = time.perf_counter() - start
            perturb_rows.append({"dataset": name, "problems": len(problems), "variants": made,
                                 "per_op": dict(report.made), "dropped": sum(report.dropped.values()),
                                 "top_drop_reasons": dict(report.dropped.most_common(6)),
                                 "variants_per_second": round(made / seconds, 1)})
    console = Console()
    table = Table(title=f"template generation, {args.per_template} distinct instances per template")
    for col in ("set", "templates", "succeeded", "instances", "seconds", "instances/s (ok templates)"):
        table.add_column(col, justify="left" if col == "set" else "right")
    for r in rows:
        table.add_row(r["set"], str(r["templates"]), str(r["succeeded"]), str(r["instances"]),
                      str(r["seconds"]),
                      str(r["instances_per_second"]))
    console.print(table)
    for r in rows:
        for tid, why in r["failures"].items():
            console.print(f"  {tid}: {why}", highlight=False)
    ptable = Table(title="perturbation (numeric_substitution, digit_expansion, integer_to_decimal, "
                         "distractor)")
    for col in ("dataset", "problems", "variants", "dropped", "variants/s"):
        ptable.add_column(col)
    for r in perturb_rows:
        ptable.add_row(r["dataset"], str(r["problems"]), str(r["variants"]), str(r["dropped"]),
                       str(r["variants_per_second"]))
    console.print(ptable)
    out = ROOT / "benchmarks" / "results" / "problems.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                               "per_template": args.per_template, "templates": rows,
                               "perturbation": perturb_rows}, indent=1) + "\n")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
