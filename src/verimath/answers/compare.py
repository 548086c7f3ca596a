"""``equivalent(a, b) -> Match``: are two parsed answers the same mathematical answer?

Owns the equivalence policy (see ``equivalent``'s docstring). Pure and thread-safe: numeric work runs in a
per-thread mpmath context; the rare symbolic fallback goes to a killable worker process (``_symbolic``).
Imports only ``verimath.answers`` internals and ``verimath.errors``; never imports SymPy in this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from verimath.answers import _symbolic
from verimath.answers._budget import MAX_EXACT_BITS, Budget
from verimath.answers._evaluate import (
    POINTS,
    Huge,
    NotExact,
    Undefined,
    context,
    exact,
    log_magnitude,
    numeric,
)
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
    Text,
    Tuple,
    Union,
    Value,
    is_name,
    symbols,
)


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of one comparison: ``equal``, the ``method`` that decided it, and a human ``reason``."""

    equal: bool
    method: str
    reason: str = ""

    def __bool__(self) -> bool:
        return self.equal


_DPS = 50
_DPS_RECHECK = 110
_MIN_DECIMAL_DIGITS = 3
_POINT_DPS = 30
_POINTS_WANTED = 4
_MAX_ITEMS = 200
_DEFAULT_SECONDS = 1.0
_MARGIN = 0.02
"""Seconds kept back from the deadline for killing a SymPy worker and returning."""


def _no(method: str, reason: str) -> Match:
    return Match(False, method, reason)


def _yes(method: str, reason: str = "") -> Match:
    return Match(True, method, reason)


_SCALARS = (Number, Expr)


