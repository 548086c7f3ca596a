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
    "BudgetExceeded",
    "ExecResult",
    "InputError",
    "Limits",
    "ModelError",
    "Problem",
    "Sandbox",
    "SandboxUnavailable",
    "Verdict",
    "VerimathError",
    "__version__",
    "generate",
    "grade",
    "load_dataset",
    "load_templates",
    "perturb",
]
