"""Per-problem estimators over k-subsets of n samples: pass@k, maj@k (exact), weighted votes, best-of-k.

Every estimator answers "if we had drawn k of these n samples uniformly at random, what is the expected
score?", which uses all n samples instead of only the first k. Ties between top clusters split the credit
equally (the expectation under a uniformly random tie-break); their probability is reported alongside.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: the probability that at least one of k samples drawn without replacement from n
    samples, c of them correct, is correct (``1 - C(n-c, k) / C(n, k)``, computed as a stable product)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass(frozen=True, slots=True)
class VoteOdds:
    """Outcome probabilities of a plurality vote over a uniformly random k-subset.

    ``win[c]`` is cluster ``c``'s expected share of the win (ties split it equally), ``tie`` the probability
    that two or more clusters share the top count, ``empty`` the probability that no sample in the subset
    has an answer. ``sum(win) + empty == 1``.
    """

    k: int
    win: tuple[float, ...]
    tie: float
    empty: float


class _LogComb:
    """log C(x, y) from a table of log-factorials, -inf where y lies outside 0..x."""

    def __init__(self, n: int) -> None:
        self._lf = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))])

    def __call__(self, x: int | np.ndarray, y: int | np.ndarray) -> np.ndarray:
        x, y = np.asarray(x), np.asarray(y)
        ok = (y >= 0) & (y <= x)
        xs, ys = np.where(ok, x, 0), np.where(ok, y, 0)
        return np.where(ok, self._lf[xs] - self._lf[ys] - self._lf[xs - ys], -np.inf)


def majority_odds(sizes: Sequence[int], abstentions: int, ks: Sequence[int]) -> dict[int, VoteOdds]:
    """Exact plurality-vote odds for each k in ``ks``, given cluster sizes and the number of samples without
    an answer.

    For a target cluster holding ``a`` votes in the subset, every other cluster must hold at most ``a``; a
    dynamic programme over the other clusters counts the ways, tracking how many hold exactly ``a`` (a tie).
    Clusters smaller than ``a`` cannot reach the top and are pooled with the abstentions. The programme keeps
    probabilities (hypergeometric weights) rather than counts, so it stays within floating point for
    thousands of samples. Clusters of equal size share one computation.
    """
    n = sum(sizes) + abstentions
    if not ks:
        return {}
    if any(not 1 <= k <= n for k in ks):
        raise ValueError(f"k must lie in 1..{n}, got {sorted(ks)}")
    kmax = max(ks)
    logc = _LogComb(n)
    draws = np.arange(kmax + 1)
    win = np.zeros((kmax + 1, len(sizes)))
    tie = np.zeros(kmax + 1)
    by_size = Counter(sizes)
    members = {m: [c for c, s in enumerate(sizes) if s == m] for m in by_size}
    for m, count in by_size.items():
        for a in range(1, min(m, kmax) + 1):
            rivals = [s for s, cnt in by_size.items() if s >= a for _ in range(cnt - (s == m))]
            seen = n - m - sum(rivals)  # the pool: abstentions and clusters too small to reach a votes
            # poly[s, t]: probability that s draws from the samples seen so far leave every rival at most a
            # votes, t of them exactly a.
            poly = np.zeros((kmax + 1, len(rivals) + 1))
            poly[: seen + 1, 0] = 1.0
            votes = np.arange(a + 1)
            # draws from the earlier clusters, by votes b for this rival
            back = draws[:, None] - votes[None, :]
            source = np.maximum(back, 0)
            for r in rivals:
                # -inf beyond seen + r draws, where nothing is possible
                whole = logc(seen + r, draws)[:, None]
                possible = np.isfinite(whole) & (back >= 0)
                weight = np.exp(np.where(possible, logc(r, votes)[None, :] + logc(seen, back)
                                         - np.where(possible, whole, 0.0), -np.inf))
                terms = poly[source] * weight[:, :, None]  # [s, b, t]
                poly = terms[:, :a, :].sum(axis=1)  # the rival stays below a: no new tie
                poly[:, 1:] += terms[:, a, :-1]  # the rival ties at a
                seen += r
            credit = poly / np.arange(1, len(rivals) + 2)
            k = draws[a:]
            target = np.exp(logc(m, a) + logc(n - m, k - a) - logc(n, k))
            win[a:, members[m]] += (target * credit.sum(axis=1)[: kmax + 1 - a])[:, None]
            tie[a:] += count * target * credit[:, 1:].sum(axis=1)[: kmax + 1 - a]
    return {k: VoteOdds(k, tuple(float(w) for w in win[k]), float(tie[k]),
                        math.comb(abstentions, k) / math.comb(n, k)) for k in ks}


def weighted_vote_at_k(labels: Sequence[int], weights: Sequence[float], correct: Sequence[bool], k: int,
                       *, max_subsets: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Expected correctness and tie probability of a weighted plurality vote over k-subsets.

    ``labels[i]`` is sample i's cluster (``-1`` abstains), ``weights[i]`` its vote weight, ``correct[c]``
    whether cluster c is right. The subsets are enumerated exactly when there are at most ``max_subsets`` of
    them, and otherwise ``max_subsets`` of them are drawn at random (seeded, so the estimate is reproducible).
    """
    n = len(labels)
    if not 1 <= k <= n:
        raise ValueError(f"k must lie in 1..{n}, got {k}")
    clusters = len(correct)
    if math.comb(n, k) <= max_subsets:
        subsets = np.array(list(itertools.combinations(range(n), k)), dtype=np.int64).reshape(-1, k)
    else:
        rng = np.random.default_rng(seed)
        subsets = np.argsort(rng.random((max_subsets, n)), axis=1)[:, :k]
    lab = np.asarray(labels, dtype=np.int64)[subsets]
    w = np.where(lab >= 0, np.asarray(weights, dtype=float)[subsets], 0.0)
    lab = np.where(lab >= 0, lab, clusters)  # abstentions vote for a dummy column, dropped below
    rows = np.repeat(np.arange(len(subsets)), k)
    sums = np.bincount(rows * (clusters + 1) + lab.ravel(), weights=w.ravel(),
                       minlength=len(subsets) * (clusters + 1)
                       ).reshape(len(subsets), clusters + 1)[:, :clusters]
    if clusters == 0:
        return 0.0, 0.0
    top = sums.max(axis=1, keepdims=True)
    winners = np.isclose(sums, top, rtol=1e-12, atol=0.0) & (top > 0)
    count = winners.sum(axis=1)
    right = (winners & np.asarray(correct, dtype=bool)).sum(axis=1)
    credit = np.divide(right, count, out=np.zeros(len(subsets)), where=count > 0)
    return float(credit.mean()), float((count > 1).mean())


def best_of_k(scores: Sequence[float | None], correct: Sequence[bool], k: int) -> float:
    """Expected correctness of the best-scored sample among k drawn without replacement (exact).

    Samples without a score rank below every scored one; equal scores split the pick uniformly.
    """
    n = len(scores)
    if not 1 <= k <= n:
        raise ValueError(f"k must lie in 1..{n}, got {k}")
    groups: dict[float, list[bool]] = {}
    for s, ok in zip(scores, correct, strict=True):
        groups.setdefault(-math.inf if s is None else float(s), []).append(bool(ok))
    total, below, expected = math.comb(n, k), 0, 0.0
    for score in sorted(groups):
        members = groups[score]
        picked = math.comb(below + len(members), k) - math.comb(below, k)
        expected += picked / total * (sum(members) / len(members))
        below += len(members)
    return expected
