"""``verimath.answers``: "what is the final answer, and is it right?"

Owns extraction of final answers, parsing into typed values, the equivalence policy and bounded grading.
Pure functions, no I/O, thread-safe; imports nothing from verimath but ``verimath.errors``. SymPy never runs
in the caller's process (only in killable workers, for the rare inconclusive comparison).

    >>> from verimath.answers import grade
    >>> grade(r"... so the answer is $\\boxed{\\frac{\\sqrt3}{2}}$", "0.866").correct
    True
"""

from __future__ import annotations

from verimath.answers.compare import Match, equivalent
from verimath.answers.extract import extract
from verimath.answers.grade import Verdict, grade
from verimath.answers.parse import parse
from verimath.answers.values import (
    Choice,
    Expr,
    FiniteSet,
    Interval,
    Matrix,
    Node,
    Number,
    Relation,
    SolutionList,
    Text,
    Tuple,
    Union,
    Value,
)

__all__ = [
    "Choice",
    "Expr",
    "FiniteSet",
    "Interval",
    "Match",
    "Matrix",
    "Node",
    "Number",
    "Relation",
    "SolutionList",
    "Text",
    "Tuple",
    "Union",
    "Value",
    "Verdict",
    "equivalent",
    "extract",
    "grade",
    "parse",
]
