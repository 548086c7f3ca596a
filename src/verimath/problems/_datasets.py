"""Loading problems from JSONL, JSON, CSV and Parquet files, or from Hugging Face datasets.

Rows are mapped to :class:`Problem` by field names (``question_field``, ``answer_field``, ``id_field``); every
other field goes to ``metadata``. JSONL and CSV stream row by row unless ``shuffle`` asks for the whole file.
A malformed row raises :class:`~verimath.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from verimath.errors import InputError, import_extra
from verimath.problems._problem import Problem

__all__ = ["load_dataset", "parse_filters"]

DEFAULT_ID_FIELD = "id"

_GSM8K_ANSWER = re.compile(r"\n?####\s*(.+?)\s*$", re.S)

Row = tuple[int | None, Mapping[str, Any]]  # (line number where known, row)


def parse_filters(filters: Mapping[str, Any] | Iterable[str] | None) -> dict[str, str]:
    """``["level=5", "type=Algebra"]`` or a mapping -> ``{field: wanted text}``."""
    if filters is None:
        return {}
    if isinstance(filters, Mapping):
        return {str(k): str(v) for k, v in filters.items()}
    out: dict[str, str] = {}
    for item in filters:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise InputError(f"filter {item!r} is not FIELD=VALUE", field="filter")
        out[key.strip()] = value.strip()
    return out


def _matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    for key, want in filters.items():
        have = row.get(key)
        if have is None:
            return False
        text = str(have)
        # ``level=5`` matches MATH's "Level 5" as well as a bare 5.
        if text != want and text.rsplit(" ", 1)[-1] != want:
            return False
    return True


def _answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_jsonl(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", file=str(path), line=n) from None
            if not isinstance(row, dict):
                raise InputError("a row must be a JSON object", file=str(path), line=n)
            yield n, row


def _rows_json(path: Path) -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=str(path), line=exc.lineno) from None
    if isinstance(data, dict):  # {"data": [...]} or {"rows": [...]}
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        raise InputError("expected a list of objects", file=str(path))
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise InputError(f"item {i} is not an object", file=str(path))
        yield None, row


def _rows_csv(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if None in row:
                raise InputError("more cells than header columns", file=str(path), line=reader.line_num)
            yield reader.line_num, row


def _rows_parquet(path: Path) -> Iterator[Row]:
    pq = import_extra("pyarrow.parquet", "parquet", f"reading the Parquet file {path}")
    table = pq.ParquetFile(path)
    for batch in table.iter_batches():
        for row in batch.to_pylist():
            yield None, row


def _rows_hf(name: str, config: str | None, split: str) -> Iterator[Row]:
    datasets = import_extra("datasets", "hf", f"{name!r} is not a file; loading it from Hugging Face")
    try:
        ds = datasets.load_dataset(name, config, split=split, streaming=True)
    except Exception as exc:  # the hub raises many types (network, missing config, auth)
        raise InputError(f"cannot load Hugging Face dataset {name!r} (split {split!r}): {exc}") from None
    for row in ds:
        yield None, row


def _rows(source: str | Path, config: str | None, split: str) -> tuple[str, Iterator[Row]]:
    text = str(source)
    if text.startswith("hf:"):
        return text, _rows_hf(text[3:], config, split)
    path = Path(source)
    if not path.exists():
        if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) and not path.suffix:
            return text, _rows_hf(text, config, split)
        raise InputError("no such dataset file", file=text)
    readers = {".jsonl": _rows_jsonl, ".ndjson": _rows_jsonl, ".json": _rows_json, ".csv": _rows_csv,
               ".parquet": _rows_parquet}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"unknown dataset format {path.suffix!r} (use .jsonl, .json, .csv or .parquet)",
                         file=text)
    return text, reader(path)


def _problem(row: Mapping[str, Any], index: int, where: tuple[str, int | None], question_field: str,
             answer_field: str, id_field: str) -> Problem:
    file, line = where
    for field in (question_field, answer_field):
        value = row.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError("missing or empty", file=file, line=line if line is not None else index + 1,
                             field=field)
    answer = _answer_text(row[answer_field])
    meta = {k: v for k, v in row.items() if k not in (question_field, answer_field, id_field)}
    m = _GSM8K_ANSWER.search(answer)
    if "\n" in answer and m:  # GSM8K's "<solution>\n#### 18": the answer is what follows ####
        meta.setdefault("solution", answer)
        answer = m.group(1).replace(",", "")
    pid = row.get(id_field)
    if pid is None and id_field != DEFAULT_ID_FIELD:  # an id field asked for by name must be there
        raise InputError("missing, and it was named as the id field", file=file,
                         line=line if line is not None else index + 1,
                         field=id_field)
    core = {k: meta.pop(k) for k in ("parent_id", "perturbation", "template_id") if k in meta}
    return Problem(id=str(pid) if pid is not None else str(index), question=str(row[question_field]),
                   answer=answer, metadata=meta, parent_id=core.get("parent_id"),
                   perturbation=core.get("perturbation"), template_id=core.get("template_id"))


def load_dataset(source: str | Path, *, question_field: str = "question", answer_field: str = "answer",
                 id_field: str = DEFAULT_ID_FIELD, limit: int | None = None, shuffle: bool = False,
                 seed: int = 0,
                 filters: Mapping[str, Any] | Sequence[str] | None = None, split: str = "test",
                 config: str | None = None) -> Iterator[Problem]:
    """Problems from a file (``.jsonl``, ``.json``, ``.csv``, ``.parquet``) or a Hugging Face dataset
    (``hf:openai/gsm8k`` with ``config="main"``, or a hub name that is not a local path).

    ``filters`` keep rows whose field equals the value (``level=5`` also matches ``"Level 5"``); ``shuffle``
    reads every matching row, then shuffles with ``seed``; ``limit`` keeps the first ``limit`` after both.
    Rows without an ``id`` field get their index as id; an ``id_field`` other than the default must be in
    every row. Streams when not shuffled."""
    if limit is not None and limit < 0:
        raise InputError("limit must be >= 0", field="limit")
    wanted = parse_filters(filters)
    name, rows = _rows(source, config, split)

    def problems() -> Iterator[Problem]:
        index = 0
        for line, row in rows:
            if wanted and not _matches(row, wanted):
                continue
            yield _problem(row, index, (name, line), question_field, answer_field, id_field)
            index += 1

    stream: Iterable[Problem] = problems()
    if shuffle:
        items = list(stream)
        random.Random(seed).shuffle(items)
        stream = items
    return iter(islice(stream, limit)) if limit is not None else iter(stream)


def write_jsonl(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems as JSONL rows (:meth:`Problem.to_dict`); returns how many."""
    n = 0
    try:
        with Path(path).open("w", encoding="utf-8") as fh:
            for p in problems:
                fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
                n += 1
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", file=str(path)) from None
    return n
