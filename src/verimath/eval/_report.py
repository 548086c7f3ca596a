"""Reading a run back: metrics over the stored attempts (streamed, one problem at a time), errors counted
apart, and terminal tables."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from verimath.eval._store import AttemptRecord, RunStore
from verimath.scaling import (
    DEFAULT_WEIGHTINGS,
    HEADLINE,
    Drop,
    Equivalence,
    Estimate,
    Outcome,
    ProblemScores,
    Robustness,
    Sample,
    ScoreWeights,
    Summary,
    Weighting,
    robustness,
    score_problem,
    summarize,
)

GROUP_KEYS = ("level", "type", "subject", "template_id", "perturbation")
"""Metadata fields broken down by default, when problems have them."""


@dataclass(frozen=True, slots=True)
class Report:
    """A run's metrics: the summary, each problem's scores (in run order, by id) and the manifest. Metrics are
    over graded attempts only; errors (attempts that could not be made) are counted apart."""

    summary: Summary
    problems: Mapping[str, ProblemScores]
    """Problems with at least one graded attempt."""
    manifest: Mapping[str, Any]
    robustness: Robustness | None = None
    """Robustness metrics, when the problems carry lineage (variants, template instances)."""
    errors: int = 0
    """Stored attempts that could not be made (connection, HTTP status, timeout, model not found)."""
    error_messages: Mapping[str, int] = field(default_factory=dict)
    """The most frequent error messages with their counts."""

    def to_dict(self) -> dict[str, Any]:
        """The summary's dict, ``errors``, ``robustness`` when there is any, and the run's identity."""
        extra = {"robustness": self.robustness.to_dict()} if self.robustness is not None else {}
        return {**self.summary.to_dict(), "errors": self.errors, "error_messages": dict(self.error_messages),
                **extra, "run": {"fingerprint": self.manifest.get("fingerprint"),
                                 "identity": self.manifest.get("identity", {})}}


def outcome(problem_id: str, metadata: Mapping[str, Any], accuracy: float) -> Outcome:
    """A stored problem's lineage for :func:`verimath.scaling.robustness`: its kind is its ``perturbation``,
    else its template ``variant`` (other than ``base``); its template is ``variant_of`` or ``template_id``;
    its instantiation set is the ``#i`` of a generated id ``<template_id>#i``."""
    template_id = metadata.get("template_id")
    variant = metadata.get("variant")
    kind = metadata.get("perturbation") or (variant if variant not in (None, "base") else None)
    base = metadata.get("variant_of") or template_id
    match = re.fullmatch(re.escape(str(template_id)) + r"#(\d+)", problem_id) if template_id else None
    parent = metadata.get("parent_id")
    return Outcome(problem_id, accuracy, template=None if base is None else str(base),
                   parent=None if parent is None else str(parent), kind=None if kind is None else str(kind),
                   instance=int(match.group(1)) if match else None)


def _sample(record: AttemptRecord, score_field: str | None = None) -> Sample:
    """The estimators' view of a stored attempt (``score_field`` names a numeric field of the attempt)."""
    score = record.attempt.get(score_field) if score_field else None
    return Sample(answer=record.answer, correct=record.correct, verification=record.verification,
                  exec_failures=record.exec_failures,
                  failed=record.error is not None and record.answer is None,
                  score=float(score) if isinstance(score, int | float) else None, tokens=record.tokens,
                  code_calls=record.code_calls, wall_s=record.wall_s)


def build_report(run_dir: str | Path, *, ks: Sequence[int] | None = None,
                 equivalent: Equivalence | None = None,
                 score_field: str | None = None, group_keys: Sequence[str] = GROUP_KEYS) -> Report:
    """Score every problem of the run in ``run_dir`` and summarize, with per-group breakdowns by
    ``group_keys`` (those the problems' metadata has). Memory grows with problems, not with samples."""
    weightings: tuple[Weighting, ...] = DEFAULT_WEIGHTINGS + ((ScoreWeights(),) if score_field else ())
    scores: dict[str, ProblemScores] = {}
    labels: dict[str, list[str | None]] = {key: [] for key in group_keys}
    outcomes: list[Outcome] = []
    errors: Counter[str] = Counter()
    with RunStore.open(run_dir) as store:
        manifest = store.manifest()
        for position, (problem, records) in enumerate(store.attempts(with_attempt=bool(score_field))):
            errors.update(str(r.error) for r in records if r.errored)
            samples = [_sample(r, score_field) for r in records if not r.errored]
            if not samples:
                continue
            scores[problem.id] = score_problem(samples, ks, equivalent=equivalent, weightings=weightings,
                                               seed=position)
            for key in group_keys:
                value = problem.metadata.get(key)
                labels[key].append(None if value is None else str(value))
            outcomes.append(outcome(problem.id, problem.metadata,
                                    sum(s.correct for s in samples) / len(samples)))
    group_by = {key: values for key, values in labels.items() if any(v is not None for v in values)}
    return Report(summarize(list(scores.values()), group_by), scores, manifest, robustness(outcomes),
                  sum(errors.values()), dict(errors.most_common(5)))


