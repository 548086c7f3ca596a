"""Tiny test doubles for the runner: a scripted strategy and problems. Kept out of src/.

Run as a script (``python eval_doubles.py RUN_DIR N_PROBLEMS N DELAY``) it runs an evaluation to completion,
for the SIGKILL test to kill part-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import sys
from dataclasses import dataclass
from typing import Any

from verimath.answers import Verdict
from verimath.eval import CachingExecutor, LocalExecutor, RunStore, StoredProblem, run_eval
from verimath.models import Message, Usage
from verimath.sandbox import ExecResult
from verimath.strategies import Attempt, CodeStep, MessageStep


def problems(count: int) -> list[StoredProblem]:
    return [StoredProblem(f"p{i}", i, f"What is {i} mod 3?", str(i % 3), {"level": f"L{i % 2}"})
            for i in range(count)]


def lineage_problems(count: int) -> list[StoredProblem]:
    """``count`` originals, each with a perturbed variant (``parent_id``/``perturbation``), and instances of
    two templates with a no-op variant each: the metadata robustness metrics read."""
    rows: list[StoredProblem] = []
    for i in range(count):
        rows.append(StoredProblem(f"p{i}", len(rows), f"What is {i} mod 3?", str(i % 3), {}))
        rows.append(StoredProblem(f"p{i}/swap", len(rows), f"What is {i} modulo 3?", str(i % 3),
                                  {"parent_id": f"p{i}", "perturbation": "swap"}))
    for t in ("t1", "t2"):
        for variant, tid in (("base", t), ("noop", f"{t}-noop")):
            for i in range(3):
                meta = {"template_id": tid, "variant": variant,
                        **({"variant_of": t} if variant == "noop" else {})}
                rows.append(StoredProblem(f"{tid}#{i}", len(rows), f"{tid}: what is {i + 7} mod 3?",
                                          str((i + 7) % 3), meta))
    return rows


def scripted_answer(question: str) -> str | None:
    """Deterministic in the question: a mix of right, wrong and missing answers over problems."""
    h = int(hashlib.sha256(question.encode()).hexdigest(), 16)
    return None if h % 7 == 0 else str(h % 3)


def attempt_of(question: str, answer: str | None, cells: tuple[CodeStep, ...] = ()) -> Attempt:
    """A real ``Attempt`` as a strategy would record it: the question sent, cells run, the answer."""
    steps = (MessageStep("user", question, "question"), *cells)
    return Attempt("scripted", question, answer, steps, Usage(10, 5), model_calls=1, code_calls=len(cells),
                   wall_s=0.01, messages=(Message("user", question),))


@dataclass
class ScriptedStrategy:
    """Answers from :func:`scripted_answer`; runs one code cell through the executor when given one."""

    delay: float = 0.0
    calls: int = 0
    name: str = "scripted"
    uses_code: bool = True

    async def attempt(self, question: str, model: Any, executor: Any = None) -> Attempt:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        cells: tuple[CodeStep, ...] = ()
        if executor is not None:
            result = executor.run(f"print({len(question)})")
            cells = (CodeStep("print(1)", result, result.stdout),)
        return attempt_of(question, scripted_answer(question), cells)


class CountingExecutor:
    """A real (if tiny) executor: runs code with exec, in sessions that keep state."""

    def __init__(self):
        self.runs = 0

    def run(self, code):
        return self._exec(code, {})

    def _exec(self, code, scope):
        self.runs += 1
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, scope)
        return ExecResult("ok", out.getvalue())

    @contextlib.contextmanager
    def session(self):
        scope = {}

        class Session:
            def run(inner, code):
                return self._exec(code, scope)

        yield Session()


def exact_grader() -> Any:
    @dataclass(frozen=True)
    class Exact:
        version: str = "exact-1"

        def __call__(self, answer: str | None, gold: str) -> Verdict:
            return Verdict(answer is not None and answer.strip() == gold.strip(), answer, "string", "", 0.0)

    return Exact()


def evaluate(run_dir: str, count: int, n: int, delay: float = 0.0, concurrency: int = 4,
             strategy: ScriptedStrategy | None = None,
             items: list[StoredProblem] | None = None) -> ScriptedStrategy:
    strategy = strategy or ScriptedStrategy(delay)
    with RunStore.open(run_dir, {"dataset": "doubles", "strategy": "scripted"}, {"argv": sys.argv}) as store:
        asyncio.run(run_eval(store, problems(count) if items is None else items, n=n, strategy=strategy,
                             model=None,
                             code_executor=CachingExecutor(CountingExecutor(), store),
                             grader=exact_grader(), executor=LocalExecutor(concurrency)))
    return strategy


if __name__ == "__main__":
    evaluate(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
