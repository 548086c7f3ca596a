"""The HTML report: one self-contained page (inline SVG plots, inline CSS and a few lines of JS; nothing
fetched, so it works offline) with accuracy-versus-k, per-group and accuracy-versus-compute figures, a robustness
section (drop per kind of variant, per-template worst case against mean) when problems carry lineage, and a
sample browser showing each attempt's trace, extracted answer, verdict and the answer clusters with votes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from verimath.eval._report import Report, compared_with
from verimath.eval._store import AttemptRecord, RunStore

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
_W, _H, _PAD = 520, 300, 48


def _axes(title: str, xlabel: str, ylabel: str, xticks: Sequence[tuple[float, str]],
          fx: Any, fy: Any) -> list[str]:
    parts = [f'<text x="{_W / 2}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
             f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - 12}" y2="{_H - _PAD}" class="ax"/>',
             f'<line x1="{_PAD}" y1="30" x2="{_PAD}" y2="{_H - _PAD}" class="ax"/>',
             f'<text x="{_W / 2}" y="{_H - 8}" text-anchor="middle">{escape(xlabel)}</text>',
             f'<text x="12" y="{_H / 2}" transform="rotate(-90 12 {_H / 2})" text-anchor="middle">'
             f'{escape(ylabel)}</text>']
    for value, label in xticks:
        parts.append(f'<text x="{fx(value):.1f}" y="{_H - _PAD + 16}" text-anchor="middle">{escape(label)}</text>')
    for tick in range(0, 101, 20):
        y = fy(tick / 100)
        parts.append(f'<line x1="{_PAD}" y1="{y:.1f}" x2="{_W - 12}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{_PAD - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    return parts


def _svg(kind: str, body: list[str]) -> str:
    return (f'<svg class="figure" data-kind="{kind}" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def line_chart(kind: str, title: str, series: Mapping[str, Sequence[tuple[float, float]]], xlabel: str, *,
               log_x: bool = True) -> str:
    """An SVG line chart of accuracies (0..1) against x, one line per series, x on a log2 scale by default."""
    xs = [x for pts in series.values() for x, _ in pts if x > 0 or not log_x]
    if not xs:
        return _svg(kind, [f'<text x="20" y="40">{escape(title)}: no data</text>'])
    tx = (lambda v: math.log2(v)) if log_x else (lambda v: v)
    lo, hi = tx(min(xs)), tx(max(xs))
    span = (hi - lo) or 1.0

    def fx(v: float) -> float:
        return _PAD + (tx(v) - lo) / span * (_W - _PAD - 24) + 6

    def fy(a: float) -> float:
        return _H - _PAD - a * (_H - _PAD - 34)

    ticks = sorted({x for x in xs})
    if len(ticks) > 8:
        ticks = ticks[:: math.ceil(len(ticks) / 8)]
    body = _axes(title, xlabel, "accuracy %", [(x, f"{x:g}" if x < 1e4 else f"{x:.2g}") for x in ticks], fx, fy)
    for i, (name, pts) in enumerate(series.items()):
        color = _COLORS[i % len(_COLORS)]
        pts = [(x, y) for x, y in pts if (x > 0 or not log_x) and y == y]
        path = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        body += [f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="3" fill="{color}"><title>{escape(name)}: '
                 f'{100 * y:.1f}% at {x:g}</title></circle>' for x, y in pts]
        body.append(f'<text x="{_PAD + 10}" y="{40 + 14 * i}" fill="{color}">{escape(name)}</text>')
    return _svg(kind, body)


def bar_chart(kind: str, title: str, bars: Sequence[tuple[str, float, int]]) -> str:
    """An SVG bar chart of accuracies (0..1) by label, with the number of problems in each bar's tooltip."""
    width = (_W - _PAD - 20) / max(len(bars), 1)

    def fy(a: float) -> float:
        return _H - _PAD - a * (_H - _PAD - 34)

    body = _axes(title, "", "accuracy %", [], lambda v: v, fy)
    for i, (label, value, count) in enumerate(bars):
        x = _PAD + 6 + i * width
        v = 0.0 if value != value else value
        body.append(f'<rect x="{x:.1f}" y="{fy(v):.1f}" width="{width * 0.8:.1f}" height="{fy(0) - fy(v):.1f}" '
                    f'fill="{_COLORS[0]}"><title>{escape(label)}: {100 * v:.1f}% of {count}</title></rect>'
                    f'<text x="{x + width * 0.4:.1f}" y="{_H - _PAD + 16}" text-anchor="middle">'
                    f'{escape(label[:12])}</text>')
    return _svg(kind, body)


