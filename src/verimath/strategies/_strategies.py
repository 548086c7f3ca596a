"""The strategies: cot, pal, tir, self_verify, decompose — and the registry that names them."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

from verimath.errors import InputError, ModelError, ModelUnavailable
from verimath.models import Model, Sampling
from verimath.strategies._attempt import Attempt, Verification
from verimath.strategies._execution import CodeExecutor, program_in
from verimath.strategies._prompts import Prompts, load_prompts
from verimath.strategies._run import AttemptFailed, Mode, Run, final_answer


@runtime_checkable
class Strategy(Protocol):
    """A way of reasoning: turns a question into an Attempt using a model and a code executor."""

    @property
    def name(self) -> str: ...

    @property
    def uses_code(self) -> bool:
        """Whether attempts run code (a strategy that does not may be given no executor)."""
        ...

    async def attempt(self, question: str, model: Model, executor: CodeExecutor | None = None) -> Attempt: ...


@dataclass(frozen=True, slots=True)
class _Outcome:
    answer: str | None
    verification: Verification | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Base:
    """Options every strategy takes."""

    name: ClassVar[str] = ""
    uses_code: ClassVar[bool] = True
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    """Most new tokens per model call."""
    seed: int | None = None
    mode: Mode = "chat"
    """``chat`` (messages) or ``completion`` (one rendered prompt, for base models)."""
    prompts: str | Path | Mapping[str, Any] | None = None
    """A TOML file or mapping whose keys replace the built-in prompts."""
    time_limit_s: float | None = None
    """Wall-time limit of one attempt; reaching it ends the attempt with an error."""
    output_chars: int = 2000
    """Most characters of a cell's output shown to the model (head and tail kept)."""
    num_fewshot: int | None = None
    """Few-shot examples shown: the first ``num_fewshot`` of the prompt file's (``None``: all of them)."""

    def __post_init__(self) -> None:
        if self.mode not in ("chat", "completion"):
            raise InputError(f"mode must be 'chat' or 'completion', got {self.mode!r}", field="mode")
        for key in ("max_rounds", "max_amends", "max_subtasks", "max_fixes", "output_chars"):
            value = getattr(self, key, 1)
            if not isinstance(value, int) or value < (0 if key in ("max_amends", "max_fixes") else 1):
                raise InputError(f"{key} must be a positive integer, got {value!r}", field=key)
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise InputError("time_limit_s must be positive", field="time_limit_s")
        Sampling(1, self.temperature, self.top_p, self.max_tokens, (), self.seed)  # validates
        prompts = load_prompts(self.name, self.prompts)  # a bad prompt file fails here, once, not per attempt
        if self.num_fewshot is not None and not 0 <= self.num_fewshot <= len(prompts.examples):
            raise InputError(f"num_fewshot must be between 0 and {len(prompts.examples)} (the examples in "
                             f"{prompts.source}), got {self.num_fewshot!r}", field="num_fewshot")

    def _prompts(self) -> Prompts:
        prompts = load_prompts(self.name, self.prompts)
        if self.num_fewshot is None:
            return prompts
        return dataclasses.replace(prompts, examples=prompts.examples[: self.num_fewshot])

    async def attempt(self, question: str, model: Model, executor: CodeExecutor | None = None) -> Attempt:
        """One attempt at ``question``. Model failures, time limits and missing answers are recorded on the
        Attempt (``error``). Raises ``InputError`` for an empty question and ``ModelUnavailable`` when the
        model cannot be asked (no attempt was made: nothing to record as an answer)."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty", field="question")
        if executor is None and self.uses_code:
            raise InputError(f"strategy {self.name!r} runs code: it needs a code executor", field="executor")
        question = question.strip()
        sampling = Sampling(1, self.temperature, self.top_p, self.max_tokens, (), self.seed)
        run = Run(self.name, question, model, sampling, mode=self.mode, output_chars=self.output_chars)
        try:
            async with asyncio.timeout(self.time_limit_s):
                out = await self._solve(run, self._prompts(), question, cast(CodeExecutor, executor))
        except TimeoutError:
            return run.attempt(None, error=f"time limit of {self.time_limit_s:g} s reached")
        except ModelUnavailable:
            raise
        except ModelError as exc:
            return run.attempt(None, error=f"model failed: {exc}")
        except AttemptFailed as exc:
            return run.attempt(None, error=str(exc))
        error = out.error or (None if out.answer is not None else "no final answer found in the response")
        return run.attempt(out.answer, verification=out.verification, error=error)

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Cot(_Base):
    """Chain of thought: step-by-step reasoning ending in ``\\boxed{}``; no code."""

    name: ClassVar[str] = "cot"
    uses_code: ClassVar[bool] = False

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        dlg = run.dialogue(p.fill("system"), p.examples)
        run.say(dlg, p.fill("question", question=question), "question")
        return _Outcome(final_answer(await run.generate(dlg, "solve")))


@dataclass(frozen=True, slots=True)
class Direct(Cot):
    """Direct answer: the final answer alone in ``\\boxed{}``, no reasoning, no code (its own prompts)."""

    name: ClassVar[str] = "direct"


@dataclass(frozen=True, slots=True)
class Pal(_Base):
    """Program-aided: the model writes one program, the sandbox runs it, the last printed line is the
    answer."""

    name: ClassVar[str] = "pal"

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        dlg = run.dialogue(p.fill("system"), p.examples)
        run.say(dlg, p.fill("question", question=question), "question")
        code = program_in(await run.generate(dlg, "program"))
        if code is None:
            return _Outcome(None, error="the model wrote no program")
        result, feedback = await run.execute(executor, code, "program")
        if result.status != "ok":
            return _Outcome(None, error=f"the program failed: {feedback.splitlines()[-1]}")
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        if not lines:
            return _Outcome(None, error="the program printed nothing")
        last = lines[-1]
        return _Outcome(final_answer(last) if "\\boxed" in last else last)


@dataclass(frozen=True, slots=True)
class Tir(_Base):
    """Tool-integrated reasoning (ToRA style): rounds of reasoning and ```python cells run in one stateful
    session, each output fed back, until a final answer or ``max_rounds`` model calls."""

    name: ClassVar[str] = "tir"
    max_rounds: int = 6

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        dlg = run.dialogue(p.fill("system"), p.examples)
        run.say(dlg, p.fill("question", question=question), "question")
        async with run.session(executor) as session:
            text = await run.interleave(dlg, session, label="solve", max_rounds=self.max_rounds)
        if text is None:
            return _Outcome(None, error=f"no final answer within max_rounds={self.max_rounds}")
        return _Outcome(final_answer(text))


_VERDICT = re.compile(r"verification\W{0,3}\s*(true|false|uncertain)\b", re.IGNORECASE)


def parse_verification(text: str | None) -> Verification:
    """The last ``Verification: True|False|Uncertain`` of a response; ``uncertain`` when there is none."""
    found = _VERDICT.findall(text or "")
    return found[-1].lower() if found else "uncertain"  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class SelfVerify(_Base):
    """Code-based self-verification (CSV): solve with code, then check the answer with code; on a failed
    check amend and check again, up to ``max_amends`` times. The last check is the Attempt's verification."""

    name: ClassVar[str] = "self_verify"
    max_rounds: int = 6
    """Model calls per phase (solve, each check, each amendment)."""
    max_amends: int = 2

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        dlg = run.dialogue(p.fill("system"), p.examples)
        run.say(dlg, p.fill("question", question=question), "question")
        async with run.session(executor) as session:
            text = await run.interleave(dlg, session, label="solve", max_rounds=self.max_rounds)
            answer = final_answer(text) if text is not None else None
            if answer is None:
                return _Outcome(None, error="no answer to verify")
            check = 1
            while True:
                run.say(dlg, p.fill("verify", answer=answer), f"verify {check}")
                verdict = parse_verification(
                    await run.interleave(dlg, session, label=f"verify {check}", max_rounds=self.max_rounds))
                if verdict != "false" or check > self.max_amends:
                    return _Outcome(answer, verdict)
                run.say(dlg, p.fill("amend", answer=answer), f"amend {check}")
                text = await run.interleave(dlg, session, label=f"amend {check}", max_rounds=self.max_rounds)
                amended = final_answer(text) if text is not None else None
                if amended is None:
                    return _Outcome(answer, "false", error="the amendment gave no final answer")
                answer, check = amended, check + 1


_SUBTASK = re.compile(r"^\s*(?:[-*]\s*)?(?:\**sub-?task\s*)?(\d+)\s*[.):]\**\s*(.+?)\s*$",
                      re.IGNORECASE | re.MULTILINE)


def parse_subtasks(plan: str) -> list[str]:
    """The numbered sub-tasks of a plan (``1. ...``, ``Sub-task 2: ...``), in order."""
    return [m.group(2).strip("* ") for m in _SUBTASK.finditer(plan) if m.group(2).strip("* ")]


@dataclass(frozen=True, slots=True)
class Decompose(_Base):
    """DotaMath style: plan sub-tasks, write and run code for each in one session (errors fed back for up to
    ``max_fixes`` corrections), then combine the results into a final answer."""

    name: ClassVar[str] = "decompose"
    max_subtasks: int = 6
    max_fixes: int = 2

    async def _solve(self, run: Run, p: Prompts, question: str, executor: CodeExecutor) -> _Outcome:
        dlg = run.dialogue(p.fill("system"), p.examples)
        run.say(dlg, p.fill("plan", question=question), "plan")
        subtasks = parse_subtasks(await run.generate(dlg, "plan"))[: self.max_subtasks] or [question]
        async with run.session(executor) as session:
            for i, task in enumerate(subtasks, 1):
                run.say(dlg, p.fill("subtask", index=str(i), subtask=task), f"sub-task {i}")
                await run.interleave(dlg, session, label=f"sub-task {i}", max_rounds=self.max_fixes + 1,
                                     until_success=True)
            run.say(dlg, p.fill("combine", question=question), "combine")
            text = await run.interleave(dlg, session, label="combine", max_rounds=self.max_fixes + 1)
        if text is None:
            return _Outcome(None, error="no final answer after combining the sub-tasks")
        return _Outcome(final_answer(text))


_STRATEGIES: dict[str, type[_Base]] = {cls.name: cls
                                       for cls in (Cot, Direct, Pal, Tir, SelfVerify, Decompose)}


def strategies() -> tuple[str, ...]:
    """The names ``get_strategy`` knows."""
    return tuple(_STRATEGIES)


def get_strategy(name: str, **options: Any) -> Strategy:
    """The strategy called ``name`` with ``options`` (``max_rounds=``, ``temperature=``, ``prompts=``, ...);
    options set to ``None`` keep their defaults."""
    cls = _STRATEGIES.get(name)
    if cls is None:
        raise InputError(f"unknown strategy {name!r}; known: {', '.join(_STRATEGIES)}", field="strategy")
    options = {k: v for k, v in options.items() if v is not None}
    known = {f.name for f in dataclasses.fields(cls)}
    for key in options:
        if key not in known:
            raise InputError(f"strategy {name!r} has no option {key!r}; it has {', '.join(sorted(known))}",
                             field=key)
    return cls(**options)
