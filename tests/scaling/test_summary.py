from __future__ import annotations

import numpy as np
import pytest

from verimath.scaling import (
    ExecutionWeights,
    Sample,
    ScoreWeights,
    VerificationWeights,
    bootstrap_ci,
    score_problem,
    summarize,
)


def same(a: str, b: str) -> bool:
    return a == b


def test_bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    p, trials, covered = 0.3, 300, 0
    for t in range(trials):
        values = (rng.random(200) < p).astype(float)
        lo, hi = bootstrap_ci(values, resamples=400, seed=t)
        covered += lo <= p <= hi
    assert 0.90 <= covered / trials <= 0.985


def test_score_problem_combines_votes_weights_scores_and_compute():
    samples = [
        Sample("7", False, verification="false", exec_failures=2, score=0.2, tokens=100, code_calls=2,
               wall_s=1.0),
        Sample("7", False, verification="false", score=0.1, tokens=100, code_calls=1, wall_s=1.0),
        Sample("5", True, verification="true", score=0.9, tokens=50, code_calls=1, wall_s=0.5),
        Sample(None, False, failed=True, tokens=10),
    ]
    scores = score_problem(samples, [1, 2, 4], equivalent=same,
                           weightings=(VerificationWeights(), ExecutionWeights(), ScoreWeights()))
    assert scores.first == 0.0
    assert scores.pass_at[4] == 1.0 and scores.pass_at[1] == pytest.approx(0.25)
    assert scores.maj_at[4] == 0.0  # "7" has two plain votes against one
    assert scores.weighted_at["verification"][4] == 1.0  # 1.0 beats 0.1 + 0.1
    assert scores.weighted_at["score"][4] == 1.0
    assert scores.weighted_at["execution"][4] == 0.0  # 0.25 + 1.0 beats 1.0
    assert scores.best_at[4] == 1.0
    assert [(c.answer, c.size, c.correct) for c in scores.clusters] == [("7", 2, False), ("5", 1, True)]
    assert scores.clusters[0].votes["verification"] == pytest.approx(0.2)
    assert scores.abstentions == 1
    assert (scores.tokens, scores.code_calls, scores.wall_s) == (260, 4, 2.5)


def test_summary_means_groups_and_curve():
    right = [Sample("1", True, tokens=10)] * 4
    wrong = [Sample("1", False, tokens=30), Sample("2", False, tokens=30)]
    a, b = score_problem(right, equivalent=same), score_problem(wrong, equivalent=same)
    summary = summarize([a, b], {"level": ["1", "5"]})
    assert summary.problems == 2 and summary.samples == 6
    assert summary.accuracy.value == 0.5
    assert summary.pass_at_k[1].value == 0.5 and summary.pass_at_k[1].problems == 2
    assert summary.pass_at_k[4].problems == 1  # only the first problem has four samples
    assert summary.tie_at_k[2] == pytest.approx(0.5)  # the second problem always ties at k=2
    assert summary.groups["level"]["5"].accuracy.value == 0.0
    assert summary.groups["level"]["1"].maj_at_k[4].value == 1.0
    point = summary.curve[0]
    assert point.k == 1 and point.tokens == pytest.approx((10 + 30) / 2)
    out = summary.to_dict()
    assert {"problems", "samples", "accuracy", "pass_at_k", "maj_at_k", "ci95"} <= out.keys()
    assert out["ci95"]["pass_at_k"]["1"][0] <= 0.5 <= out["ci95"]["pass_at_k"]["1"][1]
