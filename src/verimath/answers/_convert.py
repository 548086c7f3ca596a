"""Conversion of a parse tree (``Node``) into a typed ``Value``: the second half of ``parse``.

Owns how trees become numbers (exact rationals, stated decimals, scientific notation), expressions, tuples,
intervals, sets, unions, matrices, relations and solution lists, including the expansion of ``\\pm``.
Pure; imports only ``verimath.answers`` internals and ``verimath.errors``.
"""

from __future__ import annotations

from dataclasses import replace
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
    is_name,
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
    if node.op == "pct":  # 28\\%: the number 28, marked (inside arithmetic, % is a factor of 1/100)
        inner = _scalar(a[0])  # type: ignore[arg-type]
        return replace(inner, percent=True) if isinstance(inner, Number) and inner.base is None else inner
    if node.op == "num":
        return Number(a[0], *a[1:])  # type: ignore[arg-type]
    if node.op == "neg" and a[0].op == "num" and len(a[0].args) == 3:  # type: ignore[union-attr]
        v, half, sig = a[0].args  # type: ignore[union-attr]
        return Number(-v, half, sig)  # type: ignore[arg-type,operator]
    mantissa, power = (a[0], a[1]) if node.op == "mul" and len(a) == 2 else (None, None)
    if (isinstance(mantissa, Node) and mantissa.op == "num" and len(mantissa.args) == 3
            and isinstance(power, Node) and power.op == "pow" and power.args[0] == _TEN):
        try:  # scientific notation 1.5 \times 10^{3}
            scale = exact(power)
            v, half, sig = mantissa.args
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
        return SolutionList(_grouped(items))
    k = _count_pm(node)
    if k:
        if k > 4:
            raise _err("too many \\pm signs")
        variants = [_choose_pm(node, list(signs)) for signs in _cartesian((True, False), repeat=k)]
        return SolutionList(tuple(_one(v) for v in variants))  # type: ignore[arg-type]
    return _one(node)


def _grouped(items: list[Value]) -> tuple[Value, ...]:
    """``p=5, q=2; p=7, q=2`` is two solutions (5, 2) and (7, 2): assignments to the same distinct names,
    repeated, are grouped into tuples (names in alphabetical order). ``x_1 = 1, x_2 = 2`` stays two roots."""
    names = [_assigned(v) for v in items]
    if None in names:
        return tuple(items)
    first: list[str] = []
    for name in names:
        if name in first:
            break
        first.append(name)  # type: ignore[arg-type]
    k = len(first)
    stems = {name.split("_")[0] for name in first}
    if k < 2 or len(stems) < k or len(items) % k or len(items) == k or any(
            set(names[i:i + k]) != set(first) for i in range(0, len(items), k)):
        return tuple(items)
    groups = []
    for i in range(0, len(items), k):
        chunk = sorted(zip(names[i:i + k], items[i:i + k], strict=True), key=lambda pair: pair[0])
        groups.append(Tuple(tuple(v.sides[1] for _, v in chunk)))  # type: ignore[union-attr]
    return tuple(groups)


def _assigned(v: Value) -> str | None:
    """The name in ``name = value`` (a lone variable on the left, a constant on the right), else None."""
    if (isinstance(v, Relation) and v.ops == ("=",) and isinstance(v.sides[0], Expr)
            and v.sides[0].node.op == "sym" and not (isinstance(v.sides[1], Expr) and v.sides[1].symbols)):
        return v.sides[0].node.args[0]  # type: ignore[return-value]
    return None


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
    if op == "matrix" or (op in ("add", "mul", "neg") and _holds_matrix(node)):  # A + B, AB, 2A: computed
        rows = _matrix_rows(node)
        return Matrix(tuple(tuple(_scalar_of(x) for x in row) for row in rows))
    if op == "rel":
        ops, sides = _settled(a[0], a[1:])  # type: ignore[arg-type]
        if len(sides) == 1:
            return _one(sides[0])  # type: ignore[arg-type]
        if ops == ("in",):
            return _one(sides[1])  # type: ignore[arg-type]
        if ops == ("=",) and any(_is_variable_tuple(x) for x in sides):  # (x, y) = (1, 2)
            return _one(sides[1] if _is_variable_tuple(sides[0]) else sides[0])  # type: ignore[arg-type]
        if "in" in ops:
            raise _err("\\in inside a chain")
        return Relation(ops, tuple(_scalar_of(x) for x in sides))
    if op == "choice":
        return Choice(a[0])  # type: ignore[arg-type]
    if op == "sym" and len(a[0]) == 1 and a[0] in "ABCDEFGHIJ":  # type: ignore[operator]
        return Choice(a[0])  # type: ignore[arg-type]
    if op == "list":
        return to_value(node)
    return _scalar(node)


