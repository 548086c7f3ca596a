"""Find the final answer in a full model response.

``extract(response)`` returns the text of the final answer (still LaTeX or plain text; ``parse`` reads it) or
``None`` when the response states none. Every rule is a linear scan or a regex without nested quantifiers, so
a megabyte of garbage costs milliseconds, never a hang. ``grade`` calls it only for a response: a text that
parses whole as an answer (``1.5e3``, ``\\cos(0)``, ``x \\in [0, 1)``) is graded whole, never shrunk to a
number.

Rules, in order — the first that finds something wins, and within a rule the *last* occurrence wins, because
models restate and correct themselves:

1. Reasoning inside ``<think>…</think>`` is ignored (and with only a closing ``</think>``, what precedes it).
   The content of the last ``<answer>…</answer>`` is the answer (read by these rules unless it is bare; an
   empty tag states none).
2. ``\\boxed{…}`` / ``\\fbox{…}`` (nested braces; also ``\\boxed 5``; a box inside a box is one). Boxes joined
   only by commas, "and", "or", ``\\quad``, ``\\text{and}``, ``\\) and \\(`` or a label (``y_2 =``) are one
   answer listed in parts and are joined with ", ".
3. A stated answer: "final answer is …", "the answer is …", "Answer: …", "答案：…", ``#### …``, a line
   starting ``A: …``, a heading line "**Final Answer**" with the answer on the next line (Minerva's "Final
   Answer: The final answer is $X$. I hope it is correct." reads ``X``; "The answer is 42!" reads 42); or a
   stated choice: "The correct answer is D.", "The correct option is (D).", "Option D is correct.", "I choose
   (B)." — whichever stands later. A stated answer that is prose ("The largest $n$ is 34.") yields the value
   it ends with.
4. Markdown bold on the last line that has it (``**42**``), when it is not a heading such as ``**Step 1:**``.
5. Choice letters: a last line that is only ``(C)`` / ``C)`` / ``C.``.
6. Only when nothing else is there: the last value in the prose — the last math span (``$…$``, ``\\(…\\)``,
   ``\\[…\\]``, ``$$…$$``) or run of math between words ("the probability is \\frac{3}{4}.") that holds a
   digit or a command, else the last number. A digit inside a word (``AZYUK2A``) is not a number. Values
   joined only by "and", "or" or commas are one list ("$x = 3$ or $x = -2$", "x = 3 or x = -2"); a value
   right after a negation ("not 5") is not stated, so an earlier one is sought ("6, not 5" reads 6).
7. A response with no value at all that opens with "Yes" or "No" ("Yes, it is.") answers that.

Only the last 32 KiB of a response are read: final answers stand at the end, and this bounds the work on
adversarial input. Pure and thread-safe; imports only ``verimath.answers`` internals (``parse`` tells prose
from an answer) and ``verimath.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from verimath.answers._budget import MAX_ANSWER_CHARS
from verimath.answers._lexer import (
    BRACE_TOKENS,
    CJK,
    CONTROL,
    NEGATIONS,
    PYTHON_POWER,
    REMARK,
    SPECIAL_TOKENS,
    balanced,
)
from verimath.answers.parse import parse
from verimath.answers.values import Text
from verimath.errors import InputError

__all__ = ["extract", "has_prose", "is_bare_answer", "looks_bare"]

# A stated answer: the phrase, then an optional colon/"is", then the rest of the line.
_PHRASE = (r"(?:final\s+answer\s*(?:is|:|=)|the\s+answer\s*(?:is|:|=)|\bans(?:wer)?\s*:|^[ \t]*####"
           r"|^[ \t]*A[ \t]*:)[ \t:]*")
_STATED = re.compile(_PHRASE + r"(?P<answer>[^\n]*)", re.IGNORECASE | re.MULTILINE)
_STATED_PHRASE = re.compile(_PHRASE, re.IGNORECASE | re.MULTILINE)
# More ways to state an answer, each searched only in text that holds its hint (as alternatives of _STATED
# they would cost every response a fifth more time): a heading line "**Final Answer**" with the answer on the
# next line; "答案：5", "最终答案是 5".
_MORE_STATEMENTS = (
    (("nswer", "NSWER"), re.compile(r"^[ \t#*]*(?:final\s+)?answer[ \t*:]*\n\s*(?P<answer>[^\n]*)",
                                    re.IGNORECASE | re.MULTILINE)),
    (("答案",), re.compile(r"答案\s*[是为:：][ \t:：]*(?P<answer>[^\n]*)")),
    # JSON: {"answer": 42}, {"final_answer": "3/4"}, {"answer": [1, 2]} (a list); never a part of an object
    (('answer"',), re.compile(r'"(?:final_?)?answer"\s*:\s*["\[]?'
                              r'(?P<answer>(?<=")[^"\n]*|(?<=\[)[^\[\]\n]*|[^"\n,}\[\]{]+)', re.IGNORECASE)),
)
_LETTER = r"\(?([A-J])\)?(?![\w])"
_STATED_CHOICE = re.compile(
    r"(?i:\b(?:correct|right|best|final)\s+(?:answer|option|choice)\s*(?:is|:|=|would\s+be)?\s*"
    r"(?:option\s+|choice\s+)?)" + _LETTER
    + r"|(?i:\b(?:option|choice)\s+)" + _LETTER + r"(?i:\s+is\s+(?:the\s+)?(?:correct|right|true))"
    + r"|(?i:\bI\s+(?:choose|pick|select|go\s+with)\s+(?:option\s+|choice\s+)?)" + _LETTER
)
_BOX_START = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
# A statement after the last box wins over it: Minerva's "Final Answer: ...", "\\boxed{5} is wrong, the answer
# is 4", a line "Answer: 4" ("we may check our answer: ..." is not one).
_FINAL_AFTER_BOX = re.compile(r"(?:final\s+answer|the\s+answer)\s*(?:is|:)|^[ \t*#]*answer\s*:",
                              re.IGNORECASE | re.MULTILINE)
_BOLD = re.compile(r"\*\*(?P<answer>[^*\n]{1,200})\*\*")
_CHOICE_LINE = re.compile(r"^\s*\(?(?P<letter>[A-J])\)?[.:]?\s*$")
_NUMBER = re.compile(r"(?<![A-Za-z\d.])-?(?:\d[\d,]*(?:\.\d+)?(?:/\d+)?|\.\d+)(?!\d)")
# The end of a sentence inside a stated answer: ". " or a final "." that is not a decimal point, "! " before a
# capital; a clause that gives reasons ("5, since ...") is not part of the answer.
_SENTENCE_END = re.compile(r"\.(?:\s|$)(?!\d)|!(?=\s+(?-i:[A-Z]))"
                           r"|,?\s+(?:since|because|which|as|where|given)\b", re.IGNORECASE)
# What may stand between boxes that list one answer in parts.
_BOX_CONNECTOR = re.compile(
    r"(?:[\s$,;]|\\[()\[\]]|\\q?quad(?![a-zA-Z])|\\[,;:! ]|\b(?:and|or)\b|[A-Za-z]+\s+(?=(?:and|or)\b)"
    r"|[A-Za-z]_\{?\w{1,4}\}?\s*=)*",
    re.IGNORECASE,
)
# ``\\quad \\text{and} \\quad`` between boxes lists parts of one answer; a bare ``\\text{ and }`` is MATH's
# way of offering alternatives ("either point is correct"), read as the last box.
_TEXT_CONNECTOR = re.compile(r"\\text\s*\{\s*(?:[\w()]+\s+){0,4}(?:and|or)?\s*\}", re.IGNORECASE)
_MAX_CONNECTOR_CHARS = 120
_CHOICE_TAIL_CHARS = 1000
_CHOICE_WORDS = ("option", "choice", "choose", "pick", "select", "go with", "correct answer",
                 "right answer", "best answer", "final answer")
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
_ANSWER_OPEN, _ANSWER_CLOSE = "<answer>", "</answer>"
_YES_NO = re.compile(r"\s*\**(yes|no)\b\**(?:[,.!;:]|\s*$)", re.IGNORECASE)
# A final answer stands at the end of a response: the rules read only its last 32 KiB (after reasoning is
# stripped), which bounds their work on megabytes of input; the prose rule, riskier, reads only the last 4000.
_TAIL_CHARS = 32_768
_PROSE_TAIL_CHARS = 4000
# GSM8K-style calculator annotations ``<<3*4=12>>`` are scratch work, never the answer.
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")
# Math delimiters (an escaped ``\\$`` is a dollar sign, not a delimiter).
_DELIMITER = re.compile(r"\\\$|\$\$|\$|\\\(|\\\)|\\\[|\\\]")
_CLOSER = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
# A word of prose: two or more letters (or letters then digits, AZYUK2A) not part of a command.
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z0-9])[A-Za-z]+\d[A-Za-z0-9]*|(?<![\\a-zA-Z])[A-Za-z]{2,}(?![a-zA-Z])"
                         f"|{CJK.pattern}[，。：；！？、]?")  # Chinese, Japanese, Korean: words of prose
_PROSE_SPLIT = re.compile(f"({_PROSE_WORD.pattern})")
_PROSE_SPLIT_ASCII = re.compile(f"({_PROSE_WORD.pattern.rsplit('|', 1)[0]})")  # the same without CJK, faster
# What may stand between math spans that list one answer: commas, "and", "or" ("$x = 3$ or $x = -2$").
_LIST_GAP = re.compile(r"\s*,?\s*(?:\b(?:and|or)\b)?\s*", re.IGNORECASE)
_LETTERS = re.compile(r"[A-Za-z]")
# Groups whose letters are not prose: \text{cm}, \operatorname{lcm}, \begin{pmatrix}.
_TEXT_GROUPS = re.compile(r"\\(?:text[a-z]*|mathrm|mbox|operatorname|begin|end)\s*\{[^{}]*\}")
_MATH_SIGN = re.compile(r"[\\+\-*/^=()\[\]{}:]")  # in prose, "1,000.99m²" is a number with a unit
_VALUE_HINT = re.compile(r"\d|\\[a-zA-Z]")
_MAX_PROSE_CANDIDATES = 8
# A sentence that checks the answer just found ("Check: 2*4 = 8.", "Let me verify: ..."): its numbers are not
# the answer.
_CHECK = re.compile(r"(?:(?<=[.!?])[ \t]+|^[ \t]*)(?:let(?:'s|[ \t]+us|[ \t]+me)[ \t]+)?(?:double[- ])?"
                    r"(?:check(?:ing)?|verify(?:ing)?|verification)\b", re.IGNORECASE | re.MULTILINE)
_MAX_BARE_WORDS = 3
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
_LABEL = re.compile(r"\s*(?:A|Ans)\s*:")
_RESPONSE_MARKS = ("\\boxed", "\\fbox", "####", "</think>", "answer", "Answer", "ANSWER")


def extract(response: str) -> str | None:
    """The final answer stated in ``response``, or ``None`` when there is none (see the module docstring)."""
    if not response:
        return None
    text = _strip_reasoning(response)[-_TAIL_CHARS:]
    tagged = _tagged(text)
    if tagged is not None:  # <answer>...</answer> holds the answer, bare or stated
        return (tagged if looks_bare(tagged) else extract(tagged)) or None
    boxes = _last_boxes(text)
    if boxes is not None and not boxes[1]:
        return None
    if boxes is not None:
        final = _FINAL_AFTER_BOX.search(text, boxes[0]) if "nswer" in text[boxes[0]:].lower() else None
        statement = _stated(text[final.start():]) if final is not None else None
        return statement[1] if statement is not None and _VALUE_HINT.search(statement[1]) else boxes[1]
    statement = _last_statement(text)
    if statement is not None:
        return statement[1]
    for rule in (_last_bold, _last_choice, _last_value, _leading_yes_no):
        found = rule(text)
        if found:
            return found
    return None


def looks_bare(text: str) -> bool:
    """Whether ``text`` looks like an answer by itself: short, no box or answer phrase, not sentences of
    prose. Cheap: nothing is parsed."""
    if len(text) > MAX_ANSWER_CHARS or any(mark in text for mark in _RESPONSE_MARKS):
        return False
    if "**" in text and "**" in PYTHON_POWER.sub("^", text):  # markdown bold, not x**2
        return False
    if _LABEL.match(text):  # "A: 42", "Ans: 42": a stated answer
        return False
    if _SENTENCE_BREAK.search(text) or ("\n" in text.strip() and "\\begin" not in text):  # lines of working
        return False
    if _STATED_CHOICE.search(text) or _foreign_letters(text):  # "Option D is correct.", "答案是 5"
        return False
    words = [w for w in _PROSE_WORD.findall(_TEXT_GROUPS.sub(" ", REMARK.sub("", text)))
             if w.lower() not in ("and", "or") and not (w.isupper() and len(w) <= 3)]  # AB is a name
    return len(words) <= _MAX_BARE_WORDS


def has_prose(text: str) -> bool:
    """Whether ``text`` holds a word of prose (not a command, a name such as ``AB``, or ``\\text{}``)."""
    words = _PROSE_WORD.findall(_TEXT_GROUPS.sub(" ", text))
    return any(not (w.isupper() and len(w) <= 3) for w in words) or _foreign_letters(text)


def _foreign_letters(text: str) -> bool:
    """Letters beyond Latin and Greek (答, я): prose in another language, never math."""
    return not text.isascii() and any(c.isalpha() and ord(c) > 0x3FF and not 0x2100 <= ord(c) <= 0x214F
                                      for c in text)  # letter-like symbols (ℝ) are math


def is_bare_answer(text: str) -> bool:
    """Whether ``text`` is an answer by itself rather than a response: it looks bare and parses whole."""
    if not looks_bare(text):
        return False
    try:
        value = parse(text)
    except InputError:
        return False
    return not (isinstance(value, Text) and len(value.text.split()) > _MAX_BARE_WORDS)


def _strip_reasoning(text: str) -> str:
    close = text.rfind(_THINK_CLOSE)
    # everything up to the last closing tag is reasoning (its opening tag may be in the prompt)
    if close >= 0:
        text = text[close + len(_THINK_CLOSE):]
    text = text.replace(_THINK_OPEN, "")
    if SPECIAL_TOKENS.search(text):
        text = SPECIAL_TOKENS.sub(" ", text)
    if "<<" in text:
        text = _CALCULATOR.sub("", text)
    return text


def _matching_braces(text: str, start: int) -> dict[int, int]:
    """Index of each ``{`` from ``start`` on to the index of its ``}``, in one regex-driven pass; escaped
    ``\\{`` and ``\\}`` are not structure."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in BRACE_TOKENS.finditer(text, start):
        token = match.group()
        if token == "{":
            stack.append(match.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = match.start()
    return pairs


def _box_content(text: str, start: int, braces: dict[int, int]) -> tuple[str, int] | None:
    """Content of the box whose command name starts at ``start`` and the index after it (``None`` if it never
    closes)."""
    i = start
    while i < len(text) and text[i].isalpha():
        i += 1
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] != "{":  # ``\\boxed 5``: up to the next space or ``$``
        end = i
        while end < len(text) and text[end] not in " $\n":
            end += 1
        return (text[i:end], end) if end > i else None
    close = braces.get(i)
    return (text[i + 1:close], close + 1) if close is not None else None


