"""Normalisation and tokenisation of answer text (LaTeX and plain math).

Owns the string clean-up before parsing (``$``, ``\\left``, spacing, ``\\dfrac``, degrees — kept as an angle
only inside trigonometric functions —, percent, currency, quotes and code spans, Python's ``**``, implication
arrows), the classification of words (functions, units, separators, prose, negations, CJK words, text) and
the token list the parser reads.
Imports nothing from verimath.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from verimath.errors import InputError


@dataclass(slots=True)
class Tok:
    """One token: ``kind`` in num, id, cmd, op, word, sep, choice, begin, end, eof; ``pos``/``end`` in the
    text."""

    kind: str
    text: str
    pos: int
    end: int


SPECIAL_TOKENS = re.compile(r"<\|[A-Za-z0-9_]{1,40}\|>|</?s>|<eos>|<pad>")
"""A model's special tokens left in its text (``<|im_end|>``, ``</s>``): never part of an answer."""
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters never belong to an answer (tab, newline and carriage return are spacing)."""
_REMOVE = re.compile(
    r"\\(?:left|right)(?![a-zA-Z])\.?|\\(?:displaystyle|textstyle|limits|[bB]igg?[lr]?|"
    r"hspace\*?\{[^}]*\}|phantom\{[^}]*\})(?![a-zA-Z])|(?<!\\)\\[!,;:]"
)
_THIN_THOUSANDS = re.compile(r",\s*\\!\s*(?=\d{3}(?!\d))")
_SPACE = re.compile(r"\\q?quad|(?<!\\)\\ |~")  # also the glued ``\\quadx`` of careless writers
# A degree mark, with the scale it may name (4°C, 40^\\circ F).
_DEGREES = re.compile(r"(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree"
                      r"|\^\s*\{\s*\\text\{\s*o\s*\}\s*\})(?:\s*(?:\\(?:mathrm|text)\s*\{\s*[CF]\s*\}|[CF](?![a-zA-Z])))?")
_TRIG = re.compile(r"(?:\\|\b)(?:arc)?(?:sin|cos|tan|sec|csc|cot)(?![a-zA-Z])")
_PERCENT = re.compile(r"\\%|%|\\percent(?![a-zA-Z])")
# ``\\ldots`` in a list is part of the answer (``1, 2, 3, \\ldots`` is not ``1, 2, 3``): one token for every
# spelling.
_DOTS = re.compile(r"\\[lc]?dots[bciom]?(?![a-zA-Z])|\.\.\.|…")
_GROUP_COMMA = re.compile(r"\{\s*,\s*\}")
# ``\\\\frac`` (a doubled backslash, from code that escaped LaTeX twice) means ``\\frac`` outside matrices.
_BACKSLASHES = re.compile(r"\\+")
_DOUBLED_BACKSLASH = re.compile(r"\\\\(?=[a-zA-Z])")
_DOLLAR = re.compile(r"\\\$|\$|\\textdollar|[€£¥₹]|\\(?:euro|pounds|textsterling)(?![a-zA-Z])"
                     r"|\b(?:USD|EUR|GBP|JPY|INR|CNY|RMB)\b")
# A rate unit after a number (5 m/s, 60 km/h, 9.8 m/s^2): a unit, not a division of variables.
_RATE_UNIT = re.compile(r"(?<=\d)\s*(?:k?m|cm|mm|ft|mi)\s*/\s*(?:s|sec|h|hr|hour|min)"
                        r"(?:\^\{?2\}?|²)?(?![A-Za-z])")
# An implication arrow: what follows the last one is the answer (2x = 4 \\implies x = 2).
_IMPLIES = re.compile(r"=>|⇒|→|⟹|\\(?:Rightarrow|Longrightarrow|implies|rightarrow|longrightarrow)"
                      r"(?![a-zA-Z])")
# "3 \\pmod{7}", "3 (mod 7)": the modulus a congruence is taken in, not part of the value.
_MODULUS = re.compile(r"\\pmod\s*(?:\{[^{}]*\}|\d+)|\(\s*(?:\\bmod|\\mod|mod)\s*\d+\s*\)")
_LEIBNIZ = re.compile(r"\\frac\s*\{\s*d\s*([a-zA-Z])\s*\}\s*\{\s*d\s*[a-zA-Z]\s*\}")  # dy/dx is y'
PYTHON_POWER = re.compile(r"(?<=[\w)\]}])\s*\*\*\s*(?=[\w(\[{+-])")
"""Python's power operator between operands (``x**2``), never markdown's ``**bold**``."""
_HEADING = re.compile(r"^#{1,6}\s+")  # a markdown heading "# 42"
_QUOTES = "`\"'"
_QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"|'([^']+)'")  # `3`, "3", '3': code or a quotation
_FRAC = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_BINOM = re.compile(r"\\[dt]binom(?![a-zA-Z])")
# Unicode spellings that are not single tokens (vulgar fractions, squares, the reals, the empty set).
_UNICODE_SPELLED = {"½": "\\frac{1}{2}", "⅓": "\\frac{1}{3}", "⅔": "\\frac{2}{3}",
                    "¼": "\\frac{1}{4}", "¾": "\\frac{3}{4}", "⅛": "\\frac{1}{8}", "ℝ": "(-\\infty,\\infty)",
                    "∅": "\\emptyset", "∈": "\\in",
                    "⋅": "\\cdot", "∗": "*"}
_UNICODE_SPELLED.update({"∛": "\\sqrt[3]", "∜": "\\sqrt[4]"})
_UNICODE_MATH = re.compile("|".join(_UNICODE_SPELLED))
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")  # 10⁻³, x²: one exponent
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# "6.02x10^23": a letter x between a number and a power of ten is a times sign; log10(x) is \\log_{10}(x).
_TIMES_TEN = re.compile(r"(?<=\d)\s*[xX]\s*(?=10\s*\^)")
_LOG_BASE = re.compile(r"(?<![\\a-zA-Z])log(10|2)(?=\s*\()")
_MEASURE_OF_ANGLE = re.compile(r"\bm\s*(?=\\angle(?![a-zA-Z]))")  # m\\angle A is the angle A
_ANGLE = re.compile(r"\\[lr]angle(?![a-zA-Z])|[⟨⟩]")
# A remark in parentheses after a number, "32 (pet fish)", "5 (five)", "8 (km/hour)": words about the answer.
REMARK = re.compile(r"(?<=\d)\s+\((?:[a-z]|[A-Za-z][A-Za-z' ./-]+)\)")
_REALS = re.compile(r"\\mathbb\s*\{?\s*R\s*\}?|\\R(?![a-zA-Z])|\ball real numbers\b", re.IGNORECASE)
_MATH_WRAP = re.compile(r"\\(?:mathbf|boldsymbol|mathit|bm|mathbb|mathsf|mathcal)(?![a-zA-Z])")

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<begin>\\begin\s*\{\s*([a-zA-Z]+\*?)\s*\}(?:\s*\{[lcr| ]*\})?)"
    r"|(?P<end>\\end\s*\{\s*([a-zA-Z]+\*?)\s*\})"
    r"|(?P<text>\\(?:text|textbf|textit|textrm|textnormal|textup|mbox|mathrm|hbox|texttt|textsf)\s*\{)"
    r"|(?P<opname>\\operatorname\*?\s*\{\s*([a-zA-Z]+)\s*\})"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+(?![a-zA-Z]))?)"
    r"|(?P<cmd>\\[a-zA-Z]+|\\[{}|])"
    r"|(?P<word>[a-zA-Z]+)"
    r"|(?P<cjk>[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+)"
    r"|(?P<op><=|>=|!=|==|\\\\|[+\-*/^_()\[\]{},;|!=<>&:'%])"
    r"|(?P<uni>[≈≤≥≠±∓∞π√·×÷−–∪°])"
)

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
"""A run of Chinese, Japanese or Korean letters: words (units such as 页 after a number, or prose)."""

_UNI = {"≈": "\\approx",
        "≤": "\\leq", "≥": "\\geq", "≠": "\\neq", "±": "\\pm", "∓": "\\mp", "∞": "\\infty", "π": "\\pi",
        "√": "\\sqrt", "·": "\\cdot", "×": "\\times", "÷": "\\div", "−": "-", "–": "-", "∪": "\\cup",
        "°": "°"}

FUNCTIONS = frozenset(
    ["sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "arcsec", "arccsc", "arccot",
     "sinh", "cosh", "tanh", "log", "ln", "exp", "sqrt", "abs", "gcd", "lcm", "max", "min", "floor", "ceil"]
)
SEPARATORS = frozenset({"and", "or", "andor"})
_PERCENT_WORDS = frozenset({"percent", "pct", "percentage"})
_WORDS_SHORT = frozenset(
    ["yes", "no", "not", "none", "nil", "dne", "all", "the", "of", "to", "is", "are", "one", "two", "six",
     "ten", "odd", "and", "or", "am", "pm", "cm", "mm", "km", "kg", "mg", "ft", "yd", "mi", "lb", "lbs", "oz",
     "hr", "hrs", "min", "sec", "mph", "kph", "day", "units", "inch", "in", "cents", "usd", "sq", "deg",
     "rad", "per",
     # words that open or carry a sentence ("So x = 3", "We get 5", "it must be 5"): prose, never a product
     # of one-letter names (short names such as "ab" or "xy" still are)
     "so", "we", "get", "got", "let", "now", "has", "had", "was", "can", "but", "yet", "its", "it", "for",
     "be", "if", "as", "nor", "isn"]
)
NEGATIONS = frozenset({"not", "never", "nor", "neither", "isn", "aren", "cannot"})
"""Words that deny the value after them: "not 5" states no answer."""
_LETTERS = re.compile(r"[a-zA-Z]{2}|[a-zA-Z]\.")
_INFINITY_WORDS = frozenset({"inf", "infty", "infinity"})
_NUMBER_THEN_WORDS = re.compile(r"[-+]?\d[\d,.]*\s+[A-Za-z][A-Za-z ]*")
_CHOICE = re.compile(r"\(?\s*([A-J])\s*\)?\.?")


@functools.lru_cache(maxsize=65_536)
def normalise(text: str) -> str:
    """Remove what never changes an answer's value: math delimiters, sizing, spacing, currency, degrees."""
    s = text.strip()
    if "<" in s and SPECIAL_TOKENS.search(s):
        s = SPECIAL_TOKENS.sub(" ", s).strip()
    if "\\\\" in s:
        if "\\begin" not in s:
            s = _DOUBLED_BACKSLASH.sub(r"\\", s)
        elif all(len(run) % 2 == 0 for run in _BACKSLASHES.findall(s)):  # a matrix escaped twice
            s = s.replace("\\\\", "\\")
    for a, b in (("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(a) and s.endswith(b):
            s = s[2:-2]
    s = _THIN_THOUSANDS.sub(",", s)  # 11,\! 111 is one number: spaces are insignificant in TeX math
    s = _SPACE.sub(" ", _REMOVE.sub("", s))
    s = _DOTS.sub(r" \\ldots ", _GROUP_COMMA.sub("", s))
    # degrees are dropped (90° is 90), but inside a trigonometric function they are an angle: \\sin 30° is 1/2
    if _DEGREES.search(s):
        s = _DEGREES.sub(" ° " if _TRIG.search(s) else "", s)
    s = _PERCENT.sub(" % ", s)
    s = _DOLLAR.sub("", s)
    s = _RATE_UNIT.sub(" ", s)
    s = _FRAC.sub(r"\\frac", s)
    if "{d" in s:
        s = _LEIBNIZ.sub(r"\1'", s)
    if "=>" in s or "\\implies" in s or "arrow" in s or not s.isascii():
        s = _IMPLIES.sub(r" \\implies ", s)
    if "mod" in s:
        s = _MODULUS.sub(" ", s)
    if "10" in s and ("x" in s or "X" in s):
        s = _TIMES_TEN.sub(r" \\times ", s)
    if "log" in s:
        s = _LOG_BASE.sub(r"\\log_{\1}", s)
    if "**" in s:
        s = PYTHON_POWER.sub("^", s)
    if not s.isascii():
        s = _UNICODE_MATH.sub(lambda m: _UNICODE_SPELLED[m.group()], s)
        s = _SUPERSCRIPTS.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPT_DIGITS) + "}", s)
    s = _BINOM.sub(r"\\binom", s)
    s = _REALS.sub(r"(-\\infty,\\infty)", s)
    if "angle" in s:
        s = _MEASURE_OF_ANGLE.sub("", s)
    s = _ANGLE.sub(lambda m: "(" if m.group() in ("\\langle", "⟨") else ")", s)  # the vector <1, 2> is (1, 2)
    s = _MATH_WRAP.sub("", s)
    s = REMARK.sub("", s)
    s = s.strip()
    if s.startswith("#"):
        s = _HEADING.sub("", s)
    s = s.rstrip(".").strip()
    quoted = _QUOTED.fullmatch(s) if s[:1] in _QUOTES else None
    return next(g for g in quoted.groups() if g).strip() if quoted else s


BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)
"""A brace or an escaped character (``\\{`` is not structure)."""


def balanced(text: str) -> bool:
    """Whether every ``{`` in ``text`` closes in order (escaped ``\\{`` aside): broken LaTeX is never an
    answer."""
    depth = 0
    for match in BRACE_TOKENS.finditer(text):
        depth += {"{": 1, "}": -1}.get(match.group(), 0)
        if depth < 0:
            return False
    return depth == 0


def _matching_brace(s: str, i: int) -> int:
    """Index just past the brace group that starts at s[i] == '{' (unbalanced: error)."""
    depth = 0
    for j in range(i, len(s)):
        c = s[j]
        if c == "\\":
            continue
        if c == "{" and (j == 0 or s[j - 1] != "\\"):
            depth += 1
        elif c == "}" and (j == 0 or s[j - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return j + 1
    raise InputError("unbalanced braces in \\text{...}", field="answer")


def _word_tokens(word: str, pos: int, text_mode: bool, out: list[Tok]) -> None:
    low = word.lower()
    end = pos + len(word)
    if low in SEPARATORS:
        out.append(Tok("sep", low, pos, end))
    elif low in _PERCENT_WORDS:
        out.append(Tok("op", "%", pos, end))
    elif text_mode and len(word) > 1:
        out.append(Tok("word", low, pos, end))
    elif low in FUNCTIONS and not text_mode:
        out.append(Tok("cmd", "\\" + low, pos, end))
    elif low == "mod" and not text_mode:
        out.append(Tok("cmd", "\\bmod", pos, end))
    elif low == "pi":
        out.append(Tok("cmd", "\\pi", pos, end))
    elif low in _INFINITY_WORDS:
        out.append(Tok("cmd", "\\infty", pos, end))
    elif len(word) == 1 or (word.isupper() and len(word) <= 3):  # x, or a name such as AB, NO
        out.append(Tok("id", word, pos, end))
    elif len(word) <= 3 and low not in _WORDS_SHORT and not word.isupper():
        out.extend(Tok("id", c, pos + k, pos + k + 1) for k, c in enumerate(word))
    else:
        out.append(Tok("word", low, pos, end))


def tokenize(s: str, *, text_mode: bool = False, offset: int = 0) -> list[Tok]:
    """Tokens of normalised text; ``\\text{...}`` content is classified (separator, choice, words, math)."""
    out: list[Tok] = []
    i, n = 0, len(s)
    while i < n:
        m = _TOKEN.match(s, i)
        if m is None:
            raise InputError(f"unexpected character {s[i]!r} at {offset + i}", field="answer")
        kind = m.lastgroup
        j = m.end()
        p = offset + i
        if kind == "ws":
            pass
        elif kind == "text":
            close = _matching_brace(s, j - 1)
            _text_tokens(s[j : close - 1], offset + j, out)
            j = close
        elif kind == "begin":
            out.append(Tok("begin", m.group(3), p, offset + j))
        elif kind == "end":
            out.append(Tok("end", m.group(5), p, offset + j))
        elif kind == "opname":
            _word_tokens(m.group(7), p, False, out)
        elif kind == "word":
            _word_tokens(m.group(), p, text_mode, out)
        elif kind == "cjk":  # 3页, 858颗: a unit word, never a name
            out.append(Tok("word", m.group(), p, offset + j))
        elif kind == "uni":
            t = _UNI[m.group()]
            out.append(Tok("cmd" if t.startswith("\\") else "op", t, p, offset + j))
        else:
            out.append(Tok(kind, m.group(), p, offset + j))  # type: ignore[arg-type]
        i = j
    return out


def _text_tokens(content: str, offset: int, out: list[Tok]) -> None:
    c = content.strip()
    if not c:
        return
    m = _CHOICE.fullmatch(c)
    if m:
        out.append(Tok("choice", m.group(1), offset, offset + len(content)))
        return
    if c.lower() in SEPARATORS:
        out.append(Tok("sep", c.lower(), offset, offset + len(content)))
    elif c.lower() in _INFINITY_WORDS:  # \\text{infinity}
        out.append(Tok("cmd", "\\infty", offset, offset + len(content)))
    elif (_LETTERS.search(c) and not _NUMBER_THEN_WORDS.fullmatch(c)) or (
            len(c) == 1 and c.islower() and c not in "ei"):  # \\text{m} is a unit; \\text{3 apples} a number
        out.append(Tok("word", " ".join(c.lower().split()), offset, offset + len(content)))
    else:
        out.extend(tokenize(content, text_mode=True, offset=offset))
