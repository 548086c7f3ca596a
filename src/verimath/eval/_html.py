"""The HTML report: one self-contained page to publish a run — nothing is fetched, so it works offline.

It holds a run-specific title and header (model, strategy, dataset path and hash, dates, versions, sampling
settings), the headline metric — pass@1, the mean over problems of the share of each problem's samples graded
correct, the one number every report (terminal, JSON, HTML) leads with — a table of every metric by k with 95%
CIs, infrastructure errors counted apart, figures only where they carry information (accuracy against k when
there is more than one k), breakdowns by metadata (a chart with CIs for a few categories, a ranked table for
many), a robustness section when problems carry lineage, and a sample browser with each attempt's trace.
LaTeX in questions and answers is typeset by the vendored KaTeX (see ``_tex``), included only in pages that
have math.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from verimath.charts import CSS as CHART_CSS
from verimath.charts import Line, Point, Row, interval_chart, line_chart
from verimath.eval._report import Report, compared_with
from verimath.eval._store import AttemptRecord, RunStore
from verimath.eval._tex import answer_html, katex_assets, rich_text
from verimath.scaling import Estimate, Robustness, Summary

CHART_CATEGORIES = 15
"""Breakdowns with at most this many categories are drawn; more become a ranked table."""
RANKED_SHOWN = 10
"""A ranked table shows this many lowest and highest categories (all of them in a collapsed list)."""


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a reader needs to know about a run to trust its numbers, read from its manifest."""

    model: str
    strategy: str
    dataset: str
    dataset_sha256: str
    samples: int
    """Samples per problem (the largest k)."""
    sampling: Mapping[str, Any]
    """Temperature, top-p, max tokens, mode, seed: the strategy settings that shape the samples."""
    started: str
    last_session: str
    sessions: int
    verimath: str
    grader: str
    fingerprint: str


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def run_facts(manifest: Mapping[str, Any], samples: int) -> RunFacts:
    """The facts of a run from its manifest (fields a manifest lacks read ``—``)."""
    identity = _mapping(manifest.get("identity"))
    sessions = [s for s in manifest.get("sessions") or () if isinstance(s, Mapping)]
    first, last = (sessions[0], sessions[-1]) if sessions else ({}, {})
    config = _mapping(last.get("config"))
    dataset = _mapping(identity.get("dataset"))
    settings = _mapping(identity.get("strategy_settings"))
    versions = _mapping(last.get("versions"))
    keys = ("temperature", "top_p", "max_tokens", "mode", "seed")
    return RunFacts(
        model=str(identity.get("model") or config.get("model") or "—"),
        strategy=str(identity.get("strategy") or config.get("strategy") or "—"),
        dataset=str(config.get("dataset") or dataset.get("path") or dataset.get("name") or "—"),
        dataset_sha256=str(dataset.get("sha256") or "—"),
        samples=samples,
        sampling={key: settings[key] for key in keys if key in settings},
        started=str(first.get("started") or "—"), last_session=str(last.get("started") or "—"),
        sessions=len(sessions), verimath=str(versions.get("verimath") or "—"),
        grader=str(versions.get("grader") or "—"), fingerprint=str(manifest.get("fingerprint") or "—"))


@dataclass(frozen=True, slots=True)
class Attempts:
    """How many attempts a run stored, and how many of them are infrastructure errors (the attempt could not
    be made: connection, HTTP status, timeout, model not found), which are not wrong answers."""

    stored: int
    errors: int
    messages: Mapping[str, int]
    """The most frequent error messages, with their counts."""


def count_attempts(run_dir: str | Path) -> Attempts:
    """Stored attempts and errors (records flagged ``errored``)."""
    stored, messages = 0, Counter[str]()
    with RunStore.open(run_dir) as store:
        for _, records in store.attempts(with_attempt=False):
            stored += len(records)
            messages.update(str(r.error) for r in records if r.errored)
    return Attempts(stored, sum(messages.values()), dict(messages.most_common(5)))


