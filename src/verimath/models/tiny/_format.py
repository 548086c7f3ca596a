"""The tiny model's text format: tokenizer, number formats, and the two task layouts (PAL and direct).

Owns how a question becomes token ids and how generated ids become text; pure Python (no torch), so training
(``verimath.tinylab``) and the ``builtin:tiny`` backend share one definition. Imports nothing from verimath
but ``verimath.errors``.

Layout of one sequence: ``<bos> <mode> question... <mode> target... <eos>``, ``<mode>`` being ``<pal>`` or
``<direct>``. Text is split into pieces (a word with its leading space, a number, or one character); a piece
in the word vocabulary is one token, any other piece is spelled out character by character.

Numbers — the deliberate part:

* PAL mode: each number in the question becomes an index token ``<n0>``, ``<n1>``, ... (in order of
  appearance), and the target is a Python expression over those tokens. The literals never enter the network,
  so the model reads a question with 7-digit numbers exactly as one with 2-digit numbers;
  :func:`render_program` copies the literals back in (a copy mechanism, as in pointer networks).
* Direct mode: numbers are spelled digit by digit; the answer's digit runs are written in the configured
  :data:`DirectFormat` (``reversed``: least significant digit first, the order in which carries are computed).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from verimath.errors import InputError

Mode = Literal["pal", "direct"]
DirectFormat = Literal["plain", "reversed"]

NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_PIECE = re.compile(rf"{NUMBER.pattern}| ?[A-Za-z]+|.", re.DOTALL)
_INDEX = re.compile(r"<n(\d+)>")
_DIGITS = re.compile(r"\d+")

MAX_NUMBERS = 24
"""Index tokens ``<n0>`` .. ``<n23>``: more numbers in one question than this are an error."""
SPECIALS = ("<pad>", "<bos>", "<eos>", "<pal>", "<direct>", "<unk>", *(f"<n{i}>" for i in range(MAX_NUMBERS)))
PAD, BOS, EOS, PAL, DIRECT, UNK = range(6)
_MODE_TOKEN = {"pal": PAL, "direct": DIRECT}
_BASE_CHARS = "\n" + "".join(chr(c) for c in range(32, 127))


def pieces(text: str) -> list[str]:
    """``text`` split into words (with their leading space), numbers and single characters."""
    return _PIECE.findall(text)


def numbers_in(text: str) -> list[str]:
    """The numbers of ``text`` as written (``1,200``, ``3.50``), in order: what ``<n0>``, ``<n1>``... stand
    for."""
    return [p for p in pieces(text) if NUMBER.fullmatch(p)]


def reverse_digits(text: str) -> str:
    """Every run of digits reversed (``"1,250" -> "1,052"``): its own inverse."""
    return _DIGITS.sub(lambda m: m.group(0)[::-1], text)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A question ready for the network: its token ids and, in PAL mode, the literals of ``<n0>``...."""

    ids: tuple[int, ...]
    literals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TinyTokenizer:
    """Special tokens, then single characters, then whole words (each with or without its leading space)."""

    vocab: tuple[str, ...]
    direct_format: DirectFormat = "reversed"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.vocab[: len(SPECIALS)] != SPECIALS:
            raise InputError("the tiny vocabulary must start with the special tokens", field="vocab")
        if self.direct_format not in ("plain", "reversed"):
            raise InputError(f"unknown direct format {self.direct_format!r}", field="direct_format")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocab)})

    @classmethod
    def build(cls, texts: Iterable[str], *, min_count: int = 3, direct_format: DirectFormat = "reversed",
              extra: Iterable[str] = ()) -> TinyTokenizer:
        """A vocabulary from a corpus: every character seen, plus every word piece seen ``min_count``
        times."""
        chars: set[str] = set(_BASE_CHARS)
        words: Counter[str] = Counter()
        for text in texts:
            chars.update(text)
            words.update(p for p in pieces(text) if len(p) > 1 and not NUMBER.fullmatch(p))
        for text in extra:
            chars.update(text)
        kept = sorted(w for w, c in words.items() if c >= min_count)
        return cls((*SPECIALS, *sorted(chars), *kept), direct_format)

    @property
    def size(self) -> int:
        return len(self.vocab)

    def _text_ids(self, text: str, *, numbers_as_indices: bool) -> tuple[list[int], list[str]]:
        index, ids, literals = self._index, [], []
        for piece in pieces(text):
            if numbers_as_indices and NUMBER.fullmatch(piece):
                if len(literals) >= MAX_NUMBERS:
                    raise InputError(f"a question may hold at most {MAX_NUMBERS} numbers", field="question")
                ids.append(index[f"<n{len(literals)}>"])
                literals.append(piece)
            elif piece in index:
                ids.append(index[piece])
            else:
                ids.extend(index.get(ch, UNK) for ch in piece)
        return ids, literals

    def encode_question(self, question: str, mode: Mode) -> Encoded:
        """``<bos> <mode> question <mode>``: the prompt the network continues."""
        ids, literals = self._text_ids(question, numbers_as_indices=mode == "pal")
        tag = _MODE_TOKEN[mode]
        return Encoded((BOS, tag, *ids, tag), tuple(literals))

    def encode_target(self, target: str, mode: Mode) -> tuple[int, ...]:
        """The ids of a target text (a PAL expression with ``<nK>`` tokens, or a direct answer), then
        ``<eos>``. Direct answers are stored in plain digits and written in the tokenizer's format here."""
        index = self._index
        if mode == "direct" and self.direct_format == "reversed":
            target = reverse_digits(target)
        ids: list[int] = []
        pos = 0
        for m in _INDEX.finditer(target):
            ids.extend(index.get(ch, UNK) for ch in target[pos:m.start()])
            ids.append(index[m.group(0)])
            pos = m.end()
        ids.extend(index.get(ch, UNK) for ch in target[pos:])
        return (*ids, EOS)

    def decode(self, ids: Sequence[int], literals: Sequence[str] = ()) -> str:
        """Text of ``ids`` (specials other than ``<nK>`` dropped; ``<nK>`` replaced by ``literals[K]`` when
        given, else kept as written)."""
        out = []
        for i in ids:
            token = self.vocab[i]
            m = _INDEX.fullmatch(token)
            if m and int(m.group(1)) < len(literals):
                out.append(literals[int(m.group(1))])
            elif m or i >= len(SPECIALS):
                out.append(token)
        return "".join(out)

    def decode_answer(self, ids: Sequence[int]) -> str:
        """A generated direct answer in plain digits."""
        text = self.decode(ids)
        return reverse_digits(text) if self.direct_format == "reversed" else text


def render_program(expression: str, literals: Sequence[str]) -> str:
    """The complete PAL program for an expression over ``<nK>`` tokens: the question's numbers declared as
    exact fractions (commas dropped), then the expression printed."""
    used = sorted({int(k) for k in _INDEX.findall(expression)})
    lines = ["from fractions import Fraction", ""]
    lines += [f"n{k} = Fraction({literals[k].replace(',', '')!r})" for k in used if k < len(literals)]
    body = _INDEX.sub(lambda m: f"n{m.group(1)}", expression)
    return "\n".join([*lines, f"print({body})"])
