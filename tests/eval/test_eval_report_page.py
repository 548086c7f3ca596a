"""The HTML report as a page to publish, read back without a browser: one headline metric, a run-specific
title and header, numbers written out (not only in tooltips), figures only where they inform, round ticks,
honest scales, distinguishable lines, many categories ranked in a table, infrastructure errors counted apart,
LaTeX marked for the bundled typesetter and nothing fetched. (Layout and typesetting are checked in Chromium
by ``test_eval_html_browser.py``.)"""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from eval_doubles import evaluate, lineage_problems
from hypothesis import given
from hypothesis import strategies as st
from report_page import Page, long_decimals, percent

from verimath.charts import Row, interval_chart, nice_ticks, tick_label
from verimath.eval import RunStore, StoredProblem, build_report, render_html
from verimath.eval._tex import answer_html, split_math
from verimath.models import Usage, testing
from verimath.strategies import Attempt, MessageStep


def page_of(run) -> tuple[Page, Any]:
    report = build_report(run)
    return Page(render_html(report, run)), report


def gold_of(question: str) -> str:
    return str(int(question.split()[2]) % 3)  # eval_doubles' questions: "What is {i} mod 3?"


def attempt_of(question: str, answer: str | None) -> Attempt:
    """A real ``Attempt`` whose token count depends on its question, so mean tokens per problem are not round
    numbers."""
    return Attempt("scripted", question, answer, (MessageStep("user", question, "question"),),
                   Usage(10 + len(question) % 7, 0), model_calls=1, wall_s=0.01)


@dataclass
class FirstSampleWrong:
    """Wrong on a question's first attempt, right on every later one (run with concurrency 1, the first
    attempt is sample 0): first-sample accuracy 0, pass@1 (n-1)/n."""

    name: str = "first-wrong"
    uses_code: bool = False
    seen: Counter[str] = field(default_factory=Counter)

    async def attempt(self, question: str, model: Any, executor: Any = None) -> Attempt:
        self.seen[question] += 1
        return attempt_of(question, "wrong" if self.seen[question] == 1 else gold_of(question))


def test_the_headline_is_pass_at_1_over_every_sample_the_same_number_as_the_table_and_json(tmp_path):
    evaluate(str(tmp_path), 8, 4, concurrency=1, strategy=FirstSampleWrong())
    page, report = page_of(tmp_path)
    data = report.to_dict()
    assert data["pass_at_k"]["1"] == 0.75 and data.get("headline", {"value": 0.75})["value"] == 0.75
    # Before, the headline was first-sample accuracy (here 0%) while the table said pass@1 = 75%.
    assert f"{percent(0.75)}% pass@1" in page.text and "first-sample" not in page.text
    table = re.search(r'<tr data-metric="pass@k">.*?</tr>', render_html(report, tmp_path), re.S).group(0)
    assert re.findall(r"<td><b>([\d.]+)</b>", table)[0] == percent(0.75)  # the k = 1 column
    assert "0.0% pass@1" not in page.text
    assert page.text.count("3 of 4 samples right") == 8  # each problem in the sample browser


def test_numbers_are_written_in_the_page_not_only_in_tooltips(tmp_path):
    evaluate(str(tmp_path), 12, 3)
    page, report = page_of(tmp_path)
    s = report.summary
    for by_k in (s.pass_at_k, s.maj_at_k, *s.weighted_at_k.values()):
        for e in by_k.values():
            assert f"{percent(e.value)} [{percent(e.low)}, {percent(e.high)}]" in page.text
    for label, group in s.groups["level"].items():
        e = group.pass_at_k[1]
        row = f"{label} {percent(e.value)}% [{percent(e.low)}, {percent(e.high)}] · {group.problems} problems"
        assert row in page.text
    legend = page.figure("accuracy-vs-k").texts_of("legend")
    assert f"pass@k {percent(s.pass_at_k[3].value)}%" in legend


