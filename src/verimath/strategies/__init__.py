"""verimath.strategies — "how to reason".

Owns the strategies (``cot``, ``direct``, ``pal``, ``tir``, ``self_verify``, ``decompose``), their prompt
files (``prompts/*.toml``, overridable), the ``Attempt`` record (final answer and full trace of messages and
executed cells, the exact messages sent, JSON round-tripping), and ``solve`` (several attempts and a
verification-weighted vote).

Uses ``verimath.models`` (the model), ``verimath.answers`` (finding final answers), ``verimath.sandbox``'s
``ExecResult`` and any executor with the shape of ``verimath.sandbox.Sandbox`` (``CodeExecutor``); must not
import ``verimath.eval`` or the CLI. ``ModelUnavailable`` passes through an attempt: no attempt was made.
"""

from __future__ import annotations

from verimath.strategies._attempt import Attempt, CodeStep, MessageStep, Step, Verification
from verimath.strategies._execution import CodeExecutor, ExecSession
from verimath.strategies._prompts import Prompts, load_prompts
from verimath.strategies._solve import SAMPLING_TEMPERATURE, VERIFICATION_WEIGHT, Solution, solve, vote
from verimath.strategies._strategies import (
    Cot,
    Decompose,
    Direct,
    Pal,
    SelfVerify,
    Strategy,
    Tir,
    get_strategy,
    parse_subtasks,
    parse_verification,
    strategies,
)

__all__ = [
    "SAMPLING_TEMPERATURE",
    "VERIFICATION_WEIGHT",
    "Attempt",
    "CodeExecutor",
    "CodeStep",
    "Cot",
    "Decompose",
    "Direct",
    "ExecSession",
    "MessageStep",
    "Pal",
    "Prompts",
    "SelfVerify",
    "Solution",
    "Step",
    "Strategy",
    "Tir",
    "Verification",
    "get_strategy",
    "load_prompts",
    "parse_subtasks",
    "parse_verification",
    "solve",
    "strategies",
    "vote",
]