def equivalent(a: Value | str, b: Value | str, *, budget: Budget | None = None) -> Match:
    """Decide whether two answers are equivalent. Symmetric; ``equivalent(x, x)`` holds for every value.

    Policy:

    - **Exact numbers** (integers, fractions, mixed numbers ``2\\frac12`` and ``2 1/2``, repeating decimals,
      ratios ``7:32`` = ``7/32``) compare as exact rationals. ``1/2004!`` ≠ ``1/2006!``; no fixed absolute or
      relative tolerance (``10001`` ≠ ``10000``). Units, currency signs and degree marks are dropped by
      ``parse`` (``\\$18`` = ``18 dollars`` = ``18``; ``35 cm`` = ``35 cm^{2}`` = ``35页`` = ``35``;
      ``90^\\circ`` = ``90``, not ``\\pi/2``) — except inside a trigonometric function, where a degree
      mark makes an angle: ``\\sin 30^\\circ`` = ``1/2``, ``\\sin(90^\\circ - x)`` = ``\\cos x``.
    - **Percent**: a number with a percent sign (``28\\%``, ``28 pct``, ``28 percent``) equals the bare
      number and its fraction reading: ``28\\%`` = ``28`` = ``0.28``; ``50\\%`` = ``0.5``. Two bare numbers
      still compare as numbers (``28`` ≠ ``0.28``).
    - **Decimal comma**: ``2,74`` (no space, not a thousands separator: ``1,000`` is a thousand, ``3,5`` two
      numbers) is the two numbers 2 and 74, and also the decimal 2.74 against a single number.
    - **Stated decimals** match an exact value when they agree to within half a unit of their last stated
      digit and state at least 3 significant digits: ``0.866`` = ``\\sqrt3/2``, ``0.3`` ≠ ``1/3``, ``1e-7`` ≠
      ``0``. Two decimals compare by the coarser one's rule (``2.50`` = ``2.5``). A decimal that equals a
      constant to 110 digits matches it however few digits it states (``0.5`` = ``\\cos 60^\\circ``;
      ``0.5`` ≠ ``\\sin(\\pi/6 + 10^{-45})``).
    - A number with a **base subscript** is a numeral in that base: ``1011_2`` = ``11``; the reason says what
      was compared (``1011_2 is 11 in base ten``). (``grade`` also accepts ``1011`` for a gold ``1011_2``.)
    - **Constant expressions** (``\\sqrt{3}/2``, ``2\\pi``, ``3+4i``) compare numerically at 50 digits with a
      relative tolerance of 1e-40; a difference that shrinks when re-evaluated at 110 digits is a rounding
      residue (``\\sin\\pi`` = ``0``). Values too large to evaluate (``10^{10^{10}}``) compare by logarithm.
    - **Expressions with variables** are compared by randomized identity testing: both sides are evaluated at
      fixed pseudo-random points (real, both signs, complex arithmetic, 30 digits); agreement at 4 points
      means equal, one disagreement means not equal. Only when too few points can be evaluated is SymPy asked,
      in a worker process killed at the deadline.
    - **Chains of equalities** are read for their result (``parse``): ``x = 5+5+1 = 11`` is ``x = 11``,
      ``\\frac12 = 0.5`` is ``0.5``, and an approximation after an exact value is dropped (``x = \\frac13
      \\approx 0.33`` is ``x = \\frac13``). ``7 = 11a + c`` stays an equation (it has a variable).
    - **Equations** are equal when ``lhs - rhs`` agree up to a nonzero constant factor (``2x+2y=2`` =
      ``x+y=1``); **inequalities** likewise with a positive factor and the same strictness; chains side by
      side. A bare value equals ``name = value``, where the name is a variable or a label made of names only
      (``5`` = ``x = 5``; ``1`` = ``|AB| = 1``; ``7:32`` = ``S_{ABC}:S = 7:32``; ``0`` ≠ ``a + 3z = 0``).
      A one-variable inequality equals the interval it describes (``x > 3`` = ``(3, \\infty)``), an ``or`` of
      them the union, one with an absolute value its union (``1 \\le |z| \\le 2`` = ``[-2,-1] \\cup [1,2]``),
      ``x \\ne a`` the reals without ``a``. Two definitions of a function under different names, one a
      function value, are equal when their right sides are (``f(x) = 2x + 3`` = ``y = 2x + 3``; ``x = 2`` ≠
      ``y = 2``). A system (``\\begin{cases}``, ``\\begin{aligned}``) is the list of its equations
      (``\\begin{cases} x = 1 \\\\ y = 2 \\end{cases}`` = ``(1, 2)``).
      Assignments repeated over the same names are solutions: ``p=5, q=2; p=7, q=2`` = ``(5, 2), (7, 2)``;
      assignments to distinct names are a point (``x=1, y=2`` = ``(1, 2)``, names in alphabetical order) and
      against a bare list compare in the order written (``AB=4, CD=5`` = ``4, 5`` ≠ ``5, 4``).
    - **Tuples** are ordered; ``(a, b)`` also equals the open interval ``(a, b)``. **Intervals** compare
      endpoints and closedness; **unions** their parts in any order. **Sets** and **lists of solutions**
      (``x=1 or x=2``, ``1, 2``, ``1 \\pm \\sqrt2``) compare as sets; a set or list equals a single value when
      every element equals it (``\\{5\\}`` = ``5``; ``1, 2`` ≠ ``2``).
    - **Matrices** compare elementwise (sums, products and multiples of matrices are computed first); a
      one-row or one-column matrix also equals the tuple of its entries. ``\\begin{vmatrix}`` and ``\\det``
      are determinants (``ad - bc``), never the matrix.
    - An **ellipsis** in a list is part of the answer: ``1, 2, 3, \\ldots`` ≠ ``1, 2, 3``.
    - A real power of a negative number takes the real root: ``\\sqrt[3]{x}^2`` = ``x^{2/3}``.
    - Notation read as arithmetic: Python's ``x**2`` is ``x^2``; ``2!3!`` and ``2^6 3^5`` are products;
      ``17 \\bmod 5`` (``17 mod 5``) is the remainder 2, and a modulus after a congruence is dropped
      (``x \\equiv 3 \\pmod{7}`` = ``3``); ``0.(3)`` repeats the 3 (``2.5(3)`` is 7.5).
    - ``\\log`` is the natural logarithm (``\\log_b`` for other bases); ``i`` is the imaginary unit and ``e``
      Euler's number wherever they appear.
    - **Text** compares case- and space-insensitively (``\\text{yes}`` = ``Yes``); **choices** by letter
      (``(C)`` = ``\\text{(C)}`` = ``C`` = ``C)`` = ``Option C``).
    - A value after a negation states nothing (``parse`` refuses ``not 5``); words before a value are prose
      (``So x = 3 or x = -2`` is the list ``x = 3, x = -2``; ``28 percent`` is ``28\\%``).
    """
    from verimath.answers.parse import parse

    va = parse(a) if isinstance(a, str) else a
    vb = parse(b) if isinstance(b, str) else b
    return _equiv(va, vb, budget or Budget(_DEFAULT_SECONDS))


_RANK = {Number: 0, Expr: 1, Relation: 2, Tuple: 3, Interval: 4, Union: 5, FiniteSet: 6, SolutionList: 7,
         Matrix: 8, Text: 9, Choice: 10}


