"""The record of one attempt at a problem: its final answer and the full trace that led to it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from verimath.models import Message, Usage
from verimath.sandbox import ExecResult

Verification = Literal["true", "false", "uncertain"]


@dataclass(frozen=True, slots=True)
class MessageStep:
    """A message of the conversation: a prompt the strategy sent, or text the model generated."""

    kind: ClassVar[str] = "message"
    role: str
    """``system``, ``user`` or ``assistant``."""
    content: str
    label: str = ""
    """What the step is for (``solve``, ``verify 1``, ``sub-task 2``, ...)."""
    t_s: float = 0.0
    """When the step started, in seconds from the start of the attempt."""
    duration_s: float = 0.0
    """How long the model took (0 for prompts)."""
    usage: Usage | None = None
    """Tokens of a generated message; ``None`` for prompts."""
    finish_reason: str | None = None
    """Why generation ended, for generated messages."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "role": self.role, "content": self.content, "label": self.label,
                "t_s": self.t_s, "duration_s": self.duration_s,
                "usage": None if self.usage is None else self.usage.to_dict(),
                "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MessageStep:
        usage = d.get("usage")
        return cls(d["role"], d["content"], d.get("label", ""), float(d.get("t_s", 0.0)),
                   float(d.get("duration_s", 0.0)), None if usage is None else Usage.from_dict(usage),
                   d.get("finish_reason"))


@dataclass(frozen=True, slots=True)
class CodeStep:
    """A code cell the sandbox executed, with its result and what the model was shown of it."""

    kind: ClassVar[str] = "code"
    code: str
    result: ExecResult
    """What the sandbox returned: status, stdout, stderr, error, duration_ms, truncated."""
    feedback: str
    """The (truncated) output text given back to the model."""
    label: str = ""
    t_s: float = 0.0
    duration_s: float = 0.0

    @property
    def status(self) -> str:
        return self.result.status

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "result": self.result.to_dict(),
                "feedback": self.feedback, "label": self.label, "t_s": self.t_s,
                "duration_s": self.duration_s}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CodeStep:
        return cls(d["code"], ExecResult.from_dict(d["result"]), d.get("feedback", ""), d.get("label", ""),
                   float(d.get("t_s", 0.0)), float(d.get("duration_s", 0.0)))


Step = MessageStep | CodeStep
_STEP_TYPES: dict[str, type[MessageStep] | type[CodeStep]] = {"message": MessageStep, "code": CodeStep}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt of one strategy at one question. JSON round trip:
    ``Attempt.from_json(a.to_json()) == a``."""

    strategy: str
    question: str
    answer: str | None
    """The final answer text (what would go inside ``\\boxed{}``), or ``None`` when there is none."""
    trace: tuple[Step, ...] = ()
    usage: Usage = field(default_factory=Usage)
    """Tokens over every model call of the attempt."""
    model_calls: int = 0
    code_calls: int = 0
    wall_s: float = 0.0
    """Wall time of the whole attempt."""
    model_s: float = 0.0
    """Time spent waiting for the model."""
    exec_s: float = 0.0
    """Time spent waiting for the sandbox."""
    verification: Verification | None = None
    """The model's own code check of its answer (``self_verify`` only)."""
    error: str | None = None
    """Why the attempt has no answer or ended early (a model failure, a time limit, no final answer)."""
    messages: tuple[Message, ...] = ()
    """The conversation exactly as the model was given it: system prompt, few-shot turns, the question, then
    every reply and cell output in order (each request sent was a prefix of it): enough to replay it."""

    @property
    def overhead_s(self) -> float:
        """Time verimath itself spent: wall time less model and sandbox time."""
        return max(0.0, self.wall_s - self.model_s - self.exec_s)

    @property
    def cells(self) -> tuple[CodeStep, ...]:
        return tuple(s for s in self.trace if isinstance(s, CodeStep))

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "question": self.question, "answer": self.answer,
                "trace": [s.to_dict() for s in self.trace], "usage": self.usage.to_dict(),
                "model_calls": self.model_calls, "code_calls": self.code_calls, "wall_s": self.wall_s,
                "model_s": self.model_s, "exec_s": self.exec_s, "verification": self.verification,
                "error": self.error, "messages": [m.to_dict() for m in self.messages]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attempt:
        return cls(d["strategy"], d["question"], d.get("answer"),
                   tuple(_STEP_TYPES[s["kind"]].from_dict(s) for s in d.get("trace", ())),
                   Usage.from_dict(d.get("usage", {})), int(d.get("model_calls", 0)),
                   int(d.get("code_calls", 0)),
                   float(d.get("wall_s", 0.0)), float(d.get("model_s", 0.0)), float(d.get("exec_s", 0.0)),
                   d.get("verification"), d.get("error"),
                   tuple(Message(m["role"], m["content"]) for m in d.get("messages", ())))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Attempt:
        return cls.from_dict(json.loads(text))
