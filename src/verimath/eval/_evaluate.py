"""``verimath eval`` as a library call: a dataset file, a model spec and a strategy name in, a resumable run
directory out. Checks the selection before anything is created, resolves names through ``verimath.problems``,
``verimath.models``, ``verimath.strategies`` and ``verimath.sandbox`` (imported at call time, so that reading
a run back needs none of them), and streams the problems to the runner."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verimath._version import __version__
from verimath.errors import InputError, VerimathError
from verimath.eval._grading import default_grader
from verimath.eval._runner import (
    CachingExecutor,
    Executor,
    LocalExecutor,
    Progress,
    Recipe,
    run_eval,
    session_info,
)
from verimath.eval._store import RunStore, StoredProblem

if TYPE_CHECKING:
    from verimath.problems import Problem

CELL_TIMEOUT_S = 10.0
"""Seconds a code cell may run unless ``cell_timeout`` says otherwise."""


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """Every argument of an evaluation. The fields that decide what the attempts are (dataset content and
    selection, model, strategy and its options, cell timeout) form the run's identity; the dataset's path,
    ``base_url`` and ``api_key_env`` (a server may move), ``n`` (a larger n extends a run), ``concurrency``,
    ``retry_errors`` and ``run_dir`` do not."""

    dataset: str
    model: str
    run_dir: Path
    strategy: str = "tir"
    n: int = 1
    base_url: str | None = None
    api_key_env: str | None = None
    """Environment variable holding the API key (``openai:`` only; default ``OPENAI_API_KEY``)."""
    concurrency: int = 8
    question_field: str = "question"
    answer_field: str = "answer"
    id_field: str = "id"
    limit: int | None = None
    shuffle: bool = False
    seed: int = 0
    filters: tuple[str, ...] = ()
    split: str = "test"
    """Split of a Hugging Face dataset (ignored for files)."""
    subset: str | None = None
    """Configuration (subset) of a Hugging Face dataset, e.g. ``main`` for ``openai/gsm8k``."""
    strategy_options: dict[str, Any] = field(default_factory=dict)
    """Options for ``get_strategy`` (``temperature=``, ``max_tokens=``, ``mode=``, ``max_rounds=``,
    ``num_fewshot=``, ``time_limit_s=``, ``prompts=``, ...). Without a temperature, ``n > 1`` samples at
    ``verimath.strategies.SAMPLING_TEMPERATURE``."""
    cell_timeout: float = CELL_TIMEOUT_S
    """Seconds each code cell may run."""
    grader_budget: float = 1.0
    retry_errors: bool = True
    """Attempt again the attempts a previous run stored as errors (the model was unreachable)."""


def _file_hash(path: str) -> str | None:
    p = Path(path)
    if not p.is_file():
        return None  # a hub dataset: its name and selection identify it
    digest = hashlib.sha256()
    with p.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _describe(obj: Any) -> Any:
    """The settings of a strategy or model object, as JSON-ready data (dataclass fields, or its repr)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _describe(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [_describe(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _describe(v) for k, v in obj.items()}
    return obj if isinstance(obj, str | int | float | bool | type(None)) else repr(obj)


class _Selection:
    """The selected problems, streamed from the dataset on each iteration (so memory stays flat), with their
    count known from the check made before the run starts."""

    def __init__(self, config: EvalConfig) -> None:
        self._config = config
        self._count = self._check()

    def _load(self, *, filters: bool = True, limit: bool = True) -> Iterator[Problem]:
        from verimath.problems import load_dataset

        c = self._config
        return load_dataset(c.dataset, question_field=c.question_field, answer_field=c.answer_field,
                            id_field=c.id_field, limit=c.limit if limit else None, shuffle=c.shuffle,
                            seed=c.seed, filters=list(c.filters) if filters else None, split=c.split,
                            config=c.subset)

    def _check(self) -> int:
        """One pass over the selection: every row well formed, ids unique, something selected."""
        ids: Counter[str] = Counter()
        for problem in self._load():
            ids[problem.id] += 1
        repeated = [(pid, k) for pid, k in ids.items() if k > 1]
        if repeated:
            named = ", ".join(f"{pid!r} ({k} times)" for pid, k in repeated[:3])
            more = f" and {len(repeated) - 3} more" if len(repeated) > 3 else ""
            raise InputError(f"problem ids must be unique, but {named}{more} repeat; choose another "
                             f"--id-field", file=self._config.dataset, field=self._config.id_field)
        if not ids:
            raise InputError(self._why_empty(), file=self._config.dataset)
        return sum(ids.values())

    def _why_empty(self) -> str:
        c = self._config
        if c.limit == 0:
            return "--limit 0 selects no problem"
        if not c.filters:
            return "the dataset has no rows"
        rows = 0
        seen: set[str] = set()
        for problem in self._load(filters=False, limit=False):
            rows += 1
            seen.update(problem.metadata)
            seen.update(k for k in ("parent_id", "perturbation", "template_id")
                        if getattr(problem, k) is not None)
        for item in c.filters:
            key = item.partition("=")[0].strip()
            if key not in seen:
                return f"--filter {item}: no row has a field {key!r}"
        return f"--filter {' '.join(c.filters)} matches none of the {rows} rows"

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[StoredProblem]:
        return (StoredProblem.from_problem(p, i) for i, p in enumerate(self._load()))


def evaluate(config: EvalConfig, on_progress: Callable[[Progress], None] | None = None, *,
             invocation: Sequence[str] = (), executor: Executor | None = None) -> Progress:
    """Run (or resume) the evaluation ``config`` describes; returns the final progress. ``invocation`` (the
    command line, if any) is recorded in the manifest. ``executor`` runs the attempts (default: this process,
    ``config.concurrency`` at a time; ``verimath.distributed.RayExecutor`` on a Ray cluster). Raises
    ``InputError`` for bad arguments, a bad or empty selection, or a run directory made with a different
    configuration, before anything is created; raises ``ModelUnavailable`` when the first attempts all fail
    the same way (the model cannot be reached)."""
    try:
        from verimath.models import load_model, server_urls
        from verimath.sandbox import Limits, Sandbox
        from verimath.strategies import SAMPLING_TEMPERATURE, get_strategy
    except ImportError as exc:
        raise VerimathError(f"`verimath eval` needs {exc.name}, which is not installed") from exc

    options = dict(config.strategy_options)
    sampled_by = "--temperature"
    if options.get("temperature") is None:
        options["temperature"] = SAMPLING_TEMPERATURE if config.n > 1 else 0.0
        sampled_by = "default for n > 1" if config.n > 1 else "default (greedy) for n = 1"
    strategy = get_strategy(config.strategy, **options)
    limits = Limits(timeout_s=config.cell_timeout)
    problems = _Selection(config)
    model_options = {"base_url": config.base_url, "api_key_env": config.api_key_env}
    model = load_model(config.model, **model_options)
    if config.base_url and config.base_url.startswith("@"):  # a worker on another node has no such file
        model_options["base_url"] = ",".join(server_urls(config.base_url))
    grader = default_grader(config.grader_budget)
    digest = _file_hash(config.dataset)
    # a file is identified by its content (it may move), a hub dataset by its name
    identity: dict[str, Any] = {
        "dataset": {"sha256": digest} if digest else {"name": config.dataset, "split": config.split,
                                                      "subset": config.subset},
        "fields": {"question": config.question_field, "answer": config.answer_field, "id": config.id_field},
        "limit": config.limit, "shuffle": config.shuffle, "seed": config.seed,
        "filters": sorted(config.filters),
        "model": config.model, "strategy": config.strategy, "strategy_settings": _describe(strategy),
    }
    if strategy.uses_code and config.cell_timeout != CELL_TIMEOUT_S:  # only when set: older runs still resume
        identity["cell_timeout_s"] = config.cell_timeout
    prompts = options.get("prompts")
    if isinstance(prompts, str | Path) and Path(prompts).is_file():
        identity["prompts_sha256"] = _file_hash(str(prompts))
    session = {**session_info(), "argv": list(invocation), "config": _describe(config), "n": config.n,
               "sampling": {"temperature": options["temperature"], "chosen_by": sampled_by},
               "versions": {"verimath": __version__, "grader": grader.version, "openai": _version("openai"),
                            "vllm": _version("vllm"), "transformers": _version("transformers")},
               "model_settings": _describe(model)}

    with RunStore.open(config.run_dir, identity, session) as store, contextlib.ExitStack() as stack:
        code = None
        if strategy.uses_code:  # a sandbox only for strategies that run code
            sandbox = stack.enter_context(Sandbox(limits=limits))
            code = CachingExecutor(sandbox, store, salt=repr(sandbox.limits))
        return asyncio.run(run_eval(store, problems, n=config.n, strategy=strategy, model=model,
                                    code_executor=code, grader=grader,
                                    executor=executor or LocalExecutor(config.concurrency),
                                    on_progress=on_progress, retry_errors=config.retry_errors,
                                    recipe=Recipe(config.model, model_options, strategy,
                                                  limits if strategy.uses_code else None, grader)))
