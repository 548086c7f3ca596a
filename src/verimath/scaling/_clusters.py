"""Clustering answers into equivalence classes, comparing each answer to cluster representatives only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from verimath.answers import equivalent
from verimath.errors import VerimathError

Equivalence = Callable[[str, str], object]
"""Decides whether two answer texts mean the same value; any truthy result counts as equivalent."""


def default_equivalence() -> Equivalence:
    """verimath's answer equivalence, ``verimath.answers.equivalent``; an answer it cannot parse (or a check
    over its budget) is equivalent only to the same text."""
    return _equivalent_or_distinct


def _equivalent_or_distinct(a: str, b: str) -> bool:
    try:
        return bool(equivalent(a, b))
    except VerimathError:
        return False


@dataclass(frozen=True, slots=True)
class Clusters:
    """The answers of one problem's samples, grouped by equivalence.

    ``labels[i]`` is sample ``i``'s cluster index, or ``-1`` when it gave no answer (it abstains from votes);
    ``representatives[c]`` is the index of the first sample of cluster ``c`` (whose answer text and verdict
    stand for the cluster). Clusters are numbered in order of first appearance.
    """

    labels: tuple[int, ...]
    representatives: tuple[int, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of samples in each cluster."""
        counts = [0] * len(self.representatives)
        for label in self.labels:
            if label >= 0:
                counts[label] += 1
        return tuple(counts)

    @property
    def abstentions(self) -> int:
        """Number of samples without an answer."""
        return sum(1 for label in self.labels if label < 0)


def cluster_answers(answers: Sequence[str | None], equivalent: Equivalence | None = None) -> Clusters:
    """Group ``answers`` by ``equivalent`` (default: :func:`default_equivalence`).

    Each answer is compared with one representative per existing cluster (first match wins), never with every
    other answer; identical texts join without a comparison. Empty or missing answers abstain.
    """
    same = equivalent or default_equivalence()
    labels: list[int] = []
    representatives: list[int] = []
    texts: list[str] = []  # the representatives' answers, stripped
    by_text: dict[str, int] = {}
    for i, answer in enumerate(answers):
        text = answer.strip() if answer is not None else ""
        if not text:
            labels.append(-1)
            continue
        label = by_text.get(text)
        if label is None:
            label = next((c for c, rep in enumerate(texts) if same(rep, text)), None)
            if label is None:
                label = len(representatives)
                representatives.append(i)
                texts.append(text)
            by_text[text] = label
        labels.append(label)
    return Clusters(tuple(labels), tuple(representatives))
