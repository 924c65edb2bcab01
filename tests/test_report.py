"""The daily report as cron runs it: no terminal, no input, a bare environment.

`ppo.cron` runs it in-process with cron's environment; `ppo_proc.cron`, the installed
command in a child process, for what only a process shows (its encoding, exit code, umask).
"""

import datetime as dt
import os
import re
import stat

import openpyxl
import pytest
from director import set_input, tick
from ppo_runner import without_created
from send_servers import write_config

ANSI = re.compile(r"\x1b\[")

# the day's list and workbook, and each manager's phone calendar (the same names every day)
REPORT_FILES = ["ppo-2026-11-30.md", "ppo-2026-11-30.xlsx", "ppo-calendar-Игорь.ics", "ppo-calendar-Ольга.ics"]


def assert_done(result):
    """Exit 0 and a silent stderr."""
    assert result.code == 0 and without_created(result.err) == "", result.err


@pytest.fixture
def agency(ppo):
    ppo.add(
        "Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89", "--manager", "Ольга"
    )
    ppo.add(
        "Борис Орлов", "27.11.2026", "01.12.2026", "11.12.2026", "--email", "boris@example.ru", "--manager", "Игорь"
    )
    ppo.add("Вера", "29.11.2026", "05.12.2026", "15.12.2026", "--manager", "Ольга")
    return ppo


def test_report_as_cron_writes_both_files_and_prints_the_markdown(agency, ppo_proc, tmp_path):
    out = tmp_path / "reports"
    result = ppo_proc.cron("report", "--out", str(out), "--date", "30.11.2026")
    assert_done(result)
    printed = result.out
    assert not ANSI.search(printed)
    assert sorted(p.name for p in out.iterdir()) == REPORT_FILES
    assert (out / "ppo-2026-11-30.md").read_text(encoding="utf-8") == printed
    assert printed.startswith("# ppo: actions for 30.11.2026\n")
    assert "5 actions: 3 overdue, 2 due today" in printed
    # grouped by manager (Игорь before Ольга), overdue first within a manager, with counts
    igor, olga = printed.index("## Игорь (2)"), printed.index("## Ольга (3)")
    assert igor < olga
    olga_part = printed[olga:]
    assert olga_part.index("overdue 10 d") < olga_part.index("**today**")
    assert "Анна Иванова · +7 912 345-67-89 · trip 1, step 0" in printed
    assert "boris@example.ru" in printed


def test_report_workbook_is_the_directors_checklist(agency, tmp_path):
    from openpyxl import load_workbook

    result = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert_done(result)
    book = load_workbook(tmp_path / "ppo-2026-11-30.xlsx")
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert {"Анна Иванова", "Борис Орлов", "Вера"} <= cells


def test_ppo_today_md_prints_the_same_markdown(agency, ppo_proc, tmp_path):
    report = ppo_proc.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    today = ppo_proc.cron("today", "--format", "md", "--date", "30.11.2026")
    assert today.code == 0 and today.out == report.out


def test_with_email_set_the_report_leaves_out_what_ppo_sends_as_today_does(agency, tmp_path):
    config = write_config(tmp_path / "mail.toml", {"server": "smtp://127.0.0.1:1", "from": "info@solnce.example"})
    letter = "Борис Орлов · boris@example.ru · trip 2, step 0"  # the ППО-ДО series, two days late: ppo sends it
    plain = agency.cron("today", "--format", "md", "--date", "29.11.2026").out
    report = agency("--config", str(config), "report", "--out", str(tmp_path / "r"), "--date", "29.11.2026").out
    today = agency("--config", str(config), "today", "--format", "md", "--date", "29.11.2026").out
    assert letter in plain and letter not in today
    assert report == today


