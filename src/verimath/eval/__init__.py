"""verimath.eval — run a benchmark.

Owns the run store (SQLite in WAL mode plus ``manifest.json``: resumable, crash-safe, refuses a changed
configuration, caches execution results by content hash, keeps infrastructure errors apart from answers and
retries them), the runner (asyncio with bounded concurrency behind an ``Executor`` Protocol), grading and
re-grading of stored answers, and reading runs back: reports (terminal tables, JSON, a self-contained HTML
page with plots and a trace browser), the samples as JSONL, two runs compared, the runs under a folder listed.

Uses ``strategies`` (``Attempt``, ``Strategy``), ``sandbox`` (``ExecResult``), ``answers`` (``Verdict``) and
``scaling`` (metrics); ``models``, ``problems`` and the sandbox itself are imported only when ``evaluate``
runs.
"""

from __future__ import annotations

from verimath.eval._evaluate import EvalConfig, evaluate
from verimath.eval._grading import Grader, Regrade, default_grader, regrade
from verimath.eval._html import render_html
from verimath.eval._report import Report, build_report, robustness_tables, summary_tables
from verimath.eval._runner import (
    AttemptWork,
    CachingExecutor,
    Executor,
    Job,
    LocalExecutor,
    Progress,
    Recipe,
    run_eval,
)
from verimath.eval._runs import (
    Comparison,
    RunInfo,
    compare_runs,
    comparison_table,
    export_samples,
    list_runs,
    runs_table,
)
from verimath.eval._store import DB_NAME, MANIFEST_NAME, AttemptRecord, RunStore, StoredProblem

__all__ = [
    "DB_NAME",
    "MANIFEST_NAME",
    "AttemptRecord",
    "AttemptWork",
    "CachingExecutor",
    "Comparison",
    "EvalConfig",
    "Executor",
    "Grader",
    "Job",
    "LocalExecutor",
    "Progress",
    "Recipe",
    "Regrade",
    "Report",
    "RunInfo",
    "RunStore",
    "StoredProblem",
    "build_report",
    "compare_runs",
    "comparison_table",
    "default_grader",
    "evaluate",
    "export_samples",
    "list_runs",
    "regrade",
    "render_html",
    "robustness_tables",
    "run_eval",
    "runs_table",
    "summary_tables",
]
