"""verimath.distributed — the same work on a Ray cluster.

Owns ``RayExecutor`` (the eval runner's ``Executor`` on Ray actors, each with its own model client and
sandbox, results streamed back to the driver's one run store), ``RayPool`` (for ``verimath grade --executor
ray``), the Ray Data stages ``GradeBatch`` and ``ExecuteBatch`` for ``Dataset.map_batches``, and connecting
to a cluster (``connected``: an address, or a local Ray on loopback for one run). Uses ``verimath.eval``'s
``Executor`` protocol and ``Recipe``, ``verimath.answers`` and ``verimath.sandbox``; imports ``ray`` only
when connecting (``errors.import_extra``, extra ``ray``). Must not import ``verimath.cli`` or any package's
private modules; nothing in verimath imports it but the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verimath.distributed._cluster import connected
    from verimath.distributed._data import ExecuteBatch, GradeBatch
    from verimath.distributed._executor import RayExecutor
    from verimath.distributed._pool import RayPool

__all__ = ["ExecuteBatch", "GradeBatch", "RayExecutor", "RayPool", "connected"]

_HOMES = {"connected": "_cluster", "ExecuteBatch": "_data", "GradeBatch": "_data", "RayExecutor": "_executor",
          "RayPool": "_pool"}


def __getattr__(name: str) -> Any:
    """Load each name on first use: the executor needs ``eval``, the stages need the grader and sandbox."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'verimath.distributed' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"verimath.distributed.{home}"), name)
    globals()[name] = value
    return value
