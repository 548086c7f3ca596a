"""``verimath.serve``: "grade and execute over HTTP" for RL training loops.

Owns the service (``create_app``, ``run``; ``verimath serve``), its limits (``ServeConfig``), the grading pool
with a hard deadline per item (``GradePool``), metrics, and the trainer adapters as public modules:
``verimath.serve.verl`` (``compute_score``), ``verimath.serve.trl`` (``RewardFunction``),
``verimath.serve.openrlhf`` and ``verimath.serve.slime``. Uses ``verimath.answers`` and ``verimath.sandbox``
only through their public API; must never import ``verimath.eval`` (or anything above the leaves).
fastapi and uvicorn (the ``serve`` extra) are imported only by ``create_app`` and ``run``.

    from verimath.serve import GradePool, GradeItem
    with GradePool(2) as pool: ...                      # or: verimath serve --port 8000
"""

from __future__ import annotations

from typing import Any

from verimath.serve._config import TOKEN_ENV, ServeConfig
from verimath.serve._pool import GradeItem, GradeJob, GradePool, PoolClosed, QueueFull

__all__ = [
    "TOKEN_ENV",
    "GradeItem",
    "GradeJob",
    "GradePool",
    "PoolClosed",
    "QueueFull",
    "ServeConfig",
    "create_app",
    "run",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from verimath.serve._app import create_app

        return create_app
    if name == "run":
        from verimath.serve._server import run

        return run
    raise AttributeError(f"module 'verimath.serve' has no attribute {name!r}")
