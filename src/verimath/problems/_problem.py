"""The :class:`Problem` value every dataset row, generated instance and perturbed variant becomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Problem"]

_CORE = ("id", "question", "answer", "parent_id", "perturbation", "template_id")


@dataclass(frozen=True, slots=True)
class Problem:
    """One math problem with its gold answer.

    ``parent_id`` and ``perturbation`` are set on a variant made from another problem; ``template_id`` on an
    instance generated from a template. Robustness metrics group by these (drop per perturbation type,
    worst case per template or parent).
    """

    id: str
    """Unique within its dataset."""
    question: str
    """The problem text shown to a model."""
    answer: str
    """The gold final answer as text (``"18"``, ``"\\frac{1}{2}"``, ``"2.5"``)."""
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Everything else: level, type, solution, sampled variables, source fields (read-only)."""
    parent_id: str | None = None
    """The id of the problem this one was derived from."""
    perturbation: str | None = None
    """The perturbation that derived it (``numeric_substitution``, ``distractor``, ...)."""
    template_id: str | None = None
    """The template it was generated from."""

    def __post_init__(self) -> None:
        if not isinstance(self.metadata, MappingProxyType):
            object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __reduce__(self) -> tuple[Any, ...]:  # a mappingproxy does not pickle; worker processes need to
        return (Problem, (self.id, self.question, self.answer, dict(self.metadata), self.parent_id,
                          self.perturbation, self.template_id))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the core fields, then ``metadata`` keys flattened beside them."""
        row: dict[str, Any] = {"id": self.id, "question": self.question, "answer": self.answer}
        for key in ("template_id", "parent_id", "perturbation"):
            if getattr(self, key) is not None:
                row[key] = getattr(self, key)
        for key, value in self.metadata.items():
            row.setdefault(key, value)
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Problem:
        """Inverse of :meth:`to_dict`: unknown keys go to ``metadata``."""
        return cls(id=str(row["id"]), question=str(row["question"]), answer=str(row["answer"]),
                   metadata={k: v for k, v in row.items() if k not in _CORE},
                   parent_id=row.get("parent_id"), perturbation=row.get("perturbation"),
                   template_id=row.get("template_id"))
