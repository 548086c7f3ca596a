"""verimath: verified, tool-integrated mathematical reasoning with LLMs.

The public API is re-exported here; everything else lives in one package per concept
(``answers``, ``sandbox``, ``models``, ...) — see ``docs/architecture.md``.
"""

from __future__ import annotations

from verimath.answers import Verdict, grade
from verimath.errors import BudgetExceeded, InputError, ModelError, SandboxUnavailable, VerimathError

__version__ = "0.1.0"

__all__ = [
    "BudgetExceeded",
    "InputError",
    "ModelError",
    "SandboxUnavailable",
    "Verdict",
    "VerimathError",
    "__version__",
    "grade",
]
