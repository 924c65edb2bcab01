"""Files ppo writes for people hold clients' names and phones: owner-only unless the office
configures a shared mode; no leftovers of a killed export survive the next one."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from backends import fresh_store
from ppo_runner import Ppo

TODAY = "2026-11-30"
PPO = str(Path(sys.executable).parent / "ppo")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def agency(ppo):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    return ppo


@contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def written(folder: Path) -> dict[str, int]:
    """Every file below `folder`, by its path inside it, with its mode."""
    return {str(p.relative_to(folder)): mode(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_file_ppo_writes_is_owner_only_on_either_backend(agency, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with umask(0o022):  # the usual umask, under which they used to be 0644
        agency("export", str(out / "book.xlsx"), "--date", TODAY)
        agency("report", "--out", str(out / "reports"), "--date", TODAY)
        agency("calendar", "--out", str(out / "calls.ics"), "--date", TODAY)
    assert written(out) == {
        "book.xlsx": 0o600,
        "calls.ics": 0o600,
        "reports/ppo-2026-11-30.md": 0o600,
        "reports/ppo-2026-11-30.xlsx": 0o600,
    }
    store_files = {name for name in written(tmp_path) if name.startswith("ppo.sqlite3")}
    if agency.backend == "postgresql":
        assert store_files == set()  # the store is on the server: no file of it here
    else:
        assert "ppo.sqlite3" in store_files


def test_a_postgresql_store_is_not_backed_up_into_a_file_by_ppo(tmp_path):
    ppo = Ppo(tmp_path, store=fresh_store())  # the server's own tools back it up
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026")
    result = ppo("store", "backup", str(tmp_path / "copy.sqlite3"), check=False)
    assert result.code == 2 and "pg_dump" in result.err
    assert not (tmp_path / "copy.sqlite3").exists()


@pytest.mark.sqlite_only
def test_the_sqlite_store_its_journal_and_its_backup_are_owner_only(ppo, tmp_path):
    with umask(0o022):
        ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026")
        with closing(sqlite3.connect(ppo.db)) as reader:
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM trips").fetchone()  # a reader keeps the journal in place
            ppo.add("Борис Петров", "20.11.2026", "01.12.2026", "10.12.2026")
            store = {name: m for name, m in written(tmp_path).items() if name.startswith("ppo.sqlite3")}
            reader.rollback()
        ppo("store", "backup", str(tmp_path / "copy.sqlite3"))
    assert store == {"ppo.sqlite3": 0o600, "ppo.sqlite3-shm": 0o600, "ppo.sqlite3-wal": 0o600}
    assert mode(tmp_path / "copy.sqlite3") == 0o600


def test_an_office_that_shares_through_a_group_says_so_in_the_config(agency, tmp_path):
    config = tmp_path / "shared.toml"
    config.write_text('shared_file_mode = "0640"\n', encoding="utf-8")
    agency("--config", str(config), "export", str(tmp_path / "book.xlsx"), "--date", TODAY)
    agency("--config", str(config), "report", "--out", str(tmp_path / "r"), "--date", TODAY)
    assert mode(tmp_path / "book.xlsx") == 0o640
    assert mode(tmp_path / "r" / "ppo-2026-11-30.md") == 0o640
    assert mode(tmp_path / "r" / "ppo-2026-11-30.xlsx") == 0o640


@pytest.mark.parametrize("value", ["rw-r-----", "0o1000", "0040", "9"])
def test_a_shared_file_mode_that_is_no_mode_is_refused_before_writing(agency, tmp_path, value):
    config = tmp_path / "bad.toml"
    config.write_text(f'shared_file_mode = "{value}"\n', encoding="utf-8")
    result = agency("--config", str(config), "export", str(tmp_path / "book.xlsx"), "--date", TODAY, check=False)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "shared_file_mode" in result.err
    assert not (tmp_path / "book.xlsx").exists()


def _many_trips(ppo, db: Path, folder: Path, n: int) -> None:
    lines = ["name,phone,email,manager,purchase,departure,return"]
    lines += [f"Client {i},+7 900 {i:07d},,M{i % 7},20.11.2026,01.12.2026,10.12.2026" for i in range(n)]
    csv = folder / "many.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ppo("--db", str(db), "import", str(csv))


@pytest.mark.sqlite_only  # about files, mail or a gateway, not the store: one backend is enough
def test_the_leftovers_of_a_killed_export_are_removed_by_the_next(ppo, tmp_path):
    db = tmp_path / "many.sqlite3"
    _many_trips(ppo, db, tmp_path, 4000)
    share, scratch = tmp_path / "share", tmp_path / "tmpdir"
    share.mkdir()
    scratch.mkdir()
    book = share / "book.xlsx"
    old_leftover = share / ".~ppo-book-k3x9q1.xlsx"  # as an older ppo left it: 0 bytes, days ago
    old_leftover.touch()
    os.utime(old_leftover, (time.time() - 3 * 86400,) * 2)
    ppo("--db", str(db), "export", str(book), "--date", TODAY)  # the killed run replaces this one
    env = {**os.environ, "TMPDIR": str(scratch), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("PPO_CONFIG", None)
    killed = subprocess.Popen(
        [PPO, "--db", str(db), "export", str(book), "--date", TODAY], env=env, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        folders = [p for p in share.iterdir() if p.is_dir()]
        if folders and any(f.iterdir() for f in folders):  # XlsxWriter's row files are being written
            break
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    left = sorted(p.name for p in share.iterdir() if p.name.startswith(".~ppo-book-"))
    assert len(left) >= 2, left  # the temporary workbook and XlsxWriter's folder, and the old one
    assert list(scratch.iterdir()) == []  # nothing of ppo's in $TMPDIR, where nobody would find it

    ppo("--db", str(db), "export", str(book), "--date", TODAY, env={"TMPDIR": str(scratch)})
    assert sorted(p.name for p in share.iterdir()) == ["book.xlsx"]
    assert list(scratch.iterdir()) == []