def _equiv(a: Value, b: Value, budget: Budget) -> Match:
    budget.check()
    if a == b:
        return _yes("identical")
    if _RANK[type(a)] > _RANK[type(b)]:
        a, b = b, a
    if isinstance(a, Number) and isinstance(b, SolutionList) and b.decimal_comma is not None:
        m = _numbers(a, b.decimal_comma)
        if m.equal:
            return _yes("decimal-comma", f"{b.decimal_comma.value} read with a decimal comma")
    if isinstance(a, Tuple) and isinstance(b, SolutionList) and _point(b) is not None:
        return _sequence(a.items, _point(b), budget, "tuple")  # type: ignore[arg-type]
    if isinstance(a, SolutionList) and isinstance(b, SolutionList):
        for named, bare in ((a, b), (b, a)):  # AB = 4, CD = 5 against 4, 5: in the order written
            values = _assignments(named)
            if values is not None and not any(isinstance(x, Relation) for x in bare.items):
                return _sequence(values, bare.items, budget, "list")
    if (isinstance(b, FiniteSet | SolutionList) and not isinstance(a, FiniteSet | SolutionList)
            # "x<1 or x>2": a union
            and not (isinstance(a, Interval | Union) and isinstance(b, SolutionList))):
        return _collapses_to(b, a, budget)
    if isinstance(a, _SCALARS):
        if isinstance(b, _SCALARS):
            return _scalars(a, b, budget)
        if isinstance(b, Relation):
            return _value_vs_relation(a, b, budget)
        return _no("type", f"a number against a {type(b).__name__}")
    if isinstance(a, Relation):
        return _relation_vs(a, b, budget)
    if isinstance(a, Tuple):
        if isinstance(b, Tuple):
            return _sequence(a.items, b.items, budget, "tuple")
        if isinstance(b, Interval):
            if len(a.items) == 2 and not (b.lo_closed or b.hi_closed):
                return _sequence(a.items, (b.lo, b.hi), budget, "interval")
            return _no("interval", "a tuple against an interval that is not open")
        if isinstance(b, Matrix):
            return _matrix_vs_tuple(b, a, budget)
        return _no("type", f"a tuple against a {type(b).__name__}")
    if isinstance(a, Interval):
        if isinstance(b, Interval):
            if (a.lo_closed, a.hi_closed) != (b.lo_closed, b.hi_closed):
                return _no("interval", "endpoints differ in closedness")
            return _sequence((a.lo, a.hi), (b.lo, b.hi), budget, "interval")
        if isinstance(b, Union):
            return _unordered((a,), b.parts, budget, "union")
        if isinstance(b, SolutionList):
            return _union_vs_list((a,), b, budget)
        return _no("type", f"an interval against a {type(b).__name__}")
    if isinstance(a, Union):
        if isinstance(b, Union):
            return _unordered(a.parts, b.parts, budget, "union")
        if isinstance(b, SolutionList):
            return _union_vs_list(a.parts, b, budget)
        return _no("type", f"a union against a {type(b).__name__}")
    if isinstance(a, FiniteSet | SolutionList):
        if isinstance(b, FiniteSet | SolutionList):
            return _unordered(a.items, b.items, budget, "set")
        return _collapses_to(a, b, budget)
    if isinstance(a, Matrix):
        if isinstance(b, Matrix):
            if len(a.rows) != len(b.rows) or len(a.rows[0]) != len(b.rows[0]):
                return _no("matrix", "matrices of different shapes")
            return _sequence([x for r in a.rows for x in r], [x for r in b.rows for x in r], budget, "matrix")
        return _no("type", f"a matrix against a {type(b).__name__}")
    if isinstance(a, Text):
        if isinstance(b, Text):
            return Match(a.text == b.text, "text", "" if a.text == b.text else "different text")
        return _no("type", f"text against a {type(b).__name__}")
    if isinstance(a, Choice) and isinstance(b, Choice):
        return Match(a.letter == b.letter, "choice", "" if a.letter == b.letter else "different choice")
    return _no("type", f"a {type(a).__name__} against a {type(b).__name__}")


# ------------------------------------------------------------------------------------------- containers


def _sequence(xs: Sequence[Value], ys: Sequence[Value], budget: Budget, kind: str) -> Match:
    if len(xs) != len(ys):
        return _no(kind, f"{len(xs)} against {len(ys)} entries")
    for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
        m = _equiv(x, y, budget)
        if not m.equal:
            return _no(kind, f"entry {k + 1} differs: {m.reason}".rstrip(": "))
    return _yes(kind)


