"""Numbers as text: canonical strings for answers, and surface styles for question slots.

A slot ``{x,forty-two}`` shows its sampled number in the style of its default: digits, digits with thousands
commas, a fixed number of decimals, a fraction ``p/q``, English words, a multiplier (``twice``, ``three
times``, ``double``) or a fraction in words (``half``, ``a third``, ``two-thirds``). Pure functions, no
imports from verimath.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

__all__ = ["canonical", "int_to_words", "parse_number_text", "render_in_style", "style_of"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}
_WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | {w: 10 * i for i, w in enumerate(_TENS) if w}
_MULTIPLE = {2: "double", 3: "triple", 4: "quadruple", 5: "quintuple"}
_ADVERB = {1: "once", 2: "twice"}


def int_to_words(n: int) -> str:
    """English words for an integer: ``42 -> 'forty-two'``, ``1300 -> 'one thousand three hundred'``."""
    if n < 0:
        return "minus " + int_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    for scale, word in _SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            return f"{int_to_words(head)} {word}" + (f" {int_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def _ordinal(n: int, plural: bool) -> str:
    if n == 2:
        return "halves" if plural else "half"
    if n == 4:
        return "quarters" if plural else "quarter"
    words = int_to_words(n)
    head, sep, last = words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    word = f"{head}{sep}{last}"
    return word + ("s" if plural else "")


def parse_number_text(text: str) -> Fraction | None:
    """Read a number written in digits (``1,200``, ``$3.50``, ``12%``, ``3/4``, ``-2``) or small English
    words (``forty-two``); ``None`` when the text is not a number."""
    t = text.strip().replace(",", "").lstrip("$€£¥₹").rstrip("%").strip()
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", t):
        return Fraction(t)
    m = re.fullmatch(r"([-+]?\d+)\s*/\s*(\d+)", t)
    if m and int(m.group(2)):
        return Fraction(int(m.group(1)), int(m.group(2)))
    words = t.lower().replace("-", " ").split()
    if words and all(w in _WORD_VALUES for w in words):
        return Fraction(sum(_WORD_VALUES[w] for w in words))
    return None


def _decimal(x: Fraction) -> str | None:
    """The exact decimal of ``x`` when it terminates (denominator of only 2s and 5s), else ``None``."""
    d, twos, fives = x.denominator, 0, 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    places = max(twos, fives)
    scaled = abs(x.numerator) * 10**places // x.denominator
    digits = str(scaled).rjust(places + 1, "0")
    body = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return ("-" if x < 0 else "") + body


def canonical(value: Any) -> str:
    """The canonical text of a computed value: ``12``, ``2.5``, ``1/3`` (no float noise), or the string."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return _decimal(value) or f"{value.numerator}/{value.denominator}"
    if isinstance(value, float):
        return canonical(Fraction(repr(value)))
    return str(value)


def style_of(default: str) -> str:
    """Classify a slot's default text into a rendering style name."""
    d = default.strip().lower()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", d):
        return "commas"
    if re.fullmatch(r"-?\d+\.\d+", d):
        return f"decimal{len(d.split('.')[1])}"
    if re.fullmatch(r"-?\d+", d):
        return "digits"
    if re.fullmatch(r"\d+\s*/\s*\d+", d):
        return "fraction"
    if d in ("once", "twice", "thrice") or d.endswith(" times"):
        return "adverb"
    if d in _MULTIPLE.values():
        return "multiple"
    words = d.replace("-", " ").split()
    if words and all(w in _WORD_VALUES for w in words):
        return "words"
    if words and words[0] == "a" and len(words) == 2:
        return "fraction_article"
    if any(w.rstrip("s") in ("half", "halve", "third", "quarter", "fifth", "sixth", "eighth", "tenth")
           for w in words):
        return "fraction_spaced" if " " in d and "-" not in d else "fraction_words"
    return "digits"


def _fraction_words(x: Fraction, sep: str, article: bool) -> str:
    if x.numerator == 1:
        if x.denominator == 2 and not article:
            return "half"
        return ("a " if article else f"one{sep}") + _ordinal(x.denominator, plural=False)
    return f"{int_to_words(x.numerator)}{sep}{_ordinal(x.denominator, plural=True)}"


def render_in_style(value: Any, style: str) -> str:
    """Text for a sampled value in a slot's style; falls back to the canonical text where a style cannot
    express the value (a non-whole number in words, say)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        return canonical(value)
    x = Fraction(value)
    whole = x.denominator == 1
    if style == "digits":
        return canonical(x)
    if style == "commas":
        text = canonical(x)
        head, dot, tail = text.partition(".")
        return f"{int(head):,}{dot}{tail}" if head.lstrip("-").isdigit() else text
    if style.startswith("decimal"):
        places = int(style[len("decimal"):])
        text = _decimal(x)
        if text is not None and len(text.partition(".")[2]) <= places:
            head, _, tail = text.partition(".")
            return f"{head}.{tail.ljust(places, '0')}"
        return canonical(x)
    if style == "fraction":
        return f"{x.numerator}/{x.denominator}" if not whole else str(x.numerator)
    if style == "words" and whole and x >= 0:
        return int_to_words(x.numerator)
    if style == "adverb" and whole and x > 0:
        n = x.numerator
        return _ADVERB.get(n, f"{int_to_words(n)} times")
    if style == "multiple" and whole and x.numerator in _MULTIPLE:
        return _MULTIPLE[x.numerator]
    if style in ("fraction_words", "fraction_spaced", "fraction_article", "adverb", "multiple") and 0 < x < 1:
        return _fraction_words(x, " " if style == "fraction_spaced" else "-", style == "fraction_article")
    if style in ("fraction_words", "fraction_spaced", "fraction_article", "multiple") and whole and x > 0:
        return _ADVERB.get(x.numerator, f"{int_to_words(x.numerator)} times")
    return canonical(x)
