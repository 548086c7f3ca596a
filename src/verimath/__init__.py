"""verimath: verified, tool-integrated mathematical reasoning with LLMs.

The public API is re-exported here; everything else lives in one package per concept
(``answers``, ``sandbox``, ``models``, ...) — see ``docs/architecture.md``.
"""

from __future__ import annotations

from verimath.errors import BudgetExceeded, InputError, ModelError, SandboxUnavailable, VerimathError
from verimath.sandbox import ExecResult, Limits, Sandbox

__version__ = "0.1.0"

__all__ = [
    "BudgetExceeded",
    "ExecResult",
    "InputError",
    "Limits",
    "ModelError",
    "Sandbox",
    "SandboxUnavailable",
    "VerimathError",
    "__version__",
]
