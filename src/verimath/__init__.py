"""verimath: verified, tool-integrated mathematical reasoning with LLMs.

The public API is re-exported here; everything else lives in one package per concept
(``answers``, ``sandbox``, ``models``, ...) — see ``docs/architecture.md``.
"""

from __future__ import annotations

from verimath.answers import Verdict, grade
from verimath.errors import BudgetExceeded, InputError, ModelError, SandboxUnavailable, VerimathError
from verimath.problems import Problem, generate, load_dataset, load_templates, perturb

__version__ = "0.1.0"

# Heavier packages (numpy, SQLite) load on first use, so that ``import verimath.answers`` stays light.
_LAZY = {name: "verimath.eval" for name in ("EvalConfig", "RunStore", "build_report", "evaluate")} | {
    name: "verimath.scaling" for name in ("pass_at_k", "score_problem", "summarize")}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'verimath' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "BudgetExceeded",
    "EvalConfig",
    "InputError",
    "ModelError",
    "Problem",
    "RunStore",
    "SandboxUnavailable",
    "Verdict",
    "VerimathError",
    "__version__",
    "build_report",
    "evaluate",
    "generate",
    "grade",
    "load_dataset",
    "load_templates",
    "pass_at_k",
    "perturb",
    "score_problem",
    "summarize",
]
