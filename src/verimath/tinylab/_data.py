"""Training and held-out data for the tiny model, derived from the built-in templates.

For an instance of a template, the PAL target is the template's answer expression with each variable replaced
by where the question shows it: a number slot by its index token ``<nK>``, a ``p/q`` slot by
``(<nK>/<nK+1>)``, a slot written in words (``three quarters``, ``twice``) by its exact value. Every target is
checked: the rendered program is evaluated on the instance's numbers and must give the instance's answer, else
the instance is not used. The direct target is the answer itself (the tokenizer writes its digits in the
chosen format).
"""

from __future__ import annotations

import ast
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from verimath.errors import InputError
from verimath.models.tiny import numbers_in, render_program
from verimath.problems import Problem, Template, TemplateError, builtin_dir, iter_instances, load_templates

__all__ = ["HELD_OUT_SEED", "WIDEN", "Example", "example_of", "examples", "held_out", "is_held_out_question",
           "operand_digits", "pal_expression", "supported_templates"]

_FUNCTIONS = {"Fraction", "max", "min", "abs"}


@dataclass(frozen=True, slots=True)
class Example:
    """One training instance: the question, its checked PAL expression and its answer."""

    question: str
    expression: str
    answer: str
    template_id: str


class _Unsupported(Exception):
    """The template's answer cannot be written over the numbers its question shows."""


def _slot_value_node(text: str, first_number: int, value: Fraction) -> ast.expr:
    count = len(numbers_in(text))
    if count == 1:
        return ast.Name(f"__n{first_number}__")
    if count == 2 and "/" in text:
        return ast.BinOp(ast.Name(f"__n{first_number}__"), ast.Div(), ast.Name(f"__n{first_number + 1}__"))
    if count == 0:
        if value.denominator == 1:
            return ast.Constant(value.numerator)
        return ast.Call(ast.Name("Fraction"),
                        [ast.Constant(value.numerator), ast.Constant(value.denominator)], [])
    raise _Unsupported(f"slot text {text!r}")


def _as_fraction(value: object) -> Fraction:
    if isinstance(value, list):  # a labelled value is stored as [label, number]
        value = value[1]
    if isinstance(value, int | float | str):
        return Fraction(value)
    raise _Unsupported(f"value {value!r}")


