"""Grade files of model outputs: streaming, in input order, in parallel.

Owns ``grade_jsonl``, the library side of ``verimath grade``: it reads JSONL of any size in bounded batches,
grades each row with ``verimath.answers.grade`` (in worker processes when ``jobs > 1``), and writes every row back
in input order with ``correct``, ``extracted`` and ``reason`` added. A malformed line is reported with its line
number and skipped; the rest are graded. Uses ``verimath.answers``; must not import the CLI or print.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from verimath.answers import grade
from verimath.errors import InputError

__all__ = ["GradeSummary", "SkippedLine", "grade_jsonl"]

# Rows are graded in batches so memory stays flat however large the file is.
_BATCH_ROWS = 2048


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line that could not be graded, and why (the message names the line and field)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class GradeSummary:
    """What one grading pass over a file found."""

    rows: int
    correct: int
    skipped: int
    seconds: float
    labelled: int = 0  # rows that carry a published verdict in the label field
    agreed: int = 0  # of those, rows where our verdict equals the published one

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.labelled if self.labelled else None

    @property
    def accuracy(self) -> float:
        return self.correct / self.rows if self.rows else 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "rows_per_second": self.rows_per_second,
            "skipped": self.skipped,
            "labelled": self.labelled,
            "agreement": self.agreement,
        }


def _grade_pair(pair: tuple[str, str]) -> tuple[bool, str | None, str]:
    verdict = grade(pair[0], pair[1])
    return verdict.correct, verdict.extracted, verdict.reason


def _as_text(value: Any) -> str:
    """Golds are often numbers in JSON (``18``); predictions and golds are graded as text."""
    return value if isinstance(value, str) else json.dumps(value)


def _rows(path: Path, prediction_field: str, gold_field: str,
          skip: Callable[[SkippedLine], None]) -> Iterator[tuple[dict[str, Any], tuple[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                skip(SkippedLine(number, f"{path}:{number}: not JSON ({exc.msg})"))
                continue
            if not isinstance(row, dict):
                skip(SkippedLine(number, f"{path}:{number}: not a JSON object"))
                continue
            missing = [f for f in (prediction_field, gold_field) if row.get(f) is None]
            if missing:
                skip(SkippedLine(number, f"{path}:{number}: field {missing[0]!r} is missing"))
                continue
            yield row, (_as_text(row[prediction_field]), _as_text(row[gold_field]))


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def grade_jsonl(
    path: Path,
    output: IO[str] | None = None,
    *,
    prediction_field: str = "prediction",
    gold_field: str = "gold",
    label_field: str | None = None,
    jobs: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    on_skip: Callable[[SkippedLine], None] | None = None,
) -> GradeSummary:
    """Grade every row of the JSONL file ``path``; write graded rows to ``output`` (if given) in input order.

    With ``label_field``, rows whose field holds a published verdict (true/false) are also counted for agreement.
    ``on_progress(rows_done, correct_so_far)`` is called after each batch and ``on_skip`` for each line that
    cannot be graded (it is skipped and counted). Raises ``InputError`` only when the file cannot be read.
    """
    if jobs < 1:
        raise InputError("must be at least 1", field="jobs")
    skipped = 0

    def skip(line: SkippedLine) -> None:
        nonlocal skipped
        skipped += 1
        if on_skip is not None:
            on_skip(line)

    rows = correct = labelled = agreed = 0
    start = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for batch in _batches(_rows(path, prediction_field, gold_field, skip), _BATCH_ROWS):
            pairs = [pair for _, pair in batch]
            if pool is None:
                verdicts = [_grade_pair(pair) for pair in pairs]
            else:
                verdicts = list(pool.map(_grade_pair, pairs, chunksize=max(1, len(pairs) // (4 * jobs))))
            for (row, _), (is_correct, extracted, reason) in zip(batch, verdicts, strict=True):
                rows += 1
                correct += is_correct
                label = row.get(label_field) if label_field else None
                if isinstance(label, bool):
                    labelled += 1
                    agreed += label == is_correct
                if output is not None:
                    row.update(correct=is_correct, extracted=extracted, reason=reason)
                    output.write(json.dumps(row, ensure_ascii=False) + "\n")
            if on_progress is not None:
                on_progress(rows, correct)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return GradeSummary(rows=rows, correct=correct, skipped=skipped, seconds=time.perf_counter() - start,
                        labelled=labelled, agreed=agreed)
