"""The template engine: GSM-Symbolic's annotated format, parsed, compiled and sampled.

A template is a ``question_annotated`` text whose slots read ``{name,default}``, followed by sections::

    #init:
    - name = sample(names_female)
    - $x = range(10, 500, 10)
    - a, b = sample(["red", "blue", "green"], 2)
    #conditions:
    - divides(x, 4)
    #answer: x // 4

and an ``answer_annotated`` solution whose ``{expression}`` braces are evaluated with the sampled values and
whose last line reads ``#### {answer}``. Sampling is a seeded, randomised depth-first search over the
``#init`` statements: each condition is checked as soon as its names are bound, and a condition that keeps
failing sends the search back to the statement that bound its latest other name. An instance is kept only when
the rendered ``####`` answer equals the ``#answer`` program exactly; instances are distinct by question text.
A template that cannot give ``n`` instances within its try budget raises :class:`TemplateError` naming the
reason.
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from verimath.errors import InputError
from verimath.problems._expr import (
    Compiled,
    ExprError,
    Labeled,
    as_number,
    compile_expr,
    dotted_name,
    free_names,
)
from verimath.problems._library import LISTS, RANDOM_FUNCTIONS, RngBox, make_functions
from verimath.problems._problem import Problem
from verimath.problems._words import canonical, parse_number_text, render_in_style, style_of

__all__ = ["Template", "TemplateError", "generate", "load_templates", "parse_template"]

_SLOT = re.compile(r"\{\s*([A-Za-z_]\w*)\s*,([^{}]*)\}")
_BRACE = re.compile(r"\{([^{}]+)\}")
_SECTION = re.compile(r"^\s*#\s*(init|conditions|answer)\s*[:=]?", re.M)
_INIT = re.compile(r"^\s*-?\s*(\$?[A-Za-z_]\w*(?:\s*,\s*\$?[A-Za-z_]\w*)*)\s*=\s*(.+?)\s*$")
_FINAL = re.compile(r"####\s*(.+?)\s*$")

DEFAULT_MAX_TRIES = 400_000
LINEAGE_KEYS = ("topic", "variant", "variant_of", "id_orig")
MISMATCH_LIMIT = 200  # complete instances whose #answer disagrees, with none agreeing, before giving up
LEVEL_RETRIES = 40
SMALL_DOMAIN = 64


class TemplateError(InputError):
    """A template is malformed, refused, or cannot give the instances asked for. ``reason`` is a short code:
    ``format``, ``refused``, ``undefined``, ``unsatisfiable``, ``too_few``, ``answer_mismatch``."""

    def __init__(self, message: str, *, reason: str, template_id: str, file: str | None = None,
                 field: str | None = None) -> None:
        self.reason, self.template_id = reason, template_id
        super().__init__(f"template {template_id}: {message}", file=file, field=field)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed annotated template (sections split out; compiled lazily by :func:`generate`)."""

    id: str
    question: str
    """The question text with ``{name,default}`` slots."""
    init: tuple[str, ...]
    """``#init:`` statements, ``name[, name...] = expression``."""
    conditions: tuple[str, ...]
    answer: str | None
    """The ``#answer`` expression; ``None`` to take the ``####`` expression of the solution."""
    answer_annotated: str
    source: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def slot_spans(self, question: str) -> list[tuple[str, int, int]] | None:
        """``(name, start, end)`` of every slot in ``question``, an instance of this template, in order;
        ``None`` when the question is not one (the text between slots does not match)."""
        pieces = _SLOT.split(self.question)[::3]  # split keeps the two groups of each slot
        pattern = "(.*?)".join(re.escape(p) for p in pieces)
        m = re.fullmatch(pattern, question, re.DOTALL)
        if m is None:
            return None
        names = [s.group(1) for s in _SLOT.finditer(self.question)]
        return [(name, m.start(i + 1), m.end(i + 1)) for i, name in enumerate(names)]

    def answer_expression(self) -> str:
        """The expression that computes the answer: ``#answer``, else the ``#### {...}`` of the solution."""
        if self.answer is not None:
            return _clean(self.answer)
        final = [m for m in (_FINAL.search(ln) for ln in self.answer_annotated.splitlines()) if m]
        inner = _BRACE.fullmatch(final[-1].group(1).strip()) if final else None
        if inner is None:
            raise TemplateError("no #answer and the #### line is not one {expression}", reason="format",
                                template_id=self.id, file=self.source, field="#answer")
        return _clean(inner.group(1))

    def render_defaults(self) -> str:
        """The question with every slot showing its default (the problem the template was made from)."""
        return _SLOT.sub(lambda m: m.group(2).strip(), self.question)


