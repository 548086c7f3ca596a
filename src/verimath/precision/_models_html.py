"""The HTML pages of the model side of the precision lab (``precision eval``, ``precision repro``): one
self-contained page each, drawn with the eval report's public charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from verimath.charts import CSS as CHART_CSS
from verimath.charts import Row, interval_chart
from verimath.precision._eval import PrecisionEval
from verimath.precision._repro import Repro

_CSS = ("body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;"
        "padding:0 16px}"
        "h1{font-size:22px}h2{border-bottom:1px solid #ddd;margin-top:28px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child{text-align:left}"
        ".muted{color:#777;font-size:12px}")


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<style>{_CSS}{CHART_CSS}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>')


def _fmt(x: float, spec: str) -> str:
    return "—" if math.isnan(x) or math.isinf(x) else format(x, spec)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def eval_html(result: PrecisionEval) -> str:
    """The page of one ``precision eval``: accuracy per arm, the change against fp32, flips, and the
    per-layer distance from fp32."""
    accuracy = interval_chart("precision-accuracy", f"accuracy ({result.strategy}), 95% CI",
                              [Row(r.label, r.accuracy, r.low, r.high, f"{r.problems} problems")
                               for r in result.runs])
    delta = interval_chart("precision-delta", "accuracy − fp32 (points), paired 95% CI",
                           [Row(r.label, r.delta, r.delta_low, r.delta_high,
                                f"{len(r.gained)} gained, {len(r.lost)} lost") for r in result.runs[1:]],
                           signed=True, unit=" pts") if len(result.runs) > 1 else ""
    runs = _table(["arm", "problems", "accuracy %", "Δ vs fp32 (points)", "flips (gained / lost)",
                   "s this invocation"],
                  [[r.label, str(r.problems), _fmt(100 * r.accuracy, ".1f"), _fmt(100 * r.delta, "+.1f"),
                    f"{len(r.gained)} / {len(r.lost)}", f"{r.wall_s:.1f}"] for r in result.runs])
    layers = ""
    if result.layers:
        agreement = interval_chart("precision-top1", "top-1 agreement with fp32, per layer",
                                   [Row(r.label, r.top1, math.nan, math.nan, f"KL {r.kl:.3g}")
                                    for r in result.layers])
        table = _table(["arm · layer", "positions", "KL(fp32 ‖ arm), nats", "top-1 agreement %"],
                       [[r.label, str(r.positions), _fmt(r.kl, ".3g"), _fmt(100 * r.top1, ".1f")]
                        for r in result.layers])
        layers = (f"<h2>Per layer</h2><p class=muted>The arm applied to one decoder layer's matmuls (in the "
                  f"scope), every other matmul fp32; final logits compared with fp32's over the "
                  f"teacher-forced positions of {result.probe_problems} problems (first request + fp32's "
                  f"greedy continuation). 'all layers' is the arm everywhere in the scope.</p>"
                  f"{agreement}{table}")
    body = (f"<p>{escape(result.model)} · strategy {escape(result.strategy)} · dataset "
            f"{escape(result.dataset)} · {result.wall_s:.0f} s</p><h2>Accuracy</h2>{accuracy}{delta}{runs}"
            f"{layers}")
    return _page(f"precision eval: {result.model}, {result.strategy}", body)


def repro_html(result: Repro) -> str:
    """The page of one ``precision repro``: the divergence metrics per arm."""
    rows = [Row(f"{a.arm} · batch {b.batch_size}", b.accuracy, math.nan, math.nan,
                f"{a.problems} problems") for a in result.arms for b in a.runs]
    chart = interval_chart("repro-accuracy", "greedy accuracy per arm and batch size", rows)
    table = _table(["arm", "accuracy % per batch size", "Std@Acc (points)", "mean std of output length",
                    "divergent problems", "mean first divergent token", "std of top-1 probability"],
                   [[a.arm, " / ".join(_fmt(100 * b.accuracy, ".1f") for b in a.runs),
                     _fmt(100 * a.std_accuracy, ".2f"), _fmt(a.mean_std_length, ".2f"),
                     f"{a.divergent}/{a.problems}", _fmt(a.mean_divergence_index, ".1f"),
                     _fmt(a.mean_std_top1, ".2e")] for a in result.arms])
    body = (f"<p>{escape(result.model)} · strategy {escape(result.strategy)} · {result.problems} problems · "
            f"batch sizes {', '.join(map(str, result.batch_sizes))} · {result.wall_s:.0f} s</p>{chart}{table}"
            f"<p class=muted>Per arm, across its batch sizes (greedy decoding, padded batches): Std@Acc is "
            f"the standard deviation of accuracy; output length and top-1 probability are per problem "
            f"standard deviations averaged over problems (top-1 probability over the positions before the "
            f"first divergence); the first divergent token is the earliest index where any two runs' "
            f"outputs differ, averaged over the problems that diverge.</p>")
    return _page(f"precision repro: {result.model}", body)
