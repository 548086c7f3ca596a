"""verimath.eval — run a benchmark.

Owns the run store (SQLite in WAL mode plus ``manifest.json``: resumable, crash-safe, refuses a changed
configuration, caches execution results by content hash), the runner (asyncio with bounded concurrency behind
an ``Executor`` Protocol), re-grading of stored answers, and reports (terminal tables, JSON, a self-contained
HTML page with plots and a trace browser). Uses ``scaling`` for metrics and ``answers`` for grading; takes
strategies, models and code executors as arguments (typed by Protocols), so it imports none of them.
"""

from __future__ import annotations

from verimath.eval._evaluate import EvalConfig, evaluate
from verimath.eval._html import render_html
from verimath.eval._report import (
    GROUP_KEYS,
    Regrade,
    Report,
    build_report,
    outcome,
    regrade,
    robustness_tables,
    summary_tables,
    to_sample,
)
from verimath.eval._runner import (
    AnswerGrader,
    AttemptLike,
    CachedResult,
    CachingExecutor,
    Executor,
    Grader,
    Job,
    LocalExecutor,
    Progress,
    StrategyLike,
    default_grader,
    exec_failures,
    grader_version,
    run_eval,
    session_info,
)
from verimath.eval._store import AttemptRecord, RunStore, StoredProblem, content_hash

__all__ = [
    "GROUP_KEYS",
    "AnswerGrader",
    "AttemptLike",
    "AttemptRecord",
    "CachedResult",
    "CachingExecutor",
    "EvalConfig",
    "Executor",
    "Grader",
    "Job",
    "LocalExecutor",
    "Progress",
    "Regrade",
    "Report",
    "RunStore",
    "StoredProblem",
    "StrategyLike",
    "build_report",
    "content_hash",
    "default_grader",
    "evaluate",
    "exec_failures",
    "grader_version",
    "outcome",
    "regrade",
    "render_html",
    "robustness_tables",
    "run_eval",
    "session_info",
    "summary_tables",
    "to_sample",
]
