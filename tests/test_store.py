"""The store as a whole: where it is (a path or a PostgreSQL URL), what it holds, moving it
from one backend to the other, backups, checks, many writers at once, and its failures."""

from __future__ import annotations

import datetime as dt
import os
import stat
import time

import pytest
from backends import fresh_store, query, server

TRIP = ("--purchase", "20.11.2026", "--departure", "01.12.2026", "--return", "10.12.2026")


def fill(ppo) -> None:
    """A small agency: sales, a done mark with its note, a cancellation, a decline, a trip note."""
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89", "-m", "Ольга")
    ppo.add("Борис", "25.11.2026", "05.12.2026", "12.12.2026", "--email", "b@example.ru", "-m", "Игорь")
    ppo.add("Анна Иванова", "01.06.2027", "10.06.2027", "20.06.2027", "--phone", "89123456789", "--note", "VIP")
    ppo("done", "1", "0", "--date", "21.11.2026", "--note", "письмо ушло")
    ppo("cancel", "2", "--reason", "виза")
    ppo("decline", "Вера", "--date", "26.11.2026", "-m", "Ольга")


# --- where the store is ---------------------------------------------------------------------


@pytest.mark.parametrize("location", ["ftp://db.office/ppo", "mysql://ppo@db/ppo", "sqlite:///tmp/x.db"])
def test_a_location_with_another_scheme_is_bad_input_never_a_file(tmp_path, make_ppo, location):
    ppo = make_ppo(tmp_path)
    result = ppo("today", check=False, env={"PPO_DB": location})
    assert result.code == 2 and result.err.count("\n") == 1 and "unknown store scheme" in result.err
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nothing written anywhere


def test_a_server_that_cannot_be_reached_is_one_line_exit_1_without_the_password(tmp_path, make_ppo):
    ppo = make_ppo(tmp_path, subprocess=True)
    started = time.monotonic()
    result = ppo("today", check=False, env={"PPO_DB": "postgresql://ppo:s3cr3t-pw@127.0.0.1:1/ppo"})
    assert time.monotonic() - started < 15
    assert result.code == 1 and result.err.count("\n") == 1 and result.err.startswith("ppo: ")
    assert "s3cr3t-pw" not in result.err + result.out and "postgresql://ppo:***@127.0.0.1:1/ppo" in result.err
    assert "Traceback" not in result.err
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no local file named after the URL


def test_a_wrong_password_is_one_line_exit_1_and_never_shown(tmp_path, make_ppo):
    url = server().replace("ppo-test-secret", "not-the-password-42")
    result = make_ppo(tmp_path)("list", check=False, env={"PPO_DB": url})
    assert result.code == 1 and result.err.count("\n") == 1 and "the user name or password is wrong" in result.err
    assert "not-the-password-42" not in result.err


def test_the_config_names_the_store_and_the_option_wins(tmp_path, make_ppo):
    config = tmp_path / "config.toml"
    config.write_text(f'store = "{(tmp_path / "office.sqlite3").as_posix()}"\n', encoding="utf-8")
    ppo = make_ppo(tmp_path, config)
    ppo("add", "Анна", *TRIP, env={"PPO_DB": None})
    assert (tmp_path / "office.sqlite3").exists() and not ppo.db.exists()
    assert ppo("store", "info", "--format", "json", env={"PPO_DB": None}).json()["trips"] == 1
    assert ppo("store", "info", "--format", "json").json()["trips"] == 0  # PPO_DB given: it wins


# --- store info ---------------------------------------------------------------------------


