"""The HTML report in headless Chromium: its script runs without errors or console messages, it asks the
network for nothing (every request goes to a recording proxy on loopback), LaTeX is typeset by the bundled
KaTeX, no two labels of a figure overlap or leave it, and the key numbers are on the page."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from eval_doubles import evaluate, lineage_problems
from report_page import Page, percent

from verimath.eval import StoredProblem, build_report, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")

BROWSER_OWN_HOSTS = ("accounts.google.com", "update.googleapis.com", "clients2.google.com",
                     "redirector.gvt1.com")
"""Chromium's own background services (sign-in, component updates, network time), not the page's requests."""

LAYOUT_CHECK = """<script>window.addEventListener('load',()=>{const overlaps=[],outside=[];
for(const svg of document.querySelectorAll('svg.figure')){const box=svg.getBoundingClientRect();
const texts=[...svg.querySelectorAll('text')].map(t=>[t.textContent,t.getBoundingClientRect()])
.filter(([,b])=>b.width>0);for(const [text,b] of texts)if(b.left<box.left-1||b.right>box.right+1||
b.top<box.top-1||b.bottom>box.bottom+1)outside.push(text);for(let i=0;i<texts.length;i++)
for(let j=i+1;j<texts.length;j++){const a=texts[i][1],b=texts[j][1];if(a.left<b.right-1&&b.left<a.right-1&&
a.top<b.bottom-1&&b.top<a.bottom-1)overlaps.push(texts[i][0]+' / '+texts[j][0])}}
document.body.dataset.overlaps=overlaps.length+(overlaps.length?': '+overlaps.slice(0,3).join('; '):'');
document.body.dataset.outside=outside.length+(outside.length?': '+outside.slice(0,3).join('; '):'');
document.body.dataset.shown=document.body.innerText.length});</script>"""
"""Appended by the tests (not part of the report): measures the laid-out labels of every figure."""


@dataclass
class Recorder:
    """A proxy on loopback that records every request Chromium sends through it and answers none."""

    requests: list[str]
    port: int


@pytest.fixture(scope="module")
def proxy() -> Iterator[Recorder]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def record(self) -> None:
            seen.append(self.path)
            self.send_response(502)
            self.end_headers()

        do_GET = do_POST = do_HEAD = do_CONNECT = record

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Recorder(seen, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def host(request: str) -> str:
    """The host of a proxied request: ``host:443`` (CONNECT) or ``http://host/path`` (GET)."""
    return urlsplit(request).hostname or "" if "//" in request else request.rsplit(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Rendered:
    attrs: dict[str, str]
    """The body's data attributes once the page's scripts ran."""
    dom: str
    console: list[str]
    requests: list[str]
    """Requests the page made (Chromium's own background services left out)."""

    @property
    def text(self) -> str:
        return Page(self.dom).text


def rendered(html: str, tmp_path: Path, proxy: Recorder) -> Rendered:
    """``html`` after Chromium ran its scripts (and the layout check), with console messages and requests."""
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", LAYOUT_CHECK + "</body>"), encoding="utf-8")
    before = len(proxy.requests)
    out = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-pings", "--disable-domain-reliability",
         "--no-first-run", "--disable-default-apps", f"--user-data-dir={tmp_path / 'profile'}",
         f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,900", "--virtual-time-budget=8000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", out.stdout)
    assert body, out.stdout[:500]
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', body.group(1)))
    assert attrs.get("ready") == "1"  # the page's script ran to the end
    assert "errors" not in attrs, attrs["errors"]  # no uncaught JavaScript error
    console = [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
    requests = [r for r in proxy.requests[before:] if host(r) not in BROWSER_OWN_HOSTS]
    return Rendered(attrs, out.stdout, console, requests)


def assert_clean(page: Rendered) -> None:
    """No console message, no request, no label overlapping another or leaving its figure."""
    assert page.console == []
    assert page.requests == []
    assert page.attrs["overlaps"] == "0" and page.attrs["outside"] == "0", page.attrs


@needs_chromium
def test_html_report_renders_in_headless_chromium(tmp_path, proxy):
    run = tmp_path / "run"
    evaluate(str(run), 12, 3)
    report = build_report(run)
    page = rendered(render_html(report, run), tmp_path, proxy)
    assert_clean(page)
    assert page.attrs["figures"] == "2"  # accuracy against k, pass@1 by level
    assert 'id="n">12<' in page.dom  # the trace browser's filter ran and shows every problem
    assert "Robustness" not in page.dom  # problems without lineage have no robustness section
    assert "katex" not in page.dom.lower()  # no math, no typesetter
    s = report.summary
    assert f"{percent(s.pass_at_k[1].value)}% pass@1" in page.text
    assert "maj@k" in page.text and f"{percent(s.maj_at_k[3].value)} [" in page.text
    assert "0 of 36 attempts were infrastructure errors" in page.text


@needs_chromium
def test_robustness_section_renders_with_its_figures(tmp_path, proxy):
    run = tmp_path / "run"
    items = lineage_problems(4)
    evaluate(str(run), 0, 2, items=items)
    page = rendered(render_html(build_report(run), run), tmp_path, proxy)
    assert_clean(page)
    # accuracy against k, pass@1 by perturbation and by template_id, drop per kind of variant
    assert page.attrs["figures"] == "4"
    section = page.dom[page.dom.index("<h2>Robustness</h2>"):]
    drop = re.search(r'data-kind="robustness-drop".*?</svg>', section, re.S).group(0)
    assert drop.count("<circle") == 2  # one dot (with its CI) for each of "noop" and "swap"
    assert re.search(r"<td>swap</td><td>4</td><td>4 parents</td>", section)
    assert "Templates ranked by worst case (2)" in section
    assert f'id="n">{len(items)}<' in page.dom


@needs_chromium
def test_many_categories_leave_no_colliding_labels(tmp_path, proxy):
    items = [StoredProblem(f"t{j:03d}#0", j, f"What is {j} mod 3?", str(j % 3),
                           {"template_id": f"tpl-{j:03d}"}) for j in range(137)]
    run = tmp_path / "run"
    evaluate(str(run), 0, 1, items=items)
    page = rendered(render_html(build_report(run), run), tmp_path, proxy)
    assert_clean(page)  # before: 137 labels under one axis, most of them on top of each other
    assert "lowest 10" in page.text and "all 137 template_id values" in page.text


@needs_chromium
def test_latex_of_math500_is_typeset_offline(tmp_path, proxy, shared_data):
    from verimath.models import Usage
    from verimath.problems import load_dataset
    from verimath.strategies import Attempt, MessageStep

    rows = list(load_dataset(shared_data / "math500.jsonl", limit=60))
    gold = {p.question: p.answer for p in rows}

    class Oracle:
        name = "oracle"
        uses_code = False

        async def attempt(self, question, model, executor=None):
            return Attempt("oracle", question, gold[question], (MessageStep("user", question, "question"),),
                           Usage(10, 5), model_calls=1)

    items = [StoredProblem(p.id, i, p.question, p.answer, dict(p.metadata)) for i, p in enumerate(rows)]
    run = tmp_path / "run"
    evaluate(str(run), 0, 1, items=items, strategy=Oracle())
    html = render_html(build_report(run), run)
    formulas = html.count('class="tex"')
    page = rendered(html, tmp_path, proxy)
    assert_clean(page)
    assert formulas > 200 and page.attrs["math"] == str(formulas) and page.attrs["math-errors"] == "0"
    assert page.dom.count('class="katex"') >= formulas
    shown = re.sub(r"<annotation.*?</annotation>", "", page.dom, flags=re.S)
    question = re.search(r'<div class="q">(.*?)</div><div>gold', shown, re.S).group(1)
    assert "\\frac" not in Page(question).text and "$" not in Page(question).text  # typeset, not raw
