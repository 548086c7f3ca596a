"""verimath: verified, tool-integrated mathematical reasoning with LLMs.

The public API is re-exported here; everything else lives in one package per concept
(``answers``, ``sandbox``, ``models``, ...) — see ``docs/architecture.md``. Packages load on first use, so
that ``import verimath.answers`` (what an RL trainer needs) pulls in neither numpy, SQLite nor the sandbox.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from verimath._version import __version__
from verimath.errors import BudgetExceeded, InputError, ModelError, SandboxUnavailable, VerimathError

if TYPE_CHECKING:
    from verimath.answers import Verdict, grade
    from verimath.eval import EvalConfig, RunStore, build_report, evaluate
    from verimath.models import ChatRequest, Completion, CompletionRequest, Model, load_model
    from verimath.problems import Problem, generate, load_dataset, load_templates, perturb
    from verimath.sandbox import ExecResult, Limits, Sandbox
    from verimath.scaling import pass_at_k, robustness, score_problem, summarize
    from verimath.strategies import Attempt, Solution, get_strategy, solve

_LAZY = {
    "verimath.answers": ("Verdict", "grade"),
    "verimath.eval": ("EvalConfig", "RunStore", "build_report", "evaluate"),
    "verimath.models": ("ChatRequest", "Completion", "CompletionRequest", "Model", "load_model"),
    "verimath.problems": ("Problem", "generate", "load_dataset", "load_templates", "perturb"),
    "verimath.sandbox": ("ExecResult", "Limits", "Sandbox"),
    "verimath.scaling": ("pass_at_k", "robustness", "score_problem", "summarize"),
    "verimath.strategies": ("Attempt", "Solution", "get_strategy", "solve"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'verimath' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


__all__ = [
    "Attempt",
    "BudgetExceeded",
    "ChatRequest",
    "Completion",
    "CompletionRequest",
    "EvalConfig",
    "ExecResult",
    "InputError",
    "Limits",
    "Model",
    "ModelError",
    "Problem",
    "RunStore",
    "Sandbox",
    "SandboxUnavailable",
    "Solution",
    "Verdict",
    "VerimathError",
    "__version__",
    "build_report",
    "evaluate",
    "generate",
    "get_strategy",
    "grade",
    "load_dataset",
    "load_model",
    "load_templates",
    "pass_at_k",
    "perturb",
    "robustness",
    "score_problem",
    "solve",
    "summarize",
]
