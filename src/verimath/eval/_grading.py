"""Judging answers: the grader the runner calls on each attempt, its version, and re-grading a stored run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from verimath.answers import Verdict
from verimath.eval._store import RunStore


class Grader(Protocol):
    """Judges a bare answer against the gold answer; ``version`` is stored with every verdict."""

    @property
    def version(self) -> str: ...

    def __call__(self, answer: str | None, gold: str) -> Verdict: ...


def grader_version() -> str:
    """``answers-<hash>``: a hash of ``verimath.answers``'s source, so any change to the grader shows."""
    import verimath.answers as answers

    digest = hashlib.sha256()
    for path in sorted(Path(answers.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return f"answers-{digest.hexdigest()[:12]}"


@dataclass(frozen=True, slots=True)
class AnswerGrader:
    """The default grader: ``verimath.answers.grade`` on the bare answer, within ``budget`` seconds."""

    budget: float = 1.0
    version: str = ""

    def __call__(self, answer: str | None, gold: str) -> Verdict:
        from verimath.answers import grade

        if not answer or not answer.strip():
            return Verdict(False, None, "no-answer", "", 0.0)
        return grade(answer, gold, budget=self.budget, extract_answer=False)


def default_grader(budget: float = 1.0) -> Grader:
    """``verimath.answers.grade`` within ``budget`` seconds per answer, versioned by the grader's source."""
    return AnswerGrader(budget, grader_version())


@dataclass(frozen=True, slots=True)
class Regrade:
    """What a re-grading changed."""

    attempts: int
    changed: int
    """Attempts whose verdict flipped."""
    grader: str
    """The version of the grader now recorded."""


def regrade(run_dir: str | Path, grader: Grader) -> Regrade:
    """Re-judge every stored answer with ``grader``; record its version with each verdict and in the manifest.
    Errors (attempts never made) have no answer to judge and are left as they are."""
    with RunStore.open(run_dir) as store:
        grades: list[tuple[str, int, str, Verdict]] = []
        changed = 0
        for problem, records in store.attempts(with_attempt=False):
            for r in records:
                if r.errored:
                    continue
                verdict = grader(r.answer, problem.gold)
                changed += verdict.correct != r.correct
                grades.append((problem.id, r.sample, grader.version, verdict))
        store.set_grades(grades)
        result = Regrade(len(grades), changed, grader.version)
        store.note("regraded", {"grader": grader.version, "attempts": result.attempts, "changed": changed})
    return result