def test_one_sample_per_problem_draws_no_line_of_a_single_point(tmp_path):
    evaluate(str(tmp_path), 10, 1)
    page, _ = page_of(tmp_path)
    # Before: "accuracy vs samples" and "accuracy vs compute" were each one dot per metric.
    assert "accuracy-vs-k" not in page.kinds() and "accuracy-vs-compute" not in page.kinds()
    assert all(len(s["points"]) >= 2 for f in page.figures for s in f.series.values())
    assert "pass@1" in page.text and 'data-metric="maj@k"' in render_html(build_report(tmp_path), tmp_path)


def test_tick_labels_are_round_numbers(tmp_path):
    evaluate(str(tmp_path), 12, 4, strategy=FirstSampleWrong())
    page, report = page_of(tmp_path)
    tokens = [p.tokens for p in report.summary.curve]
    assert any(t != round(t) for t in tokens)  # not round numbers of tokens: the old axis read 12.1667
    for figure in page.figures:
        assert not long_decimals([t for _, t in figure.texts]), figure.kind
    ticks = page.figure("accuracy-vs-k").texts_of("tick")
    assert {f"{t:,.0f} tok" for t in tokens} <= set(ticks)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(1e-3, 1e6, allow_nan=False))
def test_nice_ticks_cover_the_range_in_round_equal_steps(low, span):
    high = low + span
    ticks = nice_ticks(low, high)
    assert 2 <= len(ticks) <= 11
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(steps) - min(steps) <= 1e-6 * max(steps)
    assert ticks[0] <= low + 1e-6 * steps[0] and ticks[-1] >= high - 1e-6 * steps[0]
    mantissa = float(f"{min(steps):e}".split("e")[0])
    assert mantissa in (1.0, 2.0, 2.5, 5.0)
    decimals = max(0, -math.floor(math.log10(steps[0]) + 1e-9)) + (mantissa == 2.5)
    for tick in ticks:  # each label reads back as its tick, with no more decimals than the step needs
        label = tick_label(tick, ticks)
        assert float(label) == pytest.approx(tick, abs=1e-6 * steps[0])
        assert len(label.partition(".")[2]) <= decimals


def test_coinciding_lines_stay_distinguishable(tmp_path):
    evaluate(str(tmp_path), 12, 4)  # every sample of a problem answers alike: all metrics coincide
    page, report = page_of(tmp_path)
    s = report.summary
    assert s.maj_at_k[4].value == s.pass_at_k[4].value == s.weighted_at_k["verification"][4].value
    series = page.figure("accuracy-vs-k").series
    assert {"pass@k", "maj@k", "weighted@k (verification)", "weighted@k (execution)"} <= set(series)
    styles = {(str(s_["stroke"]), str(s_["dash"])) for s_ in series.values()}
    assert len(styles) == len(series)  # own colour and dash each
    for i in range(3):
        xs = sorted(s_["points"][i][0] for s_ in series.values())
        ys = {s_["points"][i][1] for s_ in series.values()}
        assert len(ys) == 1  # same value...
        assert min(b - a for a, b in itertools.pairwise(xs)) >= 4  # ...drawn side by side, not on top


def test_many_categories_are_ranked_in_a_table_not_crammed_under_one_axis(tmp_path):
    items = [StoredProblem(f"t{j:03d}#0", j, f"What is {j} mod 3?", str(j % 3) if j % 5 else "9",
                           {"template_id": f"template-{j:03d}"}) for j in range(137)]
    evaluate(str(tmp_path), 0, 1, items=items)
    page, report = page_of(tmp_path)
    html = render_html(report, tmp_path)
    assert "group-template_id" not in page.kinds()  # before: 137 bars and 137 colliding labels
    assert "lowest 10" in page.text and "highest 10" in page.text
    assert "all 137 template_id values" in page.text
    view = html[html.index('<div class="ranked-view" data-key="template_id">'):]
    full = re.search(r'<table class="ranked all">.*?</table>', view, re.S)
    rows = re.findall(r"<tr><td>(template-\d+)</td><td>\d+</td><td><b>([\d.]+)</b>", full.group(0))
    assert len(rows) == 137 and len({label for label, _ in rows}) == 137
    values = [float(v) for _, v in rows]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == 100.0
    lowest = re.search(r'<table class="ranked lowest">.*?</table>', html, re.S).group(0)
    assert lowest.count("<tr><td>template-") == 10 and "template-000" in lowest  # "9" is wrong for 0 mod 3


