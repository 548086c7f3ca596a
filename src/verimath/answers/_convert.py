"""Conversion of a parse tree (``Node``) into a typed ``Value``: the second half of ``parse``.

Owns how trees become numbers (exact rationals, stated decimals, scientific notation), expressions, tuples,
intervals, sets, unions, matrices, relations and solution lists, including the expansion of ``\\pm``.
Pure; imports only ``verimath.answers`` internals and ``verimath.errors``.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product as _cartesian

from verimath.answers._evaluate import NotExact, Undefined, exact
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
    Tuple,
    Union,
    Value,
    symbols,
)
from verimath.errors import InputError

__all__ = ["to_value"]

_TEN = Node("num", (Fraction(10),))


def _err(msg: str) -> InputError:
    return InputError(msg, field="answer")


def _has_pm(node: object) -> bool:
    return isinstance(node, Node) and (node.op == "pm" or any(_has_pm(x) for x in node.args))


def _choose_pm(node: object, signs: list[bool]) -> object:
    if not isinstance(node, Node):
        return node
    if node.op == "pm":
        a, b = (_choose_pm(x, signs) for x in node.args)
        plus = signs.pop(0)
        return Node("add", (a, b if plus else Node("neg", (b,))))  # type: ignore[arg-type]
    return Node(node.op, tuple(_choose_pm(x, signs) for x in node.args))


def _count_pm(node: object) -> int:
    if not isinstance(node, Node):
        return 0
    return (node.op == "pm") + sum(_count_pm(x) for x in node.args)


def _scalar(node: Node) -> Number | Expr:
    """A numeric tree as a ``Number`` (exact rational or stated decimal) or an ``Expr``."""
    a = node.args
    if node.op == "num":
        return Number(a[0], *a[1:])  # type: ignore[arg-type]
    if node.op == "neg" and a[0].op == "num" and len(a[0].args) == 3:  # type: ignore[union-attr]
        v, half, sig = a[0].args  # type: ignore[union-attr]
        return Number(-v, half, sig)  # type: ignore[arg-type,operator]
    if (node.op == "mul" and len(a) == 2 and a[0].op == "num" and len(a[0].args) == 3  # type: ignore[union-attr]
            and a[1].op == "pow" and a[1].args[0] == _TEN):  # type: ignore[union-attr]
        try:  # scientific notation 1.5 \times 10^{3}
            scale = exact(a[1])  # type: ignore[arg-type]
            v, half, sig = a[0].args  # type: ignore[union-attr]
            return Number(v * scale, half * scale, sig)  # type: ignore[operator]
        except (NotExact, Undefined):
            pass
    _check_arithmetic(node)
    try:
        return Number(exact(node))
    except NotExact:
        pass
    except Undefined as e:
        raise _err(f"undefined value: {e}") from None
    return Expr(node, symbols(node))


_STRUCTURES = frozenset({"list", "tuple", "set", "interval", "matrix", "rel", "union", "choice"})


def _check_arithmetic(node: Node) -> None:
    """Reject a list, tuple, set, ... used as a number (``\\frac{1}{2, 3}``, ``(1, 2) + 3``)."""
    stack: list[object] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Node):
            if n.op in _STRUCTURES:
                raise _err(f"a {n.op} where a number was expected")
            if n.op not in ("num", "sym", "const"):
                stack.extend(n.args)


def to_value(node: Node) -> Value:
    """Convert a parse tree into a value, expanding ``±`` into a list of solutions."""
    if node.op == "list":
        items: list[Value] = []
        for x in node.args:
            v = to_value(x)  # type: ignore[arg-type]
            items.extend(v.items if isinstance(v, SolutionList) else (v,))
        return SolutionList(tuple(items))
    k = _count_pm(node)
    if k:
        if k > 4:
            raise _err("too many \\pm signs")
        variants = [_choose_pm(node, list(signs)) for signs in _cartesian((True, False), repeat=k)]
        return SolutionList(tuple(_one(v) for v in variants))  # type: ignore[arg-type]
    return _one(node)


def _one(node: Node) -> Value:
    op, a = node.op, node.args
    if op == "tuple":
        if len(a) == 2 and any(_is_infinite(x) for x in a):
            return Interval(_scalar_of(a[0]), _scalar_of(a[1]), False, False)
        return Tuple(tuple(_one(x) for x in a))  # type: ignore[arg-type]
    if op == "interval":
        return Interval(_scalar_of(a[0]), _scalar_of(a[1]), bool(a[2]), bool(a[3]))
    if op == "set":
        return FiniteSet(tuple(_one(x) for x in a))  # type: ignore[arg-type]
    if op == "union":
        parts = []
        for x in a:
            v = _one(x)  # type: ignore[arg-type]
            if isinstance(v, Tuple) and len(v.items) == 2:
                v = Interval(v.items[0], v.items[1], False, False)
            if not isinstance(v, Interval | FiniteSet):
                raise _err("\\cup of something that is not an interval or set")
            parts.append(v)
        return Union(tuple(parts))
    if op == "matrix":
        return Matrix(tuple(tuple(_scalar_of(x) for x in row) for row in a))  # type: ignore[attr-defined]
    if op == "rel":
        ops, sides = a[0], a[1:]
        if ops == ("in",):
            return _one(sides[1])  # type: ignore[arg-type]
        if ops == ("=",) and any(_is_variable_tuple(x) for x in sides):  # (x, y) = (1, 2)
            return _one(sides[1] if _is_variable_tuple(sides[0]) else sides[0])  # type: ignore[arg-type]
        if "in" in ops:  # type: ignore[operator]
            raise _err("\\in inside a chain")
        return Relation(ops, tuple(_scalar_of(x) for x in sides))  # type: ignore[arg-type]
    if op == "choice":
        return Choice(a[0])  # type: ignore[arg-type]
    if op == "sym" and len(a[0]) == 1 and a[0] in "ABCDEFGHIJ":  # type: ignore[operator]
        return Choice(a[0])  # type: ignore[arg-type]
    if op == "list":
        return to_value(node)
    return _scalar(node)


def _is_variable_tuple(node: object) -> bool:
    return isinstance(node, Node) and node.op == "tuple" and all(
        isinstance(x, Node) and x.op == "sym" for x in node.args)


def _scalar_of(node: object) -> Value:
    if not isinstance(node, Node) or node.op in ("list", "tuple", "set", "interval", "matrix", "union", "rel"):
        raise _err("a number was expected")
    return _scalar(node)


def _is_infinite(node: object) -> bool:
    return isinstance(node, Node) and (node.args == ("inf",) or (node.op == "neg" and _is_infinite(node.args[0])))