def _pct(x: float, *, sign: bool = False) -> str:
    return "—" if x != x else f"{100 * x:{'+' if sign else ''}.1f}"


def _with_ci(e: Estimate | None, *, sign: bool = False, unit: str = "") -> str:
    """``value [low, high]`` in percent (or points, signed), the value in bold."""
    if e is None or e.value != e.value:
        return "—"
    ci = (f' <span class="ci">[{_pct(e.low, sign=sign)}, {_pct(e.high, sign=sign)}]</span>'
          if e.low == e.low and e.high == e.high else "")
    return f"<b>{_pct(e.value, sign=sign)}{unit}</b>{ci}"


def _bar(fraction: float) -> str:
    width = 0.0 if fraction != fraction else max(0.0, min(1.0, fraction))
    return f'<span class="bar"><span style="width:{100 * width:.1f}%"></span></span>'


def _dataset_name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] or path


def _title(facts: RunFacts, main: Estimate) -> str:
    return (f"{facts.model} · {facts.strategy} · {_dataset_name(facts.dataset)} — "
            f"pass@1 {_pct(main.value)}% — verimath report")


def _header(facts: RunFacts, summary: Summary, attempts: Attempts) -> str:
    main = summary.headline
    sampling = " · ".join(f"{k.replace('_', ' ')} {escape(str(v))}" for k, v in facts.sampling.items()
                          if v is not None) or "—"
    sessions = (f"{escape(facts.started)} (last of {facts.sessions} sessions {escape(facts.last_session)})"
                if facts.sessions > 1 else escape(facts.started))
    rows = (("model", escape(facts.model)), ("strategy", escape(facts.strategy)),
            ("dataset", f'{escape(facts.dataset)} <span class="muted">sha256 {escape(facts.dataset_sha256)}'
                        f'</span>'),
            ("samples", f"{summary.problems} problems × {facts.samples} per problem = {summary.samples} "
                        f"samples"),
            ("sampling", sampling), ("run", sessions),
            ("versions", f"verimath {escape(facts.verimath)} · grader {escape(facts.grader)}"),
            ("fingerprint", f'<span class="muted">{escape(facts.fingerprint)}</span>'))
    messages = "".join(f"<li>{count} × {escape(str(message))}</li>"
                       for message, count in attempts.messages.items())
    errors = (f'<div class="errors{" some" if attempts.errors else ""}" id="errors">'
              f'{attempts.errors} of {attempts.stored} attempts were infrastructure errors'
              f'{f"<ul>{messages}</ul>" if messages else ""}</div>')
    return (f'<header><h1>{escape(facts.model)} · {escape(facts.strategy)} · '
            f'{escape(_dataset_name(facts.dataset))}</h1>'
            f'<div class="headline" id="headline"><span class="big">{_pct(main.value)}%</span> '
            f'<span class="metric">pass@1</span> <span class="ci">95% CI [{_pct(main.low)}, '
            f'{_pct(main.high)}]</span><div class="muted">pass@1: the mean over problems of the share of '
            f'each problem\'s samples graded correct (with one sample, plain accuracy)</div>{errors}</div>'
            f'<table class="facts">{"".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)}</table>'
            f'</header>')


def _metric_rows(summary: Summary) -> list[tuple[str, str, Mapping[int, Estimate]]]:
    rows = [("pass@k", "some sample of k is correct (unbiased estimator over all samples)",
             summary.pass_at_k),
            ("maj@k", "the majority answer of k samples is correct (ties split)", summary.maj_at_k)]
    rows += [(f"weighted@k ({name})", f"the vote weighted by {name} is correct", by_k)
             for name, by_k in summary.weighted_at_k.items()]
    if summary.best_of_k:
        rows.append(("best-of-k (score)", "the highest-scored of k samples is correct", summary.best_of_k))
    return rows


