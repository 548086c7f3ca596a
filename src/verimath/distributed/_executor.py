"""``RayExecutor``: the eval runner's ``Executor`` on a Ray cluster.

Attempts run on Ray actors, each with its own model client and sandbox built once from the run's ``Recipe``
(so a worker holds warm cells and an open connection pool), sized with fractional ``num_cpus``. Jobs travel in
chunks; each chunk's records come back to the driver as soon as it finishes, and the driver's runner stores
them in its one run store. An actor that dies (its process killed, its node lost) is replaced and the chunks
it held are sent again, so every (problem, sample) is stored exactly once: the driver alone stores, and only
what came back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from verimath.distributed._cluster import check_reachable, connected, lost, ray_module
from verimath.errors import ClusterUnavailable, InputError, VerimathError
from verimath.eval import AttemptRecord, AttemptWork, Job, Recipe

START_TIMEOUT_S = 180.0
"""Seconds the workers may take to start (load the model, warm the sandbox) before the cluster is called short
of resources."""


class AttemptActor:
    """One Ray worker: the run's work built once (its own model client and sandbox), attempting chunks of jobs
    concurrently on its event loop."""

    def __init__(self, recipe: Recipe, cells: int) -> None:
        self._stack = contextlib.ExitStack()
        self._work = self._stack.enter_context(recipe.build(cells=cells))

    async def ready(self) -> int:
        """This worker's process id, once its model and sandbox are up."""
        return os.getpid()

    async def run(self, chunk: list[Job]) -> list[AttemptRecord]:
        return list(await asyncio.gather(*(self._work(job) for job in chunk)))


@dataclass(frozen=True, slots=True)
class RayExecutor:
    """Runs the runner's attempts on Ray actors.

    ``address``: a running cluster (``HOST:PORT``, ``auto``, ``ray://…``); None starts a local Ray on
    127.0.0.1 for the run and stops it after (a connection this process already holds is used as it is).
    ``actors``: workers to start (default: as many as the cluster's CPUs hold at ``num_cpus`` each).
    ``chunk_size``: jobs sent to a worker at once; each worker holds at most two chunks, so one is running
    while the next waits. ``cells``: sandbox cells per worker. A job whose worker died ``max_tries`` times is
    stored as an error (retried by the next run), so a job that kills its worker cannot stall the run. While
    no chunk comes back for ``head_check_s``, the driver checks that the cluster's head still answers; two
    failed checks in a row end the run with ``ClusterUnavailable`` (Ray itself would end the process after
    60 s with a log line of its own).
    """

    address: str | None = None
    actors: int | None = None
    num_cpus: float = 0.5
    chunk_size: int = 4
    cells: int = 1
    max_tries: int = 3
    head_check_s: float = 5.0

    def __post_init__(self) -> None:
        # a missing extra or an unreachable head is refused before the run directory is touched
        ray_module("--executor ray")
        if self.address:
            check_reachable(self.address)

    async def map(self, jobs: Iterable[Job], work: Callable[[Job], Awaitable[AttemptRecord]]
                  ) -> AsyncGenerator[AttemptRecord, None]:
        recipe = work.recipe if isinstance(work, AttemptWork) else None
        if recipe is None:
            raise InputError("the Ray executor needs the runner's work with its recipe (how to build the "
                             "model and sandbox on a worker); run through verimath.eval.evaluate",
                             field="executor")
        with connected(self.address) as ray:
            async with contextlib.aclosing(_Fleet(ray, self, recipe).run(iter(jobs))) as records:
                async for record in records:
                    yield record


