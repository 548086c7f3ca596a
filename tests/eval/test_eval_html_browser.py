"""The HTML report renders in headless Chromium: its script runs without errors and the figures are there."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from eval_doubles import evaluate

from verimath.eval import build_report, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(tmp_path):
    run = tmp_path / "run"
    evaluate(str(run), 12, 3)
    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(run), run), encoding="utf-8")
    profile = tmp_path / "profile"
    out = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", out.stdout)
    assert body, out.stdout[:500]
    attrs = body.group(1)
    assert 'data-ready="1"' in attrs  # the page's script ran to the end
    assert "data-errors" not in attrs  # no uncaught JavaScript error
    assert 'data-figures="3"' in attrs
    assert out.stdout.count("<svg") == 3 and out.stdout.count("<polyline") >= 4
    assert 'id="n">12<' in out.stdout  # the trace browser's filter ran and shows every problem
