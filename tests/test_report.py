"""The owner's HTML report: every section with its numbers, self-contained, an empty log, bad input."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.usage_log import create, fill
from bot.report.build import ReportError, build_report
from bot.storage.report import collect, connect

from .conftest import REPO

NOW = time.time()
CHARTS = ("commands", "answered", "latency", "daily", "top-queries", "unanswered", "down-voted", "passages", "talks")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "bot.sqlite3"
    create(path)
    fill(path, 3000, days=20, now=NOW)
    return path


def run(tmp_path: Path, database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"BOT_DATABASE": str(database), "BOT_HASH_SALT": "bench-salt-0123456789", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


def test_every_chart_has_data_and_its_numbers_beside_it(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    data = build_report(database, out, passage_text=lambda key: f"text of {key}", now=NOW)
    page = out.read_text(encoding="utf-8")
    for name in CHARTS:
        figure = re.search(rf'<figure class="chart" data-chart="{name}" data-points="(\d+)"><svg', page)
        assert figure and int(figure[1]) > 0, name
        after = page[figure.end():].split("<h2>")[0]
        assert "<table>" in after and "</svg></figure>" in after
    assert data.total == 3000 and data.feedback["up"] + data.feedback["down"] > 0
    assert "text of ilya-neurips-2024/" in page  # passages are shown with their text when the talk is loaded
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_page_is_self_contained(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    build_report(database, out, now=NOW)
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "@import" not in page and "@font-face" not in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert re.search(r"\bu\d+\b", page) is None  # user and chat ids never appear, not even hashed


def test_hostile_query_texts_are_shown_as_text(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    create(database)
    hostile = '<script>alert("x")</script> costs $5 & $6 </svg>'
    with sqlite3.connect(database) as db:
        db.executemany("INSERT INTO usage (ts, platform, chat_hash, user_hash, command, query, talk, result_count, "
                       "top_passage, latency_ms, outcome) VALUES (?, 'telegram', 'c', 'h', 'ask', ?, ?, ?, ?, 1.5, ?)",
                       [(NOW, hostile, None, 0, None, "no_match"), (NOW, hostile, "t", 1, "t/1", "ok")])
    out = tmp_path / "r.html"
    build_report(database, out, now=NOW)
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and page.count("</svg>") == page.count("<svg")
    assert "&lt;script&gt;" in page and "costs $5 &amp; $6" in page


def test_unanswered_queries_are_grouped_by_their_normalised_text(database: Path) -> None:
    db = connect(database)
    try:
        data = collect(db, now=NOW)
    finally:
        db.close()
    groups = {key: n for key, _, n in data.unanswered}
    assert "weather in paris" in groups and "Weather  in paris" not in groups
    spelled = sum(1 for key in groups if "weather" in key)
    assert spelled == 1  # three spellings, one group
    assert all(len(q) <= 80 for q, _ in data.top_queries)


def test_days_and_talk_narrow_the_report(database: Path, tmp_path: Path) -> None:
    db = connect(database)
    try:
        everything, week, talk = collect(db, now=NOW), collect(db, days=7, now=NOW), collect(db, talk="other-talk",
                                                                                               now=NOW)
    finally:
        db.close()
    assert 0 < week.total < everything.total
    assert 0 < talk.total < everything.total
    assert {row[0] for row in talk.per_talk} == {"other-talk"}


def test_an_empty_log_gives_a_page_that_says_so(tmp_path: Path) -> None:
    database = tmp_path / "empty.sqlite3"
    create(database)
    out = tmp_path / "r.html"
    assert build_report(database, out).empty
    page = out.read_text(encoding="utf-8")
    assert 'id="empty"' in page and "nothing to report" in page and "<svg" not in page


def test_cli_report_and_its_one_line_errors(database: Path, tmp_path: Path) -> None:
    ok = run(tmp_path, database, "report", "--days", "30", "--out", str(tmp_path / "r.html"))
    assert ok.returncode == 0, ok.stderr
    assert "report written to" in ok.stdout and (tmp_path / "r.html").is_file()
    for args, expected in [
        (("report", "--out", str(tmp_path)), "is a folder"),
        (("report", "--days", "0", "--out", str(tmp_path / "x.html")), "positive number"),
    ]:
        failed = run(tmp_path, database, *args)
        assert failed.returncode == 2 and expected in failed.stderr
        assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    missing = run(tmp_path, tmp_path / "none.sqlite3", "report", "--out", str(tmp_path / "y.html"))
    assert missing.returncode == 2 and "no database there yet" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists()


def test_stats_json_has_the_figures_of_the_text_and_the_votes(database: Path, tmp_path: Path) -> None:
    db = connect(database)
    try:
        expected = collect(db, now=NOW).feedback
    finally:
        db.close()
    as_json = run(tmp_path, database, "stats", "--json")
    assert as_json.returncode == 0, as_json.stderr
    [line] = as_json.stdout.splitlines()
    figures = json.loads(line)
    assert figures["feedback"] == expected and set(figures["feedback"]) == {"up", "down"}
    assert figures["down_voted"] and all(d["down"] > 0 for d in figures["down_voted"])
    text = run(tmp_path, database, "stats").stdout
    assert f"👍 {expected['up']}  👎 {expected['down']}" in text
    assert figures["top_queries"][0]["query"] in text


def test_build_report_refuses_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no database"):
        build_report(tmp_path / "nothing.sqlite3", tmp_path / "r.html")
