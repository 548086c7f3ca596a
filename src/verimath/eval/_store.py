"""The run store: one SQLite database (WAL) per run directory, plus a human-readable ``manifest.json``.

One row per finished attempt, committed as it finishes, keyed by (problem, sample index): a rerun skips what
is stored, a crash (even SIGKILL) loses only the attempts in flight, and nothing is counted twice. An attempt
that could not be made (the model unreachable) is stored as an *error* row, which a rerun replaces unless told
to keep it. The manifest's
*identity* (dataset hash, model, strategy and its settings, prompts, grader, selection) fingerprints the run;
opening a run directory with a different identity is refused. Each invocation appends a *session* (every
argument, versions, host, time) to the manifest. Execution results are cached by content hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verimath.answers import Verdict
from verimath.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS problems (
  id TEXT PRIMARY KEY, position INTEGER NOT NULL, question TEXT NOT NULL, gold TEXT NOT NULL,
  metadata TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
  problem_id TEXT NOT NULL, sample INTEGER NOT NULL, answer TEXT, correct INTEGER NOT NULL,
  grader TEXT NOT NULL, verdict TEXT NOT NULL, verification TEXT, error TEXT,
  exec_failures INTEGER NOT NULL, tokens INTEGER NOT NULL, code_calls INTEGER NOT NULL, wall_s REAL NOT NULL,
  attempt TEXT NOT NULL, finished REAL NOT NULL, errored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (problem_id, sample));
CREATE TABLE IF NOT EXISTS exec_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_COLUMNS = ("problem_id, sample, answer, correct, grader, verdict, verification, error, exec_failures, "
            "tokens, code_calls, wall_s, attempt, finished, errored")
_UPSERT = (f"INSERT INTO attempts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (problem_id, sample) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.replace(" ", "").split(",")[2:])
           + " WHERE attempts.errored = 1")
"""One statement: insert an attempt, or replace the error stored for its sample (a graded one stays)."""
DB_NAME = "run.sqlite"
MANIFEST_NAME = "manifest.json"


def content_hash(*parts: Any) -> str:
    """SHA-256 of the JSON of ``parts`` (keys sorted): the key of a cached execution, or a fingerprint."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one dict with dotted keys (``strategy_settings.temperature``)."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class StoredProblem:
    """A problem as the run recorded it."""

    id: str
    position: int
    """Its order in the run's problem list."""
    question: str
    gold: str
    metadata: Mapping[str, Any]

    LINEAGE = ("template_id", "perturbation", "parent_id")
    """A problem's lineage fields, stored in ``metadata`` beside its own keys (robustness metrics group by
    them, with the template variant fields ``variant`` / ``variant_of`` that generated problems carry in
    metadata)."""

    @classmethod
    def from_problem(cls, problem: Any, position: int) -> StoredProblem:
        """The stored form of a ``verimath.problems.Problem`` (duck-typed: this package does not import
        it)."""
        meta = dict(problem.metadata)
        for key in cls.LINEAGE:
            if getattr(problem, key) is not None:
                meta.setdefault(key, getattr(problem, key))
        return cls(str(problem.id), position, problem.question, str(problem.answer), meta)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One finished attempt: a row of the store. Either graded, or an error (``errored``): the attempt could
    not be made at all (connection, HTTP status, timeout after retries, model not found); ``error`` says
    why."""

    problem_id: str
    sample: int
    """Index of the sample among the problem's n."""
    answer: str | None
    correct: bool
    grader: str
    """The grader's version that produced ``correct``."""
    verdict: Verdict
    verification: str | None
    error: str | None
    exec_failures: int
    """Code cells that raised or timed out."""
    tokens: int
    code_calls: int
    wall_s: float
    attempt: Mapping[str, Any]
    """The full attempt in its JSON form (``Attempt.to_dict()``: trace and messages included; ``{}`` for an
    error); ``Attempt.from_dict`` rebuilds it."""
    errored: bool = False
    """An infrastructure failure, not an answer: counted apart and retried by the next run."""

    @classmethod
    def failure(cls, problem_id: str, sample: int, message: str, wall_s: float) -> AttemptRecord:
        """The record of an attempt that could not be made."""
        return cls(problem_id, sample, None, False, "", Verdict(False, None, "error", message, 0.0), None,
                   message, 0, 0, 0, wall_s, {}, errored=True)