def parse_template(row: Mapping[str, Any], *, template_id: str, source: str | None = None) -> Template:
    """Split a GSM-Symbolic-style dict (``question_annotated``, ``answer_annotated``) into a
    :class:`Template`."""
    for key in ("question_annotated", "answer_annotated"):
        if not isinstance(row.get(key), str):
            raise TemplateError(f"missing text field {key!r}", reason="format", template_id=template_id,
                                file=source, field=key)
    text = row["question_annotated"]
    marks = list(_SECTION.finditer(text))
    question = text[:marks[0].start()] if marks else text
    sections: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections[m.group(1)] = text[m.end():end]

    def items(body: str) -> tuple[str, ...]:
        lines = (ln.strip() for ln in body.splitlines())
        return tuple(ln[1:].strip() if ln.startswith("-") else ln for ln in lines if ln and ln != "-")

    answer = " ".join(ln.strip() for ln in sections["answer"].splitlines() if ln.strip()) \
        if "answer" in sections else None
    meta = {k: v for k, v in row.items() if k not in ("question_annotated", "answer_annotated")}
    return Template(id=template_id, question=question.rstrip(), init=items(sections.get("init", "")),
                    conditions=items(sections.get("conditions", "")), answer=answer or None,
                    answer_annotated=row["answer_annotated"], source=source, metadata=meta)


def load_templates(source: str | Path) -> list[Template]:
    """Templates from ``"builtin"``, a ``.json`` file (one template or a list) or a folder searched
    recursively for ``*.json``; ids are the relative path without suffix (``symbolic/0000``)."""
    if str(source) == "builtin":
        from verimath.problems._builtin import builtin_dir
        source = builtin_dir()
    path = Path(source)
    if not path.exists():
        raise InputError("no such template file or folder", file=str(path))
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    out: list[Template] = []
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}", file=str(f)) from None
        base = str(f.relative_to(path).with_suffix("")) if path.is_dir() else f.stem
        rows = data if isinstance(data, list) else [data]
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise InputError("a template must be a JSON object", file=str(f))
            tid = str(row.get("id", base if len(rows) == 1 else f"{base}/{i}"))
            out.append(parse_template(row, template_id=tid, source=str(f)))
    if not out:
        raise InputError("no templates (*.json) found", file=str(path))
    return out


# --- compilation -----------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Check:
    source: str
    fn: Compiled
    back: tuple[int, ...] = ()  # earlier levels whose names the condition reads


@dataclass(slots=True)
class _Level:
    targets: tuple[str, ...]
    source: str
    draw: Compiled
    deps: frozenset[str]
    domain: Any = None  # a precomputed list/range to pick from
    solved_by: tuple[str, Compiled] | None = None  # ``name == expression``: computed, then checked in domain
    members: Any = None  # the domain as a set (or range) for membership tests
    checks: list[_Check] = field(default_factory=list)


def _clean(src: str) -> str:
    """GSM-Symbolic writes ``$name`` in some expressions and wraps a few in ``{...}``."""
    src = re.sub(r"\$(?=[A-Za-z_])", "", src.strip())
    while src.startswith("{") and src.endswith("}"):
        src = src[1:-1].strip()
    return src


