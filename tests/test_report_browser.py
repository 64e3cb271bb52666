"""The report in a real headless Chromium: every chart drawn with data, no errors logged, a screenshot.

REPORT_SCREENSHOT=docs/report.png pytest tests/test_report_browser.py  rewrites the README's screenshot.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bench.usage_log import create, fill
from bot.report.build import build_report
from bot.report.charts import COLOURS

from .browser import chromium, ensure_chromium
from .conftest import REPO

CHARTS = ("commands", "answered", "latency", "daily", "top-queries", "unanswered", "down-voted", "passages", "talks")
# per chart: its size on the page, and how many of its marks (bars, lines, markers) are drawn with a size
MEASURE = """JSON.stringify([...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg'); const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('path, use')].filter(p => {
    const style = (p.getAttribute('style') || '') + (p.getAttribute('fill') || '') + (p.getAttribute('stroke') || '');
    const r = p.getBoundingClientRect();
    return COLOURS.some(c => style.includes(c)) && (r.width > 0 || r.height > 0);
  });
  return {name: f.dataset.chart, points: Number(f.dataset.points), width: box.width, height: box.height,
          marks: marks.length};
}))"""


@pytest.fixture(scope="module")
def browser() -> str:
    binary = ensure_chromium()
    if binary is None:
        pytest.skip("Chromium and fonts-noto-cjk are not installed, and cannot be installed here (not root/apt)")
    return binary


@pytest.fixture
def report(tmp_path: Path) -> str:
    """A report of three weeks of synthetic use (Chinese and English queries, votes, daily deliveries)."""
    database = tmp_path / "bot.sqlite3"
    create(database)
    fill(database, 5000, days=21, now=time.time())
    out = tmp_path / "report.html"
    build_report(database, out, passage_text=lambda key: f"（{key}）我们只有一个互联网。")
    return out.resolve().as_uri()


@pytest.fixture
def empty_report(tmp_path: Path) -> str:
    database = tmp_path / "empty.sqlite3"
    create(database)
    out = tmp_path / "empty.html"
    build_report(database, out)
    return out.resolve().as_uri()


async def test_the_report_renders_every_chart_in_chromium_without_errors(browser: str, report: str,
                                                                         tmp_path: Path) -> None:
    async with chromium(browser) as page:
        await page.open(report)
        colours = "[" + ",".join(f"'{c}'" for c in COLOURS) + "]"
        charts = json.loads(await page.evaluate(f"const COLOURS = {colours}; {MEASURE}"))
        cjk = await page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '我们')")
        png = await page.screenshot()
        top = await page.screenshot(most=1800)  # the README's picture: the first charts at full size
        errors = list(page.errors)
    assert [c["name"] for c in charts] == list(CHARTS)
    for chart in charts:
        assert chart["points"] > 0 and chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["marks"] >= 1, chart
    assert errors == []
    assert cjk is True
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    (tmp_path / "report.png").write_bytes(png)
    target = os.environ.get("REPORT_SCREENSHOT")
    if target:
        (REPO / target).parent.mkdir(parents=True, exist_ok=True)
        (REPO / target).write_bytes(top)


async def test_an_empty_report_renders_its_notice(browser: str, empty_report: str) -> None:
    async with chromium(browser) as page:
        await page.open(empty_report)
        notice = await page.evaluate("document.getElementById('empty').getBoundingClientRect().height")
        count = await page.evaluate("document.querySelectorAll('svg').length")
        assert page.errors == []
    assert notice > 0 and count == 0