def _metrics(summary: Summary, attempts: Attempts) -> str:
    ks = list(summary.pass_at_k)
    head = "".join(f"<th>k = {k}</th>" for k in ks)

    def row(key: str, name: str, note: str, cells: str) -> str:
        return (f'<tr data-metric="{escape(key)}"><th>{escape(name)}<div class="muted">{note}</div></th>'
                f'{cells}</tr>')

    body = "".join(row(name, name, escape(note), "".join(f"<td>{_with_ci(by_k.get(k))}</td>" for k in ks))
                   for name, note, by_k in _metric_rows(summary))
    body += row("ties", "tied votes", "a plain vote tied at the top",
                "".join(f"<td>{_pct(summary.tie_at_k.get(k, math.nan))}</td>" for k in ks))
    if len({e.problems for e in summary.pass_at_k.values()}) > 1:
        body += row("problems", "problems", "with at least k samples",
                    "".join(f"<td>{e.problems}</td>" for e in summary.pass_at_k.values()))
    share = _pct(attempts.errors / attempts.stored if attempts.stored else math.nan)
    body += row("errors", "errors", "attempts that could not be made, not counted as wrong answers",
                f'<td colspan="{len(ks)}">{attempts.errors} of {attempts.stored} attempts ({share}%)</td>')
    per = summary.compute.per_sample()
    return (f'<h2>Metrics</h2><table class="metrics" id="metrics"><tr><th>% (95% bootstrap CI)</th>{head}'
            f'</tr>{body}</table><p class="muted">Per sample: {per["tokens"]:.0f} tokens, '
            f'{per["code_calls"]:.2f} code calls, {per["wall_s"]:.2f} s. CIs are percentile bootstraps over '
            f'problems.</p>')


def _accuracy_vs_k(summary: Summary) -> str:
    """Accuracy against k, when there is more than one k; each k's label also gives the tokens per problem."""
    if len(summary.pass_at_k) < 2:
        return ""

    def line(name: str, by_k: Mapping[int, Estimate]) -> Line:
        return Line(name, tuple(Point(k, e.value, e.low, e.high) for k, e in by_k.items()))

    lines = [line(name, by_k) for name, _, by_k in _metric_rows(summary)]
    tokens = {p.k: p.tokens for p in summary.curve}
    labels = [(k, f"{k}\n{tokens[k]:,.0f} tok" if k in tokens else str(k)) for k in summary.pass_at_k]
    return line_chart("accuracy-vs-k", "Accuracy against samples per problem (k)", lines,
                      xlabel="k samples per problem (mean tokens per problem)", x_labels=labels)


def _ranked(key: str, rows: Sequence[tuple[str, str, float]], head: Sequence[str]) -> str:
    """A table of categories ranked by their value (lowest first): the lowest and highest
    :data:`RANKED_SHOWN`, then every category in a collapsed list. ``rows`` are (label, cells, value)."""
    ordered = sorted(rows, key=lambda r: (r[2] != r[2], r[2], r[0]))
    header = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"

    def table(part: Sequence[tuple[str, str, float]], cls: str) -> str:
        return (f'<table class="ranked {cls}">{header}'
                + "".join(f"<tr><td>{escape(label)}</td>{cells}</tr>" for label, cells, _ in part)
                + "</table>")

    if len(ordered) <= 2 * RANKED_SHOWN:
        return f'<div class="ranked-view" data-key="{escape(key)}">{table(ordered, "all")}</div>'
    return (f'<div class="ranked-view" data-key="{escape(key)}"><div class="side"><h4>lowest {RANKED_SHOWN}'
            f'</h4>{table(ordered[:RANKED_SHOWN], "lowest")}</div><div class="side"><h4>highest '
            f'{RANKED_SHOWN}</h4>{table(ordered[-RANKED_SHOWN:][::-1], "highest")}</div><details>'
            f'<summary>all {len(ordered)} '
            f'{escape(key)} values, lowest first</summary>{table(ordered, "all")}</details></div>')