def test_a_small_drop_is_drawn_on_an_axis_of_at_least_ten_points():
    svg = interval_chart("drop", "drop", [Row("noop", 0.01, -0.02, 0.04)], signed=True, unit="")
    found = re.findall(r'<text x="([\d.]+)"[^>]*class="tick">([+\-\d.]+)<', svg)
    ticks = {text: float(x) for x, text in found}
    assert min(map(float, ticks)) <= -10 and max(map(float, ticks)) >= 10
    zero, ten = ticks["0"], ticks["+10"]
    dot = float(re.search(r'<circle cx="([\d.]+)"', svg).group(1))
    assert (dot - zero) / (ten - zero) == pytest.approx(0.1, abs=0.01)  # 1 point is a tenth of 10 points
    assert "+1.0 [-2.0, +4.0]" in svg  # the value, written


def test_robustness_section_states_the_drop_on_an_honest_axis(tmp_path):
    evaluate(str(tmp_path), 0, 2, items=lineage_problems(4))
    page, report = page_of(tmp_path)
    drop = page.figure("robustness-drop")
    values = [float(t) for t in drop.texts_of("tick")]
    assert min(values) <= -10 and max(values) >= 10
    for kind, d in report.robustness.by_kind.items():
        e = d.drop
        assert f"{100 * e.value:+.1f} [{100 * e.low:+.1f}, {100 * e.high:+.1f}]" in page.text, kind


def test_errors_row_reads_zero_for_runs_without_infrastructure_errors(tmp_path):
    evaluate(str(tmp_path), 6, 2)
    page, _ = page_of(tmp_path)
    assert "0 of 12 attempts were infrastructure errors" in page.text
    assert "0 of 12 attempts (0.0%)" in page.text


def test_infrastructure_errors_are_counted_apart_from_wrong_answers(tmp_path):
    from verimath.eval import AttemptRecord

    if not hasattr(AttemptRecord, "failure"):
        pytest.skip("this store has no error outcome yet (AttemptRecord.failure)")
    evaluate(str(tmp_path), 6, 2)
    with RunStore.open(tmp_path) as store:
        store.add_attempt(AttemptRecord.failure("p0", 2, "connection refused", 0.1))
    page, report = page_of(tmp_path)
    assert "1 of 13 attempts were infrastructure errors 1 × connection refused" in page.text
    assert "0 of 13 attempts" not in page.text and "1 of 13 attempts (7.7%)" in page.text  # the errors row
    summary = re.search(r"<b>p0</b> · (.*?)</summary>", render_html(report, tmp_path)).group(1)
    assert re.fullmatch(r"\d of 2 samples right · maj@2 \d+% · 1 infrastructure error", summary)


def test_page_is_self_contained_and_includes_katex_only_with_math(tmp_path):
    evaluate(str(tmp_path / "plain"), 4, 1)
    plain = render_html(build_report(tmp_path / "plain"), tmp_path / "plain")
    assert "katex" not in plain.lower()
    items = [StoredProblem("m0", 0, r"What is $\frac{1}{2} + \frac{1}{2}$? It costs $5 and $6.", "1", {}),
             StoredProblem("m1", 1, r"Simplify \(\sqrt{4}\) and \[x^2 = 4.\]", r"\frac{4}{2}", {})]
    evaluate(str(tmp_path / "math"), 0, 1, items=items)
    html = render_html(build_report(tmp_path / "math"), tmp_path / "math")
    assert html.count('class="tex"') >= 4 and "katex.render" in html
    assert "url(fonts/" not in html and html.count("data:font/woff2;base64,") >= 20
    for page in (plain, html):
        assert not re.findall(r"https?://(?!www\.w3\.org/(1998/Math/MathML|2000/svg))", page)
        markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # KaTeX's code holds markup templates
        assert not re.search(r"""<(?:script|link|img|iframe)[^>]*(?:src|href)=""", markup)