def _pct(x: float, digits: int = 1) -> str:
    return "—" if x != x else f"{100 * x:.{digits}f}"


def summary_tables(summary: Summary, errors: int = 0) -> list[Table]:
    """Rich tables for a terminal: metrics by k as "value (95% CI)" in percent, then per-group breakdowns.
    ``errors`` (attempts never made) are shown apart from the metrics."""
    head = summary.headline
    failed = f", {errors} errors (not graded; rerun the eval command to retry them)" if errors else ""
    main = Table(title=f"{summary.problems} problems, {summary.samples} graded samples{failed} — {HEADLINE} "
                       f"{_pct(head.value)}% (95% CI {_pct(head.low)}–{_pct(head.high)})")
    main.add_column("k", justify="right")
    columns = [("pass@k", summary.pass_at_k), ("maj@k", summary.maj_at_k),
               *((f"weighted {n}", m) for n, m in summary.weighted_at_k.items())]
    if summary.best_of_k:
        columns.append(("best-of-k", summary.best_of_k))
    for name, _ in columns:
        main.add_column(name, justify="right")
    main.add_column("ties", justify="right")
    counts = {e.problems for e in summary.pass_at_k.values()}
    if len(counts) > 1:
        main.add_column("problems", justify="right")
    for k, est in summary.pass_at_k.items():
        cells = [f"{_pct(m[k].value)} ({_pct(m[k].low, 0)}–{_pct(m[k].high, 0)})" if k in m else "—"
                 for _, m in columns]
        main.add_row(str(k), *cells, _pct(summary.tie_at_k.get(k, float("nan"))),
                     *([str(est.problems)] if len(counts) > 1 else []))
    per = summary.compute.per_sample()
    main.caption = (f"% (95% bootstrap CI) · per sample: {per['tokens']:.0f} tokens, {per['code_calls']:.2f} "
                    f"code calls, {per['wall_s']:.2f} s")
    tables = [main]
    kmax = max(summary.pass_at_k, default=1)
    for key, groups in summary.groups.items():
        t = Table(title=f"by {key}")
        for col in (key, "problems", f"{HEADLINE} %", f"pass@{kmax} %", f"maj@{kmax} %"):
            t.add_column(col, justify="left" if col == key else "right")
        for label, s in groups.items():
            t.add_row(label, str(s.problems), _pct(s.headline.value),
                      _pct(s.pass_at_k[kmax].value) if kmax in s.pass_at_k else "—",
                      _pct(s.maj_at_k[kmax].value) if kmax in s.maj_at_k else "—")
        tables.append(t)
    return tables


def _ci(e: Estimate | None, points: bool = False) -> str:
    if e is None or e.value != e.value:
        return "—"
    return (f"{100 * e.value:+.1f} ({100 * e.low:+.0f}…{100 * e.high:+.0f})" if points else
            f"{_pct(e.value)} ({_pct(e.low, 0)}–{_pct(e.high, 0)})")


def compared_with(d: Drop) -> str:
    """What a kind's variants were compared with, in words."""
    if d.paired:
        return f"{d.drop.problems} parents"
    return "same templates" if d.reference.problems else "nothing (no parent or template evaluated)"


def robustness_tables(r: Robustness) -> list[Table]:
    """Rich tables of robustness metrics: drop per kind of variant, worst case per group, spread across
    instantiation sets (percent; drops in points, positive when variants are harder)."""
    title = "robustness"
    if r.originals is not None and r.variants is not None:
        title += (f": originals {_ci(r.originals)}% vs variants {_ci(r.variants)}%, drop {_ci(r.drop, True)} "
                  f"points")
    drops = Table(title=title)
    for col in ("variant kind", "variants", "compared with", "reference %", "variant %", "drop (points)"):
        drops.add_column(col, justify="left" if col in ("variant kind", "compared with") else "right")
    for kind, d in r.by_kind.items():
        drops.add_row(kind, str(d.problems), compared_with(d),
                      _ci(d.reference), _ci(d.variant), _ci(d.drop, True))
    drops.caption = "95% bootstrap CI; paired with each variant's parent where the parent was evaluated"
    tables = [drops] if r.by_kind else []
    if r.worst_case:
        worst = Table(title="worst case (every member of a group solved, one sample each)")
        for col in ("group", "groups", "mean accuracy %", "worst-case %"):
            worst.add_column(col, justify="left" if col == "group" else "right")
        for key, e in r.worst_case.items():
            worst.add_row(key, str(e.problems), _ci(r.mean[key]), _ci(e))
        tables.append(worst)
    if r.spread:
        spread = Table(title="spread across instantiation sets (set s: the s-th instance of every template)")
        for col in ("kind", "sets", "mean %", "std %", "min–max %"):
            spread.add_column(col, justify="left" if col == "kind" else "right")
        for kind, s in r.spread.items():
            spread.add_row(kind, str(s.sets), _pct(s.mean), _pct(s.std), f"{_pct(s.low)}–{_pct(s.high)}")
        tables.append(spread)
    return tables
