"""Finding the LaTeX in a problem's text and marking it for the HTML report's typesetter.

Math is delimited as in MATH-style datasets: ``$$…$$`` and ``\\[…\\]`` (display), ``$…$`` and
``\\(…\\)`` (inline). A ``$…$`` pair is math when it follows pandoc's rule (a non-space character inside
each dollar, no digit right after the closing one) or when its content reads as LaTeX (a command, a script,
a brace), so prices ("costs $5 and $6") stay text while MATH's ``$ \\frac{47}{288} $`` is typeset.

Formulas are typeset in the page by the vendored KaTeX (``katex/``: script, CSS and fonts, all inlined into
the page, so nothing is fetched). It was chosen by measurement over server-side LaTeX-to-MathML
(``latex2mathml`` 3.81): both accept all 1,698 formulas of MATH-500's questions and answers, but Chromium
draws that MathML without stretchy brackets, a ``cases`` brace or matrix delimiters, while KaTeX typesets
them as LaTeX does. It costs about 640 kB per page, so only pages with math include it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

_OPENING = re.compile(r"\\\$|\$\$|\\\[|\\\(|\$")
"""An escaped dollar (skipped) or an opening delimiter."""
_CLOSING = {"$$": ("$$", True), "\\[": ("\\]", True), "\\(": ("\\)", False)}

_LATEX_HINT = re.compile(r"\\(?:[A-Za-z]+|[$%&#{}_,;!])|[\^_{}]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text, or a formula (without its delimiters)."""

    text: str
    math: bool = False
    display: bool = False


def _inline_dollar(text: str, at: int) -> int:
    """The end of the ``$…$`` formula opening at ``text[at]``, or -1 when that dollar is text."""
    close = at + 1
    while True:
        close = text.find("$", close)
        if close < 0:
            return -1
        if text[close - 1] != "\\":
            break
        close += 1
    body = text[at + 1:close]
    if not body.strip():
        return -1
    pandoc = not body[0].isspace() and not body[-1].isspace() and not text[close + 1:close + 2].isdigit()
    return close + 1 if pandoc or looks_like_latex(body) else -1


def split_math(text: str) -> list[Segment]:
    """``text`` as alternating plain and math segments, in order (formulas without their delimiters)."""
    segments: list[Segment] = []
    plain_from = at = 0
    while (match := _OPENING.search(text, at)) is not None:
        opening, at = match.group(), match.end()
        if opening == "\\$":
            continue
        if opening == "$":
            end = _inline_dollar(text, match.start())
            closing_len, display = 1, False
        else:
            closing, display = _CLOSING[opening]
            end = text.find(closing, at)
            end, closing_len = (end + len(closing), len(closing)) if end >= 0 else (-1, 0)
        if end < 0 or not text[at:end - closing_len].strip():
            continue
        if match.start() > plain_from:
            segments.append(Segment(text[plain_from:match.start()]))
        segments.append(Segment(text[at:end - closing_len], math=True, display=display))
        plain_from = at = end
    if plain_from < len(text):
        segments.append(Segment(text[plain_from:]))
    return segments


def looks_like_latex(answer: str) -> bool:
    """Whether a bare answer (no delimiters, as MATH's gold answers are) reads as LaTeX: a command, a script
    or a brace group."""
    return bool(_LATEX_HINT.search(answer))


def math_html(latex: str, display: bool = False) -> str:
    """One formula as a ``tex`` element holding its escaped source, which the page's KaTeX typesets (and which
    reads as LaTeX wherever scripts do not run)."""
    return f'<span class="tex" data-display="{int(display)}">{escape(latex.strip())}</span>'


def rich_text(text: str) -> str:
    """``text`` as HTML with its delimited formulas marked for typesetting and the rest escaped."""
    return "".join(math_html(s.text, s.display) if s.math else escape(s.text) for s in split_math(text))


def answer_html(answer: str) -> str:
    """A bare answer as HTML: typeset as one formula when it looks like LaTeX, else as text with formulas."""
    if "$" not in answer and looks_like_latex(answer):
        return math_html(answer)
    return rich_text(answer)


_KATEX = Path(__file__).with_name("katex")
_FONT = re.compile(r'url\((fonts/[\w-]+)\.woff2\) format\("woff2"\)'
                   r'(?:,url\(fonts/[\w-]+\.woff\) format\("woff"\))?'
                   r'(?:,url\(fonts/[\w-]+\.ttf\) format\("truetype"\))?')

_TYPESET = """function typeset(){let n=0,bad=0;
const o={throwOnError:false,strict:'ignore',macros:{"\\\\mbox":"\\\\text{#1}"}};
for(const e of document.querySelectorAll('.tex')){try{katex.render(e.textContent,e,
Object.assign({displayMode:e.dataset.display==='1'},o));e.classList.replace('tex','texed');n++;
if(e.querySelector('.katex-error'))bad++}catch(err){bad++}}document.body.dataset.math=n;
document.body.dataset.mathErrors=bad}"""


@lru_cache(maxsize=1)
def katex_assets() -> tuple[str, str]:
    """(CSS, script) of the vendored KaTeX with its fonts inlined as data URIs (woff2, which every current
    browser reads), plus ``typeset()``, which renders every ``tex`` element: a page with math needs nothing
    from the network."""

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((_KATEX / f"{match.group(1)}.woff2").read_bytes()).decode()
        return f'url(data:font/woff2;base64,{data}) format("woff2")'

    css = _FONT.sub(inline, (_KATEX / "katex.min.css").read_text(encoding="utf-8"))
    return css, (_KATEX / "katex.min.js").read_text(encoding="utf-8") + "\n" + _TYPESET