def _unordered(xs: Sequence[Value], ys: Sequence[Value], budget: Budget, kind: str) -> Match:
    if len(xs) > _MAX_ITEMS or len(ys) > _MAX_ITEMS:
        return _no(kind, f"more than {_MAX_ITEMS} elements")
    cache: dict[tuple[int, int], bool] = {}

    def eq(i: int, j: int) -> bool:
        if (i, j) not in cache:
            cache[i, j] = _equiv(xs[i], ys[j], budget).equal
        return cache[i, j]

    for i in range(len(xs)):
        if not any(eq(i, j) for j in range(len(ys))):
            return _no(kind, f"an element of one side ({_show(xs[i])}) is missing from the other")
    for j in range(len(ys)):
        if not any(eq(i, j) for i in range(len(xs))):
            return _no(kind, f"an element of one side ({_show(ys[j])}) is missing from the other")
    return _yes(kind)


def _show(v: Value) -> str:
    return str(v) if isinstance(v, _SCALARS) else type(v).__name__


def _assignments(lst: SolutionList) -> list[Value] | None:
    """The values of ``x = 1, y = 2`` or ``AB = 4, CD = 5`` in written order, when the list assigns constants
    to two or more distinct names (``x_1 = 1, x_2 = 2`` are roots, not coordinates: None), else None."""
    values: dict[str, Value] = {}
    for item in lst.items:
        if not (isinstance(item, Relation) and item.ops == ("=",) and isinstance(item.sides[0], Expr)
                and is_name(item.sides[0].node) and not _has_symbols(item.sides[1])):
            return None
        values[str(item.sides[0].node)] = item.sides[1]
    stems = {name.split("_")[0] for name in values}
    return list(values.values()) if len(values) == len(lst.items) >= 2 and len(stems) == len(values) else None


def _point(lst: SolutionList) -> list[Value] | None:
    """``x = 1, y = 2`` as the point ``(1, 2)``: the assigned values in the names' alphabetical order."""
    if _assignments(lst) is None:
        return None
    pairs = sorted((str(item.sides[0]), item.sides[1]) for item in lst.items)  # type: ignore[union-attr]
    return [value for _, value in pairs]


def _collapses_to(many: FiniteSet | SolutionList, one: Value, budget: Budget) -> Match:
    """A set or list against a single value: equal when every element equals it (``\\{5\\}``,
    ``x+1, 1+x``)."""
    if not many.items:
        return _no("set", "an empty set against a value")
    for item in many.items:
        m = _equiv(item, one, budget)
        if not m.equal:
            kind = "a list" if isinstance(many, SolutionList) else "a set"
            return _no("set", f"{kind} of {len(many.items)} answers against one" if len(many.items) > 1
                       else m.reason)
    return _yes("set", "every listed answer equals it")


def _matrix_vs_tuple(m: Matrix, t: Tuple, budget: Budget) -> Match:
    if len(m.rows) == 1 or len(m.rows[0]) == 1:
        return _sequence([x for r in m.rows for x in r], t.items, budget, "vector")
    return _no("type", "a matrix against a tuple")


def _union_vs_list(parts: Sequence[Value], lst: SolutionList, budget: Budget) -> Match:
    intervals: list[Value] = []
    for item in lst.items:
        described = _as_set(item)
        if described is None:
            return _no("type", "a union against a list that is not of inequalities")
        intervals.extend(described.parts if isinstance(described, Union) else (described,))
    return _unordered(parts, intervals, budget, "union")


# ------------------------------------------------------------------------------------------- relations

_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
_INF = Expr(Node("const", ("inf",)))
_NEG_INF = Expr(Node("neg", (Node("const", ("inf",)),)))


_FUNCTION_NAMES = frozenset("fghpqrFGHPQR")
_MINUS_ONE = Node("neg", (Node("num", (Fraction(1),)),))


def _lone_symbol(v: Value) -> str | None:
    """The variable a side names: ``x``, or ``f`` for a function value ``f(x)`` (parsed as ``f·x``)."""
    if not isinstance(v, Expr):
        return None
    n = v.node
    if n.op == "sym":
        return n.args[0]  # type: ignore[return-value]
    if n.op == "mul" and len(n.args) == 2 and n.args[1].op == "sym":  # type: ignore[union-attr]
        function = n.args[0]
        if function.op == "pow" and function.args[1] == _MINUS_ONE:  # type: ignore[union-attr]
            function = function.args[0]  # the inverse f^{-1}(x)  # type: ignore[union-attr]
        if function.op == "sym" and function.args[0].rstrip("'") in _FUNCTION_NAMES:  # type: ignore[union-attr]
            return function.args[0]  # type: ignore[union-attr,return-value]
    return None


