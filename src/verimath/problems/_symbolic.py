"""ASyMOB-style perturbations of symbolic problems, answers recomputed by SymPy.

A symbolic problem carries ``expression`` (Python/SymPy syntax, ``^`` allowed), ``task`` (``differentiate``,
``integrate``, ``simplify``, ``expand``, ``factor``, ``solve``) and optionally ``variable`` in its metadata.
Expressions are read by a whitelist over :mod:`ast` (no ``sympify``/``eval`` of user text). Operations:
``symbolic_numeric`` (new integer constants), ``symbolic_parameter`` (a constant becomes a symbol ``a``) and
``symbolic_equivalent`` (the expression rewritten to an equal form: expanded, factored, or with an identity
added).
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable
from typing import Any

from verimath.errors import VerimathError
from verimath.problems._problem import Problem

__all__ = ["SYMBOLIC_OPS", "SymbolicError", "answer_for", "parse_symbolic", "symbolic_problem"]

_FUNCS = ("sin", "cos", "tan", "exp", "log", "sqrt", "asin", "acos", "atan", "sinh", "cosh", "tanh", "Abs")
_VERBS = {"differentiate": "Differentiate", "integrate": "Find the antiderivative of", "simplify": "Simplify",
          "expand": "Expand", "factor": "Factor", "solve": "Solve"}
MAX_EXPONENT = 50


class SymbolicError(VerimathError):
    """A symbolic problem could not be read or perturbed (the reason is the message)."""


def _sympy() -> Any:
    import sympy
    return sympy


def parse_symbolic(text: str) -> Any:
    """A SymPy expression from text, through an AST whitelist."""
    sp = _sympy()
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval").body
    except SyntaxError as exc:
        raise SymbolicError(f"cannot read expression {text!r}: {exc.msg}") from None

    def conv(node: ast.AST) -> Any:
        if (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
                and not isinstance(node.value, bool)):
            return sp.Rational(repr(node.value)) if isinstance(node.value, float) else sp.Integer(node.value)
        if isinstance(node, ast.Name):
            if node.id == "pi":
                return sp.pi
            if node.id == "E":
                return sp.E
            if len(node.id) <= 2 and node.id.isalpha():
                return sp.Symbol(node.id)
            raise SymbolicError(f"name {node.id!r} is not allowed")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = conv(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            a, b = conv(node.left), conv(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            if isinstance(node.op, ast.Pow):
                if b.is_number and abs(b) > MAX_EXPONENT:
                    raise SymbolicError("exponent too large")
                return a**b
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and not node.keywords and len(node.args) == 1):
            return getattr(sp, node.func.id)(conv(node.args[0]))
        raise SymbolicError(f"{ast.unparse(node)!r} is not allowed in a symbolic expression")

    return conv(tree)


def answer_for(task: str, expr: Any, var: Any) -> Any:
    sp = _sympy()
    if task == "differentiate":
        return sp.simplify(sp.diff(expr, var))
    if task == "integrate":
        result = sp.integrate(expr, var)
        if result.has(sp.Integral):
            raise SymbolicError("SymPy cannot integrate it in closed form")
        return sp.simplify(result)
    if task == "simplify":
        return sp.simplify(expr)
    if task == "expand":
        return sp.expand(expr)
    if task == "factor":
        return sp.factor(expr)
    if task == "solve":
        return sp.FiniteSet(*sp.solve(sp.Eq(expr, 0), var))
    raise SymbolicError(f"unknown task {task!r}; choose from {', '.join(_VERBS)}")


def symbolic_problem(pid: str, task: str, expression: str, variable: str = "x", **meta: Any) -> Problem:
    """A symbolic :class:`Problem`: question and answer computed from ``task`` and ``expression``."""
    sp = _sympy()
    expr = parse_symbolic(expression)
    return _make(pid, task, expr, sp.Symbol(variable), meta, None, None)


def _make(pid: str, task: str, expr: Any, var: Any, meta: dict[str, Any], parent: str | None,
          op: str | None, same_as: Any = None) -> Problem:
    """The problem for ``expr``; ``same_as``: an equal expression whose answer is computed instead (SymPy
    handles the plain form more reliably than a rewritten one)."""
    sp = _sympy()
    answer = answer_for(task, same_as if same_as is not None else expr, var)
    tail = (" = 0 for" if task == "solve"
            else " with respect to" if task in ("differentiate", "integrate") else "")
    question = f"{_VERBS[task]} ${sp.latex(expr)}${tail}" + (f" ${var}$." if tail else ".")
    meta = {**meta, "task": task, "expression": sp.sstr(expr), "variable": str(var),
            "answer_latex": sp.latex(answer)}
    return Problem(id=pid, question=question, answer=sp.sstr(answer), metadata=meta, parent_id=parent,
                   perturbation=op)


def _source(problem: Problem) -> tuple[str, Any, Any, dict[str, Any]]:
    sp = _sympy()
    meta = dict(problem.metadata)
    task, text = meta.pop("task", None), meta.pop("expression", None)
    if not isinstance(task, str) or not isinstance(text, str):
        raise SymbolicError("not a symbolic problem (needs 'task' and 'expression')")
    var = sp.Symbol(str(meta.pop("variable", "x")))
    meta.pop("answer_latex", None)
    return task, parse_symbolic(text), var, meta


def _constants(expr: Any) -> list[Any]:
    """Integer constants (|c| >= 2) that are not exponents: changing ``x**2`` to ``x**9`` changes the kind of
    problem, not its numbers."""
    sp = _sympy()
    exponents = {a.exp for a in sp.preorder_traversal(expr) if isinstance(a, sp.Pow)}
    return sorted({a for a in sp.preorder_traversal(expr)
                   if isinstance(a, sp.Integer) and abs(a) >= 2 and a not in exponents}, key=lambda a: int(a))


def symbolic_numeric(problem: Problem, rng: random.Random) -> Problem:
    """Every integer constant (|c| >= 2) gets a new value of the same sign."""
    task, expr, var, meta = _source(problem)
    consts = _constants(expr)
    if not consts:
        raise SymbolicError("no integer constant to change")
    sp = _sympy()
    new = {c: sp.Integer(rng.choice([v for v in range(2, 10) if v != abs(int(c))]) * (1 if c > 0 else -1))
           for c in consts}
    return _make(f"{problem.id}/symbolic_numeric", task, expr.xreplace(new), var, meta, problem.id,
                 "symbolic_numeric")


def symbolic_parameter(problem: Problem, rng: random.Random) -> Problem:
    """One integer constant becomes the positive parameter ``a``; the answer is in terms of ``a``."""
    task, expr, var, meta = _source(problem)
    consts = [c for c in _constants(expr) if c > 0]
    if not consts or task == "factor":
        raise SymbolicError("no positive integer constant to turn into a parameter")
    sp = _sympy()
    a = sp.Symbol("a", positive=True)
    if a.name == str(var) or expr.has(sp.Symbol("a")):
        raise SymbolicError("the expression already uses 'a'")
    return _make(f"{problem.id}/symbolic_parameter", task, expr.xreplace({rng.choice(consts): a}), var, meta,
                 problem.id, "symbolic_parameter")


def symbolic_equivalent(problem: Problem, rng: random.Random) -> Problem:
    """The expression written in an equal but different form."""
    task, expr, var, meta = _source(problem)
    sp = _sympy()
    forms = [f for f in (sp.expand(expr), sp.factor(expr)) if f != expr]
    k = rng.randint(2, 5)
    forms.append(sp.Add(expr, (var + k) ** 2, -(var**2 + 2 * k * var + k * k), evaluate=False))
    rewritten = rng.choice(forms)
    if sp.simplify(rewritten - expr) != 0:  # cannot happen for these rewrites; a guard, not a hope
        raise SymbolicError("rewrite is not equivalent")
    return _make(f"{problem.id}/symbolic_equivalent", task, rewritten, var, meta, problem.id,
                 "symbolic_equivalent", same_as=expr)


SYMBOLIC_OPS: dict[str, Callable[[Problem, random.Random], Problem]] = {
    "symbolic_numeric": symbolic_numeric,
    "symbolic_parameter": symbolic_parameter,
    "symbolic_equivalent": symbolic_equivalent,
}