def _last_boxes(text: str) -> tuple[int, str] | None:
    """Where the last box (or boxes listing one answer) starts, and its content."""
    starts = [m.start() for m in _BOX_START.finditer(text)]
    if not starts:
        return None
    braces = _matching_braces(text, starts[0])
    good = []  # (start, end, content) of each outermost box that closes and is not empty
    for start in starts:
        if good and start < good[-1][1]:
            continue  # a box inside a box: \\boxed{\\boxed{5}} is one answer, unwrapped below
        span = _box_content(text, start + 1, braces)
        if span is not None and span[0].strip():
            good.append((start, span[1], _unboxed(span[0].strip())))
    while good and _denies(text[max(0, good[-1][0] - 40):good[-1][0]]):
        good.pop()  # "\\boxed{4}, not \\boxed{5}": a denied box is not the answer
    if not good:  # a box that never closes is a cut-off answer: no answer, not the number before it
        return (starts[-1], "") if any(_box_content(text, k + 1, braces) is None for k in starts) else None
    # Boxes joined only by connectors (``\\boxed{1}, \\boxed{2}``, "and", "or") are one answer in parts.
    parts = [good[-1]]
    for box in reversed(good[:-1]):
        gap = text[box[1]:parts[-1][0]]
        if "quad" in gap:
            gap = _TEXT_CONNECTOR.sub(" ", gap)
        if len(gap) > _MAX_CONNECTOR_CHARS or not _BOX_CONNECTOR.fullmatch(gap):
            break
        parts.append(box)
    return parts[0][0], ", ".join(content for _, _, content in reversed(parts))


