"""A word problem's numbers and the calculation that links them to its answer.

GSM8K's solutions carry calculator annotations (``<<16-3-4=9>>``). :func:`lift` turns them into a program:
each number an annotation uses is a reference to a number in the question (a *slot*), to an earlier step's
result, or a constant (``100`` for a percent, ``60`` minutes). The program must reproduce every stated result
exactly and end in the gold answer; a number that could be either a question number or an earlier result makes
the problem ambiguous and it is not lifted. SVAMP's ``equation`` field (``( 76.0 - 25.0 )``) lifts the same
way. New values for the slots then give a new answer by rerunning the program with exact arithmetic.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from verimath.errors import VerimathError
from verimath.problems._expr import ExprError, as_number, compile_expr
from verimath.problems._words import _WORD_VALUES, canonical, int_to_words

__all__ = ["LiftError", "NumberSpan", "Program", "find_numbers", "lift", "render_number", "substitute"]

_NUM = re.compile(r"(?<![\w.:/])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w:/]|\.\d)")
_WORD = re.compile(r"\b(" + "|".join(sorted((w for w in _WORD_VALUES if w != "zero"), key=len, reverse=True))
                   + r")(?:-(" + "|".join(w for w in _WORD_VALUES if _WORD_VALUES[w] < 10 and w != "zero")
                   + r"))?\b", re.I)
_CALC = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
_STEP = re.compile(r"^[\d\s+\-*/().]+$")
# Numbers a calculation may use without the question writing them: small counts, unit conversions, halves.
_UNIT_CONSTANTS = frozenset({*map(Fraction, range(13)),
                             *map(Fraction, (14, 16, 24, 28, 30, 31, 36, 48, 52, 60,
                             100, 360, 365, 1000, 3600)), Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)})
_MULTIPLIER_WORDS = {Fraction(2): re.compile(r"\b(twice|double|half|halves|pairs?|twins?|both)\b", re.I),
                     Fraction(3): re.compile(r"\b(triple|thrice|third|thirds)\b", re.I),
                     Fraction(4): re.compile(r"\b(quarters?|quadruple)\b", re.I),
                     Fraction(12): re.compile(r"\bdozens?\b", re.I)}


class LiftError(VerimathError):
    """Why a problem's program could not be lifted (the reason is the message)."""


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """One number in a question: where, its value, and how it is written (``digits``, ``commas``,
    ``words``)."""

    start: int
    end: int
    value: Fraction
    style: str
    places: int = 0  # decimals written


def find_numbers(text: str) -> list[NumberSpan]:
    """Numbers written in digits (``16``, ``80,000``, ``2.5``) and in words (``three``, ``forty-two``);
    numbers in times (``3:30``), fractions (``1/2``) and ordinals (``2nd``) are left out."""
    spans: list[NumberSpan] = []
    for m in _NUM.finditer(text):
        whole, frac = m.group(1), m.group(2) or ""
        style = "commas" if "," in whole else "digits"
        spans.append(NumberSpan(m.start(), m.end(), Fraction(whole.replace(",", "") + frac), style,
                                len(frac) - 1 if frac else 0))
    for m in _WORD.finditer(text):
        value = _WORD_VALUES[m.group(1).lower()] + (_WORD_VALUES[m.group(2).lower()] if m.group(2) else 0)
        style = "Words" if m.group(0)[0].isupper() else "words"
        spans.append(NumberSpan(m.start(), m.end(), Fraction(value), style))
    return sorted(spans, key=lambda s: s.start)


def render_number(value: Fraction, span: NumberSpan) -> str:
    """``value`` written the way ``span`` was (words stay words where the value is a whole number)."""
    if span.style in ("words", "Words") and value.denominator == 1 and 0 <= value < 100:
        text = int_to_words(int(value))
        return text[0].upper() + text[1:] if span.style == "Words" else text
    text = canonical(value)
    if value.denominator == 1 and span.places:
        text = f"{text}.{'0' * span.places}"
    elif "." in text and len(text.split(".")[1]) < span.places:
        text = text + "0" * (span.places - len(text.split(".")[1]))
    if span.style == "commas" or (value.denominator == 1 and abs(value) >= 10_000 and span.style != "digits"):
        head, dot, tail = text.partition(".")
        text = f"{int(head):,}{dot}{tail}"
    return text


