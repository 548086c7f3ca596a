"""``verimath eval`` as a library call: a dataset file, a model spec and a strategy name in, a resumable run
directory out. Resolves names through ``verimath.problems``, ``verimath.models``, ``verimath.strategies`` and
``verimath.sandbox`` (imported here, at call time, so that the store, runner and reports need none of them)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from verimath.errors import VerimathError
from verimath.eval._runner import (
    CachingExecutor,
    LocalExecutor,
    Progress,
    default_grader,
    run_eval,
    session_info,
)
from verimath.eval._store import RunStore, StoredProblem


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """Every argument of an evaluation. The fields that decide what the attempts are (dataset content and
    selection, model, strategy and its options) form the run's identity; the dataset's path, ``base_url`` (a
    server may move), ``n`` (a larger n extends a run), ``concurrency`` and ``run_dir`` do not."""

    dataset: str
    model: str
    run_dir: Path
    strategy: str = "tir"
    n: int = 1
    base_url: str | None = None
    concurrency: int = 8
    question_field: str = "question"
    answer_field: str = "answer"
    id_field: str = "id"
    limit: int | None = None
    shuffle: bool = False
    seed: int = 0
    filters: tuple[str, ...] = ()
    strategy_options: dict[str, Any] = field(default_factory=dict)
    """Options for ``get_strategy`` (``temperature=``, ``max_tokens=``, ``prompts=``, ...)."""
    grader_budget: float = 1.0


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


def evaluate(config: EvalConfig, on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Run (or resume) the evaluation ``config`` describes; returns the final progress. Raises ``InputError``
    for bad arguments or a run directory made with a different configuration."""
    from verimath import __version__

    try:
        from verimath.models import load_model
        from verimath.problems import load_dataset
        from verimath.sandbox import Sandbox
        from verimath.strategies import get_strategy
    except ImportError as exc:
        raise VerimathError(f"`verimath eval` needs {exc.name}, which is not installed") from exc

    strategy = get_strategy(config.strategy, **config.strategy_options)
    model = load_model(config.model, base_url=config.base_url)
    grader = default_grader(config.grader_budget)
    problems = list(load_dataset(config.dataset, question_field=config.question_field,
                                 answer_field=config.answer_field, id_field=config.id_field, limit=config.limit,
                                 shuffle=config.shuffle, seed=config.seed, filters=list(config.filters)))
    digest = _file_hash(config.dataset)
    identity = {  # a file is identified by its content (it may move), a hub dataset by its name
        "dataset": {"sha256": digest} if digest else {"name": config.dataset},
        "fields": {"question": config.question_field, "answer": config.answer_field, "id": config.id_field},
        "limit": config.limit, "shuffle": config.shuffle, "seed": config.seed, "filters": sorted(config.filters),
        "model": config.model, "strategy": config.strategy, "strategy_settings": _describe(strategy),
    }
    prompts = config.strategy_options.get("prompts")
    if isinstance(prompts, str | Path) and Path(prompts).is_file():
        identity["prompts_sha256"] = _file_hash(str(prompts))
    session = {**session_info(), "argv": sys.argv, "config": _describe(config), "n": config.n,
               "versions": {"verimath": __version__, "grader": grader.version, "openai": _version("openai"),
                            "vllm": _version("vllm"), "transformers": _version("transformers")},
               "model_settings": _describe(model)}

    with RunStore.open(config.run_dir, identity, session) as store, Sandbox() as sandbox:
        return asyncio.run(run_eval(store, [StoredProblem.from_problem(p, i) for i, p in enumerate(problems)], n=config.n, strategy=strategy, model=model,
                                    code_executor=CachingExecutor(sandbox, store, salt=repr(getattr(sandbox, "limits", ""))), grader=grader,
                                    executor=LocalExecutor(config.concurrency), on_progress=on_progress))