def _tagged(text: str) -> str | None:
    """The content of the last ``<answer>`` tag (to the end when it never closes), or None without one."""
    start = text.rfind(_ANSWER_OPEN)
    if start < 0:
        return None
    start += len(_ANSWER_OPEN)
    close = text.find(_ANSWER_CLOSE, start)
    return text[start:close if close >= 0 else len(text)].strip()  # empty: an answer left blank


def _leading_yes_no(text: str) -> str | None:
    """"Yes, it is." with no value anywhere: the yes or no it opens with."""
    match = _YES_NO.match(text)
    return match.group(1) if match else None


def _unboxed(content: str) -> str:
    """``content`` without the boxes wrapped around all of it (``\\boxed{\\boxed{5}}`` is 5)."""
    while _BOX_START.match(content):
        braces = _matching_braces(content, 0)
        span = _box_content(content, 1, braces)
        if span is None or span[1] != len(content) or not span[0].strip():
            break
        content = span[0].strip()
    return content


def _clean(answer: str) -> str:
    """Trim what surrounds a stated answer: sentence ends, reasons, markdown, math delimiters."""
    answer = answer.strip().rstrip("!")  # "The answer is 42!" exclaims; a factorial in math ends in "$"
    end = _SENTENCE_END.search(answer)
    if end is not None:
        answer = answer[:end.start()]
    answer = answer.strip().strip("*").replace('\\"', '"').strip().strip('"').lstrip("}:* ").strip()
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if (len(answer) > len(left) + len(right) and answer.startswith(left) and answer.endswith(right)
                and right not in answer[len(left):-len(right)]):
            answer = answer[len(left):-len(right)].strip()
            break
    return answer.rstrip(".,;: ").strip()


