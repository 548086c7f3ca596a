"""Answer-preserving perturbations of a numeric dataset (GSM-Plus's taxonomy) and of symbolic problems
(ASyMOB-style).

Numeric operations need a problem's program (:mod:`verimath.problems._program`): new values go into the
question and the answer is recomputed exactly. ``distractor`` adds a sentence that changes nothing. Symbolic
operations work on problems whose metadata holds an ``expression`` and a ``task`` (``differentiate``,
``integrate``, ``simplify``, ``expand``, ``factor``, ``solve``), recomputing the answer with SymPy. Every
variant records ``parent_id`` and ``perturbation``; a problem an operation cannot handle is dropped and
counted by reason.
"""

from __future__ import annotations

import ast
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from verimath.errors import InputError
from verimath.problems._expr import ExprError
from verimath.problems._library import LISTS
from verimath.problems._problem import Problem
from verimath.problems._program import LiftError, Program, find_numbers, lift, substitute
from verimath.problems._symbolic import SYMBOLIC_OPS, SymbolicError
from verimath.problems._words import canonical

__all__ = ["NUMERIC_OPS", "OPS", "PerturbReport", "perturb", "perturb_problem"]

TRIES = 200


@dataclass(slots=True)
class PerturbReport:
    """What :func:`perturb` made and dropped."""

    made: Counter[str] = field(default_factory=Counter)
    """Variants made per operation."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Problems dropped, per ``operation: reason``."""


def _program(problem: Problem) -> Program:
    meta = problem.metadata
    solution = meta.get("solution") if isinstance(meta.get("solution"), str) else None
    equation = meta.get("equation") if isinstance(meta.get("equation"), str) else None
    return lift(problem.question, problem.answer, solution=solution, equation=equation)


def _new_value(old: Fraction, rng: random.Random, extra_digits: int) -> Fraction:
    """A value written like ``old`` (same decimals; same digit count plus ``extra_digits``)."""
    places = 0
    while (old * 10**places).denominator != 1 and places < 6:
        places += 1
    scaled = abs(int(old * 10**places))
    digits = len(str(scaled)) + extra_digits
    low = 10 ** (digits - 1) if digits > 1 else 1
    high = 10**digits - 1
    if digits == 1:
        low = 2 if scaled >= 2 else 1
    return Fraction(rng.randint(low, high), 10**places) * (1 if old >= 0 else -1)


def _valid(program: Program, values: Sequence[Fraction], keep_integers: bool) -> list[Fraction] | None:
    try:
        results = program.run(values)
    except ExprError:
        return None
    for step, old, new in zip(program.steps, program.results, results, strict=True):
        if (old >= 0) != (new >= 0) or (old != 0) != (new != 0):
            return None
        # A whole quotient usually counts things (``200 / 40`` ties): it stays whole even where decimals are
        # otherwise welcome.
        divides = isinstance(ast.parse(step, mode="eval").body, ast.BinOp) and "/" in step
        if (keep_integers or divides) and old.denominator == 1 and new.denominator != 1:
            return None
    return results


def _resample(problem: Problem, rng: random.Random, *, extra_digits: int, op: str) -> Problem:
    program = _program(problem)
    for _ in range(TRIES):
        values = [_new_value(v, rng, extra_digits) for v in program.slots]
        if values == list(program.slots):
            continue
        results = _valid(program, values, keep_integers=True)
        if results is None:
            continue
        question = substitute(problem.question, program, dict(enumerate(values)))
        return _variant(problem, op, question, results[-1], program.render(values))
    raise LiftError(f"no new values kept every step's sign and whole-number results in {TRIES} tries")


def _variant(problem: Problem, op: str, question: str, answer: Fraction | str,
             solution: str | None) -> Problem:
    meta = {k: v for k, v in problem.metadata.items() if k not in ("solution", "equation")}
    if solution is not None:
        meta["solution"] = solution
    text = answer if isinstance(answer, str) else canonical(answer)
    return Problem(id=f"{problem.id}/{op}", question=question, answer=text, metadata=meta,
                   parent_id=problem.id, perturbation=op, template_id=problem.template_id)


def numeric_substitution(problem: Problem, rng: random.Random) -> Problem:
    """New numbers of the same size everywhere the calculation uses one (GSM-Plus "numerical
    substitution")."""
    return _resample(problem, rng, extra_digits=0, op="numeric_substitution")


