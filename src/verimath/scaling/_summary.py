"""Aggregating per-problem scores into a run summary: means with bootstrap intervals, per-group breakdowns,
compute accounting and accuracy-versus-compute curves."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verimath.scaling._problem import ProblemScores
from verimath.scaling._stats import Bootstrap


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over problems with its bootstrap confidence interval."""

    value: float
    low: float
    high: float
    problems: int
    """Number of problems the mean is over (those with enough samples for its k)."""


@dataclass(frozen=True, slots=True)
class Compute:
    """What the samples cost, in total and per sample."""

    tokens: int
    code_calls: int
    wall_s: float
    samples: int

    def per_sample(self) -> dict[str, float]:
        """Mean tokens, code calls and wall seconds per sample."""
        s = max(self.samples, 1)
        return {"tokens": self.tokens / s, "code_calls": self.code_calls / s, "wall_s": self.wall_s / s}


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Accuracy against mean compute per problem when k samples are drawn for each problem."""

    k: int
    tokens: float
    code_calls: float
    wall_s: float
    accuracy: Mapping[str, float]
    """Keyed ``pass``, ``maj``, ``weighted:NAME``, ``best``."""


HEADLINE = "pass@1"
"""The one number a run is summed up by: pass@1, the mean over problems of the share of a problem's samples
that are correct (the expected accuracy of one sample, using every sample drawn, not only the first)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """Metrics of a set of problems. Keys of the ``*_at_k`` maps are k."""

    problems: int
    samples: int
    accuracy: Estimate
    """Accuracy of each problem's first sample (the headline is :attr:`headline`, pass@1 over all samples)."""
    pass_at_k: Mapping[int, Estimate]
    maj_at_k: Mapping[int, Estimate]
    tie_at_k: Mapping[int, float]
    """Mean probability that a plain vote over k samples is tied at the top."""
    weighted_at_k: Mapping[str, Mapping[int, Estimate]]
    best_of_k: Mapping[int, Estimate]
    compute: Compute
    curve: tuple[CurvePoint, ...]
    groups: Mapping[str, Mapping[str, Summary]] = field(default_factory=dict)
    """Per-group summaries: ``groups[key][label]``, e.g. ``groups["level"]["Level 5"]``."""

    @property
    def headline(self) -> Estimate:
        """The :data:`HEADLINE` metric, pass@1, with its 95% interval (NaN for no problems)."""
        return self.pass_at_k.get(1) or Estimate(math.nan, math.nan, math.nan, 0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (k keys become strings; undefined values become None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        def values(m: Mapping[int, Estimate]) -> dict[str, float | None]:
            return {str(k): num(e.value) for k, e in m.items()}

        def cis(m: Mapping[int, Estimate]) -> dict[str, list[float | None]]:
            return {str(k): [num(e.low), num(e.high)] for k, e in m.items()}

        headline = self.headline
        return {
            "headline": {"metric": HEADLINE, "value": num(headline.value),
                         "ci95": [num(headline.low), num(headline.high)]},
            "problems": self.problems,
            "samples": self.samples,
            "accuracy": num(self.accuracy.value),
            "pass_at_k": values(self.pass_at_k),
            "maj_at_k": values(self.maj_at_k),
            "tie_at_k": {str(k): num(v) for k, v in self.tie_at_k.items()},
            "weighted_at_k": {name: values(m) for name, m in self.weighted_at_k.items()},
            "best_of_k": values(self.best_of_k),
            "problems_at_k": {str(k): e.problems for k, e in self.pass_at_k.items()},
            "ci95": {
                "accuracy": [num(self.accuracy.low), num(self.accuracy.high)],
                "pass_at_k": cis(self.pass_at_k),
                "maj_at_k": cis(self.maj_at_k),
                "weighted_at_k": {name: cis(m) for name, m in self.weighted_at_k.items()},
                "best_of_k": cis(self.best_of_k),
            },
            "compute": {"tokens": self.compute.tokens, "code_calls": self.compute.code_calls,
                        "wall_s": round(self.compute.wall_s, 3),
                        "per_sample": {k: round(v, 4) for k, v in self.compute.per_sample().items()}},
            "curve": [{"k": p.k, "tokens": round(p.tokens, 2), "code_calls": round(p.code_calls, 3),
                       "wall_s": round(p.wall_s, 4), "accuracy": {m: num(v) for m, v in p.accuracy.items()}}
                      for p in self.curve],
            "groups": {key: {label: s.to_dict() for label, s in by.items()}
                       for key, by in self.groups.items()},
        }


def _estimates(scores: Sequence[ProblemScores], pick: Callable[[ProblemScores], Mapping[int, float]],
               boot: Bootstrap) -> dict[int, Estimate]:
    by_k: dict[int, list[float]] = {}
    for s in scores:
        for k, v in pick(s).items():
            by_k.setdefault(k, []).append(v)
    return {k: Estimate(sum(vs) / len(vs), *boot.interval(vs), len(vs)) for k, vs in sorted(by_k.items())}


def _curve(scores: Sequence[ProblemScores],
           metrics: Mapping[str, Mapping[int, Estimate]]) -> tuple[CurvePoint, ...]:
    points = []
    for k in sorted(metrics["pass"]):
        eligible = [s for s in scores if s.samples >= k]
        tokens, calls, wall = (sum(getattr(s, f) / s.samples for s in eligible) / len(eligible) * k
                               for f in ("tokens", "code_calls", "wall_s"))
        points.append(CurvePoint(k, tokens, calls, wall,
                                 {name: m[k].value for name, m in metrics.items() if k in m}))
    return tuple(points)


def _weighted_by(name: str) -> Callable[[ProblemScores], Mapping[int, float]]:
    return lambda s: s.weighted_at.get(name, {})


def summarize(scores: Sequence[ProblemScores], group_by: Mapping[str, Sequence[str | None]] | None = None, *,
              bootstrap: Bootstrap | None = None) -> Summary:
    """Summarize problems' scores. ``group_by[key][i]`` is problem i's label under ``key`` (None: not in any
    group); each key gets a summary per label. Intervals are percentile-bootstrap intervals over problems."""
    boot = bootstrap or Bootstrap()
    names = sorted({name for s in scores for name in s.weighted_at})
    pass_k = _estimates(scores, lambda s: s.pass_at, boot)
    maj_k = _estimates(scores, lambda s: s.maj_at, boot)
    weighted = {name: _estimates(scores, _weighted_by(name), boot) for name in names}
    best = _estimates(scores, lambda s: s.best_at, boot)
    ties = {k: e.value for k, e in _estimates(scores, lambda s: s.tie_at, boot).items()}
    firsts = [s.first for s in scores]
    metrics = {"pass": pass_k, "maj": maj_k, **{f"weighted:{n}": m for n, m in weighted.items()},
               "best": best}
    groups = {}
    for key, labels in (group_by or {}).items():
        members: dict[str, list[ProblemScores]] = {}
        for s, label in zip(scores, labels, strict=True):
            if label is not None:
                members.setdefault(label, []).append(s)
        groups[key] = {label: summarize(ms, bootstrap=boot) for label, ms in sorted(members.items())}
    return Summary(
        problems=len(scores),
        samples=sum(s.samples for s in scores),
        accuracy=Estimate(sum(firsts) / len(firsts) if firsts else math.nan, *boot.interval(firsts),
                          len(firsts)),
        pass_at_k=pass_k, maj_at_k=maj_k, tie_at_k=ties, weighted_at_k=weighted, best_of_k=best,
        compute=Compute(sum(s.tokens for s in scores), sum(s.code_calls for s in scores),
                        sum(s.wall_s for s in scores), sum(s.samples for s in scores)),
        curve=_curve(scores, metrics) if scores else (),
        groups=groups,
    )
