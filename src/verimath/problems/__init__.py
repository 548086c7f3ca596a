"""verimath.problems: where problems come from — datasets, templates, perturbations.

Owns the :class:`Problem` value, dataset loading (JSONL/CSV/Parquet/Hugging Face) with field mapping, the
template engine for GSM-Symbolic's annotated format (and verimath's own built-in templates in that format),
and answer-preserving perturbations of numeric and symbolic datasets. Imports only ``verimath.errors`` (and,
to check answers, ``verimath.answers``); never ``eval``, ``strategies``, ``models`` or ``sandbox``.
"""

from __future__ import annotations

from verimath.problems._builtin import builtin_dir
from verimath.problems._datasets import load_dataset, parse_filters, write_jsonl
from verimath.problems._perturb import NUMERIC_OPS, OPS, PerturbReport, perturb, perturb_problem
from verimath.problems._problem import Problem
from verimath.problems._program import LiftError, Program, lift
from verimath.problems._symbolic import SYMBOLIC_OPS, SymbolicError, symbolic_problem
from verimath.problems._template import (
    Template,
    TemplateError,
    generate,
    generate_many,
    iter_instances,
    load_templates,
    parse_template,
)

__all__ = [
    "NUMERIC_OPS",
    "OPS",
    "SYMBOLIC_OPS",
    "LiftError",
    "PerturbReport",
    "Problem",
    "Program",
    "SymbolicError",
    "Template",
    "TemplateError",
    "builtin_dir",
    "generate",
    "generate_many",
    "iter_instances",
    "lift",
    "load_dataset",
    "load_templates",
    "parse_filters",
    "parse_template",
    "perturb",
    "perturb_problem",
    "symbolic_problem",
    "write_jsonl",
]
