"""A cooperative deadline for one check: long loops call ``check()``; nothing uses signals.

Owns ``Budget`` and the size limits every stage of ``verimath.answers`` respects. Imports only
``verimath.errors``.
"""

from __future__ import annotations

import time

from verimath.errors import BudgetExceeded

MAX_ANSWER_CHARS = 2_000
"""Longest extracted answer we parse; longer ones are rejected with a reason, not parsed."""
MAX_RESPONSE_CHARS = 200_000
"""Only the last this-many characters of a model response are searched for the final answer."""
MAX_DEPTH = 60
"""Deepest bracket / brace nesting the parser accepts."""
MAX_EXACT_BITS = 200_000
"""Largest rational (in bits of numerator or denominator) built exactly; larger values are compared by
logs."""


class Budget:
    """A wall-clock deadline checked cooperatively; ``check()`` raises ``BudgetExceeded`` once it has
    passed."""

    __slots__ = ("deadline", "seconds")

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"deadline of {self.seconds:g} s exceeded")