class _Fleet:
    """The driver's side of one run: the workers, the chunks each holds, and the jobs to send again."""

    def __init__(self, ray: Any, options: RayExecutor, recipe: Recipe) -> None:
        self._ray, self._options, self._recipe = ray, options, recipe
        self._actor_class = ray.remote(AttemptActor)
        self._tries: dict[tuple[str, int], int] = {}
        self._again: deque[Job] = deque()
        self._head_failures = 0
        # the model reads its API key (and OPENAI_BASE_URL) from the environment, which a worker on another
        # node does not share with the driver: the driver's values go with each worker
        names = (recipe.model_options.get("api_key_env") or "OPENAI_API_KEY", "OPENAI_BASE_URL")
        self._secrets = {name: os.environ[name] for name in names if name in os.environ}
        self.lost = False
        """The cluster stopped answering: nothing more is asked of it (not even to stop the workers)."""

    def _spawn(self) -> Any:
        o = self._options
        options: dict[str, Any] = {"num_cpus": o.num_cpus, "max_concurrency": 2}
        if self._secrets:
            options["runtime_env"] = {"env_vars": self._secrets}
        return self._actor_class.options(**options).remote(self._recipe, o.cells)

    def _size(self) -> int:
        if self._options.actors:
            return self._options.actors
        cpus = self._ray.cluster_resources().get("CPU", 1.0)
        return max(1, int(cpus / self._options.num_cpus))

    def _future(self, ref: Any) -> asyncio.Future[Any]:
        return asyncio.wrap_future(ref.future())

    async def _wait_ready(self, actors: list[Any]) -> None:
        try:
            await asyncio.wait_for(asyncio.gather(*(self._future(a.ready.remote()) for a in actors)),
                                   START_TIMEOUT_S)
        except TimeoutError:
            free = self._ray.available_resources().get("CPU", 0.0)
            raise ClusterUnavailable(f"the Ray workers did not start within {START_TIMEOUT_S:.0f} s "
                                     f"({len(actors)} workers of {self._options.num_cpus} CPU each; {free} "
                                     f"CPU free)") from None
        except self._ray.exceptions.RayActorError as exc:
            raise VerimathError(f"a Ray worker could not start: {_last_line(exc)}") from None

    async def _check_head(self) -> None:
        gcs = self._ray.get_runtime_context().gcs_address
        try:
            await asyncio.to_thread(check_reachable, gcs)
        except ClusterUnavailable as exc:
            self._head_failures += 1
            if self._head_failures >= 2:
                self.lost = True
                raise ClusterUnavailable(f"the Ray cluster was lost mid-run ({exc}); finished attempts are "
                                         f"stored, rerun the same command to resume") from None
        else:
            self._head_failures = 0

    def _next_chunk(self, source: Iterator[Job]) -> list[Job]:
        size = self._options.chunk_size
        chunk = [self._again.popleft() for _ in range(min(size, len(self._again)))]
        chunk.extend(itertools.islice(source, size - len(chunk)))
        return chunk

    async def run(self, source: Iterator[Job]) -> AsyncGenerator[AttemptRecord, None]:
        ray = self._ray
        first = next(source, None)
        if first is None:
            return  # nothing to do (a finished run resumed): no worker is started
        source = itertools.chain([first], source)
        fleet = [self._spawn() for _ in range(self._size())]
        inflight: dict[asyncio.Future[Any], tuple[int, Any, list[Job]]] = {}
        load = [0] * len(fleet)
        try:
            await self._wait_ready(fleet)
            while True:
                for slot, actor in enumerate(fleet):
                    while load[slot] < 2 and (chunk := self._next_chunk(source)):
                        inflight[self._future(actor.run.remote(chunk))] = (slot, actor, chunk)
                        load[slot] += 1
                if not inflight:
                    return
                done, _ = await asyncio.wait(inflight, timeout=self._options.head_check_s,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    await self._check_head()
                    continue
                self._head_failures = 0
                for future in done:
                    slot, actor, chunk = inflight.pop(future)
                    load[slot] -= 1
                    try:
                        records = future.result()
                    except ray.exceptions.RayActorError:
                        if fleet[slot] is actor:  # its other chunk fails too: replace the worker once
                            fleet[slot] = self._spawn()
                        for record in self._resend(chunk):
                            yield record
                        continue
                    except ray.exceptions.RayTaskError as exc:  # the work itself raised: as if run here
                        cause = exc.cause
                        if isinstance(cause, Exception):
                            raise cause from None
                        raise VerimathError(_last_line(exc)) from None
                    except Exception as exc:
                        if lost(ray, exc):
                            raise ClusterUnavailable(f"the Ray cluster was lost: {_last_line(exc)}; finished "
                                                     f"attempts are stored, rerun to resume") from None
                        raise
                    for record in records:
                        yield record
        finally:
            for future in inflight:
                future.cancel()
            for actor in [] if self.lost else fleet:
                with contextlib.suppress(Exception):
                    ray.kill(actor)

    def _resend(self, chunk: list[Job]) -> Iterator[AttemptRecord]:
        """Queue a dead worker's jobs again; one that has now lost ``max_tries`` workers becomes an error."""
        for job in chunk:
            key = (job.problem.id, job.sample)
            self._tries[key] = self._tries.get(key, 0) + 1
            if self._tries[key] < self._options.max_tries:
                self._again.append(job)
            else:
                message = f"its Ray worker died {self._tries[key]} times while attempting it"
                yield AttemptRecord.failure(job.problem.id, job.sample, message, 0.0)


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