def grouped_bars(kind: str, title: str, ylabel: str, labels: Sequence[str],
                 series: Mapping[str, Sequence[float]], span: tuple[float, float] = (0.0, 0.0)) -> str:
    """An SVG bar chart of signed fractions (drawn in percent), one bar per series at each label, with a zero
    line and a legend; the scale spans ``span`` and every value."""
    values = [v for vs in series.values() for v in vs if v == v]
    lo, hi = min([span[0], *values]), max([span[1], *values])
    if hi - lo < 1e-9:
        hi = lo + 1.0
    top, bottom = 48, _H - _PAD

    def fy(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    body = [f'<text x="{_W / 2}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
            f'<line x1="{_PAD}" y1="{top}" x2="{_PAD}" y2="{bottom}" class="ax"/>',
            f'<line x1="{_PAD}" y1="{fy(0):.1f}" x2="{_W - 12}" y2="{fy(0):.1f}" class="ax"/>',
            f'<text x="12" y="{_H / 2}" transform="rotate(-90 12 {_H / 2})" text-anchor="middle">'
            f'{escape(ylabel)}</text>']
    for v in sorted({lo, 0.0, hi}):
        body.append(f'<text x="{_PAD - 6}" y="{fy(v) + 4:.1f}" text-anchor="end">{100 * v:.0f}</text>')
    width = (_W - _PAD - 20) / max(len(labels), 1)
    bar = width * 0.8 / max(len(series), 1)
    for j, (name, vs) in enumerate(series.items()):
        color = _COLORS[j % len(_COLORS)]
        body.append(f'<rect x="{_PAD + 6 + 110 * j}" y="26" width="10" height="10" fill="{color}"/>'
                    f'<text x="{_PAD + 20 + 110 * j}" y="35">{escape(name)}</text>')
        for i, (label, v) in enumerate(zip(labels, vs, strict=True)):
            v = 0.0 if v != v else v
            x = _PAD + 6 + i * width + j * bar
            y0, y1 = sorted((fy(0), fy(v)))
            body.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" height="{y1 - y0:.1f}" fill="{color}">'
                        f'<title>{escape(label)} · {escape(name)}: {100 * v:.1f}</title></rect>')
    if len(labels) <= 24:
        for i, label in enumerate(labels):
            body.append(f'<text x="{_PAD + 6 + (i + 0.4) * width:.1f}" y="{_H - _PAD + 16}" '
                        f'text-anchor="middle">{escape(label[:12])}</text>')
    return _svg(kind, body)


def _pct(x: float, *, sign: bool = False) -> str:
    return "—" if x != x else f"{100 * x:{'+' if sign else ''}.1f}"