def _as_set(v: Value) -> Interval | Union | None:
    """The set a one-variable inequality describes (``x > 3``, ``-1 <= x < 2``, ``1 \\le |z| \\le 2``) or
    None."""
    if not isinstance(v, Relation) or "=" in v.ops:
        return None
    sides, ops = list(v.sides), list(v.ops)
    if "!=" in ops:  # x != 0 is the reals without 0
        if ops != ["!="]:
            return None
        named, value = (sides[0], sides[1]) if _lone_symbol(sides[0]) else (sides[1], sides[0])
        if not _lone_symbol(named) or _has_symbols(value):
            return None
        return Union((Interval(_NEG_INF, value, False, False), Interval(value, _INF, False, False)))
    if ops[0] in (">", ">="):
        sides.reverse()
        ops = [_FLIP[o] for o in reversed(ops)]
    if any(o in (">", ">=") for o in ops):
        if len(ops) == 1 and _absolute_of_symbol(sides[0]) and not _has_symbols(sides[1]):  # a > |x|
            return _as_set(Relation((_FLIP[ops[0]],), (sides[1], sides[0])))
        return None
    absolute = _as_absolute_set(sides, ops)
    if absolute is not None:
        return absolute
    names = [_lone_symbol(s) for s in sides]
    if len(sides) == 2:
        if names[0] and not _has_symbols(sides[1]):
            return Interval(_NEG_INF, sides[1], False, ops[0] == "<=")
        if names[1] and not _has_symbols(sides[0]):
            return Interval(sides[0], _INF, ops[0] == "<=", False)
        return None
    if len(sides) == 3 and names[1] and not _has_symbols(sides[0]) and not _has_symbols(sides[2]):
        return Interval(sides[0], sides[2], ops[0] == "<=", ops[1] == "<=")
    return None


def _absolute_of_symbol(v: Value) -> bool:
    return (isinstance(v, Expr) and v.node.op == "func" and v.node.args[0] == "abs"
            and isinstance(v.node.args[1], Node) and v.node.args[1].op == "sym")


def _negated(v: Value) -> Value:
    if isinstance(v, Number):
        return replace(v, value=-v.value)
    return Expr(Node("neg", (_node(v),)), v.symbols if isinstance(v, Expr) else frozenset())


def _as_absolute_set(sides: list[Value], ops: list[str]) -> Interval | Union | None:
    """``|x| < a`` is ``(-a, a)``; ``a < |x|`` is ``(-inf, -a) U (a, inf)``; ``a <= |x| <= b`` two intervals
    (``ops`` point upwards: ``<`` or ``<=``; bounds must be constants, lower ones positive numbers)."""
    where = [k for k, side in enumerate(sides) if _absolute_of_symbol(side)]
    if len(where) != 1 or any(_has_symbols(s) for k, s in enumerate(sides) if k != where[0]):
        return None
    k = where[0]
    lower = (sides[k - 1], ops[k - 1] == "<=") if k > 0 else None
    upper = (sides[k + 1], ops[k] == "<=") if k + 1 < len(sides) else None
    if lower is not None and not (isinstance(lower[0], Number) and lower[0].value > 0):
        return None
    if lower is None:
        assert upper is not None
        return Interval(_negated(upper[0]), upper[0], upper[1], upper[1])
    if upper is None:
        return Union((Interval(_NEG_INF, _negated(lower[0]), False, lower[1]),
                       Interval(lower[0], _INF, lower[1], False)))
    return Union((Interval(_negated(upper[0]), _negated(lower[0]), upper[1], lower[1]),
                  Interval(lower[0], upper[0], lower[1], upper[1])))


def _has_symbols(v: Value) -> bool:
    return isinstance(v, Expr) and bool(v.symbols)


def _value_vs_relation(v: Number | Expr, r: Relation, budget: Budget) -> Match:
    """A bare value against ``var = value`` (either side of the equation)."""
    if r.ops == ("=",):
        for var_side, val_side in ((r.sides[0], r.sides[1]), (r.sides[1], r.sides[0])):
            names = {_lone_symbol(var_side)} if _lone_symbol(var_side) else _label_names(var_side)
            if names and not (isinstance(val_side, Expr) and names & val_side.symbols):
                return _equiv(v, val_side, budget)
    return _no("type", "a value against a relation that is not `name = value`")


def _label_names(v: Value) -> frozenset[str]:
    """The names in a label such as ``AB``, ``|AB|``, ``S_{ABC}:S``, ``V_1:V_2`` (empty when not a label)."""
    return v.symbols if isinstance(v, Expr) and is_name(v.node) else frozenset()


def _relation_vs(r: Relation, b: Value, budget: Budget) -> Match:
    if isinstance(b, Relation):
        return _relations(r, b, budget)
    iv = _as_set(r)
    if iv is not None and isinstance(b, Interval | Union | Tuple):
        return _equiv(iv, b, budget)
    return _no("type", f"a relation against a {type(b).__name__}")


