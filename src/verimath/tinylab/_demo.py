"""The main job: the tiny model with and without tools, on a freshly generated held-out set.

Writes the held-out set as JSONL, runs ``verimath eval`` on it with ``pal`` and with ``direct`` (one run
directory each, resumable), and reads the runs back into a comparison by operand length plus an HTML report
per strategy. Returns values; printing is the CLI's job.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from verimath.eval import EvalConfig, Progress, RunStore, build_report, evaluate, render_html
from verimath.problems import write_jsonl
from verimath.tinylab._data import HELD_OUT_SEED, held_out

STRATEGIES = ("pal", "direct")


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Correct first samples of each strategy on the problems whose metadata field has ``value``
    (``operand_digits``: digits of the largest number in the question; ``widen``: the range factor)."""

    value: int
    problems: int
    correct: dict[str, int]


@dataclass(frozen=True, slots=True)
class StrategyRun:
    strategy: str
    run_dir: Path
    html: Path
    problems: int
    correct: int
    wall_s: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.problems if self.problems else 0.0


@dataclass(frozen=True, slots=True)
class DemoResult:
    dataset: Path
    model: str
    runs: tuple[StrategyRun, ...]
    by_length: tuple[GroupRow, ...]
    by_range: tuple[GroupRow, ...]
    wall_s: float

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": str(self.dataset), "model": self.model, "wall_s": round(self.wall_s, 2),
            "runs": [{"strategy": r.strategy, "run_dir": str(r.run_dir), "html": str(r.html),
                      "problems": r.problems, "correct": r.correct, "accuracy": round(r.accuracy, 4),
                      "wall_s": round(r.wall_s, 2)} for r in self.runs],
            "by_operand_digits": [_row_dict("digits", row) for row in self.by_length],
            "by_range_factor": [_row_dict("widen", row) for row in self.by_range],
        }


def _row_dict(name: str, row: GroupRow) -> dict[str, object]:
    return {name: row.value, "problems": row.problems,
            **{s: round(c / row.problems, 4) for s, c in row.correct.items()}}


def _correct_by(run_dir: Path, field: str) -> dict[int, tuple[int, int]]:
    """Value of the metadata ``field`` -> (problems, first samples correct)."""
    out: dict[int, tuple[int, int]] = {}
    with RunStore.open(run_dir) as store:
        for problem, records in store.attempts(with_attempt=False):
            value = int(problem.metadata.get(field, 0))
            seen, correct = out.get(value, (0, 0))
            out[value] = (seen + 1, correct + int(bool(records and records[0].correct)))
    return out


def _rows(counts: dict[str, dict[int, tuple[int, int]]]) -> tuple[GroupRow, ...]:
    values = sorted({v for c in counts.values() for v in c})
    return tuple(GroupRow(v, counts[STRATEGIES[0]].get(v, (0, 0))[0],
                          {s: counts[s].get(v, (0, 0))[1] for s in STRATEGIES}) for v in values)


def run_demo(out_dir: Path, *, n: int = 120, model: str = "builtin:tiny", seed: int = HELD_OUT_SEED,
             concurrency: int = 64, on_progress: Callable[[str, Progress], None] | None = None) -> DemoResult:
    """Generate ``n`` held-out problems into ``out_dir``, evaluate ``model`` on them with pal and direct
    (fresh run directories each time), and write one HTML report per strategy."""
    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = out_dir / "held_out.jsonl"
    write_jsonl(held_out(n, seed=seed), dataset)
    runs = []
    by_length: dict[str, dict[int, tuple[int, int]]] = {}
    by_range: dict[str, dict[int, tuple[int, int]]] = {}
    for strategy in STRATEGIES:
        began = time.perf_counter()
        run_dir = out_dir / f"run-{strategy}"
        # a fresh run: the weights behind builtin:tiny may have changed
        shutil.rmtree(run_dir, ignore_errors=True)
        report_progress = (lambda p, s=strategy: on_progress(s, p)) if on_progress is not None else None
        final = evaluate(EvalConfig(dataset=str(dataset), model=model, run_dir=run_dir, strategy=strategy,
                                    concurrency=concurrency), report_progress)
        html = out_dir / f"report-{strategy}.html"
        html.write_text(render_html(build_report(run_dir), run_dir), encoding="utf-8")
        by_length[strategy] = _correct_by(run_dir, "operand_digits")
        by_range[strategy] = _correct_by(run_dir, "widen")
        runs.append(StrategyRun(strategy, run_dir, html, final.done, final.correct,
                                time.perf_counter() - began))
    return DemoResult(dataset, model, tuple(runs), _rows(by_length), _rows(by_range),
                      time.perf_counter() - start)
