"""Evaluation of expression trees: exactly over the rationals, and numerically with mpmath.

Owns ``exact`` (Fraction or ``NotExact``), ``numeric`` (mpmath value at a given precision, in a per-thread
context so threads never share mpmath's global precision), ``log_magnitude`` (for values too large to build)
and the fixed pseudo-random points of identity testing. Every operation is size-guarded: nothing here
materialises ``10^{10^{10}}`` or ``(10^6)!``. Imports only ``verimath.answers.values`` and ``_budget``.
"""

from __future__ import annotations

import math
import random
import threading
from fractions import Fraction
from typing import Any

from mpmath.ctx_mp import MPContext

from verimath.answers._budget import MAX_EXACT_BITS
from verimath.answers.values import Node


class NotExact(Exception):
    """The node has no exact rational value (it holds a variable, a constant, or is too large to build)."""


class Huge(Exception):
    """A numeric value's magnitude is beyond what we evaluate (a tower of powers, a huge factorial)."""


class Undefined(Exception):
    """Division by zero or an out-of-domain integer operation."""


MAX_FACTORIAL_EXACT = 5_000
MAX_NUMERIC_BITS = 1 << 22
"""Largest binary exponent a numeric value may reach before we call it ``Huge``."""


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _int_root(n: int, k: int) -> int | None:
    """The exact k-th root of n >= 0, or None."""
    if n < 2:
        return n
    r = round(n ** (1.0 / k)) if n.bit_length() < 1000 else int(math.exp(math.log(n) / k))
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**k == n:
            return c
    if n.bit_length() >= 1000:  # refine with integer Newton iterations
        x = r
        for _ in range(200):
            y = ((k - 1) * x + n // max(x, 1) ** (k - 1)) // k
            if y >= x:
                break
            x = y
        for c in (x - 1, x, x + 1):
            if c >= 0 and c**k == n:
                return c
    return None


def _exact_pow(b: Fraction, e: Fraction) -> Fraction:
    if e.denominator != 1:
        q = e.denominator
        if q > 64 or (b < 0 and q % 2 == 0):
            raise NotExact("irrational power")
        sign = -1 if b < 0 else 1
        rn, rd = _int_root(abs(b.numerator), q), _int_root(b.denominator, q)
        if rn is None or rd is None:
            raise NotExact("irrational root")
        b, e = Fraction(sign * rn, rd), Fraction(e.numerator)
    n = e.numerator
    if b == 0:
        if n < 0:
            raise Undefined("0 to a negative power")
        return Fraction(1) if n == 0 else Fraction(0)
    if abs(b) == 1:
        return b ** (n % 2) if b < 0 else Fraction(1)
    if abs(n) * _bits(b) > MAX_EXACT_BITS:
        raise NotExact("power too large to build")
    return b**n


def exact(node: Node) -> Fraction:
    """The exact rational value of ``node``; raises ``NotExact`` or ``Undefined``."""
    op, a = node.op, node.args
    if op == "num":
        return a[0]  # type: ignore[return-value]
    if op == "add":
        total = Fraction(0)
        for x in a:
            total += exact(x)  # type: ignore[arg-type]
            if _bits(total) > MAX_EXACT_BITS:
                raise NotExact("sum too large")
        return total
    if op == "pct":
        return exact(a[0]) / 100  # type: ignore[arg-type]
    if op == "mul":
        out = Fraction(1)
        for x in a:
            out *= exact(x)  # type: ignore[arg-type]
            if _bits(out) > MAX_EXACT_BITS:
                raise NotExact("product too large")
        return out
    if op == "neg":
        return -exact(a[0])  # type: ignore[arg-type]
    if op == "div":
        d = exact(a[1])  # type: ignore[arg-type]
        if d == 0:
            raise Undefined("division by zero")
        quotient = exact(a[0]) / d  # type: ignore[arg-type]
        if _bits(quotient) > MAX_EXACT_BITS:
            raise NotExact("quotient too large")
        return quotient
    if op == "pow":
        return _exact_pow(exact(a[0]), exact(a[1]))  # type: ignore[arg-type]
    if op == "fact":
        n = exact(a[0])  # type: ignore[arg-type]
        if n.denominator != 1 or n < 0:
            raise NotExact("factorial of a non-integer")
        if n > MAX_FACTORIAL_EXACT:
            raise NotExact("factorial too large to build")
        return Fraction(math.factorial(int(n)))
    if op == "binom":
        n, k = exact(a[0]), exact(a[1])  # type: ignore[arg-type]
        if n.denominator != 1 or k.denominator != 1 or n < 0:
            raise NotExact("binomial of non-integers")
        if min(k, n - k) > MAX_FACTORIAL_EXACT or min(k, n - k) * _bits(n) > MAX_EXACT_BITS:
            raise NotExact("binomial too large to build")
        return Fraction(math.comb(int(n), int(k))) if k >= 0 else Fraction(0)
    if op == "func":
        name = a[0]
        if name == "sqrt":
            return _exact_pow(exact(a[1]), Fraction(1, 2))  # type: ignore[arg-type]
        if name == "root":
            n = exact(a[2])  # type: ignore[arg-type]
            if n.denominator != 1 or n < 1:
                raise NotExact("root of non-integer order")
            return _exact_pow(exact(a[1]), Fraction(1, int(n)))  # type: ignore[arg-type]
        if name == "mod":
            n, m = exact(a[1]), exact(a[2])  # type: ignore[arg-type]
            if n.denominator != 1 or m.denominator != 1 or m == 0:
                raise NotExact("mod of non-integers")
            return n % m
        if name in ("abs", "floor", "ceil"):
            v = exact(a[1])  # type: ignore[arg-type]
            return abs(v) if name == "abs" else Fraction(math.floor(v) if name == "floor" else math.ceil(v))
    raise NotExact(op)


# --------------------------------------------------------------------------------------------------- numeric

_local = threading.local()


def context(dps: int) -> MPContext:
    """This thread's private mpmath context, set to ``dps`` decimal digits."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = MPContext()
    ctx.dps = dps
    return ctx


_FUNCS1 = {
    "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsec": "asec", "arccsc": "acsc",
    "arccot": "acot",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "exp": "exp", "sqrt": "sqrt",
}


_PERIODIC_OR_EXPONENTIAL = frozenset(
    {"sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "exp"})
_MAX_ARGUMENT_BITS = 4096


def _check_mag(ctx: MPContext, v: Any) -> Any:
    if v and abs(ctx.mag(v)) > MAX_NUMERIC_BITS:
        raise Huge("value too large to evaluate")
    return v


def numeric(node: Node, env: dict[str, Any], ctx: MPContext) -> Any:
    """The value of ``node`` as an mpmath number in ``ctx``; variables from ``env``.

    Raises ``ZeroDivisionError``/``ValueError`` where undefined and ``Huge`` for values beyond ~2**(2**22).
    """
    op, a = node.op, node.args
    if op == "num":
        q: Fraction = a[0]  # type: ignore[assignment]
        return ctx.mpf(q.numerator) / q.denominator if q.denominator != 1 else ctx.mpf(q.numerator)
    if op == "sym":
        return env[a[0]]  # type: ignore[index]
    if op == "const":
        name = a[0]
        return ctx.pi if name == "pi" else ctx.e if name == "e" else ctx.j if name == "i" else ctx.inf
    if op == "add":
        return ctx.fsum(numeric(x, env, ctx) for x in a)  # type: ignore[arg-type]
    if op == "mul":
        out = ctx.mpf(1)
        for x in a:
            out = _check_mag(ctx, out * numeric(x, env, ctx))  # type: ignore[arg-type]
        return out
    if op == "neg":
        return -numeric(a[0], env, ctx)  # type: ignore[arg-type]
    if op == "pct":
        return numeric(a[0], env, ctx) / 100  # type: ignore[arg-type]
    if op == "div":
        d = numeric(a[1], env, ctx)  # type: ignore[arg-type]
        if d == 0:
            raise ZeroDivisionError
        return numeric(a[0], env, ctx) / d  # type: ignore[arg-type]
    if op == "pow":
        b, e = numeric(a[0], env, ctx), numeric(a[1], env, ctx)  # type: ignore[arg-type]
        if b == 0:
            if ctx.re(e) <= 0:
                raise ZeroDivisionError
            return ctx.zero
        if ctx.isinf(e) or ctx.isinf(b):
            raise Huge("infinite power")
        if abs(e) * (abs(ctx.mag(b)) + 1) > MAX_NUMERIC_BITS:
            raise Huge("power too large to evaluate")
        odd_root = _odd_root_exponent(a[1])  # type: ignore[arg-type]
        if odd_root is not None and ctx.im(b) == 0 and b < 0:  # x^{2/3} of a negative x: the real root
            return _check_mag(ctx, (-1) ** (odd_root.numerator % 2) * ctx.power(-b, e))
        return _check_mag(ctx, ctx.power(b, e))
    if op in ("fact", "binom"):
        xs = [numeric(x, env, ctx) for x in a]  # type: ignore[arg-type]
        if any(abs(x) > 1e6 for x in xs):
            raise Huge("factorial too large to evaluate")
        if op == "fact":
            return ctx.factorial(xs[0])
        return ctx.binomial(xs[0], xs[1])
    if op == "func":
        return _func(a[0], [numeric(x, env, ctx) for x in a[1:]], ctx)  # type: ignore[arg-type]
    raise ValueError(f"cannot evaluate {op}")


def _odd_root_exponent(node: Node) -> Fraction | None:
    """The exponent when it is a rational with an odd denominator > 1 (``2/3``): real powers take the real
    root, as ``\\sqrt[3]{x}^2`` does."""
    if node.op not in ("div", "num", "neg"):
        return None
    try:
        e = exact(node)
    except (NotExact, Undefined):
        return None
    return e if e.denominator % 2 == 1 and e.denominator > 1 else None


def _func(name: str, xs: list[Any], ctx: MPContext) -> Any:
    x = xs[0]
    if name in _PERIODIC_OR_EXPONENTIAL and x and ctx.mag(x) > _MAX_ARGUMENT_BITS:
        raise Huge(f"{name} of an argument too large to reduce")  # sin(10^{10^6}): a million digits of pi
    if name == "abs":
        return abs(x)
    if name in _FUNCS1:
        return getattr(ctx, _FUNCS1[name])(x)
    if name == "log":
        return ctx.ln(x) if len(xs) == 1 else ctx.ln(x) / ctx.ln(xs[1])
    if name == "root":
        n = xs[1]
        if ctx.im(x) == 0 and x < 0 and n == int(n) and int(n) % 2 == 1:
            return -ctx.root(-x, int(n))
        return ctx.power(x, 1 / n)
    if name in ("floor", "ceil"):
        if ctx.im(x) != 0:
            raise ValueError("floor of a complex number")
        return ctx.floor(x) if name == "floor" else ctx.ceil(x)
    if name in ("max", "min"):
        if any(ctx.im(v) != 0 for v in xs):
            raise ValueError("max of complex numbers")
        return max(xs) if name == "max" else min(xs)
    if name in ("gcd", "lcm", "mod"):
        ints = [int(v) for v in xs if ctx.im(v) == 0 and v == int(v)]
        if name == "mod":
            if len(ints) != 2 or ints[1] == 0:
                raise ValueError("mod of non-integers or by zero")
            return ctx.mpf(ints[0] % ints[1])
        if len(ints) != len(xs):
            raise ValueError("gcd of non-integers")
        return ctx.mpf(math.gcd(*ints) if name == "gcd" else math.lcm(*ints))
    raise ValueError(f"unknown function {name}")


def log_magnitude(node: Node, ctx: MPContext) -> Any:
    """``ln|value|`` of a positive constant product of powers, for values too large to evaluate directly."""
    op, a = node.op, node.args
    if op == "pow":
        b = numeric(a[0], {}, ctx)  # type: ignore[arg-type]
        return numeric(a[1], {}, ctx) * ctx.ln(abs(b))  # type: ignore[arg-type]
    if op == "mul":
        return ctx.fsum(log_magnitude(x, ctx) for x in a)  # type: ignore[arg-type]
    if op == "div":
        return log_magnitude(a[0], ctx) - log_magnitude(a[1], ctx)  # type: ignore[arg-type]
    if op == "neg":
        return log_magnitude(a[0], ctx)  # type: ignore[arg-type]
    if op == "fact":
        return ctx.loggamma(numeric(a[0], {}, ctx) + 1)  # type: ignore[arg-type]
    return ctx.ln(abs(numeric(node, {}, ctx)))


def _make_points(count: int, width: int) -> tuple[tuple[Fraction, ...], ...]:
    rng = random.Random(0x5EED)
    points = []
    for k in range(count):
        row = []
        for j in range(width):
            # every variable takes both signs among any two consecutive points
            sign = -1 if (k + j) % 2 else 1
            row.append(Fraction(rng.randint(150, 2900), 1009) * sign)
        points.append(tuple(row))
    return tuple(points)


POINTS = _make_points(10, 12)
"""Fixed pseudo-random test points in [-2.9, -0.15] ∪ [0.15, 2.9], signs alternating; one row per point."""
