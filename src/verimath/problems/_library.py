"""What a template's ``#init:`` may call and name: domain functions and built-in word lists.

GSM-Symbolic's templates name lists (``names_female``, ``fraction_alnum``, ``multi_times``, ...) and functions
(``range``, ``sample``, ``sample_sequential``, ``np.arange``, ``numbers_within``, ...) whose definitions Apple
never published; these are ours. Numeric lists hold exact values (``Fraction``); how a value reads in a
question (``half``, ``1/2``, ``0.5``) is decided by the slot's default text, not by the list. Random functions
draw from a :class:`random.Random` held in an :class:`RngBox`, so one seeded generator drives a whole
template.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from verimath.problems._expr import MAX_SEQUENCE, ExprError, Labeled, as_number, sequence

__all__ = ["LISTS", "RANDOM_FUNCTIONS", "RngBox", "make_functions"]

F = Fraction

NAMES_FEMALE = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail", "Emily",
    "Ella", "Chloe", "Grace", "Zoe", "Nora", "Lily", "Hannah", "Aisha", "Priya", "Mei", "Yuki", "Fatima",
    "Sofia", "Valentina", "Camila", "Leila", "Ananya", "Ngozi", "Ingrid", "Rosa", "Julia", "Maya", "Elena",
    "Sara", "Nadia", "Keiko", "Amara", "Lucia", "Hana",
)
NAMES_MALE = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry", "Theo", "Jack",
    "Leo", "Samuel", "David", "Daniel", "Omar", "Ravi", "Kenji", "Mateo", "Diego", "Hiroshi", "Arjun",
    "Kwame", "Ahmed", "Ivan", "Carlos", "Luis", "Tariq", "Pedro", "Ethan", "Max", "Felix", "Hugo", "Jamal",
    "Wei", "Yusuf", "Andre", "Marco", "Sven", "Tomas",
)

LISTS: dict[str, tuple[Any, ...]] = {
    "names_female": NAMES_FEMALE,
    "names_male": NAMES_MALE,
    "names": NAMES_FEMALE + NAMES_MALE,
    "currencies_sym": ("$", "€", "£", "¥", "₹"),
    "fractions": (F(1, 2), F(1, 3), F(1, 4), F(1, 5), F(1, 6), F(1, 8), F(1, 10), F(2, 3), F(3, 4), F(2, 5),
                  F(3, 5), F(4, 5), F(3, 10)),
    "fraction_alnum": (F(1, 2), F(1, 3), F(1, 4), F(1, 5), F(1, 8), F(1, 10), F(2, 3), F(3, 4), F(2, 5),
                       F(3, 5)),
    "fraction_alph": (F(1, 2), F(1, 3), F(1, 4), F(1, 5), F(1, 10), F(2, 3), F(3, 4)),
    "fraction_nums": (F(1, 2), F(1, 3), F(1, 4), F(1, 5), F(2, 3), F(3, 4), F(2, 5), F(3, 5), F(4, 5)),
    "fraction_decimals": (F(1, 10), F(1, 5), F(1, 4), F(3, 10), F(2, 5), F(1, 2), F(3, 5), F(3, 4), F(4, 5)),
    "multi_times": (2, 3, 4, 5),
    "multiple_ice": (2, 3),
    "multiple": (2, 3, 4),
    "fruits": ("apple", "banana", "orange", "pear", "peach", "mango", "plum", "kiwi", "lemon", "apricot"),
    "sports": ("soccer", "basketball", "tennis", "volleyball", "baseball", "hockey", "badminton", "cricket"),
    "colors": ("red", "blue", "green", "yellow", "purple", "orange", "pink", "white", "black", "brown"),
    "cities": ("Lisbon", "Nairobi", "Osaka", "Toronto", "Lima", "Oslo", "Hanoi", "Denver", "Cairo", "Perth"),
    "weekdays": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "weights_sm": ("ounce", "gram"),
    "weights_med": ("pound", "kilogram"),
    "length_lg": ("mile", "kilometer"),
    "length_sm": ("inch", "centimeter"),
}


class RngBox:
    """The random generator the random functions draw from; swapped per template and seed."""

    __slots__ = ("rng",)

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random(0)


def _int(x: Any, what: str) -> int:
    x = as_number(x)
    if not isinstance(x, int):
        raise ExprError(f"{what} must be a whole number, got {x}")
    return x


def _range(*args: Any) -> range:
    r = range(*(_int(a, "range() argument") for a in args))
    if len(r) > 10_000_000:
        raise ExprError("range() larger than 10,000,000 values")
    return r


def _frange(start: Any, stop: Any, step: Any = 1) -> list[Any]:
    start, stop, step = (Fraction(as_number(v)) for v in (start, stop, step))
    if step <= 0:
        raise ExprError("arange/frange step must be positive")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_SEQUENCE:
        raise ExprError(f"arange/frange larger than {MAX_SEQUENCE} values")
    return [as_number(start + i * step) for i in range(count)]


def _labeled(x: Any) -> Any:
    """A ``(label, number)`` pair from a list becomes a :class:`Labeled` value."""
    if isinstance(x, tuple) and len(x) == 2 and isinstance(as_number(x[1]), int | Fraction):
        return Labeled(x[0], as_number(x[1]))
    return x


def make_functions(box: RngBox, *, widen: int = 1) -> dict[str, Callable[..., Any]]:
    """The whitelisted functions, random ones bound to ``box``. ``widen`` multiplies the bounds of every
    ``range(...)`` (the step stays), so sampled integers get more digits than the template's own."""

    def widened_range(*args: Any) -> range:
        if widen == 1:
            return _range(*args)
        bounds = [_int(a, "range() argument") for a in args]
        if len(bounds) == 1:
            bounds = [0, bounds[0]]
        return _range(bounds[0] * widen, bounds[1] * widen, *bounds[2:])

    def sample(seq: Any, k: Any = None) -> Any:
        seq = sequence(seq)
        if not len(seq):
            raise ExprError("sample() from an empty list")
        if k is None:
            return _labeled(seq[box.rng.randrange(len(seq))])
        k = _int(k, "sample() size")
        if k > len(seq):
            raise ExprError(f"sample() of {k} from a list of {len(seq)}")
        return tuple(_labeled(v) for v in box.rng.sample(seq, k))

    def sample_sequential(seq: Any, k: Any) -> tuple[Any, ...]:
        seq, k = sequence(seq), _int(k, "sample_sequential() size")
        if k > len(seq):
            raise ExprError(f"sample_sequential() of {k} from a list of {len(seq)}")
        start = box.rng.randrange(len(seq) - k + 1)
        return tuple(seq[start:start + k])

    def shuffle_list(seq: Any) -> list[Any]:
        items = list(sequence(seq))
        box.rng.shuffle(items)
        return items

    def randint(low: Any, high: Any = None, size: Any = None) -> Any:
        low, high = (0, _int(low, "randint()")) if high is None else (_int(low, "randint()"),
                                                                      _int(high, "randint()"))
        if high <= low:
            raise ExprError("randint() needs low < high")
        if size is None:
            return box.rng.randrange(low, high)
        n = _int(size, "randint() size")
        if n > MAX_SEQUENCE:
            raise ExprError("randint() size too large")
        return [box.rng.randrange(low, high) for _ in range(n)]

    def to_list(seq: Any = ()) -> list[Any]:
        seq = sequence(seq)
        if len(seq) > MAX_SEQUENCE:
            raise ExprError(f"list() larger than {MAX_SEQUENCE} values")
        return list(seq)

    def is_int(x: Any) -> bool:
        x = as_number(x)
        return isinstance(x, int) and not isinstance(x, bool)

    def divides(a: Any, b: Any) -> bool:
        """``divides(a, b)``: ``b`` divides ``a`` exactly (GSM-Symbolic's reading, checked on its
        defaults)."""
        a, b = as_number(a), as_number(b)
        return b != 0 and (Fraction(a) / b).denominator == 1

    def to_int(x: Any) -> int:
        return int(as_number(x))  # truncates toward zero, like Python's int(float)

    def to_round(x: Any, n: Any = None) -> Any:
        x = Fraction(as_number(x))
        return as_number(round(x)) if n is None else as_number(round(x, _int(n, "round() digits")))

    def to_fraction(x: Any, d: Any = 1) -> Any:
        return as_number(Fraction(as_number(x)) / Fraction(as_number(d)))

    def number(x: Any) -> Any:
        return as_number(x)

    def fix_floats(x: Any) -> Any:
        # Values are exact already; GSM-Symbolic used this to strip binary floating-point noise.
        return x

    def format_frac(x: Any) -> str:
        """A mixed number: ``7/2 -> '3 1/2'``."""
        x = Fraction(as_number(x))
        whole, rest = divmod(abs(x.numerator), x.denominator)
        sign = "-" if x < 0 else ""
        if not rest:
            return f"{sign}{whole}"
        return f"{sign}{whole} {rest}/{x.denominator}" if whole else f"{sign}{rest}/{x.denominator}"

    def numbers_within(low: Any, high: Any) -> range:
        return _range(low, _int(high, "numbers_within()") + 1)

    return {
        "range": widened_range, "frange": _frange, "arange": _frange, "np.arange": _frange,
        "numbers_within": numbers_within, "sample": sample, "sample_sequential": sample_sequential,
        "shuffle_list": shuffle_list, "format_frac": format_frac, "randint": randint,
        "np.random.randint": randint,
        "list": to_list, "fix_floats": fix_floats, "is_int": is_int, "divides": divides, "int": to_int,
        "round": to_round, "Fraction": to_fraction, "float": number, "abs": lambda x: abs(as_number(x)),
        "min": lambda *a: min(*(as_number(v) for v in (a[0] if len(a) == 1 else a))),
        "max": lambda *a: max(*(as_number(v) for v in (a[0] if len(a) == 1 else a))),
        "sum": lambda seq: as_number(sum(as_number(v) for v in sequence(seq))),
        "len": lambda seq: len(seq), "str": lambda x: str(x),
        "gcd": lambda a, b: math.gcd(_int(a, "gcd()"), _int(b, "gcd()")),
        "lcm": lambda a, b: math.lcm(_int(a, "lcm()"), _int(b, "lcm()")),
    }


RANDOM_FUNCTIONS = frozenset({"sample", "sample_sequential", "shuffle_list", "randint", "np.random.randint"})

