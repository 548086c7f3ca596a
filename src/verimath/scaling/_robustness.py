"""Robustness metrics over problems that carry lineage: accuracy on originals against variants, the drop per
perturbation type, worst-case accuracy per template and per parent (DynaMath) and the spread across
instantiation sets (GSM-Symbolic).

Definitions (each problem's accuracy ``p`` is the fraction of its samples graded correct, the unbiased
estimate of its one-sample accuracy):

- *original*: a problem with no ``kind``; a *variant*: one with a ``kind`` (a perturbation such as
  ``numeric_substitution``, or a template variant such as ``noop``/``p1``/``p2``).
- *drop* of a kind: when some of its variants have their parent among the problems, the paired drop
  ``mean(p_parent - p_variant)`` over those pairs; otherwise (template variants, whose instances have no
  instance-level parent) the unpaired drop ``mean(p of originals of the same base templates) - mean(p of the
  variants)``. Intervals are percentile-bootstrap (paired: over pairs; unpaired: each side resampled alone).
- *worst case* of a group (DynaMath): the probability that one sample per member solves every member,
  ``prod(p)``, the unbiased estimate of DynaMath's "every variant solved" indicator (with one sample per
  problem it is exactly that indicator). A *template* group is every problem generated from a base template
  (its instances, its template variants' instances and their perturbations); a *parent* group is a root
  problem with every problem derived from it (and the derived ones alone when the root was not evaluated).
  Groups of one problem are left out.
- *spread* (GSM-Symbolic): instantiation set ``s`` holds the ``s``-th instance of every template (``#s`` in a
  generated id), so a set is one complete draw of the benchmark. For each kind (``original`` for base
  templates) the accuracy of each set is the mean ``p`` over its problems; the spread is the mean, standard
  deviation (population) and min–max of those set accuracies. Per template, ``std``/``low``/``high`` describe
  its members' accuracies.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verimath.scaling._stats import Bootstrap
from verimath.scaling._summary import Estimate

ORIGINAL = "original"
"""The label of problems without a kind in :attr:`Robustness.spread`."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One problem's accuracy and lineage, the input of :func:`robustness`."""

    id: str
    accuracy: float
    """Fraction of its samples graded correct (0..1)."""
    template: str | None = None
    """The base template it comes from (a template variant's ``variant_of``), if generated."""
    parent: str | None = None
    """The id of the problem it was derived from, if perturbed."""
    kind: str | None = None
    """Its perturbation or template-variant kind; None for an original."""
    instance: int | None = None
    """Its instance index within its template (its instantiation set), if generated."""


@dataclass(frozen=True, slots=True)
class Drop:
    """Accuracy lost to one kind of variant."""

    kind: str
    problems: int
    """Variants of this kind."""
    paired: bool
    """True when compared with the variants' own parents, False when with originals of the same templates."""
    reference: Estimate
    """Accuracy of the parents (paired) or the same-template originals (unpaired)."""
    variant: Estimate
    drop: Estimate
    """``reference - variant``; positive means the variants are harder."""


