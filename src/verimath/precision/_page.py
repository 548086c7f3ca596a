"""How an ``OpsReport`` reads: terminal tables (rich) and a self-contained HTML page with inline SVG charts
(``verimath.charts``)."""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from rich.table import Table

from verimath.precision._ops import DISTRIBUTIONS, FORMULA, Check, OpError, OpsReport

if TYPE_CHECKING:
    from verimath.charts import Row

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;
padding:0 16px}h1{font-size:22px;margin:0 0 8px}
h2{border-bottom:1px solid #ddd;padding-bottom:2px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.n{text-align:right;white-space:nowrap}.yes{color:#1a7f37;font-weight:600}.no{color:#c62828;font-weight:600}
.muted{color:#777;font-size:12px}"""


def _label(row: OpError) -> str:
    return f"{row.arm} (formula)" if row.semantics == FORMULA else row.arm


def _percent(value: float | None, decimals: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.{decimals}f}%"


def _signed(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:+.2f}%"


def _verdict(check: Check) -> str:
    return "reproduced" if check.reproduced else "not reproduced"


def _chart_rows(values: list[tuple[str, float | None]]) -> list[Row]:
    """Chart rows without intervals (the measurements are over millions of pairs)."""
    from verimath.charts import Row

    return [Row(label, math.nan if value is None else value, math.nan, math.nan) for label, value in values]


def ops_tables(report: OpsReport) -> list[Table]:
    """The report as rich tables: one per distribution, then the claims and the figures."""
    tables = []
    for distribution, shown in DISTRIBUTIONS.items():
        table = Table(title=f"op-level error on {shown}: {report.pairs:,} pairs, dot products of "
                            f"length {report.dot_length:,} (seed {report.seed})")
        for column in ("arm", "mean rel. err", "max rel. err", "bias", "dot normwise (mean)",
                       "dot normwise (max)"):
            table.add_column(column, justify="left" if column == "arm" else "right")
        for row in report.rows:
            if row.distribution == distribution:
                table.add_row(_label(row), _percent(row.mean_relative_error),
                              _percent(row.max_relative_error), _signed(row.bias),
                              _percent(row.dot_normwise_error, 4), _percent(row.dot_normwise_error_max, 4))
        tables.append(table)
    for title, checks in (("the paper's claims (mean relative error)", report.claims),
                          ("the issue's figures on N(0,1)", report.figures)):
        if checks:
            table = Table(title=title)
            for column in ("claim", "inputs", "measured", "verdict"):
                table.add_column(column)
            for check in checks:
                colour = "green" if check.reproduced else "red"
                table.add_row(check.claim, DISTRIBUTIONS[check.distribution], check.detail,
                              f"[{colour}]{_verdict(check)}[/]")
            tables.append(table)
    return tables


def render_ops_html(report: OpsReport) -> str:
    """One self-contained page (nothing fetched): settings, claims, figures, and per distribution the charts
    of mean relative error, bias and dot-product error with the full table."""
    from verimath.charts import CSS as CHART_CSS
    from verimath.charts import interval_chart

    versions = escape(", ".join(f"{name} {version}" for name, version in report.versions.items()))
    parts = [f"<h1>Precision lab: op-level error of every arm against exact products</h1>"
             f"<p class='muted'>{report.pairs:,} float32 pairs per distribution (seed {report.seed}); dot "
             f"products of length {report.dot_length:,} cut from them; exact = float64 products of the "
             f"float32 inputs. Versions: {versions}. "
             f"Arms are <code>product:input:accumulator</code>; L-Mul arms use integer-add semantics, their "
             f"(formula) rows read the paper's formula literally.</p>"]
    for title, checks in (("The paper's claims", report.claims), ("The issue's figures", report.figures)):
        if checks:
            rows = "".join(f"<tr><td>{escape(c.claim)}</td><td>{DISTRIBUTIONS[c.distribution]}</td>"
                           f"<td>{escape(c.detail)}</td><td class='{'yes' if c.reproduced else 'no'}'>"
                           f"{_verdict(c)}</td></tr>" for c in checks)
            parts.append(f"<h2>{title}</h2><table class='checks'><tr><th>claim</th><th>inputs</th>"
                         f"<th>measured</th><th>verdict</th></tr>{rows}</table>")
    for distribution, shown in DISTRIBUTIONS.items():
        rows = [r for r in report.rows if r.distribution == distribution]
        parts.append(f"<h2>Inputs {shown}</h2>")
        parts.append(interval_chart("mean-relative-error", f"mean relative error of one product, {shown}",
                                    _chart_rows([(_label(r), r.mean_relative_error) for r in rows]),
                                    fit=True, decimals=2))
        parts.append(interval_chart("bias", f"signed bias of one product (mean relative error), {shown}",
                                    _chart_rows([(_label(r), r.bias) for r in rows]), signed=True,
                                    min_span=0.01, decimals=2))
        parts.append(interval_chart("dot-error", f"normwise error of a length-{report.dot_length:,} dot "
                                    f"product, mean, {shown}",
                                    _chart_rows([(r.arm, r.dot_normwise_error) for r in rows
                                                if r.dot_normwise_error is not None]),
                                    fit=True, min_span=1e-4, decimals=3))
        cells = "".join(
            f"<tr><td>{escape(_label(r))}</td><td><code>{escape(r.mode)}</code></td>"
            + "".join(f"<td class='n'>{value}</td>" for value in (
                _percent(r.mean_relative_error), _percent(r.max_relative_error), _signed(r.bias),
                _percent(r.dot_normwise_error, 4), _percent(r.dot_normwise_error_max, 4)))
            + "</tr>" for r in rows)
        parts.append(f"<table class='rows' data-distribution='{distribution}'><tr><th>arm</th><th>mode</th>"
                     f"<th>mean rel. err</th><th>max rel. err</th><th>bias</th><th>dot normwise (mean)</th>"
                     f"<th>dot normwise (max)</th></tr>{cells}</table>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>verimath precision ops"
            f"</title><style>{_CSS}{CHART_CSS}</style></head><body>{''.join(parts)}</body></html>")