def _stated(text: str) -> tuple[int, str] | None:
    """The last stated answer and where it stands; "Final Answer: The final answer is X" reads X."""
    matches = list(_STATED.finditer(text))
    for hints, pattern in _MORE_STATEMENTS:
        if any(hint in text for hint in hints):
            matches = sorted(matches + list(pattern.finditer(text)), key=lambda m: m.start())
    for match in reversed(matches):
        start = match.start()
        answer = match.group("answer")
        # a statement inside a statement ("Final Answer: The final answer is X"): the last one is the answer
        inner = next(reversed(list(_STATED_PHRASE.finditer(text, match.start("answer"), match.end()))), None)
        if inner is not None and _clean(text[inner.end():match.end()]):
            start, answer = inner.start(), text[inner.end():match.end()]
        answer = _clean(answer)
        if answer:
            if not is_bare_answer(answer):  # prose: the value it ends with
                answer = _last_value(answer) or answer
            return start, answer
    return None


def _last_statement(text: str) -> tuple[int, str] | None:
    """The later of the last stated answer and the last stated choice, with where it stands."""
    stated = _stated(text)
    offset = max(0, len(text) - _CHOICE_TAIL_CHARS)  # a stated choice ends a response
    tail = text[offset:].lower()
    choices = list(_STATED_CHOICE.finditer(text, offset)) if any(w in tail for w in _CHOICE_WORDS) else []
    if choices and (stated is None or choices[-1].start() > stated[0]):
        last = choices[-1]
        return last.start(), next(g for g in last.groups() if g)
    return stated