@dataclass(frozen=True, slots=True)
class Group:
    """A template's or a parent's problems."""

    problems: int
    mean: float
    worst_case: float
    """Probability that one sample per member solves every member: ``prod(p)``."""
    std: float
    """Population standard deviation of the members' accuracies."""
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Spread:
    """Accuracy across instantiation sets of one kind."""

    sets: int
    mean: float
    std: float
    """Population standard deviation of the set accuracies."""
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Robustness:
    """Robustness metrics of a run (see the module docstring for definitions)."""

    originals: Estimate | None
    """Accuracy on originals; None when there are no variants to compare with (or no originals)."""
    variants: Estimate | None
    drop: Estimate | None
    """``originals - variants``, each side resampled on its own."""
    by_kind: Mapping[str, Drop]
    templates: Mapping[str, Group]
    parents: Mapping[str, Group]
    worst_case: Mapping[str, Estimate]
    """Mean worst case over groups, keyed ``template`` / ``parent`` (only keys that have groups)."""
    mean: Mapping[str, Estimate]
    """Mean of the same groups' mean accuracies, to set the worst case against."""
    spread: Mapping[str, Spread]
    """Keyed by kind (``original`` for base-template instances); only kinds with two sets or more."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; undefined values become None."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        def est(e: Estimate | None) -> dict[str, Any] | None:
            return None if e is None else {"value": num(e.value), "ci95": [num(e.low), num(e.high)],
                                           "problems": e.problems}

        def group(g: Group) -> dict[str, Any]:
            return {"problems": g.problems, "mean": num(g.mean), "worst_case": num(g.worst_case),
                    "std": num(g.std), "min": num(g.low), "max": num(g.high)}

        return {
            "originals": est(self.originals), "variants": est(self.variants), "drop": est(self.drop),
            "by_kind": {k: {"problems": d.problems, "paired": d.paired, "reference": est(d.reference),
                            "variant": est(d.variant), "drop": est(d.drop)} for k, d in self.by_kind.items()},
            "worst_case": {k: est(e) for k, e in self.worst_case.items()},
            "mean": {k: est(e) for k, e in self.mean.items()},
            "templates": {k: group(g) for k, g in self.templates.items()},
            "parents": {k: group(g) for k, g in self.parents.items()},
            "spread": {k: {"sets": s.sets, "mean": num(s.mean), "std": num(s.std), "min": num(s.low),
                           "max": num(s.high)} for k, s in self.spread.items()},
        }


def _estimate(values: Sequence[float], boot: Bootstrap) -> Estimate:
    return Estimate(statistics.fmean(values) if values else math.nan, *boot.interval(values), len(values))


def _group(values: Sequence[float]) -> Group:
    return Group(len(values), statistics.fmean(values), math.prod(values), statistics.pstdev(values),
                 min(values), max(values))


def _groups(members: Mapping[str, list[float]]) -> dict[str, Group]:
    return {key: _group(vs) for key, vs in sorted(members.items()) if len(vs) > 1}


def _drop(kind: str, variants: Sequence[Outcome], by_id: Mapping[str, Outcome],
          originals: Sequence[Outcome], boot: Bootstrap) -> Drop:
    pairs = [(by_id[v.parent].accuracy, v.accuracy)
             for v in variants if v.parent is not None and v.parent in by_id]
    if pairs:
        ref, var = [a for a, _ in pairs], [b for _, b in pairs]
        diff = [a - b for a, b in pairs]
        drop = Estimate(statistics.fmean(diff), *boot.interval(diff), len(diff))
        return Drop(kind, len(variants), True, _estimate(ref, boot), _estimate(var, boot), drop)
    templates = {v.template for v in variants if v.template is not None}
    ref = [o.accuracy for o in originals if o.template in templates]
    var = [v.accuracy for v in variants]
    value = statistics.fmean(ref) - statistics.fmean(var) if ref else math.nan
    drop = Estimate(value, *boot.difference(ref, var), len(var))
    return Drop(kind, len(variants), False, _estimate(ref, boot), _estimate(var, boot), drop)


def _root(outcome: Outcome, by_id: Mapping[str, Outcome]) -> str:
    """The id at the top of ``outcome``'s lineage (possibly a parent that was not evaluated)."""
    seen = {outcome.id}
    while outcome.parent is not None:
        if outcome.parent not in by_id or outcome.parent in seen:
            return outcome.parent
        seen.add(outcome.parent)
        outcome = by_id[outcome.parent]
    return outcome.id


def _spread(outcomes: Iterable[Outcome]) -> dict[str, Spread]:
    sets: dict[str, dict[int, list[float]]] = {}
    for o in outcomes:
        if o.template is not None and o.instance is not None and (o.kind is None or o.parent is None):
            sets.setdefault(o.kind or ORIGINAL, {}).setdefault(o.instance, []).append(o.accuracy)
    spread = {}
    for kind, by_set in sorted(sets.items()):
        accs = [statistics.fmean(vs) for _, vs in sorted(by_set.items())]
        if len(accs) > 1:
            spread[kind] = Spread(len(accs), statistics.fmean(accs), statistics.pstdev(accs), min(accs),
                                  max(accs))
    return spread


def robustness(outcomes: Sequence[Outcome], *, bootstrap: Bootstrap | None = None) -> Robustness | None:
    """Robustness metrics of ``outcomes`` (one per problem, ids unique), or None when no problem has a
    variant: neither a kind nor a template with another instance (a plain dataset has no robustness
    section)."""
    boot = bootstrap or Bootstrap()
    by_id = {o.id: o for o in outcomes}
    originals = [o for o in outcomes if o.kind is None]
    variants = [o for o in outcomes if o.kind is not None]
    by_template: dict[str, list[float]] = {}
    for o in outcomes:
        if o.template is not None:
            by_template.setdefault(o.template, []).append(o.accuracy)
    by_parent: dict[str, list[float]] = {}
    roots = {_root(v, by_id) for v in variants if v.parent is not None}
    for o in outcomes:
        root = _root(o, by_id)
        if root in roots:
            by_parent.setdefault(root, []).append(o.accuracy)
    templates, parents = _groups(by_template), _groups(by_parent)
    if not variants and not templates:
        return None
    kinds: dict[str, list[Outcome]] = {}
    for v in variants:
        kinds.setdefault(str(v.kind), []).append(v)
    compare = bool(variants and originals)
    worst = {key: _estimate([g.worst_case for g in gs.values()], boot)
             for key, gs in (("template", templates), ("parent", parents)) if gs}
    mean = {key: _estimate([g.mean for g in gs.values()], boot)
            for key, gs in (("template", templates), ("parent", parents)) if gs}
    orig_p, var_p = [o.accuracy for o in originals], [v.accuracy for v in variants]
    return Robustness(
        originals=_estimate(orig_p, boot) if compare else None,
        variants=_estimate(var_p, boot) if compare else None,
        drop=Estimate(statistics.fmean(orig_p) - statistics.fmean(var_p), *boot.difference(orig_p, var_p),
                      len(outcomes)) if compare else None,
        by_kind={kind: _drop(kind, vs, by_id, originals, boot) for kind, vs in sorted(kinds.items())},
        templates=templates, parents=parents, worst_case=worst, mean=mean, spread=_spread(outcomes),
    )