@dataclass(frozen=True, slots=True)
class Program:
    """Steps over slot values: ``steps[i]`` is an expression over names ``s0..`` (slots), ``r0..`` (earlier
    results); the last step is the answer."""

    slots: tuple[Fraction, ...]
    """The original value of each slot (a distinct number of the question)."""
    spans: tuple[tuple[NumberSpan, ...], ...]
    """Where each slot is written in the question (every occurrence of the value)."""
    steps: tuple[str, ...]
    results: tuple[Fraction, ...]
    """Each step's result on the original values."""

    def run(self, values: Sequence[Fraction]) -> list[Fraction]:
        """Every step's result for new slot values (exact); raises :class:`ExprError` on division by zero."""
        env: dict[str, object] = {f"s{i}": as_number(v) for i, v in enumerate(values)}
        out: list[Fraction] = []
        for i, step in enumerate(self.steps):
            value = compile_expr(step, {})(env)
            out.append(Fraction(value))
            env[f"r{i}"] = as_number(value)
        return out

    def render(self, values: Sequence[Fraction]) -> str:
        """The calculation with these values, one ``<<expression=result>>`` line per step, then
        ``#### answer``."""
        results = self.run(values)
        env = {f"s{i}": canonical(v) for i, v in enumerate(values)}
        lines = []
        for i, step in enumerate(self.steps):
            text = re.sub(r"\b([sr]\d+)\b", lambda m: env[m.group(1)], step)
            lines.append(f"{text} = <<{text.replace(' ', '')}={canonical(results[i])}>>"
                         f"{canonical(results[i])}")
            env[f"r{i}"] = canonical(results[i])
        lines.append(f"#### {canonical(results[-1])}")
        return "\n".join(lines)


def _steps_from_solution(solution: str) -> list[tuple[str, Fraction]]:
    steps = []
    for m in _CALC.finditer(solution):
        expr, stated = m.group(1).strip(), m.group(2).strip().replace(",", "")
        if not _STEP.match(expr):
            raise LiftError(f"annotation {m.group(0)!r} is not plain arithmetic")
        try:
            steps.append((expr, Fraction(stated)))
        except ValueError:
            raise LiftError(f"annotation result {stated!r} is not a number") from None
    if not steps:
        raise LiftError("no calculator annotations")
    return steps