def _robustness(report: Report) -> str:
    """The robustness section: drop per kind of variant and per-template worst case against mean accuracy."""
    r = report.robustness
    if r is None:
        return ""
    figs = []
    if r.by_kind:
        figs.append(grouped_bars("robustness-drop", "Accuracy drop by kind of variant", "drop (points)",
                                 list(r.by_kind), {"drop": [d.drop.value for d in r.by_kind.values()]}))
    if r.templates:
        figs.append(grouped_bars("robustness-templates", "Per template: mean vs worst case", "accuracy %",
                                 list(r.templates), {"mean": [g.mean for g in r.templates.values()],
                                                     "worst case": [g.worst_case for g in r.templates.values()]},
                                 span=(0.0, 1.0)))
    overall = ""
    if r.originals is not None and r.variants is not None and r.drop is not None:
        overall = (f"<p>originals <b>{100 * r.originals.value:.1f}%</b> · variants <b>{100 * r.variants.value:.1f}%"
                   f"</b> · drop <b>{100 * r.drop.value:+.1f}</b> points (95% CI {100 * r.drop.low:+.1f}…"
                   f"{100 * r.drop.high:+.1f})</p>")
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{d.problems}</td><td>{escape(compared_with(d))}</td>"
                   f"<td>{_pct(d.reference.value)}</td><td>{_pct(d.variant.value)}</td>"
                   f"<td>{_pct(d.drop.value, sign=True)}</td></tr>" for k, d in r.by_kind.items())
    table = (f'<table class="robust"><tr><th>kind</th><th>variants</th><th>compared with</th><th>reference %</th>'
             f'<th>variant %</th><th>drop (points)</th></tr>{rows}</table>') if rows else ""
    worst = "".join(f"<li>{escape(k)}: worst case {100 * e.value:.1f}% vs mean {100 * r.mean[k].value:.1f}% over "
                    f"{e.problems} groups</li>" for k, e in r.worst_case.items())
    spread = "".join(f"<li>{escape(k)}: {s.sets} instantiation sets, mean {100 * s.mean:.1f}%, std {100 * s.std:.1f}, "
                     f"range {100 * s.low:.1f}–{100 * s.high:.1f}%</li>" for k, s in r.spread.items())
    return (f'<h2>Robustness</h2><div id="robustness">{overall}{table}<ul>{worst}{spread}</ul>'
            f'{"".join(figs)}</div>')


def _figures(report: Report) -> list[str]:
    s = report.summary
    by_k = {"pass@k": [(k, e.value) for k, e in s.pass_at_k.items()],
            "maj@k": [(k, e.value) for k, e in s.maj_at_k.items()],
            **{f"weighted ({n})": [(k, e.value) for k, e in m.items()] for n, m in s.weighted_at_k.items()}}
    if s.best_of_k:
        by_k["best-of-k"] = [(k, e.value) for k, e in s.best_of_k.items()]
    figs = [line_chart("accuracy-vs-k", "Accuracy vs samples per problem", by_k, "k")]
    for key, groups in s.groups.items():
        figs.append(bar_chart(f"group-{key}", f"First-sample accuracy by {key}",
                              [(label, g.accuracy.value, g.problems) for label, g in groups.items()]))
    compute = {name: [(p.tokens, p.accuracy[m]) for p in s.curve if m in p.accuracy]
               for name, m in (("pass@k", "pass"), ("maj@k", "maj"),
                               *((f"weighted ({n})", f"weighted:{n}") for n in s.weighted_at_k))}
    figs.append(line_chart("accuracy-vs-compute", "Accuracy vs compute", compute, "tokens per problem"))
    return figs


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
    verdict = record.verdict
    mark = "right" if record.correct else "wrong"
    steps = record.attempt.get("trace") or []
    extra = "".join(f" · {k}: {escape(str(v))}" for k, v in (("verification", record.verification),
                                                            ("error", record.error)) if v)
    return (f'<details class="sample {mark}"><summary>#{record.sample} <b>{escape(str(record.answer))}</b> '
            f'<span class="{mark}">{mark}</span> · extracted {escape(str(verdict.extracted))} · '
            f'{escape(verdict.method)} · {record.tokens} tokens · {record.code_calls} code '
            f'calls · {record.wall_s:.2f} s{extra}</summary>{"".join(_step(s) for s in steps if isinstance(s, Mapping))}'
            f'</details>')