class _Program:
    """A template compiled for sampling."""

    def __init__(self, t: Template, widen: int = 1) -> None:
        self.t = t
        self.box = RngBox()
        funcs = make_functions(self.box, widen=widen)
        self.env0: dict[str, Any] = dict(LISTS)
        self.slot_names = {m.group(1) for m in _SLOT.finditer(t.question)}
        levels: list[_Level] = []
        bound: set[str] = set()
        for stmt in t.init:
            m = _INIT.match(stmt)
            if not m:
                raise self.error(f"cannot read #init statement {stmt!r}", "format", "#init")
            targets = tuple(n.strip().lstrip("$") for n in m.group(1).split(","))
            levels.append(self._level(targets, _clean(m.group(2)), funcs, bound))
            bound.update(targets)
        # Slots without an #init statement keep their default text (a number when it reads as one).
        for m in _SLOT.finditer(t.question):
            name, default = m.group(1), m.group(2).strip()
            if name not in bound and name not in self.env0:
                number = parse_number_text(default)
                self.env0[name] = as_number(number) if number is not None else default
        conditions = [(c, *self._compile(_clean(c), funcs, bound, "#conditions")) for c in t.conditions]
        self.levels = self._order(levels, conditions, funcs)
        bound_at = {name: i for i, lv in enumerate(self.levels) for name in lv.targets}
        self.pre_checks: list[_Check] = []
        for src, fn, deps in conditions:
            at = sorted({bound_at[d] for d in deps if d in bound_at})
            if not at:
                self.pre_checks.append(_Check(src, fn))
            else:
                self.levels[at[-1]].checks.append(_Check(src, fn, tuple(at[:-1])))
        for i, lv in enumerate(self.levels):
            if lv.solved_by is not None:
                # A solved value is determined by earlier ones: any failure here must move those.
                at = {bound_at[d] for d in free_names(lv.solved_by[0]) if d in bound_at and bound_at[d] < i}
                for c in lv.checks:
                    c.back = tuple(sorted(at | set(c.back)))
                lv.checks.insert(0, _Check(lv.solved_by[0], lv.solved_by[1], tuple(sorted(at))))
        # A failure may be caused by any statement that constrained the ones it reads: widen each check's
        # ``back`` to the transitive closure over the conditions of earlier statements.
        reach: list[set[int]] = []
        for lv in self.levels:
            direct = {j for c in lv.checks for j in c.back}
            reach.append(direct.union(*(reach[j] for j in direct)) if direct else set())
            for c in lv.checks:
                c.back = tuple(sorted(set(c.back).union(*(reach[j] for j in c.back)))) if c.back else ()
        if not any(_FINAL.search(ln) for ln in t.answer_annotated.splitlines()):
            raise self.error("answer_annotated has no '#### ...' line", "format", "answer_annotated")
        self.answer, _ = self._compile(t.answer_expression(), funcs, bound, "#answer")
        self.solution_parts: dict[str, Compiled] = {}
        for m in _BRACE.finditer(t.answer_annotated):
            if m.group(1) not in self.solution_parts:
                self.solution_parts[m.group(1)] = self._compile(_clean(m.group(1)), funcs, bound,
                                                                "answer_annotated")[0]
        self.slots = [(m.group(0), m.group(1), style_of(m.group(2))) for m in _SLOT.finditer(t.question)]

    def error(self, message: str, reason: str, where: str | None = None) -> TemplateError:
        return TemplateError(message, reason=reason, template_id=self.t.id, file=self.t.source, field=where)

    def _compile(self, src: str, funcs: Mapping[str, Any], bound: set[str],
                 where: str) -> tuple[Compiled, set[str]]:
        try:
            fn = compile_expr(src, funcs)
            deps = free_names(src)
        except ExprError as exc:
            raise self.error(f"{where} expression {src!r} refused: {exc}", "refused", where) from None
        unknown = sorted(d for d in deps
                         if d not in bound and d not in self.env0 and d not in LISTS
                         and d not in self.slot_names)
        if unknown:
            raise self.error(f"{where} expression {src!r} uses undefined name(s) {', '.join(unknown)}",
                             "undefined", where)
        return fn, deps

    def _level(self, targets: tuple[str, ...], rhs: str, funcs: Mapping[str, Any], bound: set[str]) -> _Level:
        draw, deps = self._compile(rhs, funcs, bound, "#init")
        level = _Level(targets, rhs, draw, frozenset(deps & bound))
        if len(targets) != 1:
            return level
        tree = ast.parse(rhs, mode="eval").body
        if isinstance(tree, ast.Call) and dotted_name(tree.func) == "sample" and len(tree.args) == 1:
            tree = tree.args[0]  # ``sample(xs)`` draws one value from the domain ``xs``
        calls = {dotted_name(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        src = ast.unparse(tree)
        if calls & RANDOM_FUNCTIONS or free_names(src) & bound:
            return level
        try:
            value = compile_expr(src, funcs)(self.env0)
        except ExprError as exc:
            raise self.error(f"#init {rhs!r} failed: {exc}", "refused", "#init") from None
        if isinstance(value, list | tuple | range):
            if not len(value):
                raise self.error(f"#init {rhs!r} gives an empty domain", "unsatisfiable", "#init")
            level.domain = value
        return level

    def _order(self, levels: list[_Level], conditions: list[tuple[str, Compiled, set[str]]],
               funcs: Mapping[str, Any]) -> list[_Level]:
        """Solve ``name == expression`` conditions: the named value is computed from the others (then checked
        against its domain) instead of being guessed, and its statement moves after those it depends on."""
        by_name = {lv.targets[0]: lv for lv in levels if len(lv.targets) == 1}
        read_by_init = set().union(*(lv.deps for lv in levels)) if levels else set()
        solved: list[_Level] = []
        for src, _, _ in conditions:
            tree = ast.parse(_clean(src), mode="eval").body
            if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.ops[0], ast.Eq)):
                continue
            for side, other in ((tree.left, tree.comparators[0]), (tree.comparators[0], tree.left)):
                if not isinstance(side, ast.Name):
                    continue
                lv = by_name.get(side.id)
                expr = ast.unparse(other)
                if (lv is None or lv.solved_by is not None or lv.domain is None or side.id in read_by_init
                        or side.id in free_names(expr) or not isinstance(lv.domain, range | list | tuple)):
                    continue
                if not all(isinstance(as_number(v), int | Fraction) for v in lv.domain[:1000]):
                    continue
                lv.solved_by = (expr, compile_expr(expr, funcs))
                lv.members = lv.domain if isinstance(lv.domain, range) else {as_number(v) for v in lv.domain}
                solved.append(lv)
                break
        rest = [lv for lv in levels if lv.solved_by is None]
        placed = {n for lv in rest for n in lv.targets}
        pending = list(solved)
        while pending:  # solved statements in an order where each comes after the solved ones it reads
            ready = [lv for lv in pending
                     if free_names(lv.solved_by[0]) & {p.targets[0] for p in pending} <= set()
                     or all(d in placed for d in free_names(lv.solved_by[0]) if d in by_name)]
            if not ready:  # a cycle: fall back to guessing the first one
                ready = [pending[0]]
                ready[0].solved_by = None
                ready[0].members = None
            for lv in ready:
                pending.remove(lv)
                rest.append(lv)
                placed.update(lv.targets)
        return rest

    # --- sampling ----------------------------------------------------------------------------------------

    def _draw(self, level: _Level, env: dict[str, Any], rng: random.Random, pick: int | None) -> bool:
        """Bind the level's names (``pick``: an index into a domain); ``False`` when a solved value falls
        outside its domain."""
        if level.solved_by is not None:
            value = as_number(level.solved_by[1](env))
            if isinstance(value, int | Fraction) and value in level.members:
                env[level.targets[0]] = value
                return True
            return False
        if level.domain is not None:
            value = level.domain[pick if pick is not None else rng.randrange(len(level.domain))]
            if (isinstance(value, tuple) and len(value) == 2
                    and isinstance(as_number(value[1]), int | Fraction)):
                value = Labeled(value[0], as_number(value[1]))
            env[level.targets[0]] = value
            return True
        value = level.draw(env)
        if len(level.targets) == 1:
            if isinstance(value, list | range):
                if not len(value):
                    raise ExprError("empty domain")
                value = value[rng.randrange(len(value))]
            env[level.targets[0]] = value
            return True
        if not isinstance(value, list | tuple) or len(value) != len(level.targets):
            raise ExprError(f"cannot unpack into {len(level.targets)} names")
        env.update(zip(level.targets, value, strict=True))
        return True

    def solve(self, rng: random.Random, budget: int, rejects: Counter[str]) -> tuple[dict[str, Any], int]:
        """One assignment satisfying every condition, and the number of draws it took; raises
        :class:`_OutOfTries` when ``budget`` draws are spent.

        Each statement is drawn, then the conditions completed by it are checked; a failing condition
        redraws the statement, and after ``LEVEL_RETRIES`` failures sends the search back to a random one of
        the earlier statements the condition reads."""
        self.box.rng = rng
        env = dict(self.env0)
        for check in self.pre_checks:
            if not _holds(check.fn, env):
                raise self.error(f"condition {check.source!r} is false for every instance", "unsatisfiable",
                                 "#conditions")
        n = len(self.levels)
        tries = [0] * (n + 1)
        order: list[list[int] | None] = [None] * (n + 1)  # small domains: untried indices, in random order
        used = i = 0
        while i < n:
            if used >= budget:
                raise _OutOfTries(used)
            used += 1
            level = self.levels[i]
            pick = None
            if level.domain is not None and level.solved_by is None and len(level.domain) <= SMALL_DOMAIN:
                if order[i] is None:
                    order[i] = rng.sample(range(len(level.domain)), len(level.domain))
                pick = order[i].pop()
            failed: _Check | None = None
            try:
                if not self._draw(level, env, rng, pick):
                    failed = level.checks[0]
            except ExprError as exc:
                rejects[f"#init {level.source}: {exc}"] += 1
                failed = _Check(level.source, level.draw, tuple(sorted(
                    j for j in range(i) if set(self.levels[j].targets) & level.deps)))
            if failed is None:
                failed = next((c for c in level.checks if not _holds(c.fn, env)), None)
                if failed is None:
                    i += 1
                    tries[i], order[i] = 0, None
                    continue
                rejects[failed.source] += 1
            tries[i] += 1
            exhausted = order[i] == [] if pick is not None else tries[i] >= LEVEL_RETRIES
            if exhausted or level.solved_by is not None:
                tries[i], order[i] = 0, None
                if failed.back:
                    i = failed.back[rng.randrange(len(failed.back))]
                elif exhausted and pick is not None:
                    i = 0  # no value of this statement works with what came before: start over
                tries[i], order[i] = 0, None
        return env, used

    def instance(self, env: dict[str, Any]) -> tuple[str, str, str] | str:
        """(question, answer, solution) for an assignment, or the reason it is rejected."""
        try:
            answer = as_number(self.answer(env))
            values = {src: fn(env) for src, fn in self.solution_parts.items()}
        except ExprError as exc:
            return f"answer: {exc}"
        solution = _BRACE.sub(lambda m: canonical(as_number(values[m.group(1)])), self.t.answer_annotated)
        final = [m for m in (_FINAL.search(ln) for ln in solution.splitlines()) if m][-1].group(1)
        if not _same(final, answer):
            return f"answer_annotated gives {final!r} but #answer gives {canonical(answer)!r}"
        question = self.t.question
        for text, name, style in self.slots:
            value = env[name]
            shown = value.label if isinstance(value, Labeled) else value
            question = question.replace(text, render_in_style(shown, style), 1)
        return question, canonical(answer), solution