def _settled(ops: tuple[str, ...], sides: tuple[object, ...]) -> tuple[tuple[str, ...], tuple[object, ...]]:
    """A chain of equalities read for its result: ``x = 5+5+1 = 11`` is ``x = 11``, ``\\frac12 = 0.5`` is
    ``0.5``; an approximation after an exact value is dropped (``x = 1/3 \\approx 0.33`` is ``x = 1/3``,
    ``\\frac{9.5}{\\pi} \\approx 3.02`` is the fraction)."""
    if "≈" in ops and (any(op != "≈" for op in ops) or not symbols(sides[0])):  # 9.5/π ≈ 3.02
        while ops and ops[-1] == "≈":
            ops, sides = ops[:-1], sides[:-1]
    ops = tuple("=" if op == "≈" else op for op in ops)
    if not ops or any(op != "=" for op in ops):
        return ops, sides
    if len(sides) > 2:
        if is_name(sides[0]):
            return ("=",), (sides[0], sides[-1])
        return (), (sides[-1],)
    if not any(symbols(x) for x in sides):  # a computation between constants: its result
        return (), (sides[-1],)
    return ops, sides


def _holds_matrix(node: Node) -> bool:
    return node.op == "matrix" or (node.op in ("add", "mul", "neg") and any(
        isinstance(x, Node) and _holds_matrix(x) for x in node.args))


Rows = tuple[tuple[Node, ...], ...]


def _matrix_rows(node: Node) -> Rows:
    """The entries of a matrix expression (sums, products, scalar multiples of matrices) as trees."""
    if node.op == "matrix":
        return node.args  # type: ignore[return-value]
    if node.op == "neg":
        negated = _matrix_rows(node.args[0])  # type: ignore[arg-type]
        return tuple(tuple(Node("neg", (x,)) for x in row) for row in negated)
    if node.op == "add":
        if not all(isinstance(x, Node) and _holds_matrix(x) for x in node.args):
            raise _err("a matrix plus a number")
        terms = [_matrix_rows(x) for x in node.args]  # type: ignore[arg-type]
        if len({(len(t), len(t[0])) for t in terms}) != 1:
            raise _err("a sum of matrices of different shapes")
        return tuple(tuple(Node("add", tuple(t[i][j] for t in terms)) for j in range(len(terms[0][0])))
                     for i in range(len(terms[0])))
    product: Rows | None = None
    scalars: list[Node] = []
    for factor in node.args:
        if isinstance(factor, Node) and _holds_matrix(factor):
            rows = _matrix_rows(factor)
            product = rows if product is None else _matmul(product, rows)
        else:
            scalars.append(factor)  # type: ignore[arg-type]
    assert product is not None
    return tuple(tuple(Node("mul", (*scalars, x)) if scalars else x for x in row) for row in product)


def _matmul(a: Rows, b: Rows) -> Rows:
    if len(a[0]) != len(b):
        raise _err(f"a {len(a)}x{len(a[0])} matrix times a {len(b)}x{len(b[0])} matrix")
    return tuple(tuple(Node("add", tuple(Node("mul", (a[i][k], b[k][j])) for k in range(len(b))))
                       for j in range(len(b[0]))) for i in range(len(a)))


def _is_variable_tuple(node: object) -> bool:
    return isinstance(node, Node) and node.op == "tuple" and all(
        isinstance(x, Node) and x.op == "sym" for x in node.args)


def _scalar_of(node: object) -> Value:
    if not isinstance(node, Node) or node.op in _STRUCTURES - {"choice"}:
        raise _err("a number was expected")
    return _scalar(node)


def _is_infinite(node: object) -> bool:
    return isinstance(node, Node) and (
        node.args == ("inf",) or (node.op == "neg" and _is_infinite(node.args[0])))
