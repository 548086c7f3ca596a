"""Grade files of model outputs: streaming, in input order, in parallel, one output line per input line.

Owns ``grade_jsonl``, the library side of ``verimath grade``: it checks the named fields exist, reads JSONL
of any size in bounded batches, grades each row with ``verimath.answers.grade`` (in worker processes when
``jobs > 1``), and writes every line back in input order with ``correct``, ``extracted`` and ``reason``
added. A line that cannot be graded (not JSON, not an object, a field missing) is written too, with
``correct: null`` and an ``error`` naming the line and field, so line i of the output is line i of the
input. Grading can be spread by any ``Pool`` (``concurrent.futures.Executor.map``'s shape; on a Ray cluster,
``verimath.distributed.RayPool``). Uses ``verimath.answers``; must not import the CLI or print.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from verimath.answers import grade
from verimath.errors import InputError

__all__ = ["GradeSummary", "Pool", "RowError", "grade_jsonl"]

# Rows are graded in batches so memory stays flat however large the file is.
_BATCH_ROWS = 2048
# ... or more with many workers, so each of the 4 chunks per worker holds at least this many rows (a Ray task
# of a handful of rows would cost more to send than to grade).
_CHUNK_ROWS = 128


class Pool(Protocol):
    """Maps a function over items, results in input order (``concurrent.futures.Executor.map``'s shape)."""

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], /, *, chunksize: int = 1) -> Iterator[Any]:
        ...


@dataclass(frozen=True, slots=True)
class RowError:
    """A line that could not be graded, and why (the message names the file, line and field)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class GradeSummary:
    """What one grading pass over a file found."""

    rows: int  # rows graded
    correct: int
    errors: int  # lines written back with an error instead of a verdict
    seconds: float
    labelled: int = 0  # graded rows that carry a published verdict in the label field
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
            "errors": self.errors,
            "labelled": self.labelled,
            "agreement": self.agreement,
        }


# One line of input: its number, the row to write back, and the pair to grade (None when it cannot be graded).
_Line = tuple[int, dict[str, Any], tuple[str, str] | None]


def _grade_pair(job: tuple[str, str, bool]) -> tuple[bool, str | None, str]:
    prediction, gold, extracted = job
    verdict = grade(prediction, gold, extract_answer=not extracted)
    return verdict.correct, verdict.extracted, verdict.reason


def _as_text(value: Any) -> str:
    """Golds are often numbers in JSON (``18``); predictions and golds are graded as text."""
    return value if isinstance(value, str) else json.dumps(value)


def _open(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from exc


def _check_fields(path: Path, fields: dict[str, str]) -> None:
    """Raise ``InputError`` naming the first field (``{field: role}``) that no row of the file has; reads only
    until every field has been seen."""
    unseen = dict(fields)
    with _open(path) as handle:
        for line in handle:
            if not unseen:
                return
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                for name in [name for name in unseen if name in row]:
                    del unseen[name]
    if unseen:
        name, role = next(iter(unseen.items()))
        raise InputError(f"no row has this field (the {role}); check the field name", file=str(path),
                         field=name)


def _lines(path: Path, prediction_field: str, gold_field: str) -> Iterator[_Line]:
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if not line.strip():
                yield number, {"error": f"{where}: empty line"}, None
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"error": f"{where}: not JSON ({exc.msg})"}, None
                continue
            if not isinstance(row, dict):
                yield number, {"row": row, "error": f"{where}: not a JSON object"}, None
                continue
            missing = [f for f in (prediction_field, gold_field) if row.get(f) is None]
            if missing:
                row["error"] = f"{where}: field {missing[0]!r} is missing"
                yield number, row, None
                continue
            yield number, row, (_as_text(row[prediction_field]), _as_text(row[gold_field]))


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
    output: Callable[[], IO[str]] | IO[str] | None = None,
    *,
    prediction_field: str = "prediction",
    gold_field: str = "gold",
    label_field: str | None = None,
    extracted: bool = False,
    jobs: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    on_error: Callable[[RowError], None] | None = None,
    pool: Pool | None = None,
) -> GradeSummary:
    """Grade every row of the JSONL file ``path``; write every line back to ``output`` in input order.

    ``output`` is a stream, or a function that opens one: it is called only once the fields are known to
    exist, so a bad command creates no file. With ``extracted``, the prediction field already holds the bare
    answer (no extraction). With ``label_field``, rows whose field holds a published verdict (true/false)
    are also counted for agreement. ``on_progress(rows_done, correct_so_far)`` is called after each batch and
    ``on_error`` for each line written back with an error. ``pool`` grades the rows instead of ``jobs``
    worker processes (it is the caller's to close; ``jobs`` then sizes its chunks). Raises ``InputError`` when
    the file cannot be read or a named field (the prediction, gold or label field) is in no row.
    """
    if jobs < 1:
        raise InputError("must be at least 1", field="jobs")
    fields = {prediction_field: "prediction field", gold_field: "gold field"}
    if label_field is not None:
        fields.setdefault(label_field, "label field")
    _check_fields(path, fields)
    sink = output() if callable(output) else output
    rows = correct = errors = labelled = agreed = 0
    start = time.perf_counter()
    own = ProcessPoolExecutor(max_workers=jobs) if pool is None and jobs > 1 else None
    pool = pool or own
    try:
        batch_rows = max(_BATCH_ROWS, 4 * jobs * _CHUNK_ROWS)
        for batch in _batches(_lines(path, prediction_field, gold_field), batch_rows):
            jobs_ = [(*pair, extracted) for _, _, pair in batch if pair is not None]
            if pool is None:
                verdicts = iter([_grade_pair(job) for job in jobs_])
            else:
                verdicts = iter(pool.map(_grade_pair, jobs_, chunksize=max(1, len(jobs_) // (4 * jobs))))
            for number, row, pair in batch:
                if pair is None:
                    errors += 1
                    row["correct"] = None
                    if on_error is not None:
                        on_error(RowError(number, row["error"]))
                else:
                    is_correct, answer, reason = next(verdicts)
                    rows += 1
                    correct += is_correct
                    label = row.get(label_field) if label_field else None
                    if isinstance(label, bool):
                        labelled += 1
                        agreed += label == is_correct
                    row.update(correct=is_correct, extracted=answer, reason=reason)
                if sink is not None:
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            if on_progress is not None:
                on_progress(rows, correct)
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
        if sink is not None and callable(output):
            sink.close()
    return GradeSummary(rows=rows, correct=correct, errors=errors, seconds=time.perf_counter() - start,
                        labelled=labelled, agreed=agreed)
