"""Find the final answer in a full model response.

``extract(response)`` returns the text of the final answer (still LaTeX or plain text; ``parse`` reads it) or
``None`` when the response states none. Every rule is a linear scan or a regex without nested quantifiers, so a
megabyte of garbage costs milliseconds, never a hang.

Rules, in order — the first that finds something wins, and within a rule the *last* occurrence wins, because
models restate and correct themselves:

1. Reasoning inside ``<think>…</think>`` is ignored (and with only a closing ``</think>``, what precedes it).
2. ``\\boxed{…}`` / ``\\fbox{…}`` (nested braces; also ``\\boxed 5``). Boxes joined only by commas, "and" or "or"
   are one answer listed in parts (``\\boxed{1}, \\boxed{2}``) and are joined with ", ".
3. A stated answer: "final answer is …", "the answer is …", "Answer: …", ``#### …``, a line starting ``A: …``.
4. Markdown bold on the last line that has it (``**42**``), when it is not a heading such as ``**Step 1:**``.
5. Choice letters: a last line that is only ``(C)`` / ``C)`` / ``C.``.
6. Math on the final line: ``$…$``, ``\\(…\\)``, ``\\[…\\]``, ``$$…$$``.
7. Only when nothing else is there: the last number in the text.

Only the last 32 KiB of a response are read: final answers stand at the end, and this bounds the work on
adversarial input. Pure and thread-safe; imports nothing from verimath.
"""

from __future__ import annotations

import re

__all__ = ["extract"]

# A stated answer: the phrase, then an optional colon/"is", then the rest of the line.
_STATED = re.compile(
    r"(?:final\s+answer\s*(?:is|:|=)|the\s+answer\s*(?:is|:|=)|\banswer\s*:|^[ \t]*####|^[ \t]*A[ \t]*:)"
    r"[ \t:]*(?P<answer>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_BOLD = re.compile(r"\*\*(?P<answer>[^*\n]{1,200})\*\*")
_CHOICE_LINE = re.compile(r"^\s*\(?(?P<letter>[A-J])\)?[.:]?\s*$")
_MATH_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
# The end of a sentence inside a stated answer: ". " or a final "." that is not a decimal point.
_SENTENCE_END = re.compile(r"\.(?:\s|$)(?!\d)")
_BOX_CONNECTOR = re.compile(r"[\s$,;]*(?:(?:and|or)[\s$,;]*)?", re.IGNORECASE)
_BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
# A final answer stands at the end of a response: the rules read only its last 32 KiB (after reasoning is
# stripped), which bounds their work on megabytes of input; the math rule, riskier, reads only the last 4000.
_TAIL_CHARS = 32_768
_MATH_TAIL_CHARS = 4000
# GSM8K-style calculator annotations ``<<3*4=12>>`` are scratch work, never the answer.
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")


def extract(response: str) -> str | None:
    """The final answer stated in ``response``, or ``None`` when there is none (see the module docstring)."""
    if not response:
        return None
    text = _strip_reasoning(response)[-_TAIL_CHARS:]
    for rule in (_last_boxes, _last_stated, _last_bold, _last_choice, _last_math, _last_number):
        found = rule(text)
        if found:
            return found
    return None


def _strip_reasoning(text: str) -> str:
    close = text.rfind(_THINK_CLOSE)
    if close >= 0:  # everything up to the last closing tag is reasoning (its opening tag may be in the prompt)
        text = text[close + len(_THINK_CLOSE):]
    text = text.replace(_THINK_OPEN, "")
    if "<<" in text:
        text = _CALCULATOR.sub("", text)
    return text


def _matching_braces(text: str, start: int) -> dict[int, int]:
    """Index of each ``{`` from ``start`` on to the index of its ``}``, in one regex-driven pass; escaped
    ``\\{`` and ``\\}`` are not structure."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACE_TOKENS.finditer(text, start):
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


def _last_boxes(text: str) -> str | None:
    starts = [m.start() for m in re.finditer(r"\\(?:boxed|fbox)(?![a-zA-Z])", text)]
    if not starts:
        return None
    braces = _matching_braces(text, starts[0])
    good = []  # (start, end, content) of each box that closes and is not empty
    for start in starts:
        span = _box_content(text, start + 1, braces)
        if span is not None and span[0].strip():
            good.append((start, span[1], span[0].strip()))
    if not good:
        return None
    # Boxes joined only by connectors (``\\boxed{1}, \\boxed{2}``, "and", "or") are one answer in parts.
    parts = [good[-1]]
    for box in reversed(good[:-1]):
        if not _BOX_CONNECTOR.fullmatch(text[box[1]:parts[-1][0]]):
            break
        parts.append(box)
    return ", ".join(content for _, _, content in reversed(parts))


def _clean(answer: str) -> str:
    """Trim what surrounds a stated answer: sentence ends, markdown, math delimiters."""
    answer = answer.strip()
    end = _SENTENCE_END.search(answer)
    if end is not None:
        answer = answer[:end.start()]
    answer = answer.strip().strip("*").strip()
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if len(answer) > len(left) + len(right) and answer.startswith(left) and answer.endswith(right):
            answer = answer[len(left):-len(right)].strip()
            break
    return answer.rstrip(".,;: ").strip()


def _last_stated(text: str) -> str | None:
    for match in reversed(list(_STATED.finditer(text))):
        answer = _clean(match.group("answer"))
        if answer:
            return answer
    return None


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


def _last_math(text: str) -> str | None:
    text = text.rstrip()[-_MATH_TAIL_CHARS:]
    best: tuple[int, str] | None = None  # (where the span ends, its content)
    for left, right in _MATH_DELIMITERS:
        close = text.rfind(right)
        if close < 0 or (right == "$" and text[close - 1:close] == "$"):  # ``$$`` is its own delimiter
            continue
        opening = text.rfind(left, 0, close - len(left) + 1 if left == right else close)
        if opening >= 0 and (best is None or close > best[0]):
            best = (close, text[opening + len(left):close])
    # Only math on the final line counts: earlier math is working, not the answer.
    if best is None or "\n" in text[best[0]:]:
        return None
    return _clean(best[1]) or None


def _last_number(text: str) -> str | None:
    numbers = _NUMBER.findall(text)
    if not numbers:
        return None
    return numbers[-1].rstrip(",")