def lift(question: str, answer: str, *, solution: str | None = None, equation: str | None = None) -> Program:
    """The program of a problem from GSM8K-style ``solution`` annotations or a SVAMP-style ``equation``;
    :class:`LiftError` says why not."""
    try:
        gold = Fraction(answer.strip().replace(",", ""))
    except ValueError:
        raise LiftError(f"answer {answer!r} is not a number") from None
    if solution is not None and "<<" in solution:
        raw = _steps_from_solution(solution)
    elif equation:
        expr = equation.strip()
        if not _STEP.match(expr):
            raise LiftError(f"equation {expr!r} is not plain arithmetic")
        raw = [(expr, gold)]
    else:
        raise LiftError("no calculator annotations or equation to lift")
    spans = find_numbers(question)
    by_value: dict[Fraction, list[NumberSpan]] = {}
    for s in spans:
        by_value.setdefault(s.value, []).append(s)
    slot_of: dict[Fraction, int] = {}
    slots: list[Fraction] = []
    percents = {s.value for s in spans if re.match(r"\s*(%|percent)", question[s.end:])}

    fixed = {Fraction(n) for n in re.findall(
        r"\d+(?=\s*/\s*\d)|(?<=/)\s*\d+|\d+(?=:\d)|(?<=:)\d+|\d+(?=st|nd|rd|th)", question)}

    def slot(value: Fraction) -> str:
        if value in fixed:
            # "Grade 5 ... 2/5 are boys": the calculation's 5 may be the fraction's, which stays as written.
            raise LiftError(f"{canonical(value)} is also written inside a fraction, time or ordinal")
        if len(by_value[value]) > 1:
            # "10 minutes" and "10% faster" would both change, though the calculation uses only one.
            raise LiftError(f"{canonical(value)} is written {len(by_value[value])} times in the question")
        if value not in slot_of:
            slot_of[value] = len(slots)
            slots.append(value)
        return f"s{slot_of[value]}"

    steps: list[str] = []
    results: list[Fraction] = []
    for expr, stated in raw:
        tree = ast.parse(expr, mode="eval")
        added = {id(side) for n in ast.walk(tree) if isinstance(n, ast.BinOp)
                 and isinstance(n.op, ast.Add | ast.Sub)
                 for side in (n.left, n.right) if isinstance(side, ast.Constant)}

        class Refs(ast.NodeTransformer):
            def __init__(self, added: set[int]) -> None:
                self.added = added

            def visit_Constant(self, node: ast.Constant) -> ast.AST:
                value = Fraction(repr(node.value)) if isinstance(node.value, float) else Fraction(node.value)
                earlier = [i for i, r in enumerate(results) if r == value]
                in_question = value in by_value
                if earlier and in_question:
                    raise LiftError(f"{canonical(value)} is both a number in the question and an earlier "
                                    "result")
                if earlier:
                    return ast.Name(id=f"r{earlier[-1]}", ctx=ast.Load())
                if in_question:
                    return ast.Name(id=slot(value), ctx=ast.Load())
                # A percent of the question used as a rate: 0.4, 1.4 or 0.6 for "40%".
                for form, base in (("({}/100)", value * 100), ("(1+{}/100)", (value - 1) * 100),
                                   ("(1-{}/100)", (1 - value) * 100)):
                    if base > 0 and base in percents:
                        return ast.parse(form.format(slot(base)), mode="eval").body
                if value not in _UNIT_CONSTANTS:
                    raise LiftError(f"{canonical(value)} in the calculation is neither in the question nor a "
                                    "unit constant (it may come from an unannotated step)")
                if id(node) in self.added:
                    # Unit constants scale (``* 60``, ``/ 100``); one that is added or subtracted is more
                    # likely a number the solution computed without annotating it (GSM8K's "each eat 4 apples"
                    # is solved as ``4 + 1``).
                    raise LiftError(f"{canonical(value)} is added in the calculation but is not in the "
                                    "question")
                return node

        if not any(isinstance(n, ast.BinOp) for n in ast.walk(tree)):
            raise LiftError(f"annotation {expr!r} is not a calculation")

        step = ast.unparse(Refs(added).visit(tree))
        steps.append(step)
        try:
            got = Program(tuple(slots), (), tuple(steps), ()).run(slots)[-1]
        except ExprError as exc:
            raise LiftError(f"annotation {expr!r}: {exc}") from None
        if got != stated:
            raise LiftError(f"annotation {expr}={canonical(stated)} is off (exactly {canonical(got)})")
        results.append(got)
    last = max((i for i, r in enumerate(results) if r == gold), default=None)
    if last is None:
        raise LiftError("no calculator step gives the gold answer")
    if not slots:
        raise LiftError("the calculation uses no number of the question")
    steps = steps[:last + 1]
    for i, st in enumerate(steps):
        # Every step must start from the question (or earlier steps) and feed the answer; otherwise the
        # solution computed something outside its annotations, which new numbers would not update.
        if not re.search(r"\b[sr]\d+\b", st):
            raise LiftError(f"step {i + 1} computes only with numbers absent from the question")
        if i < len(steps) - 1 and not any(re.search(rf"\br{i}\b", later) for later in steps[i + 1:]):
            raise LiftError(f"step {i + 1} does not lead to the answer")
    uses = [sum(len(re.findall(rf"\bs{i}\b", st)) for st in steps) for i in range(len(slots))]
    for i, n in enumerate(uses):
        # A small or unit-like number used twice may play two roles (``2`` dogs and "twice" as many): which
        # one would a new value change? Not knowable from the annotations, so do not lift.
        if n > 1 and (slots[i] < 13 or slots[i] in (24, 52, 60, 100, 365, 1000)):
            raise LiftError(f"{canonical(slots[i])} is used {n} times in the calculation")
        if n and slots[i] in _MULTIPLIER_WORDS and _MULTIPLIER_WORDS[slots[i]].search(question):
            raise LiftError(f"{canonical(slots[i])} may come from a word such as 'twice' or 'half'")
    for st in steps:
        for c in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", st):
            near = [v for v in slots if Fraction(c) in (v + 1, v - 1, 100 - v, 100 + v)]
            if near:
                # "Jeff gets 4 times as much as Brad": the solution divides by 5 = 4 + 1, a number new values
                # of 4 would not update.
                raise LiftError(f"constant {c} may be derived from {canonical(near[0])} outside the "
                                "annotations")
    unused = sorted({canonical(sp.value) for sp in spans if sp.value not in slot_of and sp.value != 1})
    if unused:
        # A number the calculation ignores may still be tied to the ones it uses ("ten packets: six of ... and
        # the other four"); new values would contradict it.
        raise LiftError(f"the question has numbers the calculation does not use ({', '.join(unused)})")
    return Program(tuple(slots), tuple(tuple(by_value[v]) for v in slots), tuple(steps),
                   tuple(results[:last + 1]))


def substitute(question: str, program: Program, values: Mapping[int, Fraction],
               render: dict[int, str] | None = None) -> str:
    """The question with slot ``i`` rewritten to ``values[i]`` at every place it is written."""
    edits: list[tuple[NumberSpan, str]] = []
    for i, value in values.items():
        for span in program.spans[i]:
            edits.append((span, (render or {}).get(i) or render_number(value, span)))
    for span, text in sorted(edits, key=lambda e: e[0].start, reverse=True):
        question = question[:span.start] + text + question[span.end:]
    return question
