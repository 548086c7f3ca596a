"""Ray Data stages: callable classes for ``Dataset.map_batches`` that grade responses and run code.

Each is built once per Ray Data actor (``compute=ray.data.ActorPoolStrategy(size=N)``), so a grader's parsed
golds and an executor's warm sandbox cells are reused across batches. A batch is a dict of NumPy arrays
(``batch_format="numpy"``, Ray Data's default) or a pandas DataFrame; the stage adds its columns and returns
the same kind. Uses ``verimath.answers`` and ``verimath.sandbox`` only; needs no ``ray`` import itself.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from verimath.answers import grade
from verimath.sandbox import Limits, Sandbox


def _column(batch: Any, name: str) -> list[Any]:
    try:
        values = batch[name]
    except KeyError:
        from verimath.errors import InputError

        raise InputError(f"the batch has no column {name!r} (it has {', '.join(map(str, batch.keys()))})",
                         field=name) from None
    return list(values)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


class GradeBatch:
    """Grades column ``response`` against column ``gold``; adds ``correct`` (bool), ``extracted`` (the final
    answer found, or None) and ``reason``. With ``extract_answer=False`` the response is the bare answer."""

    def __init__(self, *, response: str = "response", gold: str = "gold", extract_answer: bool = True,
                 budget: float = 1.0) -> None:
        self.response, self.gold = response, gold
        self.extract_answer, self.budget = extract_answer, budget

    def __call__(self, batch: Any) -> Any:
        verdicts = [grade(_text(r), _text(g), budget=self.budget, extract_answer=self.extract_answer)
                    for r, g in zip(_column(batch, self.response), _column(batch, self.gold), strict=True)]
        batch["correct"] = np.array([v.correct for v in verdicts], dtype=bool)
        batch["extracted"] = np.array([v.extracted for v in verdicts], dtype=object)
        batch["reason"] = np.array([v.reason for v in verdicts], dtype=object)
        return batch


class ExecuteBatch:
    """Runs column ``code`` in a warm sandbox of ``cells`` cells (one run per row, ``cells`` at a time);
    adds ``status`` (``ok``, ``error``, ``timeout``, ``memory``, ``killed``), ``stdout``, ``stderr``,
    ``error`` (the exception's type and message, or None) and ``duration_ms``."""

    def __init__(self, *, code: str = "code", cells: int = 1, timeout_s: float = 10.0,
                 memory_mb: int = 1024) -> None:
        self.code = code
        self._sandbox = Sandbox(Limits(timeout_s=timeout_s, memory_mb=memory_mb), cells=cells)
        self._threads = ThreadPoolExecutor(cells, thread_name_prefix="verimath-execute-batch")

    def __call__(self, batch: Any) -> Any:
        results = list(self._threads.map(self._sandbox.run, map(_text, _column(batch, self.code))))
        batch["status"] = np.array([r.status for r in results], dtype=object)
        batch["stdout"] = np.array([r.stdout for r in results], dtype=object)
        batch["stderr"] = np.array([r.stderr for r in results], dtype=object)
        batch["error"] = np.array([None if r.error is None else f"{r.error.type}: {r.error.message}"
                                   for r in results], dtype=object)
        batch["duration_ms"] = np.array([r.duration_ms for r in results], dtype=float)
        return batch

    def close(self) -> None:
        self._threads.shutdown()
        self._sandbox.close()
