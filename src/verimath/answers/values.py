"""Typed answer values: what ``parse`` produces and ``equivalent`` compares.

Owns the value types (frozen, slotted dataclasses) and the small expression tree ``Node`` that ``Expr`` holds.
Imports nothing from verimath outside ``verimath.answers``; never imports SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Node:
    """One node of an expression tree.

    ``op`` names the operation; ``args`` holds child nodes, or for leaves the payload:

    - ``num``: ``(Fraction,)`` an exact rational literal
    - ``sym``: ``(name,)`` a free variable; ``const``: ``("pi" | "e" | "i" | "inf",)``
    - ``add``, ``mul``: n-ary; ``neg``; ``div``: ``(a, b)``; ``pow``: ``(base, exponent)``
    - ``func``: ``(name, arg, ...)`` with ``name`` a ``str`` (``sin``, ``log``, ``abs``, ``floor``, ...)
    - ``fact``: ``(n,)``; ``binom``: ``(n, k)``; ``pm``: ``(a, b)`` meaning ``a ± b`` (expanded by ``parse``)
    """

    op: str
    args: tuple[object, ...]

    def __str__(self) -> str:
        return _show(self)


def _show(node: Node) -> str:
    op, a = node.op, node.args
    if op == "num":
        return str(a[0])
    if op in ("sym", "const"):
        return str(a[0])
    if op in ("add", "mul"):
        return "(" + (" + " if op == "add" else "*").join(_show(x) for x in a) + ")"  # type: ignore[arg-type]
    if op == "neg":
        return f"-{_show(a[0])}"  # type: ignore[arg-type]
    if op == "div":
        return f"({_show(a[0])})/({_show(a[1])})"  # type: ignore[arg-type]
    if op == "pow":
        return f"({_show(a[0])})^({_show(a[1])})"  # type: ignore[arg-type]
    if op == "func":
        return f"{a[0]}(" + ", ".join(_show(x) for x in a[1:]) + ")"  # type: ignore[arg-type]
    if op == "fact":
        return f"({_show(a[0])})!"  # type: ignore[arg-type]
    if op == "binom":
        n, k = (_show(x) for x in a)  # type: ignore[arg-type]
        return f"(({n})!/(({k})!(({n}) - ({k}))!))"
    return f"{op}(" + ", ".join(_show(x) for x in a) + ")"  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Number:
    """A real rational number.

    ``precision`` is ``None`` for an exact number (integers, fractions, mixed numbers, repeating decimals)
    and, for a stated decimal such as ``0.866`` or ``1.5e3``, half a unit of its last stated digit
    (``0.0005``, ``50``); ``significant`` counts its significant digits. ``base`` and ``digits`` are set for a
    number written with a base subscript (``1011_2``: value 11, base 2, digits ``"1011"``). ``percent`` marks
    a number written with a percent sign (``28\\%``, ``28 percent``): ``value`` is 28, and ``equivalent`` also
    admits 0.28.
    """

    value: Fraction
    precision: Fraction | None = None
    significant: int = 0
    base: int | None = None
    digits: str = ""
    percent: bool = False

    @property
    def exact(self) -> bool:
        return self.precision is None

    def __str__(self) -> str:
        v = self.value
        if max(v.numerator.bit_length(), v.denominator.bit_length()) > 1000:
            return f"≈{float(v):.6g}" if -1e300 < v < 1e300 else "a number of more than 300 digits"
        shown = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
        return shown + "%" if self.percent else shown


@dataclass(frozen=True, slots=True)
class Expr:
    """Any scalar that is not a rational number: ``\\sqrt{3}/2``, ``2\\pi``, ``3+4i``, ``x^2 - 1``."""

    node: Node
    symbols: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return str(self.node)


@dataclass(frozen=True, slots=True)
class Tuple:
    """An ordered tuple or point ``(1, 2)``; ``(a, b)`` also compares equal to the open interval."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval of the real line; ``lo``/``hi`` are scalars (``Number`` or ``Expr``, ``±\\infty``
    allowed)."""

    lo: Value
    hi: Value
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class Union:
    """A union of intervals and finite sets, ``(-\\infty, 1) \\cup (2, \\infty)``."""

    parts: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class FiniteSet:
    """A finite set ``\\{1, 2\\}`` (order and repetition ignored); ``\\emptyset`` is ``FiniteSet(())``."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """A matrix or vector (``pmatrix``, ``bmatrix``, ...), row by row."""

    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """An equation or inequality, chains allowed: ``sides[0] ops[0] sides[1] ops[1] sides[2] ...``.

    ``ops`` are ``"="``, ``"<"``, ``"<="``, ``">"``, ``">="``, ``"!="``; sides are scalars.
    """

    ops: tuple[str, ...]
    sides: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """A textual answer (``\\text{yes}``, ``Friday``), stored normalised: lower case, single spaces."""

    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A multiple-choice letter: ``C``, ``(C)``, ``\\text{(C)}``."""

    letter: str


@dataclass(frozen=True, slots=True)
class SolutionList:
    """Several answers: ``x=1 or x=2``, ``1, 2``, ``19 and 43``, ``1 \\pm \\sqrt2``; compared as a set.

    ``decimal_comma`` is the other reading of two numbers written ``2,74`` (no space): the decimal 2.74, which
    ``equivalent`` admits against a single number.
    """

    items: tuple[Value, ...]
    decimal_comma: Number | None = None


Value: TypeAlias = (
    Number | Expr | Tuple | Interval | Union | FiniteSet | Matrix | Relation | Text | Choice | SolutionList
)
Scalar: TypeAlias = Number | Expr


def symbols(node: object) -> frozenset[str]:
    """The names of the free variables in an expression tree."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Node):
            if n.op == "sym":
                out.add(n.args[0])  # type: ignore[arg-type]
            else:
                stack.extend(n.args)
    return frozenset(out)


def is_name(node: object) -> bool:
    """Whether a tree only names something: a variable (``x``), or a label built from labels (``AB``,
    ``S_{ABC}:S``, ``|AB|``, ``NO/BO``, ``V_1:V_2``: upper-case or subscripted names joined by products,
    ratios and absolute values). ``xy`` and ``x/y`` are expressions, not labels."""
    return isinstance(node, Node) and (node.op == "sym" or _is_label(node))


def _is_label(node: object) -> bool:
    if not isinstance(node, Node):
        return False
    if node.op == "sym":
        name = str(node.args[0])
        return name[:1].isupper() or "_" in name
    if node.op in ("mul", "div"):
        return all(_is_label(x) for x in node.args)
    return node.op == "func" and node.args[0] == "abs" and _is_label(node.args[1])