def _breakdowns(summary: Summary) -> str:
    kmax = max(summary.pass_at_k, default=1)
    parts = []
    for key, groups in summary.groups.items():
        title = f"pass@1 by {key}"
        if len(groups) <= CHART_CATEGORIES:
            rows = [Row(label, e.value, e.low, e.high, f"{g.problems} problems")
                    for label, g in groups.items() for e in [g.headline]]
            parts.append(f"<h3>{escape(title)}</h3>{interval_chart(f'group-{key}', title, rows)}")
            continue
        cells = []
        for label, g in groups.items():
            main = g.headline
            extra = "".join(f"<td>{_pct(m[kmax].value) if kmax in m else '—'}</td>"
                            for m in (g.pass_at_k, g.maj_at_k)) if kmax > 1 else ""
            cells.append((label, f"<td>{g.problems}</td><td>{_with_ci(main)}</td>{extra}"
                                 f"<td>{_bar(main.value)}</td>", main.value))
        at_kmax = (f"pass@{kmax} %", f"maj@{kmax} %") if kmax > 1 else ()
        head = [key, "problems", "pass@1 % [95% CI]", *at_kmax, ""]
        parts.append(f"<h3>{escape(title)} ({len(groups)} values, ranked)</h3>{_ranked(key, cells, head)}")
    return f'<h2>Breakdowns</h2><div id="breakdowns">{"".join(parts)}</div>' if parts else ""


def _robustness(r: Robustness | None) -> str:
    """Originals against variants, the drop per kind of variant (table and chart, with CIs), worst case per
    group, spread across instantiation sets, and templates ranked by their worst case."""
    if r is None:
        return ""
    parts = []
    if r.originals is not None and r.variants is not None and r.drop is not None:
        drop = _with_ci(r.drop, sign=True, unit=" points")
        parts.append(f"<p>originals {_with_ci(r.originals, unit='%')} · variants "
                     f"{_with_ci(r.variants, unit='%')} · drop {drop}</p>")
    if r.by_kind:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{d.problems}</td><td>{escape(compared_with(d))}</td>"
                       f"<td>{_with_ci(d.reference)}</td><td>{_with_ci(d.variant)}</td>"
                       f"<td>{_with_ci(d.drop, sign=True)}</td></tr>" for k, d in r.by_kind.items())
        parts.append(f'<table class="robust"><tr><th>kind</th><th>variants</th><th>compared with</th>'
                     f'<th>reference %</th><th>variant %</th><th>drop (points)</th></tr>{rows}</table>')
        drops = [Row(k, d.drop.value, d.drop.low, d.drop.high, f"{d.problems} variants")
                 for k, d in r.by_kind.items()]
        parts.append(interval_chart("robustness-drop", "Accuracy drop by kind of variant (points; > 0: "
                                    "harder)", drops, signed=True, unit=""))
    if r.worst_case:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{e.problems}</td><td>{_with_ci(r.mean[k])}</td>"
                       f"<td>{_with_ci(e)}</td></tr>" for k, e in r.worst_case.items())
        parts.append(f'<table class="robust"><tr><th>group</th><th>groups</th><th>mean accuracy %</th>'
                     f'<th>worst case %</th></tr>{rows}</table>')
    if r.spread:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{s.sets}</td><td>{_pct(s.mean)}</td>"
                       f"<td>{_pct(s.std)}</td><td>{_pct(s.low)}–{_pct(s.high)}</td></tr>"
                       for k, s in r.spread.items())
        parts.append(f'<table class="robust"><tr><th>spread across instantiation sets</th><th>sets</th>'
                     f'<th>mean %</th><th>std</th><th>min–max %</th></tr>{rows}</table>')
    if r.templates:
        cells = [(t, f"<td>{g.problems}</td><td>{_pct(g.mean)}</td><td>{_bar(g.mean)}</td>"
                     f"<td>{_pct(g.worst_case)}</td><td>{_bar(g.worst_case)}</td>", g.worst_case)
                 for t, g in r.templates.items()]
        parts.append(f"<h3>Templates ranked by worst case ({len(cells)})</h3>"
                     + _ranked("template", cells, ["template", "problems", "mean %", "", "worst case %", ""]))
    return f'<h2>Robustness</h2><div id="robustness">{"".join(parts)}</div>'


