"""Estimators against brute-force enumeration of k-subsets on small cases."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verimath.scaling import best_of_k, majority_odds, pass_at_k, weighted_vote_at_k


def brute_vote(labels, weights, k):
    """Enumerate every k-subset: (expected win share per cluster, P(tie at top), P(no answer))."""
    clusters = max(labels, default=-1) + 1
    win, ties, empty = [Fraction(0)] * clusters, Fraction(0), Fraction(0)
    subsets = list(itertools.combinations(range(len(labels)), k))
    for subset in subsets:
        totals = Counter()
        for i in subset:
            if labels[i] >= 0:
                totals[labels[i]] += weights[i]
        if not totals or max(totals.values()) == 0:
            empty += 1
            continue
        top = max(totals.values())
        winners = [c for c, v in totals.items() if v == top]
        ties += len(winners) > 1
        for c in winners:
            win[c] += Fraction(1, len(winners))
    total = len(subsets)
    return [w / total for w in win], ties / total, empty / total


def labels_from(sizes, abstentions):
    return [c for c, m in enumerate(sizes) for _ in range(m)] + [-1] * abstentions


@given(c=st.integers(0, 8), extra=st.integers(0, 8), data=st.data())
def test_pass_at_k_equals_enumeration(c, extra, data):
    n = c + extra
    if n == 0:
        return
    k = data.draw(st.integers(1, n))
    correct = [True] * c + [False] * extra
    subsets = list(itertools.combinations(correct, k))
    assert pass_at_k(n, c, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets), abs=1e-12)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=0, max_size=4), abstentions=st.integers(0, 2),
       data=st.data())
def test_majority_odds_equal_enumeration(sizes, abstentions, data):
    n = sum(sizes) + abstentions
    if n == 0:
        return
    ks = data.draw(st.lists(st.integers(1, n), min_size=1, max_size=3, unique=True))
    labels = labels_from(sizes, abstentions)
    odds = majority_odds(sizes, abstentions, ks)
    for k in ks:
        win, tie, empty = brute_vote(labels, [1] * n, k)
        assert odds[k].win == pytest.approx([float(w) for w in win], abs=1e-9)
        assert odds[k].tie == pytest.approx(float(tie), abs=1e-9)
        assert odds[k].empty == pytest.approx(float(empty), abs=1e-12)
        assert sum(odds[k].win) + odds[k].empty == pytest.approx(1.0, abs=1e-9)


def test_majority_odds_stay_finite_where_counts_overflow_floats():
    # C(1100, 550) is about 1e330: counting subsets in floating point would overflow.
    odds = majority_odds([1080, 10], 10, [1, 21, 1099])
    assert odds[1].win == pytest.approx((1080 / 1100, 10 / 1100))
    assert odds[1099].win == pytest.approx((1.0, 0.0))
    # With 21 draws the small cluster wins only when it gets all 10 of its votes and the big one at most 10.
    small = sum(math.comb(10, 10) * math.comb(1080, b) * math.comb(10, 11 - b)
                for b in range(1, 10)) / math.comb(1100, 21)
    tied = math.comb(10, 10) * math.comb(1080, 10) * math.comb(10, 1) / math.comb(1100, 21)
    assert odds[21].win[1] == pytest.approx(small + tied / 2, rel=1e-9)
    assert odds[21].tie == pytest.approx(tied, rel=1e-9)
    assert all(math.isfinite(w) for k in odds for w in odds[k].win)


def test_all_distinct_answers_tie_for_every_k_above_one():
    odds = majority_odds([1] * 6, 0, [1, 2, 6])
    assert odds[1].tie == 0.0
    assert odds[2].tie == pytest.approx(1.0)
    assert odds[6].win == pytest.approx([1 / 6] * 6)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_weighted_vote_equals_enumeration_when_exhaustive(data):
    n = data.draw(st.integers(1, 8))
    labels = data.draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n))
    clusters = max(labels) + 1
    weights = data.draw(st.lists(st.sampled_from([0.1, 0.5, 1.0, 2.0]), min_size=n, max_size=n))
    correct = data.draw(st.lists(st.booleans(), min_size=clusters, max_size=clusters))
    k = data.draw(st.integers(1, n))
    win, tie, _ = brute_vote(labels, [Fraction(w).limit_denominator() for w in weights], k)
    expected = float(sum(w for w, ok in zip(win, correct, strict=True) if ok))
    got, got_tie = weighted_vote_at_k(labels, weights, correct, k)
    assert got == pytest.approx(expected, abs=1e-9)
    assert got_tie == pytest.approx(float(tie), abs=1e-9)


def test_weighted_vote_with_unit_weights_matches_exact_majority_when_sampled():
    sizes, labels = [9, 7, 4], labels_from([9, 7, 4], 2)
    exact = majority_odds(sizes, 2, [5]).get(5)
    correct = [False, True, False]
    sampled, _ = weighted_vote_at_k(labels, [1.0] * len(labels), correct, 5, max_subsets=20000, seed=3)
    assert sampled == pytest.approx(exact.win[1], abs=0.015)


def test_weights_change_the_winner():
    labels, correct = [0, 0, 1], [False, True]
    assert weighted_vote_at_k(labels, [1.0, 1.0, 1.0], correct, 3)[0] == 0.0
    assert weighted_vote_at_k(labels, [0.1, 0.1, 1.0], correct, 3)[0] == 1.0


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_best_of_k_equals_enumeration(data):
    n = data.draw(st.integers(1, 8))
    scores = data.draw(st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.3, 0.5, 0.9])), min_size=n,
                                max_size=n))
    correct = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    k = data.draw(st.integers(1, n))
    key = [-math.inf if s is None else s for s in scores]
    expected = Fraction(0)
    subsets = list(itertools.combinations(range(n), k))
    for subset in subsets:
        top = max(key[i] for i in subset)
        best = [i for i in subset if key[i] == top]
        expected += Fraction(sum(correct[i] for i in best), len(best))
    assert best_of_k(scores, correct, k) == pytest.approx(float(expected / len(subsets)), abs=1e-12)
