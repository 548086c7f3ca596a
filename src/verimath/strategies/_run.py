"""The machinery every strategy shares: a dialogue rendered for chat or completion backends, and a recorder
that calls the model and the sandbox while keeping the trace, token counts and timings."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Literal

from verimath.models import ChatRequest, CompletionRequest, Message, Model, Request, Sampling, Usage
from verimath.sandbox import ExecResult
from verimath.strategies._attempt import Attempt, CodeStep, MessageStep, Step, Verification
from verimath.strategies._execution import (
    CodeExecutor,
    ExecSession,
    code_blocks,
    describe,
    open_session,
    run_code,
)

Mode = Literal["chat", "completion"]
OUTPUT_FENCE = "```output"
_OUTPUT_BLOCK = re.compile(r"(```output\n.*?```)\n?", re.DOTALL)


def final_answer(text: str) -> str | None:
    """The final answer in a response (``\\boxed{}``, "the answer is", ...), by ``verimath.answers``."""
    from verimath.answers import extract

    return extract(text)


def output_block(feedback: str) -> str:
    return f"{OUTPUT_FENCE}\n{feedback}\n```"


@dataclass(slots=True)
class Dialogue:
    """A conversation under construction.

    In ``chat`` mode, sandbox outputs come back as user messages holding an ```output block; in
    ``completion`` mode (ToRA style) they are spliced into the assistant's text, which the model continues,
    and the whole conversation is rendered as ``User:``/``Assistant:`` blocks after the system text.
    """

    mode: Mode
    messages: list[Message] = field(default_factory=list)

    def add(self, role: Literal["system", "user", "assistant"], content: str) -> None:
        if self.mode == "completion" and role == "assistant" and self.messages and \
                self.messages[-1].role == "assistant":
            self.messages[-1] = Message("assistant", self.messages[-1].content + content)
        else:
            self.messages.append(Message(role, content))

    def add_output(self, feedback: str) -> None:
        """Give the model a cell's output."""
        if self.mode == "completion":
            self.add("assistant", "\n" + output_block(feedback) + "\n")
        else:
            self.add("user", output_block(feedback))

    def add_example(self, question: str, solution: str) -> None:
        """A few-shot demonstration; in chat mode its ```output blocks become user turns, as live
        outputs do."""
        self.add("user", question)
        if self.mode == "completion":
            self.add("assistant", solution)
            return
        for i, part in enumerate(_OUTPUT_BLOCK.split(solution)):
            if part.strip():
                self.add("user" if i % 2 else "assistant", part.strip())

    def request(self, sampling: Sampling) -> Request:
        if self.mode == "chat":
            return ChatRequest(tuple(self.messages), sampling)
        chunks = []
        for m in self.messages:
            if m.role == "system":
                chunks.append(m.content.strip() + "\n\n")
            elif m.role == "user":
                chunks.append(f"User: {m.content.strip()}\n\n")
            else:
                chunks.append(f"Assistant: {m.content}")
                chunks.append("" if m is self.messages[-1] else "\n\n")
        if self.messages[-1].role != "assistant":
            chunks.append("Assistant:")
        return CompletionRequest("".join(chunks), sampling)


class AttemptFailed(Exception):
    """Ends an attempt early with a reason recorded on the Attempt (not a crash)."""


class Run:
    """Records one attempt: every message, cell, token and second."""

    def __init__(self, strategy: str, question: str, model: Model, sampling: Sampling, *, mode: Mode,
                 output_chars: int) -> None:
        self.strategy, self.question, self.model = strategy, question, model
        self.sampling, self.mode, self.output_chars = sampling, mode, output_chars
        self.start = time.perf_counter()
        self.steps: list[Step] = []
        self.usage = Usage()
        self.model_calls = self.code_calls = 0
        self.model_s = self.exec_s = 0.0
        self._dialogue: Dialogue | None = None

    def dialogue(self, system: str, examples: tuple[tuple[str, str], ...] = ()) -> Dialogue:
        """The attempt's conversation, opened with the system prompt and the few-shot turns; the Attempt
        records its messages as they were sent."""
        dlg = self._dialogue = Dialogue(self.mode)
        if system.strip():
            dlg.add("system", system.strip())
            self.steps.append(MessageStep("system", system.strip(), t_s=self._now()))
        for q, s in examples:
            dlg.add_example(q, s)
        return dlg

    def _now(self) -> float:
        return time.perf_counter() - self.start

    def say(self, dlg: Dialogue, text: str, label: str) -> None:
        """Add a user message to the dialogue and the trace."""
        dlg.add("user", text)
        self.steps.append(MessageStep("user", text, label, self._now()))

    async def generate(self, dlg: Dialogue, label: str, *, stop: tuple[str, ...] = ()) -> str:
        """One model call continuing ``dlg``; its text is added to the dialogue and the trace."""
        sampling = self.sampling if not stop else _with_stop(self.sampling, stop)
        t0 = self._now()
        try:
            completion = (await self.model.generate(dlg.request(sampling)))[0]
        finally:
            self.model_s += self._now() - t0
            self.model_calls += 1
        text = completion.text
        if OUTPUT_FENCE in text:  # the model imagined an output: drop it and everything after
            text = text[: text.index(OUTPUT_FENCE)]
        self.usage += completion.usage
        self.steps.append(MessageStep("assistant", text, label, t0, self._now() - t0, completion.usage,
                                      completion.finish_reason))
        dlg.add("assistant", text)
        if not text.strip() and self.model_calls == 1:
            raise AttemptFailed("the model returned nothing")
        return text

    async def execute(self, runner: CodeExecutor | ExecSession, code: str,
                      label: str) -> tuple[ExecResult, str]:
        """Run a cell; returns its result and the feedback text for the model."""
        t0 = self._now()
        try:
            result = await run_code(runner, code)
        finally:
            self.exec_s += self._now() - t0
            self.code_calls += 1
        feedback = describe(result, limit=self.output_chars)
        self.steps.append(CodeStep(code, result, feedback, label, t0, self._now() - t0))
        return result, feedback

    async def interleave(self, dlg: Dialogue, session: ExecSession, *, label: str, max_rounds: int,
                         until_success: bool = False) -> str | None:
        """Rounds of generate -> run the trailing ```python block -> feed its output back, until the model
        writes text with no code still to run (returned), a cell succeeds (with ``until_success``), or
        ``max_rounds`` model calls are spent (``None``)."""
        for round_no in range(1, max_rounds + 1):
            step_label = label if round_no == 1 else f"{label} ({round_no})"
            text = await self.generate(dlg, step_label, stop=(OUTPUT_FENCE,))
            code = pending_code(text)
            if code is None:
                return text
            result, feedback = await self.execute(session, code, step_label)
            dlg.add_output(feedback)
            if until_success and result.status == "ok":
                return text
        return None

    @contextlib.asynccontextmanager
    async def session(self, executor: CodeExecutor) -> AsyncIterator[ExecSession]:
        """A stateful sandbox session; opening and closing it count as sandbox time."""
        t0 = self._now()
        manager = open_session(executor)
        session = await manager.__aenter__()
        self.exec_s += self._now() - t0
        try:
            yield session
        except BaseException as exc:
            t0 = self._now()
            if not await manager.__aexit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            t0 = self._now()
            await manager.__aexit__(None, None, None)
        finally:
            self.exec_s += self._now() - t0

    def attempt(self, answer: str | None, *, verification: Verification | None = None,
                error: str | None = None) -> Attempt:
        messages = () if self._dialogue is None else tuple(self._dialogue.messages)
        return Attempt(self.strategy, self.question, answer, tuple(self.steps), self.usage, self.model_calls,
                       self.code_calls, self._now(), self.model_s, self.exec_s, verification, error, messages)


def pending_code(text: str) -> str | None:
    """The last ```python block of a response when no ``\boxed`` answer follows it (the code the model wants
    run), else ``None``. Only a box counts here: a stray number after the code is not a final answer."""
    blocks = code_blocks(text)
    if not blocks:
        return None
    code, end = blocks[-1]
    return None if any(box in text[end:] for box in ("\\boxed", "\\fbox")) else code


def _with_stop(sampling: Sampling, stop: tuple[str, ...]) -> Sampling:
    return replace(sampling, stop=tuple(dict.fromkeys(sampling.stop + stop)))