def digit_expansion(problem: Problem, rng: random.Random) -> Problem:
    """The calculation's numbers get one to two more digits (GSM-Plus "digit expansion")."""
    return _resample(problem, rng, extra_digits=rng.choice((1, 2)), op="digit_expansion")


_MEASURE = re.compile(r"\s*(%|percent|hours?|minutes?|seconds?|days?|weeks?|months?|years?|miles?|"
                      r"kilometers?|km|meters?|feet|foot|inches|inch|yards?|pounds?|ounces?|kilograms?|kg|grams?|"
                      r"liters?|gallons?|cups?|quarts?|pints?|dollars?|cents?|mph|degrees?)\b", re.I)
_HOW_MANY = re.compile(r"\bhow many\s+(\w+)", re.I)


def _is_measure(question: str, program: Program, i: int) -> bool:
    """Whether slot ``i`` is an amount of money or a measurement (where 12.5 makes sense), not a count."""
    return all(question[max(0, s.start - 1):s.start] in ("$", "€", "£") or _MEASURE.match(question[s.end:])
               for s in program.spans[i])


def _convert(problem: Problem, rng: random.Random, op: str, parts: Sequence[Fraction],
             write: Callable[[Fraction], str]) -> Problem:
    program = _program(problem)
    whole = [i for i, v in enumerate(program.slots)
             if v.denominator == 1 and v >= 2 and _is_measure(problem.question, program, i)]
    asked = _HOW_MANY.search(problem.question)
    count_asked = bool(asked) and not _MEASURE.match(" " + asked.group(1))
    rng.shuffle(whole)
    for i in whole:
        for part in rng.sample(list(parts), len(parts)):
            values = list(program.slots)
            values[i] = values[i] + part
            results = _valid(program, values, keep_integers=False)
            if results is None or (count_asked and results[-1].denominator != 1):
                continue  # "how many trucks" stays a whole number
            question = substitute(problem.question, program, {i: values[i]}, {i: write(values[i])})
            return _variant(problem, op, question, results[-1], program.render(values))
    raise LiftError("no amount or measurement of the calculation could be converted")


def integer_to_decimal(problem: Problem, rng: random.Random) -> Problem:
    """One whole amount of money or measurement becomes a decimal (``$12 -> $12.5``, ``3 hours -> 3.25
    hours``); GSM-Plus "integer-decimal-fraction conversion". Counts stay whole, and a question asking "how
    many" things keeps a whole answer."""
    return _convert(problem, rng, "integer_to_decimal", (Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)),
                    canonical)


def integer_to_fraction(problem: Problem, rng: random.Random) -> Problem:
    """One whole number becomes a mixed number (``12 -> 12 1/2``)."""
    def mixed(v: Fraction) -> str:
        whole, rest = divmod(v.numerator, v.denominator)
        return f"{whole} {Fraction(rest, v.denominator)}"
    return _convert(problem, rng, "integer_to_fraction", (Fraction(1, 2), Fraction(1, 3), Fraction(2, 3)),
                    mixed)


_FRACTION_TEXT = re.compile(r"(?<![\w/.$€£])(\d+)/(\d+)(?![\w/]|\.\d)")


def _rewrite(problem: Problem, op: str, edits: list[tuple[int, int, str]]) -> Problem:
    if not edits:
        raise LiftError("nothing to rewrite")
    question = problem.question
    for start, end, text in sorted(edits, reverse=True):
        question = question[:start] + text + question[end:]
    solution = problem.metadata.get("solution")
    return _variant(problem, op, question, problem.answer, solution if isinstance(solution, str) else None)


def decimal_to_fraction(problem: Problem, rng: random.Random) -> Problem:
    """Every decimal that is not money is written as a fraction (``2.5 -> 2 1/2``): same values, same
    answer."""
    edits = []
    for span in find_numbers(problem.question):
        if span.places and problem.question[max(0, span.start - 1):span.start] not in ("$", "€", "£"):
            whole, rest = divmod(span.value.numerator, span.value.denominator)
            frac = f"{rest}/{span.value.denominator}"
            edits.append((span.start, span.end, f"{whole} {frac}" if whole else frac))
    return _rewrite(problem, "decimal_to_fraction", edits)