def _difference(lhs: Value, rhs: Value) -> Node:
    return Node("add", (_node(lhs), Node("neg", (_node(rhs),))))


def _node(v: Value) -> Node:
    if isinstance(v, Expr):
        return v.node
    assert isinstance(v, Number)
    return Node("num", (v.value,))


def _relations(a: Relation, b: Relation, budget: Budget) -> Match:
    if len(a.ops) != len(b.ops):
        ia, ib = _as_set(a), _as_set(b)
        if ia is not None and ib is not None:
            return _equiv(ia, ib, budget)
        return _no("relation", "relations of different shapes")
    if a.ops == ("=",):
        defined = _definitions(a, b)
        if defined is not None:  # f(x) = 2x + 3 against y = 2x + 3: the same function
            return _equiv(*defined, budget)
        # x = 5 against 5 = x, y = 2x+3 against 2x - y + 3 = 0: proportional differences
        return _proportional(_difference(*a.sides), _difference(*b.sides), budget, positive=False)
    bo, bs = b.ops, b.sides
    if _FLIP[bo[0]] == a.ops[0] and bo[0] != a.ops[0]:
        bo, bs = tuple(_FLIP[o] for o in reversed(bo)), tuple(reversed(bs))
    if bo != a.ops:
        return _no("relation", "different relation signs")
    for k, op in enumerate(a.ops):
        fa, fb = _difference(a.sides[k], a.sides[k + 1]), _difference(bs[k], bs[k + 1])
        m = _proportional(fa, fb, budget, positive=op != "=")
        if not m.equal:
            return m
    return _yes("relation")


def _definitions(a: Relation, b: Relation) -> tuple[Value, Value] | None:
    """The right sides of two function definitions under different names, one of them a function value
    (``f(x) = 2x + 3``, ``y = 2x + 3``): each defines the same function of the variables on its right.
    ``x = 2`` and ``y = 2`` are not definitions (their right sides are constants)."""
    names = [_lone_symbol(r.sides[0]) for r in (a, b)]
    rights = [r.sides[1] for r in (a, b)]
    if (None in names or names[0] == names[1]
            or not any(isinstance(r.sides[0], Expr) and r.sides[0].node.op == "mul" for r in (a, b))
            or not all(isinstance(v, Expr) and v.symbols and not v.symbols & set(names) for v in rights)):
        return None
    return rights[0], rights[1]


# ------------------------------------------------------------------------------------------- scalars


def _scalars(a: Number | Expr, b: Number | Expr, budget: Budget) -> Match:
    if isinstance(a, Number) and isinstance(b, Number):
        return _numbers(a, b)
    if isinstance(a, Number) and not a.exact:
        return _decimal_vs_expr(a, b, budget)  # type: ignore[arg-type]
    return _identity(_node(a), _node(b), budget)


def _numbers(a: Number, b: Number) -> Match:
    if a.percent != b.percent:
        if a.value == b.value:
            return _yes("percent", "the same number, one with a percent sign")
        pct, other = (a, b) if a.percent else (b, a)
        fraction = replace(pct, value=pct.value / 100, percent=False,
                           precision=None if pct.precision is None else pct.precision / 100)
        m = _numbers(fraction, other)
        return Match(m.equal, "percent", f"{pct} read as {fraction}" + ("" if m.equal else f": {m.reason}"))
    if (a.base or 10) != (b.base or 10) and a.exact and b.exact:  # 11_2 is the number 3
        equal = a.value == b.value
        return Match(equal, "base", "; ".join(_in_base_ten(n) for n in (a, b) if n.base not in (None, 10))
                     + ("" if equal else f"; {replace(a, base=None)} ≠ {replace(b, base=None)}"))
    if a.value == b.value:
        return _yes("exact")
    if a.exact and b.exact:
        shown = (str(a), str(b))
        return _no("exact",
                   f"{shown[0]} ≠ {shown[1]}" if "≈" not in "".join(shown) else "different exact values")
    coarse, other = (a, b) if (b.precision is None or (a.precision or 0) >= b.precision) else (b, a)
    return _decimal_rule(coarse, other.value)


def _in_base_ten(n: Number) -> str:
    return f"{n.digits}_{n.base} is {replace(n, base=None)} in base ten"


