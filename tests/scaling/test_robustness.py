"""Robustness metrics: hand-computed small cases and laws."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verimath.scaling import ORIGINAL, Bootstrap, Outcome, robustness


def test_a_dataset_without_variants_has_no_robustness_section():
    assert robustness([Outcome("a", 1.0), Outcome("b", 0.5)]) is None
    assert robustness([]) is None
    assert robustness([Outcome("t#0", 1.0, template="t", instance=0)]) is None  # one instance is no variant


def test_paired_drop_per_perturbation_and_worst_case_per_parent():
    outcomes = [
        Outcome("a", 1.0), Outcome("b", 0.5), Outcome("c", 0.0),
        Outcome("a/num", 0.5, parent="a", kind="num"), Outcome("b/num", 0.5, parent="b", kind="num"),
        Outcome("a/dis", 0.0, parent="a", kind="dis"),
        Outcome("z/dis", 1.0, parent="z", kind="dis"),  # its parent was not evaluated: no pair
    ]
    r = robustness(outcomes)
    assert r is not None
    assert r.originals.value == pytest.approx(0.5) and r.variants.value == pytest.approx(0.5)
    assert r.drop.value == pytest.approx(0.0)
    num, dis = r.by_kind["num"], r.by_kind["dis"]
    assert num.paired and num.problems == 2 and num.drop.problems == 2
    assert num.reference.value == pytest.approx(0.75) and num.variant.value == pytest.approx(0.5)
    assert num.drop.value == pytest.approx(0.25)
    assert (dis.paired and dis.problems == 2 and dis.drop.problems == 1
            and dis.drop.value == pytest.approx(1.0))
    assert set(r.parents) == {"a", "b"}
    a = r.parents["a"]
    assert (a.problems, a.mean, a.worst_case, a.low, a.high) == (3, pytest.approx(0.5), 0.0, 0.0, 1.0)
    assert r.parents["b"].worst_case == pytest.approx(0.25)  # one sample each solves both with 0.5 * 0.5
    assert "z" not in r.parents  # a lone variant is a group of one
    assert (r.worst_case["parent"].value == pytest.approx(0.125)
            and r.mean["parent"].value == pytest.approx(0.5))
    assert "template" not in r.worst_case and r.templates == {} and r.spread == {}


def test_template_variants_compare_with_originals_of_the_same_templates_and_spread_by_set():
    outcomes = [
        Outcome("t#0", 1.0, template="t", instance=0), Outcome("t#1", 0.5, template="t", instance=1),
        Outcome("u#0", 0.0, template="u", instance=0), Outcome("u#1", 0.5, template="u", instance=1),
        Outcome("t-noop#0", 0.5, template="t", kind="noop", instance=0),
        Outcome("t-noop#1", 0.0, template="t", kind="noop", instance=1),
    ]
    r = robustness(outcomes)
    assert r is not None
    noop = r.by_kind["noop"]
    assert not noop.paired and noop.reference.value == pytest.approx(0.75) and noop.variant.value == 0.25
    assert noop.drop.value == pytest.approx(0.5) and noop.drop.low <= 0.5 <= noop.drop.high
    t, u = r.templates["t"], r.templates["u"]
    assert t.problems == 4 and t.mean == pytest.approx(0.5) and t.worst_case == 0.0
    assert t.std == pytest.approx(math.sqrt(0.125)) and (t.low, t.high) == (0.0, 1.0)
    assert (u.problems, u.worst_case, u.mean) == (2, 0.0, 0.25)
    # set 0 of the originals: mean(1, 0) = 0.5; set 1: mean(0.5, 0.5) = 0.5; noop sets: 0.5 and 0.
    assert r.spread[ORIGINAL].mean == 0.5 and r.spread[ORIGINAL].std == 0.0 and r.spread[ORIGINAL].sets == 2
    s = r.spread["noop"]
    assert (s.sets, s.mean, s.std, s.low, s.high) == (2, 0.25, 0.25, 0.0, 0.5)
    assert r.originals.value == pytest.approx(0.5) and r.variants.value == pytest.approx(0.25)
    assert r.drop.value == pytest.approx(0.25)
    d = r.to_dict()
    assert d["by_kind"]["noop"]["paired"] is False and d["templates"]["t"]["worst_case"] == 0.0
    assert d["spread"]["noop"] == {"sets": 2, "mean": 0.25, "std": 0.25, "min": 0.0, "max": 0.5}


def test_only_variants_give_no_comparison_but_still_group():
    r = robustness([Outcome("x/a", 1.0, parent="x", kind="a"), Outcome("x/b", 0.5, parent="x", kind="b")])
    assert r is not None and r.originals is None and r.drop is None
    assert r.parents["x"].worst_case == 0.5
    assert math.isnan(r.by_kind["a"].drop.value)  # no parent and no template to compare with


def test_the_paired_drop_interval_is_the_bootstrap_of_the_differences():
    outcomes = [Outcome(f"p{i}", 1.0) for i in range(10)] + [
        Outcome(f"p{i}/x", float(i % 2), parent=f"p{i}", kind="x") for i in range(10)]
    r = robustness(outcomes, bootstrap=Bootstrap(seed=3))
    drop = r.by_kind["x"].drop
    assert drop.value == 0.5
    assert (drop.low, drop.high) == Bootstrap(seed=3).interval([1.0 - i % 2 for i in range(10)])


probabilities = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])


@st.composite
def lineages(draw):
    outcomes = []
    for t in range(draw(st.integers(1, 4))):
        for i in range(draw(st.integers(1, 4))):
            outcomes.append(Outcome(f"t{t}#{i}", draw(probabilities), template=f"t{t}", instance=i))
            for k in draw(st.lists(st.sampled_from(["num", "dis"]), unique=True)):
                outcomes.append(Outcome(f"t{t}#{i}/{k}", draw(probabilities), template=f"t{t}",
                                        parent=f"t{t}#{i}", kind=k))
    return outcomes


@settings(max_examples=60, deadline=None)
@given(lineages())
def test_worst_case_never_exceeds_mean_or_minimum(outcomes):
    r = robustness(outcomes, bootstrap=Bootstrap(resamples=50))
    has_variants = any(o.kind for o in outcomes) or len(outcomes) > len({o.template for o in outcomes})
    assert (r is not None) == has_variants
    if r is None:
        return
    for group in (*r.templates.values(), *r.parents.values()):
        assert 0.0 <= group.worst_case <= group.low + 1e-12 <= group.mean + 1e-12 <= group.high + 2e-12
    for key, worst in r.worst_case.items():
        assert worst.value <= r.mean[key].value + 1e-12
    for drop in r.by_kind.values():
        assert drop.drop.value == pytest.approx(drop.reference.value - drop.variant.value)
        assert drop.paired  # every perturbed variant here has its parent evaluated
    for spread in r.spread.values():
        assert spread.low <= spread.mean <= spread.high and spread.std >= 0


def test_large_sets_are_resampled_in_blocks_with_the_same_resamples(monkeypatch):
    from verimath.scaling import _stats

    values = [float(i % 3 == 0) for i in range(101)]
    other = [float(i % 5 == 0) for i in range(57)]
    cached = Bootstrap(resamples=200, seed=7)
    expected = cached.interval(values), cached.difference(values, other)
    monkeypatch.setattr(_stats, "CACHE_ENTRIES", 1000)  # blocks of 9 resamples of 101, 17 of 57
    blocked = Bootstrap(resamples=200, seed=7)
    assert (blocked.interval(values), blocked.difference(values, other)) == expected
    assert not blocked._indices