def fraction_to_decimal(problem: Problem, rng: random.Random) -> Problem:
    """Every fraction ``a/b`` with a terminating decimal is written as that decimal (``3/4 -> 0.75``)."""
    edits = []
    for m in _FRACTION_TEXT.finditer(problem.question):
        if int(m.group(2)):
            text = canonical(Fraction(int(m.group(1)), int(m.group(2))))
            if "/" not in text:
                edits.append((m.start(), m.end(), text))
    return _rewrite(problem, "fraction_to_decimal", edits)


_DISTRACTORS = (
    "{name} noticed that {k} birds were sitting on a fence across the street.",
    "That morning, {name} had {k} messages from friends about an unrelated party.",
    "The day before, the weather forecast had promised {k} hours of sunshine.",
    "{name}'s neighbor owns {k} potted plants, which have nothing to do with this.",
    "A radio nearby was playing a song that lasted about {k} minutes.",
)


def distractor(problem: Problem, rng: random.Random) -> Problem:
    """A sentence about something else, with a number in it, before the question sentence (GSM-Plus
    "distractor insertion", GSM-NoOp); the answer is unchanged."""
    head, sep, last = problem.question.rstrip().rpartition(". ")
    if not sep:
        raise LiftError("the question is a single sentence")
    names = [n for n in LISTS["names"] if n not in problem.question]
    sentence = rng.choice(_DISTRACTORS).format(name=rng.choice(names), k=rng.randint(3, 40))
    return _variant(problem, "distractor", f"{head}. {sentence} {last}", problem.answer,
                    problem.metadata.get("solution")
                    if isinstance(problem.metadata.get("solution"), str) else None)


NUMERIC_OPS: dict[str, Callable[[Problem, random.Random], Problem]] = {
    "numeric_substitution": numeric_substitution,
    "digit_expansion": digit_expansion,
    "integer_to_decimal": integer_to_decimal,
    "integer_to_fraction": integer_to_fraction,
    "decimal_to_fraction": decimal_to_fraction,
    "fraction_to_decimal": fraction_to_decimal,
    "distractor": distractor,
}
OPS: dict[str, Callable[[Problem, random.Random], Problem]] = {**NUMERIC_OPS, **SYMBOLIC_OPS}


def perturb_problem(problem: Problem, op: str, rng: random.Random) -> Problem:
    """One variant of ``problem`` by ``op``; raises ``LiftError``/``SymbolicError`` (with the reason) when
    the operation does not apply."""
    if op not in OPS:
        raise InputError(f"unknown perturbation {op!r}; choose from {', '.join(OPS)}", field="ops")
    return OPS[op](problem, rng)


def perturb(problems: Iterable[Problem], ops: Sequence[str], *, seed: int = 0, variants: int = 1,
            report: PerturbReport | None = None) -> Iterator[Problem]:
    """``variants`` variants of every problem by every operation in ``ops``, reproducible from ``seed``.
    A problem an operation cannot handle (no liftable program, no valid new values) is dropped, and counted
    in ``report.dropped`` by reason."""
    for op in ops:
        if op not in OPS:
            raise InputError(f"unknown perturbation {op!r}; choose from {', '.join(OPS)}", field="ops")
    return _variants(problems, ops, seed, variants, report if report is not None else PerturbReport())


def _variants(problems: Iterable[Problem], ops: Sequence[str], seed: int, variants: int,
              report: PerturbReport) -> Iterator[Problem]:
    for problem in problems:
        for op in ops:
            seen: set[str] = set()
            for k in range(variants):
                rng = random.Random(f"verimath-perturb:{seed}:{problem.id}:{op}:{k}")
                try:
                    variant = OPS[op](problem, rng)
                except (LiftError, SymbolicError) as exc:
                    report.dropped[f"{op}: {_reason(str(exc))}"] += 1
                    break
                if variant.question in seen:
                    continue
                seen.add(variant.question)
                if variants > 1:
                    variant = Problem(id=f"{variant.id}/{k}", question=variant.question,
                                      answer=variant.answer,
                                      metadata=variant.metadata, parent_id=variant.parent_id,
                                      perturbation=variant.perturbation, template_id=variant.template_id)
                report.made[op] += 1
                yield variant


def _reason(message: str) -> str:
    """A message without its specific numbers, to count drops by kind."""
    return re.sub(r"-?\d[\d,./]*", "N", re.sub(r"'[^']*'", "'…'", message))