class _OutOfTries(Exception):
    def __init__(self, used: int) -> None:
        self.used = used


def _holds(fn: Compiled, env: Mapping[str, Any]) -> bool:
    try:
        return bool(fn(env))
    except ExprError:
        return False


def _same(final: str, answer: Any) -> bool:
    if isinstance(answer, int | Fraction):
        parsed = parse_number_text(final)
        return parsed is not None and parsed == answer
    return final.strip() == canonical(answer)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Labeled):
        return [_jsonable(value.label), _jsonable(value.value)]
    if isinstance(value, Fraction):
        return canonical(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def iter_instances(template: Template, n: int, *, seed: int = 0, max_tries: int = DEFAULT_MAX_TRIES,
                   widen: int = 1) -> Iterator[Problem]:
    """Yield up to ``n`` distinct instances; raise :class:`TemplateError` (after yielding what it found) when
    the budget of ``max_tries`` draws runs out first. ``widen`` > 1 multiplies the bounds of the template's
    integer ``range(...)`` draws (its conditions and answer check still apply): numbers longer than its
    own."""
    if widen < 1:
        raise InputError(f"widen must be a positive integer, got {widen!r}", field="widen")
    program = _Program(template, widen)
    rng = random.Random(f"verimath-template:{seed}:{template.id}")
    seen: set[str] = set()
    rejects: Counter[str] = Counter()
    used = duplicates = mismatches = 0
    variables = [t for lv in program.levels for t in lv.targets]
    # What robustness metrics group by: a variant's base template (no-op, P1) and GSM-Symbolic's GSM8K id.
    lineage = {k: template.metadata[k] for k in LINEAGE_KEYS if k in template.metadata}
    while len(seen) < n:
        try:
            env, spent = program.solve(rng, max_tries - used, rejects)
        except _OutOfTries:
            raise _budget_error(program, n, len(seen), max_tries, rejects, duplicates, mismatches) from None
        used += spent
        result = program.instance(env)
        if isinstance(result, str):
            rejects[result] += 1
            mismatches += 1
            if mismatches >= MISMATCH_LIMIT and not seen:
                raise _budget_error(program, n, 0, used, rejects, duplicates, mismatches)
            continue
        question, answer, solution = result
        if question in seen:
            duplicates += 1
            continue
        seen.add(question)
        yield Problem(id=f"{template.id}#{len(seen) - 1}", question=question, answer=answer,
                      template_id=template.id,
                      metadata={"solution": solution, "variables": {v: _jsonable(env[v]) for v in variables},
                                **lineage})


def _budget_error(program: _Program, n: int, found: int, tries: int, rejects: Counter[str], duplicates: int,
                  mismatches: int) -> TemplateError:
    if mismatches and mismatches >= found:
        example = next(k for k in rejects if k.startswith("answer"))
        return program.error(f"{mismatches} of {mismatches + found + duplicates} complete instances "
                             f"rejected: {example}", "answer_mismatch", "#answer")
    worst = rejects.most_common(1)
    why = f"; most rejections by {worst[0][0]!r} ({worst[0][1]} times)" if worst else ""
    if found == 0:
        return program.error(f"no instance satisfies the conditions within {tries} draws{why}",
                             "unsatisfiable", "#conditions")
    if duplicates > found:
        return program.error(f"only {found} distinct instances of {n} asked for ({duplicates} duplicates in "
                             f"{tries} draws; the template's space of valid values is small)", "too_few")
    return program.error(f"only {found} of {n} instances within {tries} draws{why}", "too_few")


def generate(template: Template, n: int, *, seed: int = 0, max_tries: int = DEFAULT_MAX_TRIES,
             widen: int = 1) -> list[Problem]:
    """``n`` distinct instances of ``template``, reproducible from ``seed``; :class:`TemplateError`
    otherwise."""
    return list(iter_instances(template, n, seed=seed, max_tries=max_tries, widen=widen))


def generate_many(templates: Iterable[Template], n: int, *, seed: int = 0, max_tries: int = DEFAULT_MAX_TRIES,
                  widen: int = 1) -> tuple[list[Problem], list[TemplateError]]:
    """Instances of every template, and the error of each template that could not give ``n``."""
    problems: list[Problem] = []
    failures: list[TemplateError] = []
    for t in templates:
        try:
            problems.extend(generate(t, n, seed=seed, max_tries=max_tries, widen=widen))
        except TemplateError as exc:
            failures.append(exc)
    return problems, failures
