"""verimath's grader against Math-Verify 0.9.0, side by side in one process.

Pairs (from ../shared/data, skipped cleanly when absent):
- GSM8K: 2,747 real model solutions vs their gold answer, with the published human verdict ``is_correct``;
- MATH: the 5,000 reference solutions vs their own boxed answer (a correct grader says True for all).

For each grader: checks per second, median / p99 / max milliseconds per check, agreement with ``is_correct``
(GSM8K) and the share judged True (MATH). Every pair on which the two graders disagree is written to
``benchmarks/results/answers_disagreements.jsonl`` for review; the table goes to
``benchmarks/results/answers.json``.

Math-Verify is the optional ``bench`` extra (``pip install -e '.[bench]'``). It is given its best chance: the
gold is wrapped in ``$…$`` (a bare LaTeX gold otherwise fails to parse), and its default signal-based timeouts
are on.

Run: ``python benchmarks/answers.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from verimath.answers import grade

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def load_pairs(limit: int | None) -> dict[str, list[tuple[str, str, bool | None]]]:
    """(prediction, gold, published verdict or None) per benchmark set."""
    sets: dict[str, list[tuple[str, str, bool | None]]] = {}
    gsm = DATA / "gsm8k_model_answer_grading.jsonl"
    if gsm.is_file():
        rows = [json.loads(line) for line in gsm.open()]
        sets["gsm8k"] = [(r["model_solution"], r["gold_answer"], r["is_correct"]) for r in rows][:limit]
    math = DATA / "math_test.jsonl"
    if math.is_file():
        rows = [json.loads(line) for line in math.open()]
        sets["math"] = [(r["solution"], r["answer"], True) for r in rows][:limit]
    return sets


def verimath_check(prediction: str, gold: str) -> bool:
    return grade(prediction, gold).correct


def math_verify_checker() -> Callable[[str, str], bool] | None:
    try:
        from math_verify import parse, verify
    except ImportError:
        return None

    def check(prediction: str, gold: str) -> bool:
        try:
            return bool(verify(parse(f"${gold}$"), parse(prediction)))
        except Exception:  # Math-Verify raises on some inputs; a crash is a "no"
            return False

    return check


def run(check: Callable[[str, str], bool],
        pairs: list[tuple[str, str, bool | None]]) -> tuple[list[bool], list[float]]:
    verdicts, times = [], []
    for prediction, gold, _ in pairs:
        start = time.perf_counter()
        verdicts.append(check(prediction, gold))
        times.append((time.perf_counter() - start) * 1000)
    return verdicts, times


def summarize(verdicts: list[bool], times: list[float], pairs: list[tuple[str, str, bool | None]]) -> dict:
    labelled = [(v, label) for v, (_, _, label) in zip(verdicts, pairs, strict=True) if label is not None]
    ordered = sorted(times)
    return {
        "checks": len(times),
        "total_s": sum(times) / 1000,
        "checks_per_s": len(times) / (sum(times) / 1000) if times else 0.0,
        "median_ms": statistics.median(times) if times else 0.0,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if times else 0.0,
        "max_ms": ordered[-1] if times else 0.0,
        "share_true": sum(verdicts) / len(verdicts) if verdicts else 0.0,
        "agreement_with_labels": sum(v == label for v, label in labelled) / len(labelled) if labelled
        else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="Pairs per set (default: all).")
    args = parser.parse_args()
    sets = load_pairs(args.limit)
    if not sets:
        print(f"no benchmark data under {DATA}; nothing to do")
        return 0
    graders: dict[str, Callable[[str, str], bool]] = {"verimath": verimath_check}
    mv = math_verify_checker()
    if mv is None:
        print("Math-Verify is not installed (pip install -e '.[bench]'): measuring verimath alone")
    else:
        graders["math-verify"] = mv
    RESULTS.mkdir(exist_ok=True)
    report: dict[str, dict] = {}
    disagreements = []
    for set_name, pairs in sets.items():
        verdicts = {}
        for grader_name, check in graders.items():
            verdicts[grader_name], times = run(check, pairs)
            report[f"{set_name}/{grader_name}"] = summarize(verdicts[grader_name], times, pairs)
        if len(verdicts) == 2:
            for index, (ours, theirs) in enumerate(zip(verdicts["verimath"], verdicts["math-verify"],
                                                       strict=True)):
                if ours != theirs:
                    prediction, gold, label = pairs[index]
                    disagreements.append({"set": set_name, "index": index, "gold": gold, "label": label,
                                          "verimath": ours, "math_verify": theirs,
                                          "extracted": grade(prediction, gold).extracted,
                                          "prediction_tail": prediction[-300:]})
    header = f"{'set/grader':24} {'checks':>7} {'checks/s':>9} {'median ms':>10} {'p99 ms':>8} " \
             f"{'max ms':>8} {'true':>7} {'agree':>7}"
    print(header)
    print("-" * len(header))
    for name, row in report.items():
        agree = row["agreement_with_labels"]
        print(f"{name:24} {row['checks']:>7} {row['checks_per_s']:>9.0f} {row['median_ms']:>10.3f} "
              f"{row['p99_ms']:>8.2f} {row['max_ms']:>8.1f} {row['share_true']:>7.2%} "
              f"{'' if agree is None else f'{agree:.2%}':>7}")
    if len(graders) == 2:
        ours = sum(report[f"{s}/verimath"]["total_s"] for s in sets)
        theirs = sum(report[f"{s}/math-verify"]["total_s"] for s in sets)
        report["speedup_total"] = {"verimath_s": ours, "math_verify_s": theirs, "ratio": theirs / ours}
        print(f"\nin total: verimath {ours:.2f} s, Math-Verify {theirs:.2f} s -> "
              f"{theirs / ours:.1f}x faster; {len(disagreements)} disagreements")
    (RESULTS / "answers.json").write_text(json.dumps(report, indent=2) + "\n")
    with (RESULTS / "answers_disagreements.jsonl").open("w") as handle:
        for row in disagreements:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