def _decimal_rule(d: Number, x: Any) -> Match:
    """Decimal ``d`` against the exact (or finer) real ``x``: within half a unit of its last digit, >= 3
    digits."""
    if d.significant < _MIN_DECIMAL_DIGITS:
        return _no("decimal",
                   f"{_decimal_text(d)} states fewer than {_MIN_DECIMAL_DIGITS} significant digits")
    assert d.precision is not None
    if abs(Fraction(x) - d.value) <= d.precision:
        return _yes("decimal", f"agrees to the {d.significant} digits stated")
    return _no("decimal", f"differs beyond the last stated digit of {_decimal_text(d)}")


def _decimal_text(d: Number) -> str:
    try:
        return format(float(d.value), "g")
    except OverflowError:
        return "a decimal beyond floating point"


def _decimal_vs_expr(d: Number, e: Expr, budget: Budget) -> Match:
    if e.symbols:
        return _no("type", "a decimal against an expression with variables")
    ctx = context(_DPS)
    try:
        v = numeric(e.node, {}, ctx)
    except (ZeroDivisionError, ValueError, Huge, OverflowError) as err:
        return _no("numeric", f"cannot evaluate: {err}")
    if ctx.im(v) != 0 and abs(ctx.im(v)) > abs(v) * ctx.mpf(10) ** -40:
        return _no("decimal", "a decimal against a non-real value")
    re_v = ctx.re(v)
    if ctx.isinf(re_v) or ctx.isnan(re_v):
        return _no("decimal", "a decimal against an infinite value")
    sign, man, exp, _ = ctx.mpf(re_v)._mpf_
    if abs(exp) > MAX_EXACT_BITS:
        return _no("decimal", "the value is astronomically far from the decimal")
    exact_v = Fraction((-1) ** sign * man) * (Fraction(2) ** exp)
    if _equals_decimal_exactly(d, e):  # \\cos 60° is 0.5 however few digits 0.5 states
        return _yes("decimal", f"equals {_decimal_text(d)} to {_DPS_RECHECK} digits")
    return _decimal_rule(d, exact_v)


def _equals_decimal_exactly(d: Number, e: Expr) -> bool:
    """Whether the constant ``e`` equals the decimal ``d`` to 110 digits (a residue below 1e-100 of it)."""
    ctx = context(_DPS_RECHECK)
    try:
        v = numeric(e.node, {}, ctx)
    except (ZeroDivisionError, ValueError, Huge, OverflowError):
        return False
    exact_d = ctx.mpf(d.value.numerator) / d.value.denominator
    return bool(abs(v - exact_d) <= abs(exact_d) * ctx.mpf(10) ** -100)


class _OneSideHuge(Exception):
    """One side evaluated to an ordinary number and the other is astronomically large: they differ."""


def _evaluate_pair(a: Node, b: Node, env: dict[str, Any], dps: int) -> tuple[Any, Any, Any]:
    ctx = context(dps)
    e = {k: ctx.mpf(v.numerator) / v.denominator for k, v in env.items()}
    try:
        x = numeric(a, e, ctx)
    except Huge:
        numeric(b, e, ctx)  # raises Huge too when both are huge
        raise _OneSideHuge from None
    try:
        y = numeric(b, e, ctx)
    except Huge:
        raise _OneSideHuge from None
    return ctx, x, y


def _close(ctx: Any, x: Any, y: Any, tol: Any) -> bool:
    if ctx.isinf(x) or ctx.isinf(y):
        return bool(x == y)
    return bool(abs(x - y) <= tol * max(abs(x), abs(y)))


def _identity(a: Node, b: Node, budget: Budget) -> Match:
    """Identity testing: constants at high precision, expressions at pseudo-random points."""
    try:
        if exact(a) == exact(b):
            return _yes("exact")
        return _no("exact", "different exact values")
    except (NotExact, Undefined):
        pass
    names = sorted(symbols(a) | symbols(b))
    if not names:
        return _constants(a, b, budget)
    if len(names) > len(POINTS[0]):
        return _symbolic_fallback(a, b, budget, "too many variables for identity testing")
    good = 0
    for point in POINTS:
        budget.check()
        env = dict(zip(names, point, strict=False))
        try:
            ctx, x, y = _evaluate_pair(a, b, env, _POINT_DPS)
        except _OneSideHuge:
            return _no("identity", "one side is astronomically large where the other is not")
        except (ZeroDivisionError, ValueError, Huge, OverflowError, KeyError):
            continue
        if ctx.isnan(x) or ctx.isnan(y):
            continue
        if not _close(ctx, x, y, ctx.mpf(10) ** -20):
            scale = max(abs(x), abs(y), 1)
            if abs(x - y) <= scale * ctx.mpf(10) ** -20:  # both ~0: a rounding residue at this point
                good += 1
                continue
            return _no("identity", f"differs at {', '.join(f'{k}={float(v):.4g}' for k, v in env.items())}")
        good += 1
        if good >= _POINTS_WANTED:
            return _yes("identity", f"agrees at {good} random points")
    if good >= 2:
        return _yes("identity", f"agrees at the {good} points where both are defined")
    return _symbolic_fallback(a, b, budget, "too few points where both sides are defined")


