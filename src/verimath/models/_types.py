"""Values exchanged with a language model: requests, completions, token usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from verimath.errors import InputError

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "error"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: Role
    """Who speaks: ``system``, ``user`` or ``assistant``."""
    content: str
    """The text of the message."""

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Sampling:
    """How to sample; shared by chat and completion requests."""

    n: int = 1
    """Number of independent samples to return."""
    temperature: float = 0.0
    """Softmax temperature; 0 means greedy."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    max_tokens: int = 1024
    """Most new tokens per sample."""
    stop: tuple[str, ...] = ()
    """Strings that end a sample; the stop string itself is not part of the returned text."""
    seed: int | None = None
    """Seed for reproducible sampling where the backend supports it."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InputError(f"n must be at least 1, got {self.n}", field="n")
        if self.temperature < 0:
            raise InputError(f"temperature must be >= 0, got {self.temperature}", field="temperature")
        if not 0 < self.top_p <= 1:
            raise InputError(f"top_p must be in (0, 1], got {self.top_p}", field="top_p")
        if self.max_tokens < 1:
            raise InputError(f"max_tokens must be at least 1, got {self.max_tokens}", field="max_tokens")
        if isinstance(self.stop, str | list):
            object.__setattr__(self, "stop", (self.stop,) if isinstance(self.stop, str) else tuple(self.stop))


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat request: a conversation to continue with an assistant message."""

    messages: tuple[Message, ...]
    """The conversation so far (system message first, if any)."""
    sampling: Sampling = field(default_factory=Sampling)
    """How to sample."""

    def __post_init__(self) -> None:
        if not self.messages:
            raise InputError("a chat request needs at least one message", field="messages")
        if not isinstance(self.messages, tuple):
            object.__setattr__(self, "messages", tuple(self.messages))


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """A raw completion request: text to continue."""

    prompt: str
    """The text the model continues."""
    sampling: Sampling = field(default_factory=Sampling)
    """How to sample."""

    def __post_init__(self) -> None:
        if not self.prompt:
            raise InputError("a completion request needs a non-empty prompt", field="prompt")


Request = ChatRequest | CompletionRequest


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts; add them with ``+``."""

    prompt_tokens: int = 0
    """Tokens read."""
    completion_tokens: int = 0
    """Tokens generated."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Usage:
        return cls(int(data.get("prompt_tokens", 0)), int(data.get("completion_tokens", 0)))


@dataclass(frozen=True, slots=True)
class Completion:
    """One sample returned by a model.

    Within one request's batch, ``usage`` sums to what the backend reported for the whole request: the prompt
    is counted on the first sample only, generated tokens on the sample that produced them (split evenly where
    the backend reports only a total).
    """

    text: str
    """The generated text, without any stop string."""
    finish_reason: FinishReason
    """``stop`` (a stop string or end of sequence), ``length`` (hit max_tokens)."""
    usage: Usage = field(default_factory=Usage)
    """Tokens this sample accounts for."""
    latency_s: float = 0.0
    """Wall time of the request that produced this sample."""

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "finish_reason": self.finish_reason, "usage": self.usage.to_dict(),
                "latency_s": self.latency_s}


@dataclass(frozen=True, slots=True)
class ModelStats:
    """What a model has done since it was created: requests, failures, retries, tokens, time."""

    requests: int = 0
    failures: int = 0
    retries: int = 0
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
