"""Runs as wholes: listing the runs under a folder, exporting a run's samples as JSONL, comparing two runs on
the problems they share (paired bootstrap intervals of each metric's difference, and the problems that
flip)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rich.table import Table

from verimath.eval._report import Report
from verimath.eval._store import DB_NAME, RunStore
from verimath.scaling import HEADLINE, Bootstrap, ProblemScores


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One line of ``verimath runs``."""

    path: Path
    model: str
    strategy: str
    dataset: str
    """The dataset's path as given (or its hub name)."""
    problems: int
    samples: int
    """Graded attempts stored."""
    accuracy: float
    """Share of graded attempts that are correct (NaN when none)."""
    errors: int
    date: str
    """When the last session started (UTC)."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "model": self.model, "strategy": self.strategy,
                "dataset": self.dataset, "problems": self.problems, "samples": self.samples,
                "accuracy": None if math.isnan(self.accuracy) else round(self.accuracy, 6),
                "errors": self.errors, "date": self.date}


def list_runs(folder: str | Path) -> list[RunInfo]:
    """The runs in ``folder`` and its subfolders (any depth), by path."""
    root = Path(folder)
    infos = []
    for db in sorted(root.rglob(DB_NAME)):
        with RunStore.open(db.parent) as store:
            manifest, counts = store.manifest(), store.counts()
        identity = manifest.get("identity", {})
        sessions = manifest.get("sessions") or [{}]
        config = sessions[-1].get("config", {})
        dataset = config.get("dataset") or identity.get("dataset", {}).get("name") or "?"
        infos.append(RunInfo(db.parent, str(identity.get("model", "?")), str(identity.get("strategy", "?")),
                             str(dataset), counts.problems, counts.attempts,
                             counts.correct / counts.attempts if counts.attempts else math.nan, counts.errors,
                             str(sessions[-1].get("started", "?"))))
    return infos


def runs_table(infos: list[RunInfo], folder: str | Path) -> Table:
    """The runs as a terminal table, paths relative to ``folder`` and datasets by file name."""
    table = Table(title=f"{len(infos)} runs in {folder}")
    for col in ("run", "model", "strategy", "dataset", "problems", "samples", "accuracy %", "errors", "date"):
        numeric = col in ("problems", "samples", "accuracy %", "errors")
        table.add_column(col, justify="right" if numeric else "left")
    for r in infos:
        path = r.path.relative_to(folder) if r.path.is_relative_to(folder) else r.path
        table.add_row(str(path), r.model, r.strategy, Path(r.dataset).name, str(r.problems), str(r.samples),
                      "—" if math.isnan(r.accuracy) else f"{100 * r.accuracy:.1f}", str(r.errors), r.date)
    return table


def export_samples(run_dir: str | Path, out: IO[str]) -> int:
    """Write one JSON line per stored sample (problem, messages sent, answer, verdict, error, timings) to
    ``out``, in run order; returns how many."""
    rows = 0
    with RunStore.open(run_dir) as store:
        for problem, records in store.attempts():
            for r in records:
                attempt = r.attempt
                row = {"problem_id": problem.id, "sample": r.sample, "question": problem.question,
                       "gold": problem.gold, "metadata": dict(problem.metadata),
                       "messages": attempt.get("messages", []), "answer": r.answer, "correct": r.correct,
                       "verdict": r.verdict.to_dict(), "grader": r.grader, "verification": r.verification,
                       "error": r.error, "errored": r.errored,
                       "timings": {"wall_s": r.wall_s, "model_s": attempt.get("model_s"),
                                   "exec_s": attempt.get("exec_s")},
                       "tokens": r.tokens, "model_calls": attempt.get("model_calls"),
                       "code_calls": r.code_calls}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows += 1
    return rows


@dataclass(frozen=True, slots=True)
class Difference:
    """Run B minus run A for one metric, over the shared problems, with a paired bootstrap 95% interval."""

    metric: str
    a: float
    b: float
    delta: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two runs on the problems they both have graded."""

    shared: int
    only_a: int
    only_b: int
    differences: tuple[Difference, ...]
    gained: tuple[str, ...]
    """Problems B solves (most samples correct) that A does not."""
    lost: tuple[str, ...]
    """Problems A solves that B does not."""

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        return {"shared": self.shared, "only_a": self.only_a, "only_b": self.only_b,
                "metrics": {d.metric: {"a": num(d.a), "b": num(d.b), "delta": num(d.delta),
                                       "ci95": [num(d.low), num(d.high)]} for d in self.differences},
                "gained": list(self.gained), "lost": list(self.lost)}


def _metrics(scores: ProblemScores, ks: list[int]) -> Iterator[tuple[str, float]]:
    yield "first-sample accuracy", scores.first
    for k in ks:
        yield f"pass@{k}", scores.pass_at[k]
    for k in ks:
        if k > 1:
            yield f"maj@{k}", scores.maj_at[k]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def compare_runs(a: Report, b: Report, *, bootstrap: Bootstrap | None = None) -> Comparison:
    """Compare runs ``a`` and ``b`` problem by problem on the problems both graded: for each metric (pass@1,
    first-sample accuracy, pass@k and maj@k for the k both runs have), B - A with a paired bootstrap interval
    (resampling shared problems), and the problems whose majority of samples flips between right and wrong."""
    shared = [pid for pid in a.problems if pid in b.problems]
    boot = bootstrap or Bootstrap()
    ks = sorted({k for pid in shared for k in a.problems[pid].pass_at} & {k for pid in shared
                                                                        for k in b.problems[pid].pass_at})
    ks = [k for k in ks if all(k in a.problems[p].pass_at and k in b.problems[p].pass_at for p in shared)]
    values: dict[str, tuple[list[float], list[float]]] = {HEADLINE: ([], [])}
    for pid in shared:
        for report, side in ((a, 0), (b, 1)):
            scores = report.problems[pid]
            values[HEADLINE][side].append(scores.pass_at[1])
            for name, value in _metrics(scores, ks):
                if name != HEADLINE:
                    values.setdefault(name, ([], []))[side].append(value)
    differences = []
    for name, (xs, ys) in values.items():
        deltas = [y - x for x, y in zip(xs, ys, strict=True)]
        differences.append(Difference(name, _mean(xs), _mean(ys), _mean(deltas), *boot.interval(deltas)))

    def solved(scores: ProblemScores) -> bool:
        return scores.pass_at[1] > 0.5

    gained = tuple(p for p in shared if solved(b.problems[p]) and not solved(a.problems[p]))
    lost = tuple(p for p in shared if solved(a.problems[p]) and not solved(b.problems[p]))
    return Comparison(len(shared), len(a.problems) - len(shared), len(b.problems) - len(shared),
                      tuple(differences), gained, lost)


def comparison_table(c: Comparison, names: Mapping[str, str]) -> Table:
    """The comparison as a terminal table (``names``: ``a`` and ``b`` labels)."""
    table = Table(title=f"{names['b']} vs {names['a']} on {c.shared} shared problems"
                        f" ({c.only_a} only in A, {c.only_b} only in B)")
    for col in ("metric", "A %", "B %", "B − A (points)", "95% CI (paired bootstrap)"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for d in c.differences:
        table.add_row(d.metric, f"{100 * d.a:.1f}", f"{100 * d.b:.1f}", f"{100 * d.delta:+.1f}",
                      f"{100 * d.low:+.1f} … {100 * d.high:+.1f}")
    table.caption = (f"flips (most samples right in one run, not the other): {len(c.gained)} gained by B, "
                     f"{len(c.lost)} lost by B")
    return table