def _pre(text: Any, cls: str = "") -> str:
    return f'<pre class="{cls}">{escape(str(text))}</pre>' if text not in (None, "") else ""


def _step(step: Mapping[str, Any]) -> str:
    if step.get("kind") == "code":
        result = step.get("result") or {}
        status = str(result.get("status", ""))
        return (f'<div class="cell code"><div class="lab">code {escape(str(step.get("label", "")))} '
                f'<span class="st {escape(status)}">{escape(status)}</span></div>{_pre(step.get("code"))}'
                f'{_pre(result.get("stdout"), "out")}{_pre(result.get("stderr"), "err")}'
                f'{_pre(result.get("error"), "err")}</div>')
    if "content" in step:
        return (f'<div class="cell msg {escape(str(step.get("role", "")))}"><div class="lab">'
                f'{escape(str(step.get("role", "")))} {escape(str(step.get("label", "")))}</div>'
                f'{_pre(step.get("content"))}</div>')
    return f'<div class="cell">{_pre(json.dumps(step, indent=1, default=str))}</div>'


def _sample(record: AttemptRecord) -> str:
    mark = "error" if record.errored else "right" if record.correct else "wrong"
    verdict = record.verdict
    steps = record.attempt.get("trace") or []
    extra = "".join(f" · {k}: {escape(str(v))}" for k, v in (("verification", record.verification),
                                                            ("error", record.error)) if v)
    answer = answer_html(str(record.answer)) if record.answer is not None else "no answer"
    extracted = "—" if verdict.extracted is None else answer_html(verdict.extracted)
    return (f'<details class="sample {mark}"><summary>#{record.sample} <b>{answer}</b> '
            f'<span class="{mark}">{mark}</span> · extracted {extracted} · '
            f'{escape(verdict.method)} · {record.tokens} tokens · {record.code_calls} code '
            f'calls · {record.wall_s:.2f} s{extra}</summary>'
            f'{"".join(_step(s) for s in steps if isinstance(s, Mapping))}</details>')


def _votes(report: Report, problem_id: str) -> tuple[str, str, str]:
    """(state, summary, clusters table) of a problem's graded samples; a problem whose attempts were all
    infrastructure errors has no scores (and no vote)."""
    scores = report.problems.get(problem_id)
    if scores is None:
        return "error", "no graded sample", ""
    names = sorted({n for c in scores.clusters for n in c.votes})
    head = "".join(f"<th>{escape(n)} votes</th>" for n in names)
    rows = "".join(
        f'<tr class="{"right" if c.correct else "wrong"}"><td>{answer_html(c.answer)}</td><td>{c.size}</td>'
        + "".join(f"<td>{c.votes.get(n, 0):.2f}</td>" for n in names)
        + f'<td>{100 * c.share:.0f}%</td><td>{"✔" if c.correct else "✘"}</td></tr>'
        for c in sorted(scores.clusters, key=lambda c: -c.size))
    k = scores.samples
    right = sum(c.size for c in scores.clusters if c.correct)
    summary = f"{right} of {k} samples right · maj@{k} {100 * scores.maj_at[k]:.0f}%"
    table = (f'<table class="clusters"><tr><th>answer cluster</th><th>votes</th>{head}<th>vote share</th>'
             f'<th>correct</th></tr>{rows}</table>')
    return ("right" if scores.maj_at[k] >= 0.5 else "wrong"), summary, table