def test_store_info_tells_the_backend_schema_and_counts(ppo):
    fill(ppo)
    info = ppo("store", "info", "--format", "json").json()
    assert info == {
        "backend": ppo.backend,
        "location": info["location"],
        "schema": info["schema"],
        "clients": 3,
        "trips": 4,
        "steps": 7 + 7 + 7 + 3,  # three tours, a decline (its chain: three steps)
    }
    assert info["schema"] >= 1
    if ppo.backend == "postgresql":
        assert info["location"].startswith("postgresql://ppo:***@") and "ppo-test-secret" not in info["location"]
    else:
        assert info["location"] == str(ppo.db)
    table = ppo("store", "info").out
    assert f"backend: {ppo.backend}" in table and "trips: 4" in table


# --- one status rule ------------------------------------------------------------------------


def test_a_cancelled_trip_has_nothing_overdue_in_show_list_today_and_stats(ppo):
    trip = ppo.add("Анна", "01.11.2026", "10.11.2026", "20.11.2026", "-m", "Ольга")
    ppo("done", str(trip), "0", "--date", "01.11.2026")
    ppo("cancel", str(trip))
    statuses = [s["status"] for s in ppo.show(trip, "--date", "30.11.2026")["steps"]]
    assert statuses[0] == "done" and set(statuses[1:]) == {"cancelled"}
    summary = ppo.json("list", "--all", "--date", "30.11.2026")[0]
    assert (summary["status"], summary["done"], summary["overdue"], summary["due"]) == ("cancelled", 1, 0, 0)
    assert ppo.json("today", "--date", "30.11.2026") == []
    figures = ppo.json("stats", "--from", "01.11.2026", "--to", "30.11.2026", "--date", "30.11.2026")
    assert figures["total"]["due"] == 0


# --- store copy -----------------------------------------------------------------------------


def test_store_copy_moves_everything_up_to_postgresql_and_back(tmp_path, make_ppo):
    source = make_ppo(tmp_path / "a")
    fill(source)
    up = fresh_store()
    result = source("store", "copy", str(source.db), up)
    assert "Copied 3 clients, 4 trips, 24 steps" in result.out and "ppo-test-secret" not in result.out
    office = make_ppo(tmp_path / "b")
    office.env["PPO_DB"] = up
    assert office.snapshot() == source.snapshot()
    # The server's ids go on after the copied ones.
    assert office.add("Новый", "01.12.2026", "05.12.2026", "10.12.2026") == 5
    back = tmp_path / "back.sqlite3"
    office("store", "copy", up, str(back))
    home = make_ppo(tmp_path / "c")
    home.env["PPO_DB"] = str(back)
    assert home.snapshot() == office.snapshot()
    assert stat.S_IMODE(os.stat(back).st_mode) == 0o600


def test_store_copy_refuses_a_target_that_holds_trips_and_leaves_it_untouched(tmp_path, make_ppo, backend):
    source = make_ppo(tmp_path / "a")
    fill(source)
    target = make_ppo(tmp_path / "b", backend=backend)
    target.add("Уже здесь", "01.12.2026", "05.12.2026", "10.12.2026")
    before = target.snapshot()
    result = source("store", "copy", str(source.db), target.store, check=False)
    assert result.code == 2 and result.err.count("\n") == 1 and "already holds trips" in result.err
    assert target.snapshot() == before


def test_store_copy_from_a_missing_file_is_bad_input_and_creates_nothing(tmp_path, make_ppo):
    ppo = make_ppo(tmp_path)
    result = ppo("store", "copy", str(tmp_path / "nope.sqlite3"), str(tmp_path / "to.sqlite3"), check=False)
    assert result.code == 2 and "no store at" in result.err
    assert not (tmp_path / "nope.sqlite3").exists() and not (tmp_path / "to.sqlite3").exists()


# --- many managers at once --------------------------------------------------------------------


