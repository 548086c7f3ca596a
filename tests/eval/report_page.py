"""Reading a report page back in tests: its visible text and its figures, with the standard library's HTML
parser (no browser; tests that need layout run Chromium). Kept out of src/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_HIDDEN = {"title", "script", "style", "annotation"}
"""Elements whose text a reader does not see on the page (``title``: a tooltip or the tab's name)."""


@dataclass
class Figure:
    """One ``svg.figure``: its kind, its texts (with their class) and each series' polyline and its style."""

    kind: str
    texts: list[tuple[str, str]] = field(default_factory=list)
    series: dict[str, dict[str, object]] = field(default_factory=dict)

    def texts_of(self, cls: str) -> list[str]:
        return [text for c, text in self.texts if c == cls]


class Page(HTMLParser):
    """The parts of a report page that tests check."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.figures: list[Figure] = []
        self.title = ""
        self._stack: list[str] = []
        self._text_class: str | None = None
        self._series: str | None = None
        self.feed(html)

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return " ".join(" ".join(self.visible).split())

    def figure(self, kind: str) -> Figure:
        return next(f for f in self.figures if f.kind == kind)

    def kinds(self) -> list[str]:
        return [f.kind for f in self.figures]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "svg" and "figure" in a.get("class", "").split():
            self.figures.append(Figure(a.get("data-kind", "")))
        elif self.figures and "svg" in self._stack:
            figure = self.figures[-1]
            if tag == "g" and a.get("class") == "series":
                self._series = a["data-series"]
                figure.series[self._series] = {"points": []}
            elif tag == "polyline" and self._series is not None:
                points = [tuple(map(float, p.split(","))) for p in a["points"].split()]
                figure.series[self._series].update(points=points, stroke=a.get("stroke"),
                                                   dash=a.get("stroke-dasharray", ""))
            elif tag == "text":
                self._text_class = a.get("class", "")
        if tag not in ("meta", "br", "input", "line", "polyline", "circle", "rect", "path"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag == "g" and self._series is not None and "g" not in self._stack:
            self._series = None
        if tag == "text":
            self._text_class = None

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] == "title" and "head" in self._stack:
            self.title += data
        if any(tag in _HIDDEN for tag in self._stack):
            return
        self.visible.append(data)
        if self._text_class is not None and self.figures and data.strip():
            self.figures[-1].texts.append((self._text_class, data.strip()))


def percent(value: float) -> str:
    """A fraction as the report writes it: one decimal, in percent."""
    return f"{100 * value:.1f}"


def long_decimals(texts: list[str]) -> list[str]:
    """Texts holding a number with three decimals or more (``165.095``): unreadable tick labels."""
    return [t for t in texts if re.search(r"\d\.\d{3,}", t)]
