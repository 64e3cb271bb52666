"""The operator's command line: batch search output, and errors as one line instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def run(
    tmp_path: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({"BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"),
                        "BOT_INDEX_DIR": str(tmp_path / "index"), "PYTHONIOENCODING": "utf-8:strict", **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, cwd=REPO,
                          env=environment, timeout=120)


def test_batch_search_is_one_json_object_per_input_line_whatever_the_input(tmp_path: Path) -> None:
    lines = ["为什么预训练会结束", "", "   ", "怎么做红烧肉", "😀😀", "x" * 20_000, "a\u2028b\u2029c\x85d",
             "'; DROP TABLE usage; --", "<b>预训练</b>", "化石燃料\x00\x1b[31m"]
    stdin = ("\n".join(lines) + "\n").encode() + "预训练 ".encode() + b"\xff\xfe\n" + "超级智能\n".encode()
    result = run(tmp_path, "search", "--batch", "--json", "--limit", "3", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")  # strictly valid UTF-8
    rows = out.split("\n")
    assert rows[-1] == "" and len(rows) - 1 == len(lines) + 2
    assert len(out.splitlines()) == len(lines) + 2  # no stray line separators inside a line
    parsed = [json.loads(r) for r in rows[:-1]]
    for row in parsed:
        assert set(row) == {"query", "results"} and len(row["results"]) <= 3
        for hit in row["results"]:
            assert set(hit) == {"text", "score", "talk", "section", "paragraph", "speaker", "start", "link"}
            assert hit["start"] is None and hit["link"].startswith("https://")  # the seed talk has no times
            assert isinstance(hit["paragraph"], int) and 0 <= hit["score"] <= 1
    assert "我们只有一个互联网" in parsed[0]["results"][0]["text"]
    assert parsed[1]["results"] == [] and parsed[3]["results"] == [] and parsed[4]["results"] == []
    assert parsed[-1]["results"] and parsed[-2]["query"].startswith("预训练")


def test_eval_on_a_missing_or_malformed_file_is_one_line(tmp_path: Path) -> None:
    missing = run(tmp_path, "eval", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and b"Traceback" not in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    malformed = run(tmp_path, "eval", str(bad))
    assert malformed.returncode == 2 and b"bad.jsonl:1" in malformed.stderr and b"Traceback" not in malformed.stderr


def test_stats_does_not_create_a_database_where_there_is_none(tmp_path: Path) -> None:
    result = run(tmp_path, "stats")
    assert result.returncode == 2 and b"no database there yet" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    command = (f"{sys.executable} -m bot search --batch --json < {REPO / 'tests' / 'eval' / 'queries.jsonl'}"
               " | head -1")
    result = subprocess.run(["bash", "-c", command], capture_output=True, cwd=REPO, timeout=120,
                            env={**os.environ, "BOT_INDEX_DIR": str(tmp_path / "index")})
    assert result.stdout.count(b"\n") == 1 and b"Traceback" not in result.stderr
