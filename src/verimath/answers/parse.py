"""``parse(text) -> Value``: a hand-written recursive-descent (precedence-climbing) parser for final answers.

Owns the grammar of the answer subset of LaTeX and plain math; ``_convert`` turns its tree into typed values
(``verimath.answers.values``). Pure and thread-safe (no global state besides an LRU cache of results); never
``eval``s input; never imports SymPy. Imports only ``verimath.answers`` internals and ``verimath.errors``.

Grammar, loosest binding first::

    answer   := item ((',' | ';' | 'and' | 'or') item)*          -> SolutionList when more than one
    item     := relation unit-words*                              (trailing words such as "cm" are units)
    relation := union (relop union)*                              (= < > <= >= != \\in; chains allowed)
    union    := sum ('\\cup' sum)*
    sum      := product (('+' | '-' | '\\pm' | '\\mp') product)*
    product  := unary (('*' | '/' | '\\cdot' | '\\times' | '\\div') unary | implicit-factor)*
    unary    := ('-' | '+' | '\\pm') unary | power
    power    := postfix ('^' script)?
    postfix  := atom ('_' script | '!')*
    atom     := number | variable | constant | '(' list ')' | '[' list ')' | '\\{' list '\\}' | '|' sum '|'
              | \\frac a b | \\sqrt[n] a | \\binom a b | function | \\lfloor sum \\rfloor | matrix | choice
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

from verimath.answers._budget import MAX_ANSWER_CHARS, MAX_DEPTH
from verimath.answers._convert import to_value
from verimath.answers._lexer import FUNCTIONS, NEGATIONS, Tok, normalise, tokenize
from verimath.answers.values import (
    Choice,
    Node,
    Number,
    SolutionList,
    Text,
    Value,
)
from verimath.errors import InputError

_RELOPS = {
    "=": "=", "==": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!=",
    "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">=",
    "\\lt": "<", "\\gt": ">", "\\ne": "!=", "\\neq": "!=", "\\approx": "≈", "\\in": "in", "\\equiv": "=",
}
_GREEK = frozenset(
    ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
     "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
     "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"]
)
_TRIG_INVERSE = {"sin": "arcsin", "cos": "arccos", "tan": "arctan", "sec": "arcsec", "csc": "arccsc",
                 "cot": "arccot"}
_SYSTEM_ENVS = frozenset({"cases", "aligned", "align", "align*", "gathered"})
_MATRIX_ENVS = frozenset({"pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix",
                          "array"})
_ATOM_CMDS = frozenset({"\\frac", "\\sqrt", "\\binom", "\\pi", "\\infty", "\\lfloor", "\\lceil", "\\begin",
                        "\\emptyset", "\\varnothing", "\\vert", "\\lvert"})
_CONSTS = {"\\pi": "pi", "\\infty": "inf"}
_VARIADIC = frozenset({"gcd", "lcm", "max", "min"})
_MAX_DETERMINANT_ROWS = 4
_MAX_EXACT_EXPONENT = 10_000
"""Largest power of ten in a literal (``1.5e3``) that is built as an exact rational."""
ONE, ZERO = Node("num", (Fraction(1),)), Node("num", (Fraction(0),))


def _num(q: Fraction | int) -> Node:
    return Node("num", (Fraction(q),))


def _err(msg: str) -> InputError:
    return InputError(msg, field="answer")


class _Parser:
    __slots__ = ("abs_depth", "brackets", "depth", "i", "toks")

    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.toks.append(Tok("eof", "", -1, -1))
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        # inside ( [ \\{ a comma separates items; inside { } and at top level 1,000 is a number
        self.brackets = 0

    # ---------------------------------------------------------------- token helpers
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.i]
        if t.kind == "eof":
            raise _err("unexpected end of input")
        self.i += 1
        return t

    def at(self, kind: str, *texts: str) -> bool:
        t = self.toks[self.i]
        return t.kind == kind and (not texts or t.text in texts)

    def expect(self, kind: str, *texts: str) -> Tok:
        if not self.at(kind, *texts):
            t = self.peek()
            raise _err(f"expected {texts[0] if texts else kind} but found {t.text or 'end of input'!r}")
        return self.next()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _err(f"nesting deeper than {MAX_DEPTH}")

    # ---------------------------------------------------------------- grammar
    def answer(self) -> Node:
        items = self.items(("eof",))
        if not self.at("eof"):
            raise _err(f"expected the end of the answer but found {self.peek().text!r}")
        return items[0] if len(items) == 1 else Node("list", tuple(items))

    def items(self, stop: tuple[str, ...]) -> list[Node]:
        items: list[Node] = []
        while True:
            while self.at("sep") or self.at("op", ",", ";"):
                self.next()
            if self.peek().kind in stop or self.at("op", *stop):
                break
            items.append(self.item())
            if not (self.at("sep") or self.at("op", ",", ";")):
                break
        if not items:
            raise _err("empty answer")
        return items

    def item(self) -> Node:
        # words before a value are prose ("about 5", "So x = 3", "Therefore, x = 3", "= 5", "≈ 3.14"), except
        # a negation: "not 5" states no value
        while self.at("word") or self.at("op", "=") or self.at("cmd", "\\approx"):
            if self.next().text in NEGATIONS:
                raise _err("a negated value states no answer")
            if self.toks[self.i - 1].kind == "word" and self.at("op", ","):
                self.next()
        node = self.relation()
        while self.at("word"):  # trailing units, squared or cubed ("cm^2", "cm^{2}")
            self.next()
            if self.at("op", "^") and self.peek(1).kind == "num":
                self.i += 2
            elif self.at("op", "^") and [t.text for t in self.toks[self.i + 1:self.i + 4]] in (
                    ["{", "2", "}"], ["{", "3", "}"]):
                self.i += 4
        return node

    def relation(self) -> Node:
        first = self.union()
        ops: list[str] = []
        sides = [first]
        while (self.at("op") or self.at("cmd")) and self.peek().text in _RELOPS:
            ops.append(_RELOPS[self.next().text])
            sides.append(self.union())
        if not ops:
            return first
        return Node("rel", (tuple(ops), *sides))

    def union(self) -> Node:
        parts = [self.sum()]
        while self.at("cmd", "\\cup"):
            self.next()
            parts.append(self.sum())
        return parts[0] if len(parts) == 1 else Node("union", tuple(parts))

    def sum(self) -> Node:
        terms = [self.product()]
        while True:
            t = self.peek()
            if t.kind == "op" and t.text in ("+", "-"):
                self.next()
                p = self.product()
                terms.append(p if t.text == "+" else Node("neg", (p,)))
            elif t.kind == "cmd" and t.text in ("\\pm", "\\mp"):
                self.next()
                p = self.product()
                left = terms[0] if len(terms) == 1 else Node("add", tuple(terms))
                terms = [Node("pm", (left, p if t.text == "\\pm" else Node("neg", (p,))))]
            else:
                break
        return terms[0] if len(terms) == 1 else Node("add", tuple(terms))

    def product(self) -> Node:
        factors = [self.unary()]
        while True:
            t = self.peek()
            if (t.kind == "op" and t.text == "*") or (t.kind == "cmd" and t.text in ("\\cdot", "\\times")):
                self.next()
                factors.append(self.unary())
            elif t.kind == "cmd" and t.text in ("\\bmod", "\\mod"):  # 17 \\bmod 5, 17 mod 5
                self.next()
                factors = [Node("func", ("mod", _mul(factors), self.unary()))]
            elif (t.kind == "op" and t.text in ("/", ":")) or (t.kind == "cmd" and t.text == "\\div"):
                self.next()
                d = self.unary()
                factors = [Node("div", (_mul(factors), d))]
            elif (t.kind == "num" and len(factors) == 1 and _whole_part(factors[0]) is not None
                  and self.toks[self.i - 1].kind == "num" and self.at_plain_fraction()):  # mixed: 11 6/6
                numerator = _number(self.next().text)
                self.next()
                factors = [_mixed(factors[0], Node("div", (numerator, _number(self.next().text))))]
            elif t.kind == "num" and self.number_is_factor(t, factors[-1]):  # 2!3!, 2^6 3^5
                factors.append(self.power())
            elif self.starts_factor(t):
                prev = self.toks[self.i - 1]
                f = self.power()
                if (len(factors) == 1 and prev.kind == "num" and t.text == "\\frac"
                        and _whole_part(factors[0]) is not None
                        and f.op == "div" and all(_is_int_lit(x) for x in f.args)):  # mixed number 2\frac12
                    factors = [_mixed(factors[0], f)]
                else:
                    factors.append(f)
            else:
                break
        return _mul(factors)

    def number_is_factor(self, t: Tok, last: Node) -> bool:
        """Whether the number ``t`` multiplies the factor before it: after a factorial (``2!3!``) or, past a
        space, after a power (``2^6 3^5``); elsewhere two numbers side by side are an error."""
        prev = self.toks[self.i - 1]
        return (prev.kind == "op" and prev.text == "!") or (last.op == "pow" and t.pos > prev.end)

    def at_plain_fraction(self) -> bool:
        """Whether the next tokens are ``p/q`` with integer literals (the fraction of a mixed number)."""
        p, slash, q = self.peek(), self.peek(1), self.peek(2)
        return (p.text.isdigit() and slash.kind == "op" and slash.text == "/" and q.kind == "num"
                and q.text.isdigit() and self.peek(3).text not in ("^", "!", "_"))

    def starts_factor(self, t: Tok) -> bool:
        if t.kind in ("id", "begin"):
            return True
        if t.kind == "cmd":
            return (t.text in _ATOM_CMDS or t.text[1:] in FUNCTIONS or t.text[1:] in _GREEK) and not (
                t.text in ("\\vert", "\\lvert") and self.abs_depth)
        if t.kind == "op":
            return t.text == "(" or (t.text == "|" and not self.abs_depth)
        return False

    def unary(self) -> Node:
        t = self.peek()
        if (t.kind == "op" and t.text in ("-", "+")) or (t.kind == "cmd" and t.text in ("\\pm", "\\mp")):
            self.next()
            self.enter()
            inner = self.unary()
            self.depth -= 1
            if t.text == "+":
                return inner
            return Node("neg", (inner,)) if t.text == "-" else Node("pm", (ZERO, inner))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("op", "^"):
            self.next()
            self.enter()
            exp = self.script()
            self.depth -= 1
            base = Node("pow", (base, exp))
            while self.at("op", "!"):
                self.next()
                base = Node("fact", (base,))
        return base

    def script(self) -> Node:
        """A superscript or subscript: a brace group, or one signed atom (LaTeX ``x^2``, plain ``2^-1``)."""
        if self.at("op", "{"):
            return self.group()
        if self.at("op", "-"):
            self.next()
            return Node("neg", (self.script(),))
        return self.power()

    def postfix(self) -> Node:
        tok = self.peek()
        node = self.atom()
        while True:
            if self.at("op", "!"):
                self.next()
                node = Node("fact", (node,))
            elif self.at("op", "%"):
                self.next()
                node = Node("pct", (node,))
            elif self.at("op", "°"):  # kept only inside trigonometric functions: an angle in radians
                self.next()
                node = Node("mul", (node, Node("div", (Node("const", ("pi",)), _num(180)))))
            elif self.at("op", "_"):
                self.next()
                node = self.subscript(node, tok)
            elif self.at("op", "'") and node.op == "sym" and not (
                    self.peek(1).kind in ("id", "word") and self.peek(1).pos == self.peek().end):
                self.next()  # f'(x), y'': a derivative's name (I'm is a contraction)
                node = Node("sym", (f"{node.args[0]}'",))
            else:
                return node

    def subscript(self, node: Node, tok: Tok) -> Node:
        sub = self.next() if not self.at("op", "{") else None
        if sub is None:
            self.next()
            parts = []
            while not self.at("op", "}"):
                if self.at("eof"):
                    raise _err("unclosed subscript")
                parts.append(self.next().text)
            self.next()
            text = "".join(parts)
        else:
            text = sub.text
        if node.op == "num" and tok.kind == "num" and text.isdigit():
            base = int(text)
            whole, _, frac = tok.text.partition(".")
            try:
                value = Fraction(int(whole + frac, base), base ** len(frac)) if 2 <= base <= 36 else None
            except ValueError:
                value = None
            if value is None:
                raise _err(f"{tok.text} is not a base-{text} numeral")
            return Node("num", (value, None, 0, base, tok.text))
        if node.op == "sym":
            return Node("sym", (f"{node.args[0]}_{text}",))
        raise _err(f"unexpected subscript on {tok.text!r}")

    def group(self) -> Node:
        """``{ ... }``: grouping braces (a list inside becomes a list)."""
        self.expect("op", "{")
        self.enter()
        items = self.items(("}",))
        self.expect("op", "}")
        self.depth -= 1
        return items[0] if len(items) == 1 else Node("list", tuple(items))

    def arg(self) -> Node:
        """One macro argument: a brace group, one digit of a number (``\\frac12``), or one atom."""
        t = self.peek()
        if t.kind == "op" and t.text == "{":
            return self.group()
        if t.kind == "num":
            if len(t.text) > 1 and t.text[0].isdigit():
                self.toks[self.i] = Tok("num", t.text[1:], t.pos + 1, t.end)
                return _num(int(t.text[0]))
            self.next()
            return _number(t.text)
        return self.postfix()

    def atom(self) -> Node:
        t = self.next()
        k = t.kind
        if k == "num":
            return self.number(t)
        if k == "id":
            return Node("const", (t.text,)) if t.text in ("e", "i") else Node("sym", (t.text,))
        if k == "choice":  # "\\textbf{(B)} 12": the letter is the answer
            while not (self.at("eof") or self.at("sep") or self.at("op", ",", ";", ")", "]", "}")):
                self.next()
            return Node("choice", (t.text,))
        if k == "op":
            if t.text in ("(", "["):
                return self.bracket(t.text)
            if t.text == "{":
                self.i -= 1
                return self.group()
            if t.text == "|":
                return self.absolute("|")
        if k == "cmd":
            return self.command(t)
        if k == "begin":
            return self.system(t.text) if t.text in _SYSTEM_ENVS else self.matrix(t.text)
        if k == "word":
            raise _TextAnswer
        raise _err(f"unexpected {t.text or 'end of input'!r}")

    def number(self, t: Tok) -> Node:
        text = t.text
        # thousands separators 12,345,678 (only outside brackets, only with no spaces)
        if self.brackets == 0 and text.isdigit() and len(text) <= 3 and text[0] != "0":
            # 12,345 or 12 345 (one space): groups of exactly three digits
            while True:
                comma = self.at("op", ",") and self.peek().pos == t.end
                group = self.peek(1) if comma else self.peek()
                if not (group.kind == "num" and group.pos == t.end + 1 and group.text[:3].isdigit()
                        and len(group.text.split(".")[0]) == 3 and self.peek(2 if comma else 1).text != "_"):
                    break
                if comma:
                    self.next()
                t = self.next()
                text += t.text
        if (text.endswith(".") and self.at("op", "(") and self.peek().pos == t.end
                and self.peek(1).kind == "num" and self.peek(1).text.isdigit() and self.peek(2).text == ")"):
            self.next()  # 0.(3): the digits in parentheses repeat (2.5(3) is a product)
            rep = self.next()
            self.next()
            return _num(_repeating(text, rep.text))
        if ("." in text and "e" not in text.lower() and self.at("cmd", "\\overline")
                and self.peek().pos == t.end):
            self.next()
            rep = self.next() if not self.at("op", "{") else None
            if rep is None:
                self.next()
                rep = self.expect("num")
                self.expect("op", "}")
            if not rep.text.isdigit():
                raise _err("repeating digits must be digits")
            return _num(_repeating(text, rep.text))
        return _number(text)

    def bracket(self, opener: str) -> Node:
        self.enter()
        self.brackets += 1
        items = self.items((")", "]"))
        close = self.expect("op", ")", "]").text
        self.depth -= 1
        self.brackets -= 1
        if len(items) == 1 and opener + close in ("()", "[]"):
            return items[0]
        if len(items) == 2 and opener + close != "()":
            return Node("interval", (items[0], items[1], opener == "[", close == "]"))
        return Node("tuple", tuple(items))

    def absolute(self, closer: str) -> Node:
        self.enter()
        self.abs_depth += 1
        inner = self.sum()
        self.abs_depth -= 1
        self.depth -= 1
        if closer == "|":
            self.expect("op", "|")
        else:
            self.expect("cmd", closer)
        return Node("func", ("abs", inner))

    def command(self, t: Tok) -> Node:
        c = t.text
        if c == "\\frac":
            num = self.arg()
            return Node("div", (num, self.arg()))
        if c == "\\sqrt":
            if self.at("op", "["):
                self.next()
                n = self.sum()
                self.expect("op", "]")
                return Node("func", ("root", self.arg(), n))
            if self.at("num"):  # \sqrt 13: TeX reads the first digit, but every writer means the number
                return Node("func", ("sqrt", _number(self.next().text)))
            return Node("func", ("sqrt", self.arg()))
        if c == "\\binom":
            n = self.arg()
            return Node("binom", (n, self.arg()))
        if c in _CONSTS:
            return Node("const", (_CONSTS[c],))
        if c == "\\ldots":  # an ellipsis: an item of its own, equal only to another ellipsis
            return Node("sym", ("…",))
        if c in ("\\emptyset", "\\varnothing"):
            return Node("set", ())
        if c == "\\{":
            self.enter()
            self.brackets += 1
            if self.peek().kind == "id" and self.peek(1).text in ("|", ":", "\\mid"):
                self.i += 2  # {x | x > 2}: the set its rule describes
                items = self.items(("\\}",))
                self.expect("cmd", "\\}")
                self.depth -= 1
                self.brackets -= 1
                return items[0] if len(items) == 1 else Node("list", tuple(items))
            items = [] if self.at("cmd", "\\}") else self.items(("\\}",))
            self.expect("cmd", "\\}")
            self.depth -= 1
            self.brackets -= 1
            return Node("set", tuple(items))
        if c in ("\\lfloor", "\\lceil"):
            self.enter()
            inner = self.sum()
            self.expect("cmd", "\\rfloor" if c == "\\lfloor" else "\\rceil")
            self.depth -= 1
            return Node("func", ("floor" if c == "\\lfloor" else "ceil", inner))
        if c in ("\\vert", "\\lvert"):
            return self.absolute("\\rvert" if c == "\\lvert" else "\\vert")
        if c == "\\det":  # \det\begin{pmatrix}...: the determinant
            begin = self.next()
            if begin.kind != "begin":
                raise _err("\\det without a matrix")
            matrix = self.matrix(begin.text)
            return matrix if begin.text == "vmatrix" else _determinant(matrix.args)  # type: ignore[arg-type]
        if c == "\\angle":  # \angle ABC names an angle
            if not self.at("id"):
                raise _err("\\angle without a name")
            return Node("sym", ("∠" + self.next().text,))
        if c == "\\overline":  # a segment such as \\overline{CD}
            raise _TextAnswer
        if c[1:] in _GREEK:
            return Node("sym", (c[1:],))
        if c[1:] in FUNCTIONS:
            return self.function(c[1:])
        raise _err(f"unsupported command {c}")

    def function(self, name: str) -> Node:
        base: Node | None = None
        power: Node | None = None
        if name == "sqrt":
            return Node("func", ("sqrt", self.arg()))
        if name in ("floor", "ceil", "abs") and not self.at("op", "("):
            raise _err(f"{name} needs parentheses")
        if self.at("op", "_"):
            self.next()
            base = self.script()
        if self.at("op", "^"):
            self.next()
            power = self.script()
            if power == Node("neg", (ONE,)) and name in _TRIG_INVERSE:
                name, power = _TRIG_INVERSE[name], None
        if self.at("op", "("):
            self.next()
            self.enter()
            args = self.items((")",))
            self.expect("op", ")")
            self.depth -= 1
        else:  # \sin 2x: the argument is the following run of implicit factors, stopping at a function
            factors = [self.power()]
            while self.starts_factor(self.peek()) and not (
                    self.at("cmd") and self.peek().text[1:] in FUNCTIONS) and not self.at("op", "("):
                factors.append(self.power())
            args = [_mul(factors)]
        if name == "ln":
            name = "log"
        if not (len(args) == 1 or name in _VARIADIC):
            raise _err(f"{name} takes one argument, not {len(args)}")
        if base is not None:
            if name != "log":
                raise _err("only log takes a subscript")
            args = [*args, base]
        node = Node("func", (name, *args))
        return node if power is None else Node("pow", (node, power))

    def system(self, env: str) -> Node:
        """``\\begin{cases} x = 1 \\\\ y = 2 \\end{cases}``: the equations of a system, one per row, as a list
        (in ``cases`` what follows ``&`` is a row's condition; in ``aligned`` ``&`` only aligns)."""
        self.enter()
        if env != "cases":  # drop the alignment marks up to the next environment
            toks = self.toks
            stop = next((k for k in range(self.i, len(toks)) if toks[k].kind in ("begin", "end")), len(toks))
            toks[self.i:stop] = [t for t in toks[self.i:stop] if not (t.kind == "op" and t.text == "&")]
        rows: list[Node] = []
        while not self.at("end"):
            rows.append(self.relation())
            while not (self.at("end") or self.at("op", "\\\\")):
                if self.at("eof"):
                    raise _err("a system that never ends")
                self.next()
            if self.at("op", "\\\\"):
                self.next()
        self.next()
        self.depth -= 1
        if not rows:
            raise _err("an empty system")
        return rows[0] if len(rows) == 1 else Node("list", tuple(rows))

    def matrix(self, env: str) -> Node:
        if env not in _MATRIX_ENVS:
            raise _err(f"unsupported environment {env}")
        self.enter()
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while True:
            if self.at("end"):
                break
            row.append(self.sum())
            if self.at("op", "&"):
                self.next()
            elif self.at("op", "\\\\"):
                self.next()
                rows.append(tuple(row))
                row = []
            elif not self.at("end"):
                raise _err(f"unexpected {self.peek().text!r} in matrix")
        if row:
            rows.append(tuple(row))
        if self.next().text != env:
            raise _err(f"\\begin{{{env}}} closed by a different \\end")
        self.depth -= 1
        if not rows or len({len(r) for r in rows}) != 1:
            raise _err("matrix rows of different lengths")
        return _determinant(rows) if env == "vmatrix" else Node("matrix", tuple(rows))


class _TextAnswer(Exception):
    """Raised where a word stands in for a value: the whole answer is text."""


def _determinant(rows: tuple[tuple[Node, ...], ...] | list[tuple[Node, ...]]) -> Node:
    """The determinant of a square matrix of at most 4 rows, as a tree (expansion along the first row)."""
    n = len(rows)
    if any(len(row) != n for row in rows) or n > _MAX_DETERMINANT_ROWS:
        raise _err(f"a determinant of a {n}x{len(rows[0])} matrix")
    if n == 1:
        return rows[0][0]
    terms = []
    for j, entry in enumerate(rows[0]):
        minor = _determinant([row[:j] + row[j + 1:] for row in rows[1:]])
        term = Node("mul", (entry, minor))
        terms.append(term if j % 2 == 0 else Node("neg", (term,)))
    return Node("add", tuple(terms))


def _mul(factors: list[Node]) -> Node:
    return factors[0] if len(factors) == 1 else Node("mul", tuple(factors))


def _whole_part(node: Node) -> Node | None:
    """The integer literal a mixed number starts with (``2`` of ``2\\frac12``, also under a minus sign)."""
    if _is_int_lit(node):
        return node
    return node.args[0] if node.op == "neg" and _is_int_lit(node.args[0]) else None  # type: ignore[return-value]


def _mixed(whole: Node, fraction: Node) -> Node:
    """``2\\frac12`` is 2 + 1/2; ``-2\\frac12`` is -(2 + 1/2)."""
    if whole.op == "neg":
        return Node("neg", (Node("add", (whole.args[0], fraction)),))  # type: ignore[arg-type]
    return Node("add", (whole, fraction))


def _is_int_lit(n: object) -> bool:
    return isinstance(n, Node) and n.op == "num" and len(n.args) == 1 and n.args[0].denominator == 1  # type: ignore[union-attr]


def _number(text: str) -> Node:
    """A numeric literal; decimals keep their stated precision (half a unit of the last digit) and digit
    count."""
    mant, _, exp = text.lower().partition("e")
    e = int(exp) if exp else 0
    if abs(e) > _MAX_EXACT_EXPONENT:  # 1e999999999: never materialised, compared by magnitude
        return Node("mul", (_number(mant), Node("pow", (_num(10), _num(e)))))
    if "." not in mant and not exp:
        return _num(int(mant))
    whole, _, frac = mant.partition(".")
    value = Fraction(int(whole + frac or "0"), 10 ** len(frac)) * Fraction(10) ** e
    if not frac and not exp:
        return _num(value)
    digits = (whole + frac).lstrip("0")
    half = Fraction(1, 2) * Fraction(10) ** (e - len(frac))
    return Node("num", (value, half, max(len(digits), 1)))


def _repeating(text: str, rep: str) -> Fraction:
    whole, _, frac = text.partition(".")
    base = Fraction(int(whole + frac or "0"), 10 ** len(frac))
    return base + Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(frac))


