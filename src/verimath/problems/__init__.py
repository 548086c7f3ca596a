"""verimath.problems: where problems come from — datasets, templates, perturbations.

Owns the :class:`Problem` value, dataset loading (JSONL/CSV/Parquet/Hugging Face) with field mapping, the
template engine for GSM-Symbolic's annotated format (and verimath's own built-in templates in that format), and
answer-preserving perturbations of numeric and symbolic datasets. Imports only ``verimath.errors`` (and, to check
answers, ``verimath.answers``); never ``eval``, ``strategies``, ``models`` or ``sandbox``.
"""

from __future__ import annotations

from verimath.problems._builtin import builtin_dir
from verimath.problems._problem import Problem
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
    "Problem",
    "Template",
    "TemplateError",
    "builtin_dir",
    "generate",
    "generate_many",
    "iter_instances",
    "load_templates",
    "parse_template",
]