@dataclass(frozen=True, slots=True)
class Counts:
    """What a run has stored."""

    problems: int
    attempts: int
    """Attempts made (graded), errors excluded."""
    correct: int
    errors: int
    """Attempts that could not be made (infrastructure failures), to be retried."""


class RunStore:
    """A run directory's database. Open with :meth:`open`; one writer process at a time."""

    def __init__(self, run_dir: Path, conn: sqlite3.Connection) -> None:
        self.run_dir, self._conn = run_dir, conn
        self._lock = threading.Lock()  # the connection is shared with executor threads (the cache)

    # -- opening ---------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, run_dir: str | Path, identity: Mapping[str, Any] | None = None,
             session: Mapping[str, Any] | None = None) -> RunStore:
        """Open (or create, when ``identity`` is given) the store in ``run_dir``.

        With ``identity``, an existing run must have the same identity, else ``InputError`` names the fields
        that differ; ``session`` is appended to the manifest's list of sessions. Without ``identity`` the run
        must exist (for reports and re-grading).
        """
        run_dir = Path(run_dir)
        db = run_dir / DB_NAME
        if identity is None and not db.is_file():
            raise InputError("no run here (expected a run directory made by `verimath eval`)",
                             file=str(run_dir))
        run_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes (SIGKILL) in WAL mode
        conn.executescript(_SCHEMA)
        if "errored" not in {row[1] for row in conn.execute("PRAGMA table_info(attempts)")}:
            # a run made before errors were stored apart
            conn.execute("ALTER TABLE attempts ADD COLUMN errored INTEGER NOT NULL DEFAULT 0")
        store = cls(run_dir, conn)
        if identity is not None:
            store._claim(dict(identity), dict(session or {}))
        return store

    def _claim(self, identity: dict[str, Any], session: dict[str, Any]) -> None:
        manifest = self.manifest()
        if manifest:
            old, new = _flatten(manifest["identity"]), _flatten(json.loads(json.dumps(identity, default=str)))
            changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            if changed:
                details = "; ".join(f"{k}: {_short(old.get(k))} -> {_short(new.get(k))}" for k in changed[:4])
                details += f"; and {len(changed) - 4} more" if len(changed) > 4 else ""
                raise InputError(f"this run was made with a different configuration ({details}); use a new "
                                 f"--run-dir, or rerun with the original arguments to resume",
                                 file=str(self.run_dir))
        else:
            manifest = {"identity": identity, "fingerprint": content_hash(identity), "sessions": []}
        manifest["sessions"].append({**session,
                                     "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        self._write_manifest(manifest)

    def _write_manifest(self, manifest: Mapping[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('manifest', ?)", (text,))
        tmp = self.run_dir / (MANIFEST_NAME + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(self.run_dir / MANIFEST_NAME)

    def manifest(self) -> dict[str, Any]:
        """The manifest (identity, fingerprint, sessions); empty for a new run."""
        row = self._conn.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()
        return json.loads(row[0]) if row else {}

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- problems --------------------------------------------------------------------------------------------
    def add_problem(self, problem: StoredProblem) -> None:
        """Record a problem (idempotent: a resumed run records the same problems again)."""
        self._conn.execute("INSERT OR IGNORE INTO problems VALUES (?, ?, ?, ?, ?)",
                           (problem.id, problem.position, problem.question, problem.gold,
                            json.dumps(problem.metadata, sort_keys=True, default=str)))

    def problems(self) -> Iterator[StoredProblem]:
        """The run's problems in order, streamed."""
        for pid, pos, q, gold, meta in self._conn.execute(
                "SELECT id, position, question, gold, metadata FROM problems ORDER BY position"):
            yield StoredProblem(pid, pos, q, gold, json.loads(meta))

    # -- attempts --------------------------------------------------------------------------------------------
    def done(self, problem_id: str, *, keep_errors: bool = False) -> set[int]:
        """Sample indices of ``problem_id`` already stored (errors only with ``keep_errors``)."""
        query = "SELECT sample FROM attempts WHERE problem_id=?" + ("" if keep_errors else " AND errored=0")
        return {s for (s,) in self._conn.execute(query, (problem_id,))}

    def add_attempt(self, record: AttemptRecord) -> None:
        """Store a finished attempt, committed at once; it replaces an error stored for the same sample.
        Storing the same (problem, sample) twice otherwise is an ``sqlite3.IntegrityError``."""
        with self._lock:
            cursor = self._conn.execute(_UPSERT, (
                record.problem_id, record.sample, record.answer, int(record.correct), record.grader,
                json.dumps(record.verdict.to_dict()), record.verification, record.error, record.exec_failures,
                record.tokens, record.code_calls, record.wall_s, json.dumps(record.attempt, default=str),
                time.time(), int(record.errored)))
        if cursor.rowcount != 1:
            raise sqlite3.IntegrityError(f"sample {record.sample} of {record.problem_id!r} is already stored")

    def counts(self, *, below: int | None = None) -> Counts:
        """What is stored; with ``below``, only attempts of sample index < below."""
        problems = self._conn.execute("SELECT COUNT(*) FROM problems").fetchone()[0]
        attempts, correct, errors = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(correct), 0), COALESCE(SUM(errored), 0) FROM attempts "
            "WHERE sample < ?",
            (below if below is not None else 2**62,)).fetchone()
        return Counts(problems, attempts - errors, correct, errors)

    def attempts(self, *, with_attempt: bool = True) -> Iterator[tuple[StoredProblem, list[AttemptRecord]]]:
        """Each problem with its stored attempts (by sample index), streamed one problem at a time. Without
        ``with_attempt`` the full attempt JSON (the trace) is not read."""
        column = "a.attempt" if with_attempt else "'{}'"
        rows = self._conn.execute(
            "SELECT p.id, p.position, p.question, p.gold, p.metadata, a.sample, a.answer, a.correct, "
            "a.grader, a.verdict, a.verification, a.error, a.exec_failures, a.tokens, a.code_calls, "
            f"a.wall_s, a.errored, {column} "
            "FROM problems p JOIN attempts a ON a.problem_id = p.id ORDER BY p.position, a.sample")
        current: StoredProblem | None = None
        batch: list[AttemptRecord] = []
        for pid, pos, q, gold, meta, *rest in rows:
            if current is None or current.id != pid:
                if current is not None:
                    yield current, batch
                current, batch = StoredProblem(pid, pos, q, gold, json.loads(meta)), []
            sample, answer, correct, grader, verdict, verification, error, fails, tokens, calls, *tail = rest
            wall, errored, att = tail
            batch.append(AttemptRecord(pid, sample, answer, bool(correct), grader,
                                       Verdict.from_dict(json.loads(verdict)), verification, error, fails,
                                       tokens, calls, wall, json.loads(att), bool(errored)))
        if current is not None:
            yield current, batch

    def set_grades(self, grades: Sequence[tuple[str, int, str, Verdict]]) -> None:
        """Replace verdicts: (problem_id, sample, grader version, verdict) each, in one transaction."""
        with self._transaction():
            self._conn.executemany(
                "UPDATE attempts SET correct=?, grader=?, verdict=? WHERE problem_id=? AND sample=?",
                [(int(v.correct), version, json.dumps(v.to_dict()), pid, s) for pid, s, version, v in grades])

    def note(self, key: str, value: Mapping[str, Any]) -> None:
        """Record a fact about the run in the manifest (e.g. the last re-grading)."""
        manifest = self.manifest()
        manifest[key] = dict(value)
        self._write_manifest(manifest)

    # -- execution cache -------------------------------------------------------------------------------------
    def cached(self, key: str) -> dict[str, Any] | None:
        """The cached execution result under ``key`` (see :func:`content_hash`), if any."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM exec_cache WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def cache(self, key: str, value: Mapping[str, Any]) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO exec_cache VALUES (?, ?)", (key, json.dumps(value)))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