def _last_bold(text: str) -> str | None:
    matches = list(_BOLD.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    line_start = text.rfind("\n", 0, last.start()) + 1
    for match in reversed(matches):
        if match.start() < line_start:
            break
        answer = match.group("answer").strip()
        if answer and not answer.endswith(":"):
            return _clean(answer)
    return None


def _last_choice(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        match = _CHOICE_LINE.match(lines[-1])
        if match:
            return match.group("letter")
    return None


def _segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is_math, content) pieces at math delimiters; an unclosed span is prose."""
    pieces: list[tuple[bool, str]] = []
    prose_from = 0
    opener: re.Match[str] | None = None
    for match in _DELIMITER.finditer(text):
        token = match.group()
        if token == "\\$":
            continue
        if opener is None:
            if token in _CLOSER:
                pieces.append((False, text[prose_from:match.start()]))
                opener = match
        elif token == _CLOSER[opener.group()]:
            pieces.append((True, text[opener.end():match.start()]))
            opener, prose_from = None, match.end()
    pieces.append((False, text[prose_from if opener is None else opener.start():]))
    return pieces


def _last_value(text: str) -> str | None:
    """The last value in prose before a closing check ("x = 4. Check: 2*4 = 8."): see ``_value_before``."""
    tail = max(0, len(text) - _PROSE_TAIL_CHARS)
    checks = _CHECK.finditer(text, tail) if "heck" in text[tail:] or "erif" in text[tail:] else ()
    check = next(reversed(list(checks)), None)
    if check is not None:
        checked = _value_before(text[:check.start()])
        if checked is not None:
            return checked
    return _value_before(text)


def _value_before(text: str) -> str | None:
    """The last value in prose: a math span or a run of math between words, else the last number. Values
    joined only by "and", "or" or commas are one list ("$x = 3$ or $x = -2$"); a value after a negation
    ("not 5") is not stated, so an earlier one is sought."""
    tried = 0
    segments = _segments(text[-_PROSE_TAIL_CHARS:])  # prose, math, prose, ..., math, prose
    k = len(segments) - 1
    while k >= 0:
        is_math, piece = segments[k]
        if is_math:
            first = k
            while first >= 2 and _joins(segments[first - 1][1]):
                first -= 2
            spans = [_value_candidate(segments[j][1]) for j in range(first, k + 1, 2)]
            denied = first > 0 and _denies(segments[first - 1][1])
            k = first - 1
            if all(spans) and not denied:
                return ", ".join(spans)  # type: ignore[arg-type]
            continue
        for run, before in _prose_runs(piece):
            candidate = _value_candidate(run)
            if candidate is None or before.lower() in NEGATIONS:
                continue  # garbage and denied values are never the answer
            if "=" in candidate and not _LETTERS.search(candidate):  # 16 - 3 = 13: the computation's result
                candidate = candidate.rsplit("=", 1)[1].strip()
            tried += 1
            if tried <= _MAX_PROSE_CANDIDATES and _MATH_SIGN.search(candidate) and is_bare_answer(candidate):
                return candidate
            numbers = _NUMBER.findall(candidate)
            if numbers:
                return numbers[-1].rstrip(",")
        k -= 1
    return None


def _value_candidate(run: str) -> str | None:
    """``run`` trimmed, when it holds a value: control characters and broken braces are garbage."""
    candidate = run.strip(" \t\n.,;:!?")
    if (not candidate or not _VALUE_HINT.search(candidate) or CONTROL.search(candidate)
            or not balanced(candidate)):
        return None
    return candidate


def _prose_runs(piece: str) -> Iterator[tuple[str, str]]:
    """The runs of math between the words of prose, last first, each with the word before it; runs joined
    only by "and"/"or" are one list ("x = 3 or x = -2")."""
    parts = (_PROSE_SPLIT_ASCII if piece.isascii() else _PROSE_SPLIT).split(piece)  # run, word, ..., run
    k = len(parts) - 1  # runs stand at even indices, words at odd ones
    while k >= 0:
        text = parts[k]
        while (k > 1 and parts[k - 1].lower() in ("and", "or") and _VALUE_HINT.search(parts[k - 2])
               and _VALUE_HINT.search(text)):
            text = f"{parts[k - 2].rstrip(' ,')} {parts[k - 1]} {text.lstrip()}"
            k -= 2
        yield text, parts[k - 1] if k > 0 else ""
        k -= 2


def _joins(prose: str) -> bool:
    """Whether ``prose`` between two math spans only lists them (", ", " or ", ", and ")."""
    return bool(prose.strip()) and _LIST_GAP.fullmatch(prose) is not None


def _denies(prose: str) -> bool:
    """Whether ``prose`` ends in a negation ("is not", "isn't"), denying the value after it."""
    words = prose[-40:].rstrip(" \t\n,;:$(").rsplit(None, 1)
    return bool(words) and words[-1].lower().split("'")[0].strip("*_") in NEGATIONS