def test_report_replaces_the_days_files_and_leaves_no_temporary_files(agency, tmp_path):
    out = tmp_path / "out"
    agency.cron("report", "--out", str(out), "--date", "30.11.2026")
    agency("done", "1", "ppo-do", "--date", "30.11.2026", env={"PPO_TODAY": "2026-11-30"})
    again = agency.cron("report", "--out", str(out), "--date", "30.11.2026")
    assert_done(again)
    assert "4 actions: 2 overdue" in (out / "ppo-2026-11-30.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == REPORT_FILES


def test_report_files_are_private_whatever_the_umask(agency, ppo_proc, tmp_path):
    ppo_proc.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    for name in ("ppo-2026-11-30.md", "ppo-2026-11-30.xlsx"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_report_date_defaults_to_ppo_today(agency, tmp_path):
    agency("report", "--out", str(tmp_path), env={"PPO_TODAY": "2026-12-01"}, check=True)
    assert (tmp_path / "ppo-2026-12-01.md").exists()


def test_report_with_nothing_to_do_still_writes_and_says_so(ppo, ppo_proc, tmp_path):
    result = ppo_proc.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert_done(result)
    assert "Nothing to do." in result.out


def test_report_creates_the_folder(agency, tmp_path):
    out = tmp_path / "share" / "reports"
    assert_done(agency.cron("report", "--out", str(out), "--date", "30.11.2026"))
    assert (out / "ppo-2026-11-30.md").exists()


def test_report_failure_is_one_line_on_stderr_and_exit_1(agency, ppo_proc, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = ppo_proc.cron("report", "--out", str(blocker / "reports"), "--date", "30.11.2026")
    assert result.code == 1
    err = result.err
    assert err.startswith("ppo: cannot create the folder") and len(err.strip().splitlines()) == 1
    assert result.out == ""


@pytest.mark.sqlite_only
def test_report_on_an_unreadable_store_fails_in_one_line(ppo, ppo_proc, tmp_path):
    ppo.db.write_bytes(b"this is not a database" * 100)
    result = ppo_proc.cron("report", "--out", str(tmp_path / "r"), "--date", "30.11.2026")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


# --- a second run the same day: the day's workbook is replaced as `ppo export` replaces it ---


def test_report_takes_the_ticks_of_the_days_workbook_before_replacing_it(agency, tmp_path):
    agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    tick(tmp_path / "ppo-2026-11-30.xlsx", 1, 0, "✓")
    again = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.code == 0, again.err
    assert "took 1 ticks from" in again.err
    shown = agency("show", "1", "--format", "json", "--date", "30.11.2026").json()
    assert shown["steps"][0]["done_on"] == "2026-11-30"
    assert "4 actions: 2 overdue" in again.out  # the Markdown counts it


def test_report_takes_a_director_s_word_for_done_and_goes_on_over_a_word_it_cannot_read(agency, tmp_path):
    agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    book = tmp_path / "ppo-2026-11-30.xlsx"
    tick(book, 1, 0, "сделано")
    tick(book, 2, 0, "позже")
    again = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.code == 0, again.err
    assert "'позже' is not a tick" in again.err and "took 1 ticks" in again.err
    shown = agency("show", "1", "--format", "json", "--date", "30.11.2026").json()
    assert shown["steps"][0]["done_on"] == "2026-11-30"
    ws = openpyxl.load_workbook(book)["Checklist Туры"]
    heads = {str(c.value): c.column for c in ws[1] if c.value}
    assert ws.cell(3, heads["✓ 0"]).value == "позже"  # cron's book goes on, the word kept


def test_report_keeps_a_days_workbook_holding_entries_it_could_not_take(agency, tmp_path):
    agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    book = tmp_path / "ppo-2026-11-30.xlsx"
    set_input(book, 1, "Departure", dt.datetime(2026, 12, 9))
    before = book.read_bytes()
    again = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.code == 1
    err = again.err.strip().splitlines()
    assert err[-1].startswith("ppo: ") and "differs" in err[-1] and "--force" not in err[-1]
    assert "move it away" in err[-1]
    assert book.read_bytes() == before
    assert again.out.startswith("# ppo: actions for 30.11.2026")  # cron's mail


def test_report_does_not_replace_a_days_workbook_open_in_a_spreadsheet(agency, tmp_path):
    agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    book = tmp_path / "ppo-2026-11-30.xlsx"
    (tmp_path / ".~lock.ppo-2026-11-30.xlsx#").write_text("lock")
    before = book.read_bytes()
    again = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.code == 1 and "is open in a spreadsheet" in again.err
    assert book.read_bytes() == before


def test_report_does_not_replace_a_file_of_the_days_name_that_ppo_did_not_write(agency, tmp_path):
    book = tmp_path / "ppo-2026-11-30.xlsx"
    book.write_bytes(b"the director's own notes")
    again = agency.cron("report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.code == 2 and "is not a ppo workbook" in again.err
    assert book.read_bytes() == b"the director's own notes"
