"""The report as one self-contained HTML page: inline CSS, inline SVG charts, each beside its numbers."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot import __version__
from bot.report import charts
from bot.storage.report import ReportData, clip

PassageText = Callable[[str], str | None]
CSS = """
body{font-family:"DejaVu Sans","Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:24px;color:#222;max-width:1280px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.section{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure.chart{margin:0;flex:0 1 540px}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
.muted{color:#777}.empty{font-size:18px;padding:40px;background:#f8f8f8;border:1px dashed #bbb}
"""


def _e(value: object) -> str:
    return html.escape(str(value if value is not None else "—"), quote=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; numbers right-aligned."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if isinstance(c, int | float) else f"<td>{_e(c)}</td>"
                         for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(title: str, name: str, svg: str | None, numbers: str, points: int) -> str:
    """A heading, then the chart (if any) with its table beside it."""
    figure = f'<figure class="chart" data-chart="{_e(name)}" data-points="{points}">{svg}</figure>' if svg else ""
    if not points:
        numbers = '<p class="muted">Nothing in this period.</p>'
    return f'<h2>{_e(title)}</h2><div class="section">{figure}<div class="numbers">{numbers}</div></div>'


def _pivot(rows: Sequence[Sequence[object]]) -> tuple[list[str], dict[str, list[float]]]:
    days = sorted({str(r[0]) for r in rows})
    names = sorted({str(r[1]) for r in rows})
    series = {n: [0.0] * len(days) for n in names}
    for day, name, value in rows:
        series[str(name)][days.index(str(day))] = float(str(value or 0))
    return days, series


def _commands(data: ReportData) -> str:
    rows = data.per_day_platform
    if not rows:
        return section("Commands per day, by platform", "commands", None, "", 0)
    days, series = _pivot(rows)
    svg = charts.day_areas(days, series, "commands")
    numbers = table(["day", *series, "total"], [
        (d, *(int(series[n][i]) for n in series), int(sum(series[n][i] for n in series))) for i, d in enumerate(days)])
    return section("Commands per day, by platform", "commands", svg, numbers, len(rows))


def _answered(data: ReportData) -> str:
    rows = data.answered_per_day
    title = "Answered and no-match share per day (ask, quote, inline, autocomplete)"
    if not rows:
        return section(title, "answered", None, "", 0)
    days = [str(r[0]) for r in rows]
    totals = [max(1, int(r[1] or 0) + int(r[2] or 0)) for r in rows]
    share = {"answered %": [100 * int(r[1] or 0) / t for r, t in zip(rows, totals, strict=True)],
             "no match %": [100 * int(r[2] or 0) / t for r, t in zip(rows, totals, strict=True)]}
    numbers = table(["day", "answered", "no match", "no-match share"], [
        (d, int(r[1] or 0), int(r[2] or 0), f"{share['no match %'][i]:.0f}%") for i, (d, r) in
        enumerate(zip(days, rows, strict=True))])
    return section(title, "answered", charts.day_areas(days, share, "% of searches"), numbers, len(rows))


def _latency(data: ReportData) -> str:
    rows = data.latency_per_day
    if not rows:
        return section("/ask latency per day (ms)", "latency", None, "", 0)
    days = [str(r[0]) for r in rows]
    svg = charts.day_lines(days, {"p50": [r[1] for r in rows], "p95": [r[2] for r in rows]}, "milliseconds")
    numbers = table(["day", "p50 ms", "p95 ms", "asks"], [(d, r[1], r[2], int(r[3])) for d, r in
                                                         zip(days, rows, strict=True)])
    return section("/ask latency per day (ms)", "latency", svg, numbers, len(rows))


def _daily(data: ReportData) -> str:
    rows = data.daily_per_day
    if not rows:
        return section("Daily quotes sent and failed per day", "daily", None, "", 0)
    days = [str(r[0]) for r in rows]
    svg = charts.day_lines(days, {"sent": [int(r[1] or 0) for r in rows], "failed": [int(r[2] or 0) for r in rows]},
                           "deliveries")
    numbers = table(["day", "sent", "failed"], [(d, int(r[1] or 0), int(r[2] or 0)) for d, r in
                                                zip(days, rows, strict=True)])
    return section("Daily quotes sent and failed per day", "daily", svg, numbers, len(rows))


def _ranked(title: str, name: str, labels: list[str], values: list[int], numbers: str, colour: int) -> str:
    svg = charts.ranked_bars(labels, values, "times", colour) if labels else None
    return section(title, name, svg, numbers, len(labels))


def _passage(key: str | None, passage_text: PassageText | None) -> str:
    if not key:
        return "—"
    text = passage_text(key) if passage_text else None
    return f"{key}: {clip(text, 160)}" if text else key


def render(data: ReportData, passage_text: PassageText | None = None) -> str:
    """The whole page for the report's data (an empty log gives a page that says so)."""
    when = datetime.fromtimestamp(data.generated, UTC).strftime("%Y-%m-%d %H:%M UTC")
    scope = f"last {data.days} days" if data.days is not None else "all time"
    if data.talk:
        scope += f", talk {data.talk}"
    head = (f'<h1>transcript-bot report</h1><p class="muted">{_e(scope)} · generated {_e(when)} · '
            f"version {_e(__version__)} · {data.total} logged commands · votes: ▲ up {data.feedback.get('up', 0)}, "
            f"▼ down {data.feedback.get('down', 0)}</p>")
    if data.empty:
        body = '<p class="empty" id="empty">No usage has been logged for this period yet: nothing to report.</p>'
    else:
        top, unanswered, down = data.top_queries, data.unanswered, data.down_voted
        passage_rows = [(t, _passage(k, passage_text), int(n)) for t, k, n in data.passages]
        ranked_passages = sorted(data.passages, key=lambda r: -int(r[2]))[: 15]
        body = "".join((
            _commands(data), _answered(data), _latency(data), _daily(data),
            _ranked("Top queries", "top-queries", [q for q, _ in top], [int(n) for _, n in top],
                    table(["query", "times"], [(q, int(n)) for q, n in top]), 0),
            _ranked("Top unanswered queries (grouped by normalised text)", "unanswered",
                    [k for k, _, _ in unanswered], [int(n) for _, _, n in unanswered],
                    table(["normalised", "as typed (one example)", "times"],
                          [(k, ex, int(n)) for k, ex, n in unanswered]), 1),
            _ranked("Answers voted down (thumbs down)", "down-voted", [d.query or d.key for d in down],
                    [d.down for d in down],
                    table(["answer (hash)", "query", "passage", "▼ down", "▲ up"],
                          [(d.key, clip(d.query) or "—", _passage(d.passage, passage_text), d.down, d.up)
                           for d in down]), 1),
            _ranked("Most-returned passages per talk", "passages", [str(k) for _, k, _ in ranked_passages],
                    [int(n) for _, _, n in ranked_passages], table(["talk", "passage", "times"], passage_rows), 3),
            _ranked("Per talk", "talks", [str(r[0]) for r in data.per_talk], [int(r[1]) for r in data.per_talk],
                    table(["talk", "commands", "asks", "no match", "mean latency ms", "▲ up", "▼ down"],
                          data.per_talk), 4),
        ))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>transcript-bot report</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f"<body>{head}{body}</body></html>\n")
