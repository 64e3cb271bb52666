"""Owner-supplied files and paths that used to hang, exhaust or overwrite: talk files, backups, the salt."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.content.files import MAX_FILE_BYTES, FileRefused, read_limited
from bot.content.loader import ContentError, load_library, load_talk, talk_files
from bot.ops import OpsError, backup
from bot.registry import reserved_name
from bot.storage.store import salt_path

from .conftest import SEED_TALK
from .test_content import BODY, HEADER, write


def seed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / SEED_TALK.name).write_bytes(SEED_TALK.read_bytes())
    return folder


# ----- talk files that are not regular files ------------------------------------------------------------

def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = seed_folder(tmp_path)
    os.mkfifo(folder / "b.md")
    with pytest.raises(ContentError, match=r"b\.md:0: is not a regular file"):
        load_library(folder)


def test_a_link_to_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = seed_folder(tmp_path)
    (folder / "z.md").symlink_to("/dev/zero")
    with pytest.raises(ContentError, match=r"z\.md:0: is not a regular file"):
        load_library(folder)


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "talk.md").symlink_to(SEED_TALK)
    assert [t.id for t in load_library(folder).talks] == ["ilya-neurips-2024"]


def test_the_read_limit_is_stated_and_enforced(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ContentError, match="larger than 5 MB"):
        load_talk(path)
    with pytest.raises(FileRefused, match="larger than 10 bytes"):
        read_limited(path, 10)
    assert read_limited(SEED_TALK) == SEED_TALK.read_bytes()
    with pytest.raises(FileRefused, match="is a folder"):
        read_limited(tmp_path)


def test_side_files_are_skipped_and_the_extension_is_case_insensitive(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = seed_folder(tmp_path)
    (folder / ".#a.md").symlink_to("nobody@host.1234:1700000000")  # an Emacs lock: a dangling link
    (folder / "._a.md").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (folder / ".hidden.md").write_text("not a talk")
    (folder / "a.md~").write_text("backup")
    (folder / "#a.md#").write_text("autosave")
    write(folder, HEADER.replace("id: demo", "id: upper") + BODY, "b.MD")
    caplog.set_level("DEBUG", logger="bot.content.loader")
    assert [p.name for p in talk_files(folder)] == ["b.MD", SEED_TALK.name]
    assert {t.id for t in load_library(folder).talks} == {"upper", "ilya-neurips-2024"}
    assert "._a.md skipped" in caplog.text and ".#a.md skipped" in caplog.text


# ----- comments, names and lines ---------------------------------------------------------------------

def test_an_unclosed_comment_that_swallows_a_heading_names_its_opening_line(tmp_path: Path) -> None:
    text = HEADER + BODY.replace("## Q&A", "<!-- note\n## Q&A") + "<!-- a later comment -->\n"
    with pytest.raises(ContentError) as info:
        load_talk(write(tmp_path, text))
    assert info.value.line == 22 and "'## Q&A' on line 23" in info.value.problem
    with pytest.raises(ContentError, match=r":22: a comment opened here"):
        load_talk(write(tmp_path, HEADER + BODY.replace("## Q&A", "<!-- note\n")))
    with pytest.raises(ContentError, match=r":22: a comment opened here"):  # closed, then opened again
        load_talk(write(tmp_path, HEADER + BODY.replace("## Q&A", "<!-- a --> <!-- b\n## Q&A")))


def test_duplicate_id_is_reported_on_its_own_line(tmp_path: Path) -> None:
    write(tmp_path, HEADER + BODY, "a.md")
    write(tmp_path, HEADER.replace("id: demo", "id: other\naliases: x; demo") + BODY, "b.md")
    with pytest.raises(ContentError, match=r"b\.md:3: id or alias 'demo' is already used by .*a\.md"):
        load_library(tmp_path)


def test_an_alias_equal_to_its_own_id_or_given_twice(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r":3: alias 'Demo' is the talk's own id"):
        load_talk(write(tmp_path, HEADER.replace("id: demo", "id: demo\naliases: Demo") + BODY))
    with pytest.raises(ContentError, match=r":3: alias 'X' is given twice"):
        load_talk(write(tmp_path, HEADER.replace("id: demo", "id: demo\naliases: x; X") + BODY))


@pytest.mark.parametrize(("alias", "why"), [
    ("shanghai", "a time zone name"), ("Europe/Berlin", "a time zone name"), ("UTC", "a time zone name"),
    ("北京", "a time zone name"), ("off", "a command word"), ("ask", "a command word"), ("status", "a command word"),
])
def test_an_alias_that_is_a_zone_or_a_command_word_is_refused(tmp_path: Path, alias: str, why: str) -> None:
    assert reserved_name(alias) == why
    write(tmp_path, HEADER.replace("id: demo", f"id: demo\naliases: ok-name; {alias}") + BODY)
    with pytest.raises(ContentError, match=f":3: alias '{alias}' is {why}"):
        load_library(tmp_path, reserved_name)
    assert reserved_name("ilya") is None and reserved_name("neurips-2024") is None


# ----- backup ----------------------------------------------------------------------------------------

async def test_backup_refuses_what_it_must_never_overwrite(app: App, tmp_path: Path) -> None:
    db = app.settings.database
    talk = tmp_path / "talk.md"
    talk.write_text("a talk")
    for path, why in [
        (talk, "already exists; give --force"),
        (Path(f"{db}-wal"), "live database's wal file"),
        (Path(f"{db}-shm"), "live database's shm file"),
        (Path(f"{db}-journal"), "live database's journal file"),
        (salt_path(db), "live database's salt file"),
        (Path("/dev/null"), "not a regular file"),
    ]:
        with pytest.raises(OpsError, match=why):
            backup(db, path, force=why != "already exists; give --force")
    assert talk.read_text() == "a talk"
    link = tmp_path / "link.sqlite3"
    link.symlink_to(talk)
    with pytest.raises(OpsError, match="symbolic link"):
        backup(db, link, force=True)
    assert talk.read_text() == "a talk" and link.is_symlink()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OpsError, match="not a regular file"):
        backup(db, fifo, force=True)


async def test_backup_with_force_replaces_and_a_folder_gets_a_new_name(app: App, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_text("old")
    result = backup(app.settings.database, target, force=True)
    assert sqlite3.connect(result.path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    folder = tmp_path / "dumps"
    folder.mkdir()
    made = backup(app.settings.database, folder)
    assert made.path.parent == folder and made.path.name.startswith("bot-")
    again = backup(app.settings.database, folder, now=datetime.fromtimestamp(made.path.stat().st_mtime, UTC))
    same = backup(app.settings.database, folder, now=datetime.fromtimestamp(made.path.stat().st_mtime, UTC))
    assert len({made.path, again.path, same.path}) == 3  # one second, three files: none overwritten
    linked = tmp_path / "dumps-link"
    linked.symlink_to(folder)  # a link to a folder is a folder: the new file is written inside it
    assert backup(app.settings.database, linked).path.parent == linked
    assert not list(tmp_path.glob(".*.partial"))  # noqa: ASYNC240 (no partial file left)


async def test_a_backup_does_not_hold_the_salt(tmp_path: Path) -> None:
    from bot.storage.store import Store

    database = tmp_path / "bot.sqlite3"
    store = await Store.open(database)  # no BOT_HASH_SALT: a generated one
    await store.close()
    salt = salt_path(database).read_text().strip()
    assert stat.S_IMODE(salt_path(database).stat().st_mode) == 0o600
    copy = backup(database, tmp_path / "b.sqlite3").path
    assert salt.encode() not in copy.read_bytes() and salt.encode() not in database.read_bytes()


async def test_a_salt_file_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    from bot.storage.store import StorageError, Store

    database = tmp_path / "bot.sqlite3"
    salt_path(database).symlink_to("/dev/zero")
    with pytest.raises(StorageError, match="cannot read the hashing salt"):
        await Store.open(database)