def _problem(report: Report, problem_id: str, question: str, gold: str, records: Sequence[AttemptRecord]) -> str:
    scores = report.problems[problem_id]
    names = sorted({n for c in scores.clusters for n in c.votes})
    head = "".join(f"<th>{escape(n)} votes</th>" for n in names)
    rows = "".join(
        f'<tr class="{"right" if c.correct else "wrong"}"><td>{escape(c.answer)}</td><td>{c.size}</td>'
        + "".join(f"<td>{c.votes.get(n, 0):.2f}</td>" for n in names)
        + f'<td>{100 * c.share:.0f}%</td><td>{"✔" if c.correct else "✘"}</td></tr>'
        for c in sorted(scores.clusters, key=lambda c: -c.size))
    kmax = scores.samples
    state = "right" if scores.maj_at[kmax] >= 0.5 else "wrong"
    return (f'<details class="problem {state}" data-text="{escape((problem_id + " " + question).lower())}">'
            f'<summary><b>{escape(problem_id)}</b> · {scores.samples} samples · maj@{kmax} '
            f'{100 * scores.maj_at[kmax]:.0f}% · pass@{kmax} {100 * scores.pass_at[kmax]:.0f}%</summary>'
            f'{_pre(question, "q")}<div>gold: <b>{escape(gold)}</b></div>'
            f'<table class="clusters"><tr><th>answer cluster</th><th>votes</th>{head}<th>vote share</th>'
            f'<th>correct</th></tr>{rows}</table>{"".join(_sample(r) for r in records)}</details>')


_CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#222}svg.figure{border:1px solid #ddd;margin:6px}
svg text{font-size:11px}svg .t{font-size:13px;font-weight:600}.ax{stroke:#333}.grid{stroke:#eee}
pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;margin:4px 0}.right{color:#1a7f37}.wrong{color:#c62828}
details{margin:4px 0}details.problem{border:1px solid #ddd;padding:4px 8px}details.sample{margin-left:16px;color:#222}
.cell{margin-left:16px;border-left:3px solid #ccc;padding-left:6px}.cell.code{border-color:#1f77b4}
.lab{font-size:12px;color:#666}.err{color:#c62828}.st{font-weight:600}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:2px 6px}"""

_JS = """window.__errors=[];window.addEventListener('error',e=>{window.__errors.push(String(e.message));
document.body.dataset.errors=window.__errors.join('|')});
function filt(){const q=document.getElementById('q').value.toLowerCase(),w=document.getElementById('w').checked;
let shown=0;for(const d of document.querySelectorAll('details.problem')){const ok=d.dataset.text.includes(q)&&
(!w||d.classList.contains('wrong'));d.style.display=ok?'':'none';shown+=ok}
document.getElementById('n').textContent=shown}
document.addEventListener('DOMContentLoaded',()=>{filt();
document.body.dataset.figures=document.querySelectorAll('svg.figure').length;document.body.dataset.ready='1'});"""


def render_html(report: Report, run_dir: str | Path, *, max_problems: int = 500) -> str:
    """The self-contained report page; the browser shows the first ``max_problems`` problems' traces."""
    s = report.summary
    identity = report.manifest.get("identity", {})
    problems: list[str] = []
    with RunStore.open(run_dir) as store:
        for problem, records in store.attempts():
            if len(problems) >= max_problems:
                break
            if problem.id not in report.problems:  # only errors: nothing graded to show
                continue
            problems.append(_problem(report, problem.id, problem.question, problem.gold, records))
    ci = s.accuracy
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>verimath report</title>'
            f'<style>{_CSS}</style><script>{_JS}</script></head><body>'
            f'<h1>verimath report</h1><p>{s.problems} problems · {s.samples} samples · first-sample accuracy '
            f'<b>{100 * ci.value:.1f}%</b> (95% CI {100 * ci.low:.1f}–{100 * ci.high:.1f})</p>'
            f'<details><summary>run configuration</summary>{_pre(json.dumps(identity, indent=1, default=str))}'
            f'</details>'
            f'<h2>Figures</h2><div id="figures">{"".join(_figures(report))}</div>{_robustness(report)}'
            f'<h2>Samples</h2><p><input id="q" placeholder="filter by id or text" oninput="filt()"> '
            f'<label><input id="w" type="checkbox" onchange="filt()"> only problems the vote gets wrong</label> '
            f'· <span id="n"></span> shown (of the first {len(problems)})</p><div id="browser">{"".join(problems)}</div>'
            f'</body></html>')
