"""verimath: verified, tool-integrated mathematical reasoning with LLMs.

The public API is re-exported here; everything else lives in one package per concept
(``answers``, ``sandbox``, ``models``, ...) — see ``docs/architecture.md``.
"""

from __future__ import annotations

from verimath.answers import Verdict, grade
from verimath.errors import BudgetExceeded, InputError, ModelError, SandboxUnavailable, VerimathError
from verimath.problems import Problem, generate, load_dataset, load_templates, perturb
from verimath.sandbox import ExecResult, Limits, Sandbox

__version__ = "0.1.0"

__all__ = [
    "Attempt",
    "BudgetExceeded",
    "ChatRequest",
    "Completion",
    "CompletionRequest",
    "ExecResult",
    "InputError",
    "Limits",
    "Model",
    "ModelError",
    "Problem",
    "Sandbox",
    "SandboxUnavailable",
    "Solution",
    "Verdict",
    "VerimathError",
    "__version__",
    "generate",
    "get_strategy",
    "grade",
    "load_dataset",
    "load_model",
    "load_templates",
    "perturb",
    "solve",
]

# Models and strategies are imported on first use (they load the model backends' machinery).
_LAZY = {
    "ChatRequest": "verimath.models", "Completion": "verimath.models", "CompletionRequest": "verimath.models",
    "Model": "verimath.models", "load_model": "verimath.models",
    "Attempt": "verimath.strategies", "Solution": "verimath.strategies", "get_strategy": "verimath.strategies",
    "solve": "verimath.strategies",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'verimath' has no attribute {name!r}")