def test_forty_managers_adding_and_ticking_at_once_lose_nothing(ppo, ppo_proc):
    for i in range(40):
        ppo.add(f"Старый {i}", "20.11.2026", "01.12.2026", "10.12.2026", "-m", f"M{i}")
    procs = []
    for i in range(40):
        procs.append(ppo_proc.popen("add", f"Новый {i}", *TRIP, "-m", f"M{i}", "--phone", f"+7 900 000-00-{i:02d}"))
        if i % 2 == 0:
            procs.append(ppo_proc.popen("done", str(i + 1), "0", "--date", "21.11.2026"))
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert b"could not serialize" not in err
    trips = ppo.json("list", "--all")
    assert len(trips) == 80
    assert sorted(t["client"] for t in trips if t["client"].startswith("Новый")) == sorted(
        f"Новый {i}" for i in range(40)
    )
    ticked = {t["client"]: t["done"] for t in trips if t["client"].startswith("Старый")}
    assert ticked == {f"Старый {i}": 1 if i % 2 == 0 else 0 for i in range(40)}


def test_two_first_starts_on_an_empty_database_migrate_once(ppo_proc):
    procs = [ppo_proc.popen("list") for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    info = ppo_proc("store", "info", "--format", "json").json()
    assert info["schema"] >= 1 and info["trips"] == 0


# --- backups and checks ---------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_store_backup_is_a_private_consistent_copy_while_another_manager_writes(ppo, ppo_proc):
    fill(ppo)
    writer = ppo_proc.popen("add", "Пишет во время копии", *TRIP)
    backup = ppo.home / "backups" / "ppo-2026-11-26.sqlite3"
    backup.parent.mkdir()
    result = ppo("store", "backup", str(backup))
    writer.communicate(timeout=120)
    assert str(backup) in result.out and stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    restored = ppo("store", "info", "--format", "json", env={"PPO_DB": str(backup)}).json()
    assert restored["trips"] in (4, 5) and restored["steps"] == 24 + 7 * (restored["trips"] - 4)
    assert ppo("store", "check", env={"PPO_DB": str(backup)}).code == 0
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no temp file left


def test_store_backup_of_a_postgresql_store_points_at_pg_dump(tmp_path, make_ppo):
    ppo = make_ppo(tmp_path, backend="postgresql")
    result = ppo("store", "backup", str(tmp_path / "b.sqlite3"), check=False)
    assert result.code == 2 and "pg_dump" in result.err and "ppo-test-secret" not in result.err
    assert not (tmp_path / "b.sqlite3").exists()


def test_store_check_says_a_sound_store_is_sound(ppo):
    fill(ppo)
    result = ppo("store", "check")
    assert "is sound" in result.out


@pytest.mark.sqlite_only
def test_store_check_names_a_damaged_page_and_exits_1(ppo):
    for i in range(60):
        ppo.add(f"Клиент {i}", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", f"+7 900 100-{i:04d}")
    ppo("store", "check")
    data = bytearray(ppo.db.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[4 * page : 4 * page + 64] = b"\xff" * 64  # the header of page 5: no longer a b-tree page
    ppo.db.write_bytes(bytes(data))
    result = ppo("store", "check", check=False)
    assert result.code == 1 and result.err.count("\n") == 1 and "is damaged" in result.err


def test_store_edits_reach_the_tables_the_same_on_every_backend(ppo):
    """What `show` reads is what the tables hold: dates as days, a done mark with its note."""
    fill(ppo)
    rows = query(ppo, "SELECT trip_id, no, due, done_on, done_note FROM steps WHERE trip_id = 1 AND no = 0")
    assert rows == [(1, 0, "2026-11-20", "2026-11-21", "письмо ушло")]


@pytest.mark.sqlite_only
def test_the_daily_report_says_at_its_top_that_the_store_failed_its_check(ppo, tmp_path):
    for i in range(30):
        ppo.add(f"Клиент {i}", "20.11.2026", "01.12.2026", "10.12.2026", "--email", f"c{i}@example.ru")
    (root,) = query(ppo, "SELECT rootpage FROM sqlite_master WHERE name = 'clients_email'")[0]
    data = bytearray(ppo.db.read_bytes())
    data[(root - 1) * 4096 : (root - 1) * 4096 + 16] = b"\xff" * 16  # the e-mail index: today never reads it
    ppo.db.write_bytes(bytes(data))
    out = tmp_path / "reports"
    result = ppo("report", "--out", str(out), "--date", "30.11.2026", check=False)
    assert result.code == 1 and result.err.count("\n") == 1 and "integrity check" in result.err
    markdown = (out / "ppo-2026-11-30.md").read_text(encoding="utf-8")
    assert markdown.startswith("> **⚠ the store failed its integrity check") and "Клиент 0" in markdown


def test_a_connection_dropped_mid_command_is_one_line_and_nothing_half_written(tmp_path, make_ppo, monkeypatch):
    import psycopg

    from ppo_checklist import cli
    from ppo_checklist.store.postgresql import PostgresStore

    ppo = make_ppo(tmp_path, backend="postgresql")
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    real = PostgresStore.mark_done

    def dropped(self, trip_id, no, day, note):
        with psycopg.connect(server(), autocommit=True) as admin:  # the server ends this session
            admin.execute("SELECT pg_terminate_backend(%s)", (self.db.info.backend_pid,))
        return real(self, trip_id, no, day, note)

    monkeypatch.setattr(PostgresStore, "mark_done", dropped)
    monkeypatch.setenv("PPO_DB", ppo.store)
    code = cli.run(["done", str(trip), "0", "--date", "21.11.2026"])
    monkeypatch.undo()
    assert code == 1
    assert ppo.show(trip)["steps"][0]["done_on"] is None


def test_postgresql_s_own_read_of_today_answers_what_the_shared_query_answers(tmp_path, make_ppo):
    """`PostgresStore.agenda` joins today's list step by step (for the planner's sake): the
    shared query with other joins, held here to the plain joins on every kind of row."""
    from ppo_checklist.store import open_store
    from ppo_checklist.store.sql import AGENDA_JOINS

    ppo = make_ppo(tmp_path, backend="postgresql")
    fill(ppo)
    ppo.add("Отказ от писем", "20.11.2026", "01.12.2026", "10.12.2026", "--email", "no@example.ru", "--no-messages")
    ppo.add("Игорь", "28.11.2026", "01.12.2026", "10.12.2026", "-m", "Игорь")
    store = open_store(ppo.store)
    try:
        with store.write():  # a message ppo recorded for trip 1's step 1
            store._rows(
                "INSERT INTO outbox (trip_id, step_no, letter, channel, address, subject, body, due, state,"
                " created_at, attempts) VALUES (1, 1, '', 'sms', '+79123456789', '', 'x', '2026-11-30',"
                " 'unknown', '2026-11-30T10:00:00+00:00', 1)"
            )
        seen = []
        cases = [
            ("2026-11-30", None),
            ("2026-12-31", None),
            ("2026-12-31", "Ольга"),
            ("2026-12-31", ["Ольга", "Игорь"]),
        ]
        for day, manager in [*cases, ("2026-01-01", None)]:
            until = dt.date.fromisoformat(day)
            for as_of in (None, until):  # `ppo today` asks as of its day (lapsed steps left out)
                own = store.agenda(until, manager=manager, as_of=as_of)
                assert own == store._agenda(until, None, manager, as_of, AGENDA_JOINS)
                assert own or day == "2026-01-01"
                seen += own
        assert any(row.opted_out for row in seen) and any(row.outbox == "unknown" for row in seen)
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_a_stale_read_only_shared_memory_file_is_named_with_what_to_remove(ppo):
    """A read-only open leaves `-shm` behind; made unwritable (as a file of another user would
    be; `chattr +i` stops even root), every write failed with "is locked". Now the message
    names the file to remove, and removing it is enough."""
    import shutil
    import subprocess
    import sys

    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    read_only_open = (
        "import os, sqlite3, sys; c = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True);"
        " c.execute('SELECT COUNT(*) FROM trips').fetchone(); os._exit(0)"  # gone without closing
    )
    subprocess.run([sys.executable, "-c", read_only_open, str(ppo.db)], check=True)
    shm = ppo.db.parent / (ppo.db.name + "-shm")
    assert shm.exists()
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(shm)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here to make the -shm unwritable")
    try:
        result = ppo("add", "Борис", *TRIP, check=False)
    finally:
        subprocess.run(["chattr", "-i", str(shm)], check=True)
    assert result.code == 1 and result.err.count("\n") == 1
    assert f"remove {shm}" in result.err and "keep" in result.err
    shm.unlink(missing_ok=True)
    assert ppo.add("Борис", "20.11.2026", "01.12.2026", "10.12.2026") == 2


@pytest.mark.sqlite_only
def test_a_store_found_readable_by_others_is_made_private_on_every_open(ppo):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    os.chmod(ppo.db, 0o644)  # a copy restored by hand, an umask of 022
    ppo("today")
    assert stat.S_IMODE(os.stat(ppo.db).st_mode) == 0o600


@pytest.mark.sqlite_only
def test_a_backup_takes_the_configured_shared_mode(tmp_path, make_ppo):
    config = tmp_path / "config.toml"
    config.write_text('shared_file_mode = "0640"\n', encoding="utf-8")
    ppo = make_ppo(tmp_path, config)
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("store", "backup", str(tmp_path / "b.sqlite3"))
    assert stat.S_IMODE(os.stat(tmp_path / "b.sqlite3").st_mode) == 0o640


def test_a_store_path_in_a_folder_that_does_not_exist_is_bad_input_and_makes_nothing(tmp_path, make_ppo):
    """A typo in --db's folder must not become a new, empty store that says "nothing to do"."""
    ppo = make_ppo(tmp_path)
    wrong = tmp_path / "nonexistent" / "dir" / "ppo.sqlite3"
    result = ppo("today", check=False, env={"PPO_DB": str(wrong)})
    assert result.code == 2 and result.err.count("\n") == 1 and "no folder" in result.err
    assert not (tmp_path / "nonexistent").exists()
    default = ppo("today", env={"PPO_DB": None})  # ppo's own data folder is made on first use
    assert default.code == 0 and (tmp_path / "data" / "ppo" / "ppo.sqlite3").exists()


# --- the planner's statistics (PostgreSQL) ------------------------------------------------------


def _statistics(url: str) -> dict[str, int]:
    """Columns of each table the server holds statistics for (pg_stats: ANALYZE's work)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT tablename, count(*) FROM pg_stats WHERE schemaname = current_schema() GROUP BY tablename"
        ).fetchall()
    return dict(rows)


def _many_trips_csv(path, trips: int):
    lines = ["name,phone,purchase,departure,return,manager"]
    for n in range(trips):
        phone = f"+7 900 {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}"
        lines.append(f"Клиент {n},{phone},01.11.2026,01.12.2026,10.12.2026,Ольга")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_large_import_leaves_postgresql_with_statistics_for_its_planner(tmp_path, make_ppo):
    ppo = make_ppo(tmp_path, backend="postgresql")
    ppo("import", str(_many_trips_csv(tmp_path / "few.csv", 20)))
    assert "steps" not in _statistics(ppo.store)  # a small import leaves it to autovacuum
    ppo("import", str(_many_trips_csv(tmp_path / "many.csv", 1200)))
    analyzed = _statistics(ppo.store)
    assert analyzed.get("steps", 0) >= 7 and analyzed.get("trips", 0) >= 7 and analyzed.get("clients", 0) >= 5


def test_a_store_copied_to_postgresql_has_statistics_for_its_planner(tmp_path, make_ppo):
    source = make_ppo(tmp_path / "a")
    fill(source)
    up = fresh_store()
    source("store", "copy", str(source.db), up)
    analyzed = _statistics(up)
    assert {"clients", "trips", "steps"} <= set(analyzed)