def _constants(a: Node, b: Node, budget: Budget) -> Match:
    try:
        ctx, x, y = _evaluate_pair(a, b, {}, _DPS)
    except _OneSideHuge:
        return _no("log-magnitude", "one value is astronomically large (or small), the other is not")
    except Huge:
        return _huge(a, b)
    except (ZeroDivisionError, ValueError, OverflowError) as err:
        return _no("numeric", f"cannot evaluate: {err}")
    if ctx.isnan(x) or ctx.isnan(y):
        return _no("numeric", "undefined value")
    if _close(ctx, x, y, ctx.mpf(10) ** -40):
        return _yes("numeric", "agrees to 40 digits")
    if ctx.isinf(x) or ctx.isinf(y):
        return _no("numeric", "different values")
    d1 = abs(x - y)
    ctx2, x2, y2 = _evaluate_pair(a, b, {}, _DPS_RECHECK)
    d2 = abs(x2 - y2)
    if d2 < d1 * ctx2.mpf(10) ** -40:
        return _yes("numeric", "difference vanishes with precision")
    return _no("numeric", f"{_shown(ctx, x)} ≠ {_shown(ctx, y)}")


def _shown(ctx: Any, x: Any) -> str:
    """A value for a reason; a huge one by its binary magnitude (its decimal digits would take seconds)."""
    magnitude = ctx.mag(x) if x else 0
    return ctx.nstr(x, 20) if abs(magnitude) < 3000 else f"a number of magnitude 2^{magnitude}"


def _huge(a: Node, b: Node) -> Match:
    """Both constants are too large to evaluate: compare their logarithms."""
    if a == b:
        return _yes("identical")
    ctx = context(_DPS)
    try:
        la, lb = log_magnitude(a, ctx), log_magnitude(b, ctx)
    except (Huge, ZeroDivisionError, ValueError, OverflowError):  # SymPy would build them: no fallback
        return _no("log-magnitude", "values too large to evaluate or compare")
    if _close(ctx, la, lb, ctx.mpf(10) ** -40):
        if _sign(a) == _sign(b):
            return _yes("log-magnitude", "equal magnitudes of values too large to evaluate")
        return _no("log-magnitude", "opposite signs")
    return _no("log-magnitude", "different magnitudes")


def _sign(n: Node) -> int:
    return -_sign(n.args[0]) if n.op == "neg" else 1  # type: ignore[arg-type]


def _proportional(fa: Node, fb: Node, budget: Budget, *, positive: bool) -> Match:
    """Whether ``fa = c * fb`` for a constant c != 0 (c > 0 when ``positive``): equations and inequalities."""
    names = sorted(symbols(fa) | symbols(fb))
    if not names:
        return _identity(fa, fb, budget)
    if len(names) > len(POINTS[0]):
        return _no("relation", "too many variables")
    ratio = None
    good = 0
    for point in POINTS:
        budget.check()
        env = dict(zip(names, point, strict=False))
        try:
            ctx, x, y = _evaluate_pair(fa, fb, env, _POINT_DPS)
        except _OneSideHuge:
            return _no("relation", "one side is astronomically large where the other is not")
        except (ZeroDivisionError, ValueError, Huge, OverflowError, KeyError):
            continue
        tiny = ctx.mpf(10) ** -20
        zx, zy = abs(x) <= tiny, abs(y) <= tiny
        if zx and zy:
            continue
        if zx != zy:
            return _no("relation", "one side vanishes where the other does not")
        r = x / y
        if ratio is None:
            ratio = r
            if positive and (abs(ctx.im(r)) > tiny or ctx.re(r) <= 0):
                return _no("relation", "the inequalities point opposite ways")
        elif not _close(ctx, r, ratio, tiny):
            return _no("relation", "not a constant multiple of each other")
        good += 1
        if good >= _POINTS_WANTED:
            return _yes("relation", "proportional at random points")
    if good >= 2:
        return _yes("relation", "proportional where defined")
    return _no("relation", "too few points where both sides are defined")


def _symbolic_fallback(a: Node, b: Node, budget: Budget, why: str) -> Match:
    verdict = _symbolic.equal(a, b, timeout=budget.left() - _MARGIN)
    if verdict is None:
        return _no("symbolic", f"{why}; SymPy gave no answer within the deadline")
    return Match(verdict, "symbolic", why)