# "(B) 12", "B)", "B. 12": the letter is the answer
_LABELLED_CHOICE = re.compile(r"\(?([A-J])\)(?:\s+[^\s,;].*)?|([A-J])\.\s+[^\s,;].*", re.DOTALL)
_NAMED_CHOICE = re.compile(r"(?i:option|choice)\s*\(?([A-Ja-j])\)?")  # "Option A", "choice (b)"
_DECIMAL_COMMA = re.compile(r"(\d+),(\d+)")
_TEXT_CMD = re.compile(r"\\(?:text[a-z]*|mathrm|mbox|hbox)(?![a-zA-Z])")


def _text_value(text: str) -> Text:
    s = _TEXT_CMD.sub(" ", normalise(text))
    s = " ".join(s.replace("{", " ").replace("}", " ").split()).strip(" .").lower()
    return Text(s)


def _is_decimal_comma(whole: str, frac: str) -> bool:
    """``2,74``, ``0,111``, ``1000,99`` may be decimals; ``1,000`` is a thousand and ``3,5`` a list of two."""
    thousands = len(frac) == 3 and len(whole) <= 3 and not whole.startswith("0")
    return not thousands and (len(frac) >= 2 or whole == "0")


@functools.lru_cache(maxsize=65_536)
def parse(text: str) -> Value:
    """Parse one final answer (LaTeX or plain math) into a typed ``Value``.

    Raises ``InputError`` (field ``answer``) for malformed or unsupported input. Answers made of words
    (``\\text{yes}``, ``Friday``) become ``Text``; trailing unit words (``5 cm``, ``162\\text{ minutes}``),
    degrees, ``\\%`` and currency signs are dropped. Results are cached (values are immutable).
    """
    if not isinstance(text, str):
        raise _err(f"expected a string, got {type(text).__name__}")
    if len(text) > MAX_ANSWER_CHARS:
        raise _err(f"answer longer than {MAX_ANSWER_CHARS} characters")
    s = normalise(text)
    if not s:
        raise _err("empty answer")
    labelled = _LABELLED_CHOICE.fullmatch(s) or (_NAMED_CHOICE.fullmatch(s) if s[:1] in "oOcC" else None)
    if labelled is not None:  # "(B) 12", "B)": the letter is the answer
        return Choice(next(g for g in labelled.groups() if g).upper())
    comma = _DECIMAL_COMMA.fullmatch(s)
    if comma is not None and _is_decimal_comma(comma.group(1), comma.group(2)):
        whole, frac = comma.group(1), comma.group(2)  # the numbers 2 and 74, or (against one number) 2.74
        decimal = _number(f"{whole}.{frac}")
        return SolutionList((Number(Fraction(int(whole))), Number(Fraction(int(frac)))),
                            Number(*decimal.args))  # type: ignore[arg-type]
    toks = tokenize(s)
    if "\\implies" in s:  # 2x = 4 \\implies x = 2, => 14: what is implied last is the answer
        last = max(k for k, t in enumerate(toks) if t.kind == "cmd" and t.text == "\\implies")
        toks = toks[last + 1:]
    if toks and all(t.kind in ("word", "sep", "id") for t in toks) and any(
            t.kind == "word" or len(t.text) > 1 for t in toks):  # "Friday", "NO", "AB": text
        return _text_value(s)
    try:
        return to_value(_Parser(toks).answer())
    except _TextAnswer:
        return _text_value(s)
