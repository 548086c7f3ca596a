"""Scoring one problem's samples: clusters, first-sample accuracy, pass@k, maj@k, weighted votes,
best-of-k."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from verimath.scaling._clusters import Equivalence, cluster_answers
from verimath.scaling._estimators import best_of_k, majority_odds, pass_at_k, weighted_vote_at_k
from verimath.scaling._weights import ExecutionWeights, VerificationWeights, Weighting


@dataclass(frozen=True, slots=True)
class Sample:
    """What the estimators need to know about one sampled attempt."""

    answer: str | None
    """The extracted final answer, or None when there is none (the sample abstains from votes)."""
    correct: bool
    """The grader's verdict on ``answer``."""
    verification: str | None = None
    """Self-verification state: ``"true"``, ``"false"``, ``"uncertain"`` or None."""
    exec_failures: int = 0
    """Code cells that raised or timed out."""
    failed: bool = False
    """The attempt itself ended in an error."""
    score: float | None = None
    """An external reward score, when the run has one."""
    tokens: int = 0
    """Tokens spent (prompt and completion)."""
    code_calls: int = 0
    """Code cells executed."""
    wall_s: float = 0.0
    """Wall-clock seconds of the attempt."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """One class of equivalent answers among a problem's samples."""

    answer: str
    """The representative's answer text (the first sample that gave it)."""
    representative: int
    """Index of that sample."""
    size: int
    """Number of samples in the class: its plain votes."""
    correct: bool
    """The representative's verdict, which stands for the class."""
    votes: Mapping[str, float]
    """Total weight of the class under each weighting, over all samples."""
    share: float
    """Its expected share of a plain vote over all samples (ties split)."""


@dataclass(frozen=True, slots=True)
class ProblemScores:
    """Per-problem estimates, each keyed by k (only k <= the number of samples)."""

    samples: int
    first: float
    """Correctness of the first sample (1.0 or 0.0)."""
    pass_at: Mapping[int, float]
    maj_at: Mapping[int, float]
    tie_at: Mapping[int, float]
    """Probability that a plain vote over k samples ends in a tie at the top."""
    weighted_at: Mapping[str, Mapping[int, float]]
    best_at: Mapping[int, float]
    """Best-of-k by score; empty when no sample has a score."""
    clusters: tuple[Cluster, ...]
    abstentions: int
    tokens: int
    code_calls: int
    wall_s: float


DEFAULT_WEIGHTINGS: tuple[Weighting, ...] = (VerificationWeights(), ExecutionWeights())


def default_ks(n: int) -> list[int]:
    """Powers of two up to n, and n itself."""
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return [*ks, n] if n else []


def score_problem(samples: Sequence[Sample], ks: Sequence[int] | None = None, *,
                  equivalent: Equivalence | None = None,
                  weightings: Sequence[Weighting] = DEFAULT_WEIGHTINGS, seed: int = 0) -> ProblemScores:
    """Score one problem's samples at each k in ``ks`` (default :func:`default_ks`); k above the number of
    samples is skipped. ``seed`` makes the sampled weighted-vote estimates reproducible."""
    n = len(samples)
    if not n:
        raise ValueError("a problem needs at least one sample to be scored")
    ks = sorted({k for k in (ks or default_ks(n)) if 1 <= k <= n} | {n})
    groups = cluster_answers([s.answer for s in samples], equivalent)
    sizes = groups.sizes
    right = [samples[r].correct for r in groups.representatives]
    odds = majority_odds(sizes, groups.abstentions, ks)
    c = sum(s.correct for s in samples)
    weights = {w.name: [w(s) for s in samples] for w in weightings}
    votes = {name: [0.0] * len(sizes) for name in weights}
    for name, ws in weights.items():
        for label, weight in zip(groups.labels, ws, strict=True):
            if label >= 0:
                votes[name][label] += weight
    has_scores = any(s.score is not None for s in samples)
    maj_at = {k: sum(w for w, ok in zip(odds[k].win, right, strict=True) if ok) for k in ks}
    return ProblemScores(
        samples=n,
        first=float(samples[0].correct),
        pass_at={k: pass_at_k(n, c, k) for k in ks},
        maj_at=maj_at,
        tie_at={k: odds[k].tie for k in ks},
        weighted_at={name: _weighted(groups.labels, ws, right, ks, seed, plain=maj_at)
                     for name, ws in weights.items()},
        best_at={k: best_of_k([s.score for s in samples], [s.correct for s in samples], k) for k in ks}
        if has_scores else {},
        clusters=tuple(
            Cluster(answer=(samples[r].answer or "").strip(), representative=r, size=sizes[i],
                    correct=right[i], votes={name: v[i] for name, v in votes.items()}, share=odds[n].win[i])
            for i, r in enumerate(groups.representatives)),
        abstentions=groups.abstentions,
        tokens=sum(s.tokens for s in samples),
        code_calls=sum(s.code_calls for s in samples),
        wall_s=sum(s.wall_s for s in samples),
    )


def _weighted(labels: Sequence[int], weights: Sequence[float], right: Sequence[bool], ks: Sequence[int],
              seed: int,
              *, plain: Mapping[int, float]) -> dict[int, float]:
    """Weighted-vote accuracy by k; equal positive weights on every answer make it the plain vote (exact)."""
    used = {w for label, w in zip(labels, weights, strict=True) if label >= 0}
    if len(used) == 1 and next(iter(used)) > 0:
        return dict(plain)
    return {k: weighted_vote_at_k(labels, weights, right, k, seed=seed)[0] for k in ks}
