from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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


def test_default_equivalence_clusters_by_value_and_survives_unparsable_answers():
    clusters = cluster_answers(["\\frac{", "1/2", "\\frac{", "0.5", "\\dfrac12", "2"])
    assert clusters.labels == (0, 1, 0, 1, 1, 2)


@given(st.lists(st.one_of(st.none(), st.integers(0, 30).map(str)), max_size=25))
def test_same_cluster_exactly_when_equivalent(answers):
    def mod5(a: str, b: str) -> bool:
        return int(a) % 5 == int(b) % 5

    clusters = cluster_answers(answers, mod5)
    for i, a in enumerate(answers):
        for j, b in enumerate(answers):
            if a is None or b is None:
                continue
            assert (clusters.labels[i] == clusters.labels[j]) == mod5(a, b)
    assert [i for i, label in enumerate(clusters.labels) if label < 0] == [i for i, a in enumerate(answers)
                                                                           if a is None]