def _problem(report: Report, problem_id: str, question: str, gold: str,
             records: Sequence[AttemptRecord]) -> str:
    state, summary, clusters = _votes(report, problem_id)
    errors = sum(r.errored for r in records)
    summary += f" · {errors} infrastructure error{'s' if errors > 1 else ''}" if errors else ""
    return (f'<details class="problem {state}" data-text="{escape((problem_id + " " + question).lower())}">'
            f'<summary><b>{escape(problem_id)}</b> · {summary}</summary>'
            f'<div class="q">{rich_text(question)}</div><div>gold: <b>{answer_html(gold)}</b></div>'
            f'{clusters}{"".join(_sample(r) for r in records)}</details>')


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;
padding:0 16px}h1{font-size:22px;margin:0 0 8px}h2{border-bottom:1px solid #ddd;padding-bottom:2px;
margin-top:28px}.headline .big{font-size:34px;font-weight:700}
.headline .metric{font-size:18px;font-weight:600}
.ci{color:#666;font-size:12px}.muted{color:#777;font-size:12px}.errors{margin:4px 0}
.errors.some{color:#b26b00;font-weight:600}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.metrics td{text-align:right;white-space:nowrap}table.facts th{width:110px}
table.facts td{word-break:break-all}
.bar{display:inline-block;width:90px;height:9px;background:#eee;vertical-align:middle}
.bar span{display:block;height:100%;background:#0072b2}
.ranked-view{display:flex;flex-wrap:wrap;column-gap:24px}.ranked-view>details{flex-basis:100%}
.ranked-view h4{margin:6px 0 0}
pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;margin:4px 0}.right{color:#1a7f37}
.wrong{color:#c62828}.error{color:#b26b00}details{margin:4px 0}
details.problem{border:1px solid #ddd;padding:4px 8px;color:#222}details.problem.right>summary{color:#1a7f37}
details.problem.wrong>summary{color:#c62828}
details.problem.error>summary{color:#b26b00}details.sample{margin-left:16px;color:#222}.q{margin:6px 0}
.cell{margin-left:16px;border-left:3px solid #ccc;padding-left:6px}.cell.code{border-color:#0072b2}
.lab{font-size:12px;color:#666}.err{color:#c62828}.st{font-weight:600}"""

_JS = """window.__errors=[];window.addEventListener('error',e=>{window.__errors.push(String(e.message));
document.body.dataset.errors=window.__errors.join('|')});
function filt(){const q=document.getElementById('q').value.toLowerCase();
const w=document.getElementById('w').checked;let shown=0;
for(const d of document.querySelectorAll('details.problem')){
const ok=d.dataset.text.includes(q)&&(!w||d.classList.contains('wrong'));d.style.display=ok?'':'none';
shown+=ok}
document.getElementById('n').textContent=shown}
document.addEventListener('DOMContentLoaded',()=>{filt();if(typeof typeset==='function')typeset();
document.body.dataset.figures=document.querySelectorAll('svg.figure').length;
document.body.dataset.ready='1'});"""


def render_html(report: Report, run_dir: str | Path, *, max_problems: int = 500) -> str:
    """The self-contained report page; the browser shows the first ``max_problems`` problems' traces."""
    s = report.summary
    facts = run_facts(report.manifest, max(s.pass_at_k, default=0))
    attempts = count_attempts(run_dir)
    problems: list[str] = []
    with RunStore.open(run_dir) as store:
        for problem, records in store.attempts():
            if len(problems) >= max_problems:
                break
            if problem.id not in report.problems:  # only errors: nothing graded to show
                continue
            problems.append(_problem(report, problem.id, problem.question, problem.gold, records))
    figure = _accuracy_vs_k(s)
    figures = f'<h2>Figures</h2><div id="figures">{figure}</div>' if figure else ""
    body = (f'{_header(facts, s, attempts)}{_metrics(s, attempts)}{figures}'
            f'{_breakdowns(s)}{_robustness(report.robustness)}'
            f'<h2 id="samples">Samples</h2><p><input id="q" placeholder="filter by id or text" '
            f'oninput="filt()"> <label><input id="w" type="checkbox" onchange="filt()"> only problems '
            f'the vote gets wrong</label> · <span id="n"></span> shown (of the first {len(problems)})</p>'
            f'<div id="browser">{"".join(problems)}</div>')
    math_css, math_js = katex_assets() if 'class="tex"' in body else ("", "")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(_title(facts, s.headline))}</title><style>{_CSS}{CHART_CSS}{math_css}</style>'
            f'<script>{_JS}</script>{f"<script>{math_js}</script>" if math_js else ""}</head>'
            f'<body>{body}</body></html>')
