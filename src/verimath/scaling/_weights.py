"""Vote weightings: how much one sample's answer counts in a weighted vote."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from verimath.scaling._problem import Sample


class Weighting(Protocol):
    """Maps a sample to a non-negative vote weight; ``name`` labels it in reports."""

    @property
    def name(self) -> str: ...

    def __call__(self, sample: Sample) -> float: ...


@dataclass(frozen=True, slots=True)
class VerificationWeights:
    """Weight by the strategy's self-verification state (``"true"``, ``"false"``, ``"uncertain"`` or none)."""

    verified: float = 1.0
    """Weight of an answer the model verified."""
    uncertain: float = 0.5
    """Weight of an answer whose check was inconclusive, or that was never checked."""
    refuted: float = 0.1
    """Weight of an answer the model's own check refuted."""
    name: str = "verification"

    def __call__(self, sample: Sample) -> float:
        return {"true": self.verified, "false": self.refuted}.get(sample.verification or "", self.uncertain)


@dataclass(frozen=True, slots=True)
class ExecutionWeights:
    """Weight by execution signals: each code cell that raised or timed out multiplies the weight by
    ``per_failure``; an attempt that failed outright weighs ``failed``."""

    per_failure: float = 0.5
    """Factor applied per failed code cell."""
    failed: float = 0.0
    """Weight of an attempt that ended in an error."""
    name: str = "execution"

    def __call__(self, sample: Sample) -> float:
        return self.failed if sample.failed else self.per_failure ** sample.exec_failures


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weight by an external reward score (e.g. a verifier's probability); missing or negative scores weigh
    nothing."""

    name: str = "score"

    def __call__(self, sample: Sample) -> float:
        return max(sample.score, 0.0) if sample.score is not None else 0.0
