"""``RayPool``: ``concurrent.futures.Executor.map``'s shape on a Ray cluster, for ``verimath grade --executor
ray``. Chunks of items become Ray tasks (retried by Ray when their worker dies), results come back in order,
and at most a few chunks per CPU are in flight, so memory stays flat however large the file."""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from verimath.distributed._cluster import connected, lost
from verimath.errors import ClusterUnavailable, VerimathError


def _apply(fn: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    return [fn(item) for item in chunk]


class RayPool:
    """Maps a function over items on Ray tasks of ``num_cpus`` each, in order. Use as a context manager: it
    connects to ``address`` (None: a local Ray on 127.0.0.1, stopped on exit)."""

    def __init__(self, address: str | None = None, *, num_cpus: float = 1.0, window_per_cpu: int = 2,
                 max_retries: int = 3) -> None:
        self._address, self._num_cpus = address, num_cpus
        self._window_per_cpu, self._max_retries = window_per_cpu, max_retries
        self._stack = contextlib.ExitStack()
        self._ray: Any = None
        self._task: Any = None

    def __enter__(self) -> RayPool:
        self._ray = self._stack.enter_context(connected(self._address, needed_by="--executor ray"))
        self._task = self._ray.remote(_apply).options(num_cpus=self._num_cpus, max_retries=self._max_retries)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def workers(self) -> int:
        """Tasks the cluster runs at once (its CPUs over ``num_cpus``)."""
        return max(1, int(self._ray.cluster_resources().get("CPU", 1.0) / self._num_cpus))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any], *, chunksize: int = 1) -> Iterator[Any]:
        """``fn`` over ``items`` in order; ``fn`` must be importable by name on the workers."""
        ray = self._ray
        window = max(2, self.workers * self._window_per_cpu)
        source = iter(items)
        pending: deque[Any] = deque()
        while True:
            while len(pending) < window and (chunk := list(itertools.islice(source, max(1, chunksize)))):
                pending.append(self._task.remote(fn, chunk))
            if not pending:
                return
            try:
                results = ray.get(pending.popleft())
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause
                raise cause if isinstance(cause, Exception) else VerimathError(str(exc)) from None
            except Exception as exc:
                if lost(ray, exc) or isinstance(exc, ray.exceptions.WorkerCrashedError):
                    raise ClusterUnavailable(f"the Ray cluster was lost while grading: {exc}") from None
                raise
            yield from results
