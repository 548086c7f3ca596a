"""A restricted, exact evaluator for template expressions (no ``eval``).

An expression is parsed with :mod:`ast` and every node is checked against a whitelist, then compiled into
nested closures so that evaluating it thousands of times (rejection sampling) stays cheap. Arithmetic is
exact: ``/`` yields a :class:`~fractions.Fraction` (an ``int`` when the quotient is whole), float literals are
read as the decimal they spell (``0.1`` is ``1/10``). Powers, repetitions and ranges are bounded so that a
hostile template cannot exhaust memory or time. Names resolve in an environment mapping; calls go only to
whitelisted functions given by the caller. Attribute access is refused except for the dotted names the caller
whitelists (``np.arange``).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from verimath.errors import VerimathError

__all__ = ["Compiled", "ExprError", "Labeled", "as_number", "compile_expr", "free_names", "sequence"]

MAX_POW_BITS = 4096  # largest result of ``**`` in bits
MAX_EXPONENT = 256
MAX_SEQUENCE = 200_000  # largest list/str built by ``*`` or ``list(range(...))``
MAX_SOURCE = 2_000  # characters in one expression


class ExprError(VerimathError):
    """An expression was refused (not in the whitelist, too large) or failed while evaluating."""


@dataclass(frozen=True, slots=True)
class Labeled:
    """A sampled value with a surface form: ``("six-sided", 6)`` renders as its label in a question and acts
    as its value in arithmetic."""

    label: Any
    value: Any


Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


def as_number(x: Any) -> Any:
    """Unwrap a :class:`Labeled` value and normalise a whole :class:`Fraction` to ``int``."""
    if isinstance(x, Labeled):
        x = x.value
    if isinstance(x, Fraction) and x.denominator == 1:
        return int(x.numerator)
    return x


def _num(x: Any) -> Any:
    return x.value if isinstance(x, Labeled) else x


def _norm(x: Any) -> Any:
    if type(x) is Fraction and x.denominator == 1:
        return int(x.numerator)
    return x


def _truediv(a: Any, b: Any) -> Any:
    if isinstance(a, int | Fraction) and isinstance(b, int | Fraction):
        if b == 0:
            raise ExprError("division by zero")
        return _norm(Fraction(a) / b)
    raise ExprError(f"cannot divide {type(a).__name__} by {type(b).__name__}")


def _floordiv(a: Any, b: Any) -> Any:
    if b == 0:
        raise ExprError("division by zero")
    return _norm(a // b)


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise ExprError("string formatting with % is not allowed")
    if b == 0:
        raise ExprError("modulo by zero")
    return _norm(a % b)


def _pow(a: Any, b: Any) -> Any:
    if not isinstance(a, int | Fraction) or not isinstance(b, int | Fraction):
        raise ExprError("** needs numbers")
    b = _norm(b)
    if not isinstance(b, int):
        raise ExprError("only whole exponents are allowed")
    if abs(b) > MAX_EXPONENT:
        raise ExprError(f"exponent {b} is too large (limit {MAX_EXPONENT})")
    size = max(abs(Fraction(a).numerator).bit_length(), abs(Fraction(a).denominator).bit_length())
    if size * abs(b) > MAX_POW_BITS:
        raise ExprError(f"power too large (over {MAX_POW_BITS} bits)")
    if a == 0 and b < 0:
        raise ExprError("division by zero")
    return _norm(Fraction(a) ** b)


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, str | list | tuple | range) or isinstance(b, str | list | tuple | range):
        seq, k = (a, b) if isinstance(a, str | list | tuple | range) else (b, a)
        if not isinstance(k, int) or isinstance(k, bool):
            raise ExprError("a sequence can only be repeated a whole number of times")
        if len(seq) * max(k, 0) > MAX_SEQUENCE:
            raise ExprError(f"repetition too large (over {MAX_SEQUENCE} items)")
        return list(seq) * k if isinstance(seq, range) else seq * k
    return _norm(a * b)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, range):
        a = list(a)
    if isinstance(b, range):
        b = list(b)
    if isinstance(a, list | tuple | str) and len(a) + len(b) > MAX_SEQUENCE:
        raise ExprError("concatenation too large")
    return _norm(a + b)


def _sub(a: Any, b: Any) -> Any:
    return _norm(a - b)


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add, ast.Sub: _sub, ast.Mult: _mul, ast.Div: _truediv, ast.FloorDiv: _floordiv,
    ast.Mod: _mod, ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _literal(value: object) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_POW_BITS:
            raise ExprError("integer literal too large")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExprError("non-finite literal")
        return _norm(Fraction(repr(value)))
    raise ExprError(f"literal of type {type(value).__name__} is not allowed")


def dotted_name(node: ast.expr) -> str | None:
    """``np.random.randint`` for that chain of attributes on a name; ``None`` for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Compiler:
    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.functions = functions

    def compile(self, node: ast.AST) -> Compiled:
        if isinstance(node, ast.Expression):
            return self.compile(node.body)
        if isinstance(node, ast.Constant):
            value = _literal(node.value)
            return lambda env: value
        if isinstance(node, ast.Name):
            name = node.id
            if name.startswith("_"):
                raise ExprError(f"name {name!r} is not allowed")

            def load(env: Env) -> Any:
                try:
                    return env[name]
                except KeyError:
                    raise ExprError(f"name {name!r} is not defined") from None
            return load
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed")
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda env: op(_num(left(env)), _num(right(env)))
        if isinstance(node, ast.UnaryOp):
            inner = self.compile(node.operand)
            if isinstance(node.op, ast.USub):
                return lambda env: -_num(inner(env))
            if isinstance(node.op, ast.UAdd):
                return lambda env: +_num(inner(env))
            if isinstance(node.op, ast.Not):
                return lambda env: not inner(env)
            raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            if isinstance(node.op, ast.And):
                def all_(env: Env) -> Any:
                    result: Any = True
                    for p in parts:
                        result = p(env)
                        if not result:
                            return result
                    return result
                return all_

            def any_(env: Env) -> Any:
                result: Any = False
                for p in parts:
                    result = p(env)
                    if result:
                        return result
                return result
            return any_
        if isinstance(node, ast.Compare):
            first = self.compile(node.left)
            ops = [_CMPOPS[type(o)] for o in node.ops if type(o) in _CMPOPS]
            if len(ops) != len(node.ops):
                raise ExprError("identity comparisons (is / is not) are not allowed")
            rest = [self.compile(c) for c in node.comparators]

            def compare(env: Env) -> bool:
                a = _num(first(env))
                for op, c in zip(ops, rest, strict=True):
                    b = _num(c(env))
                    try:
                        if not op(a, b):
                            return False
                    except TypeError as exc:
                        raise ExprError(str(exc)) from None
                    a = b
                return True
            return compare
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.compile(node.test), self.compile(node.body), self.compile(node.orelse)
            return lambda env: body(env) if test(env) else orelse(env)
        if isinstance(node, ast.List | ast.Tuple):
            items = [self.compile(e) for e in node.elts]
            if isinstance(node, ast.List):
                return lambda env: [i(env) for i in items]
            return lambda env: tuple(i(env) for i in items)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute):
            raise ExprError(f"attribute access ({dotted_name(node) or '.' + node.attr}) is not allowed")
        raise ExprError(f"{type(node).__name__} is not allowed in a template expression")

    def _subscript(self, node: ast.Subscript) -> Compiled:
        target = self.compile(node.value)
        if isinstance(node.slice, ast.Slice):
            lo, hi, step = (self.compile(p) if p is not None else (lambda env: None)
                            for p in (node.slice.lower, node.slice.upper, node.slice.step))
            return lambda env: target(env)[slice(lo(env), hi(env), step(env))]
        index = self.compile(node.slice)

        def get(env: Env) -> Any:
            seq = target(env)
            if isinstance(seq, Labeled):  # a sampled (text, value) pair
                seq = (seq.label, seq.value)
            elif isinstance(seq, int | Fraction):  # a number sampled where GSM-Symbolic had (text, value)
                seq = (seq, seq)
            try:
                return seq[_num(index(env))]
            except (IndexError, KeyError, TypeError) as exc:
                raise ExprError(f"bad subscript: {exc}") from None
        return get

    def _call(self, node: ast.Call) -> Compiled:
        name = dotted_name(node.func)
        if name is None or name not in self.functions:
            shown = name or type(node.func).__name__
            raise ExprError(f"call to {shown!r} is not allowed")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExprError(f"{name}(): keyword and starred arguments are not allowed")
        fn = self.functions[name]
        args = [self.compile(a) for a in node.args]

        def call(env: Env) -> Any:
            try:
                return fn(*(a(env) for a in args))
            except ExprError:
                raise
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError) as exc:
                raise ExprError(f"{name}(): {exc}") from None
        return call


def compile_expr(source: str, functions: Mapping[str, Callable[..., Any]]) -> Compiled:
    """Compile one expression against a whitelist of functions; raise :class:`ExprError` when refused."""
    if len(source) > MAX_SOURCE:
        raise ExprError(f"expression longer than {MAX_SOURCE} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in {source.strip()!r}: {exc.msg}") from None
    return _Compiler(functions).compile(tree)


def free_names(source: str) -> set[str]:
    """The plain names an expression reads (function names excluded)."""
    tree = ast.parse(source.strip(), mode="eval")
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    inner_attr = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and id(n) not in called and id(n) not in inner_attr}


def sequence(x: Any) -> Sequence[Any]:
    """A value usable as a domain: a list, tuple or range (a str is not a domain)."""
    if isinstance(x, list | tuple | range):
        return x
    raise ExprError(f"expected a list or range, got {type(x).__name__}")
