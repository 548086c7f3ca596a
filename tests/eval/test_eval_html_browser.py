"""The HTML report renders in headless Chromium: its script runs without errors and the figures are there."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from eval_doubles import evaluate, lineage_problems

from verimath.eval import build_report, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="headless Chromium is not installed (Debian: apt-get install chromium)")


def rendered(run, tmp_path) -> tuple[str, str]:
    """The report page of ``run`` after Chromium ran its script: (body attributes, DOM)."""
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
    return attrs, out.stdout


@needs_chromium
def test_html_report_renders_in_headless_chromium(tmp_path):
    run = tmp_path / "run"
    evaluate(str(run), 12, 3)
    attrs, dom = rendered(run, tmp_path)
    assert 'data-figures="3"' in attrs
    assert dom.count("<svg") == 3 and dom.count("<polyline") >= 4
    assert 'id="n">12<' in dom  # the trace browser's filter ran and shows every problem
    assert "Robustness" not in dom  # problems without lineage have no robustness section


@needs_chromium
def test_robustness_section_renders_with_its_figures(tmp_path):
    run = tmp_path / "run"
    items = lineage_problems(4)
    evaluate(str(run), 0, 2, items=items)
    attrs, dom = rendered(run, tmp_path)
    # accuracy vs k, by perturbation, by template_id, accuracy vs compute, then drop per kind, templates
    assert 'data-figures="6"' in attrs
    section = dom[dom.index("<h2>Robustness</h2>"):]
    assert 'data-kind="robustness-drop"' in section and 'data-kind="robustness-templates"' in section
    drop = re.search(r'data-kind="robustness-drop".*?</svg>', section, re.S).group(0)
    assert drop.count("<rect") == 1 + 2  # a legend swatch and a bar for each of "noop" and "swap"
    templates = re.search(r'data-kind="robustness-templates".*?</svg>', section, re.S).group(0)
    assert templates.count("<rect") == 2 + 2 * 2  # two swatches, mean and worst case for t1 and t2
    assert "<td>swap</td><td>4</td><td>4 parents</td>" in section
    assert f'id="n">{len(items)}<' in dom