def pal_expression(template: Template, problem: Problem) -> str:
    """The PAL target of ``problem`` (an instance of ``template``); :class:`_Unsupported` when there is
    none."""
    spans = template.slot_spans(problem.question)
    if spans is None:
        raise _Unsupported("question does not match its template")
    variables = problem.metadata.get("variables", {})
    where: dict[str, ast.expr] = {}
    for name, start, end in spans:
        if name in where or name not in variables:
            continue
        try:
            value = _as_fraction(variables[name])
        except (ValueError, ZeroDivisionError, _Unsupported):
            continue  # a word slot (a name, a colour): never part of an answer
        where[name] = _slot_value_node(problem.question[start:end], len(numbers_in(problem.question[:start])),
                                       value)
    tree = ast.parse(template.answer_expression(), mode="eval")

    class Substitute(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
                raise _Unsupported(f"call {ast.unparse(node.func)}")
            node.args = [self.visit(a) for a in node.args]
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id not in where:
                raise _Unsupported(f"{node.id} is not shown in the question")
            return where[node.id]

    body = ast.unparse(Substitute().visit(tree).body)
    for k in range(len(numbers_in(problem.question))):
        body = body.replace(f"__n{k}__", f"<n{k}>")
    return body


def _evaluate(expression: str, literals: list[str]) -> Fraction | None:
    program = render_program(expression, literals)
    head, _, last = program.rpartition("\nprint(")
    scope: dict[str, object] = {}
    try:
        # Our own program (Fraction literals and a built-in template's answer expression), so run in-process.
        exec(head, scope)
        value = eval(last[:-1], scope)
    except (ArithmeticError, TypeError, ValueError):
        return None
    return Fraction(value) if isinstance(value, int | Fraction) else None


def example_of(template: Template, problem: Problem) -> Example | None:
    """The checked example of an instance, or ``None`` when its program cannot be derived or is wrong."""
    try:
        expression = pal_expression(template, problem)
    except _Unsupported:
        return None
    value = _evaluate(expression, numbers_in(problem.question))
    if value is None or value != Fraction(problem.answer):
        return None
    return Example(problem.question, expression, problem.answer, template.id)


def supported_templates() -> list[Template]:
    """The built-in templates whose answers can be written over the numbers their questions show."""
    out = []
    for t in load_templates(builtin_dir()):
        try:
            sample = next(iter_instances(t, 1, seed=0))
        except (TemplateError, StopIteration):
            continue
        if example_of(t, sample) is not None:
            out.append(t)
    return out


def is_held_out_question(question: str) -> bool:
    """One question in ten, chosen by its text alone: never trained on, whatever the seeds, so a held-out
    question can never also be a training question."""
    return zlib.crc32(question.encode("utf-8")) % 10 == 0


def examples(templates: list[Template], per_template: int, *, seed: int, widen: int = 1) -> Iterator[Example]:
    """Checked training examples, at most ``per_template`` instances drawn from each template (held-out
    questions skipped), interleaved in a seeded order."""
    rows: list[Example] = []
    for t in templates:
        try:
            for problem in iter_instances(t, per_template, seed=seed, widen=widen, max_tries=200_000):
                if is_held_out_question(problem.question):
                    continue
                ex = example_of(t, problem)
                if ex is not None:
                    rows.append(ex)
        except TemplateError:
            continue  # fewer instances than asked (a small template, or widening broke a condition)
    random.Random(seed).shuffle(rows)
    yield from rows


def operand_digits(question: str) -> int:
    """Digits of the largest number in the question (its integer part): the length held-out sets report by."""
    values = [Fraction(n.replace(",", "")) for n in numbers_in(question)]
    return len(str(int(max(values)))) if values else 0


HELD_OUT_SEED = 1_000_003
"""Far from any training seed (training uses seed 0 unless told otherwise)."""
WIDEN = (1, 10, 100)
"""Held-out range factors: 1 keeps the training ranges (new instances); 10 and 100 scale every integer
``range(...)`` of a template, so numbers get one or two more digits than any seen in training."""


def _first_held_out(template: Template, seed: int, widen: int) -> Problem | None:
    try:
        for p in iter_instances(template, 60, seed=seed, widen=widen, max_tries=50_000):
            if is_held_out_question(p.question):
                return p
    except TemplateError:
        pass
    return None


def held_out(n: int, *, seed: int = HELD_OUT_SEED, widen: tuple[int, ...] = WIDEN) -> list[Problem]:
    """``n`` held-out problems: new seeds, only questions :func:`is_held_out_question` keeps out of training,
    spread evenly over the ``widen`` factors, one instance per template (templates taken in a seeded order;
    ``n`` larger than the templates available gives fewer). Each problem's metadata carries ``operand_digits``
    and ``widen``."""
    if n < 1:
        raise InputError("the held-out set needs at least one problem", field="n")
    templates = supported_templates()
    out: list[Problem] = []
    for i, factor in enumerate(widen):
        want = n // len(widen) + (1 if i < n % len(widen) else 0)
        order = random.Random(f"held-out:{seed}:{factor}").sample(templates, len(templates))
        found = 0
        for t in order:
            if found == want:
                break
            p = _first_held_out(t, seed + factor, factor)
            if p is None:
                continue  # widening broke one of the template's conditions, or its instances are few
            meta = {**p.metadata, "operand_digits": operand_digits(p.question), "widen": factor}
            out.append(Problem(id=f"{p.id}@x{factor}", question=p.question, answer=p.answer, metadata=meta,
                               template_id=p.template_id))
            found += 1
    return out
