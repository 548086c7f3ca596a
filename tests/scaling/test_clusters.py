from __future__ import annotations

from verimath.scaling import cluster_answers


def numeric_equal(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def test_equivalent_answers_share_a_cluster_and_missing_ones_abstain():
    clusters = cluster_answers(["0.5", "1/2", None, "  ", "2", "0.50", "x"], numeric_equal)
    assert clusters.labels == (0, 1, -1, -1, 2, 0, 3)
    assert clusters.representatives == (0, 1, 4, 6)
    assert clusters.sizes == (2, 1, 1, 1)
    assert clusters.abstentions == 2


def test_each_answer_is_compared_with_representatives_only_and_repeats_cost_nothing():
    calls = []

    def counting(a: str, b: str) -> bool:
        calls.append((a, b))
        return numeric_equal(a, b)

    cluster_answers(["1", "1.0", "2", "1", "2", "3"], counting)
    # "1.0" vs rep "1"; "2" vs rep "1"; "3" vs reps "1" and "2". Repeated texts are free.
    assert calls == [("1", "1.0"), ("1", "2"), ("1", "3"), ("2", "3")]
