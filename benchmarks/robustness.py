"""Time of ``verimath.scaling.robustness`` on GSM-Symbolic-sized inputs.

A synthetic run: ``templates`` base templates, each with a no-op and a P1 variant template, ``sets``
instantiation sets of each, and a GSM-Plus-style perturbed variant (two kinds) of every base instance; each
problem's accuracy drawn at random. Peak RSS is the process's (the bootstrap's resample indices dominate).
Prints a table and writes ``benchmarks/results/robustness.json``.

    python benchmarks/robustness.py [--templates 100] [--sets 50]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from verimath.scaling import Outcome, robustness  # noqa: E402


def outcomes(templates: int, sets: int, seed: int = 0) -> list[Outcome]:
    rng = random.Random(seed)
    out = []
    for t in range(templates):
        for s in range(sets):
            base = f"t{t}#{s}"
            out.append(Outcome(base, rng.choice((0.0, 0.5, 1.0)), template=f"t{t}", instance=s))
            for kind in ("noop", "p1"):
                out.append(Outcome(f"t{t}-{kind}#{s}", rng.random(), template=f"t{t}", kind=kind, instance=s))
            for kind in ("numeric_substitution", "distractor"):
                out.append(Outcome(f"{base}/{kind}", rng.random(), template=f"t{t}", parent=base, kind=kind))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--sets", type=int, default=50)
    args = parser.parse_args()
    rows = []
    for templates in (args.templates // 10, args.templates):
        data = outcomes(templates, args.sets)
        start = time.perf_counter()
        result = robustness(data)
        seconds = time.perf_counter() - start
        assert result is not None
        rows.append({"problems": len(data), "templates": templates, "sets": args.sets,
                     "seconds": round(seconds, 3),
                     "us_per_problem": round(1e6 * seconds / len(data), 1),
                     "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    print(f"{'problems':>9} {'templates':>9} {'sets':>5} {'seconds':>8} {'µs/problem':>11} "
          f"{'peak RSS MiB':>13}")
    for r in rows:
        print(f"{r['problems']:>9} {r['templates']:>9} {r['sets']:>5} {r['seconds']:>8} "
              f"{r['us_per_problem']:>11} {r['peak_rss_mib']:>13}")
    out = ROOT / "benchmarks" / "results" / "robustness.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "python": platform.python_version(),
                               "machine": platform.machine()},
                              indent=1) + "\n")


if __name__ == "__main__":
    main()