@pytest.mark.parametrize(("text", "expected"), [
    ("It costs $5 and $6 each.", [("It costs $5 and $6 each.", False)]),
    (r"Pay \$3 and $x^2$.", [(r"Pay \$3 and ", False), ("x^2", True), (".", False)]),
    (r"costs $\$$1500", [("costs ", False), (r"\$", True), ("1500", False)]),
    ("$$a+b$$ then $c$", [("a+b", True), (" then ", False), ("c", True)]),
    (r"\(x\) and \[y\]", [("x", True), (" and ", False), ("y", True)]),
    ("an unclosed $x", [("an unclosed $x", False)]),
])
def test_math_is_found_by_its_delimiters_and_prices_stay_text(text, expected):
    assert [(s.text, s.math) for s in split_math(text)] == expected


@given(st.text(alphabet=st.characters(blacklist_characters="$\\")))
def test_text_without_delimiters_is_one_plain_segment(text):
    assert [(s.text, s.math) for s in split_math(text)] == ([(text, False)] if text else [])


def test_bare_latex_answers_are_typeset_and_plain_ones_are_not():
    assert answer_html(r"\left( 3, \frac{\pi}{2} \right)").startswith('<span class="tex"')
    assert answer_html("42") == "42" and answer_html("<b>") == "&lt;b&gt;"


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", *map(str, args)], capture_output=True, text=True,
                          timeout=180)


def run_and_report(tmp_path, model: str) -> tuple[Any, Page]:
    """``verimath eval`` against the scripted server (right on even ids), then ``verimath report --html``."""
    data, run = tmp_path / "algebra.jsonl", tmp_path / model.replace(":", "-")
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"Solve $x + {i} = {2 * i}$ for $x$.",
                                        "answer": str(i)}) + "\n" for i in range(6)))

    def respond(request):
        i = int(re.search(r"\$x \+ (\d+) =", request.last).group(1))
        return f"So $x = \\boxed{{{i if i % 2 == 0 else i + 1}}}$."

    with testing.ScriptedServer(respond) as server:
        done = cli("eval", "--dataset", data, "--model", model, "--base-url", server.base_url,
                   "--strategy", "cot", "-n", 2, "--temperature", "0.5", "--run-dir", run)
    assert done.returncode == 0, done.stderr
    page = run / "report.html"
    shown = cli("report", run, "--html", page)
    assert shown.returncode == 0, shown.stderr
    return run, Page(page.read_text(encoding="utf-8"))


def test_title_and_header_name_the_run(tmp_path):
    run, page = run_and_report(tmp_path, "openai:alpha-7b")
    _, other = run_and_report(tmp_path, "openai:beta-1b")
    assert page.title != other.title and page.title.strip() != "verimath report"  # before: the same title
    assert page.title.startswith("openai:alpha-7b · cot · algebra.jsonl — pass@1 50.0%")
    manifest = json.loads((run / "manifest.json").read_text())
    session = manifest["sessions"][0]
    for fact in (str(tmp_path / "algebra.jsonl"), manifest["identity"]["dataset"]["sha256"],
                 f"verimath {session['versions']['verimath']}", "temperature 0.5", session["started"],
                 "6 problems × 2 per problem = 12 samples", "openai:alpha-7b", "cot"):
        assert fact in page.text, fact
