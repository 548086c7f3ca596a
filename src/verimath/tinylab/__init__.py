"""verimath.tinylab — the built-in tiny model's training data, training, held-out sets and main job.

Derives checked training examples (PAL expressions over the question's numbers, and direct answers) from the
built-in templates, trains the ``builtin:tiny`` network from scratch on CPU (``verimath train-tiny``),
generates held-out sets with new seeds and widened number ranges, and runs the main job
(``verimath tiny-demo``: eval with ``pal`` and ``direct``, compared by operand length). Imports ``problems``,
``models`` and ``eval``; the ``models`` package never imports this one.
"""

from __future__ import annotations

from verimath.tinylab._data import (
    HELD_OUT_SEED,
    WIDEN,
    Example,
    example_of,
    examples,
    held_out,
    is_held_out_question,
    operand_digits,
    pal_expression,
    supported_templates,
)
from verimath.tinylab._demo import DemoResult, GroupRow, StrategyRun, run_demo
from verimath.tinylab._train import TrainConfig, TrainProgress, TrainResult, train

__all__ = [
    "HELD_OUT_SEED",
    "WIDEN",
    "DemoResult",
    "Example",
    "GroupRow",
    "StrategyRun",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "example_of",
    "examples",
    "held_out",
    "is_held_out_question",
    "operand_digits",
    "pal_expression",
    "run_demo",
    "supported_templates",
    "train",
]
