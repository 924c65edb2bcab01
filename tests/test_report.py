"""The daily report as cron runs it: no terminal, no input, a bare environment."""

import os
import re
import stat
import subprocess

import pytest
from conftest import PPO

ANSI = re.compile(r"\x1b\[")

REPORT_FILES = ["ppo-2026-11-30.md", "ppo-2026-11-30.xlsx"]


def assert_done(result):
    """Exit 0 and a silent stderr."""
    assert result.returncode == 0 and result.stderr == b"", result.stderr


def cron(ppo, *args, home=None):
    """`ppo` as cron starts it: stdin from nowhere, output to a pipe, a minimal environment."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home or ppo.home), "PPO_DB": str(ppo.db), "LANG": "C"}
    return subprocess.run([PPO, *args], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=120)


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


def test_report_as_cron_writes_both_files_and_prints_the_markdown(agency, tmp_path):
    out = tmp_path / "reports"
    result = cron(agency, "report", "--out", str(out), "--date", "30.11.2026")
    assert_done(result)
    printed = result.stdout.decode("utf-8")
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

    result = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert_done(result)
    book = load_workbook(tmp_path / "ppo-2026-11-30.xlsx")
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert {"Анна Иванова", "Борис Орлов", "Вера"} <= cells


def test_ppo_today_md_prints_the_same_markdown(agency, tmp_path):
    report = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    today = cron(agency, "today", "--format", "md", "--date", "30.11.2026")
    assert today.returncode == 0 and today.stdout == report.stdout


def test_report_replaces_the_days_files_and_leaves_no_temporary_files(agency, tmp_path):
    out = tmp_path / "out"
    cron(agency, "report", "--out", str(out), "--date", "30.11.2026")
    agency("done", "1", "ppo-do", "--date", "30.11.2026")
    again = cron(agency, "report", "--out", str(out), "--date", "30.11.2026")
    assert_done(again)
    assert "4 actions: 2 overdue" in (out / "ppo-2026-11-30.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == REPORT_FILES


def test_report_files_are_private_whatever_the_umask(agency, tmp_path):
    cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    for name in ("ppo-2026-11-30.md", "ppo-2026-11-30.xlsx"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_report_date_defaults_to_ppo_today(agency, tmp_path):
    agency("report", "--out", str(tmp_path), env={"PPO_TODAY": "2026-12-01"}, check=True)
    assert (tmp_path / "ppo-2026-12-01.md").exists()


def test_report_with_nothing_to_do_still_writes_and_says_so(ppo, tmp_path):
    result = cron(ppo, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert_done(result)
    assert "Nothing to do." in result.stdout.decode("utf-8")


def test_report_creates_the_folder(agency, tmp_path):
    out = tmp_path / "share" / "reports"
    assert_done(cron(agency, "report", "--out", str(out), "--date", "30.11.2026"))
    assert (out / "ppo-2026-11-30.md").exists()


def test_report_failure_is_one_line_on_stderr_and_exit_1(agency, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = cron(agency, "report", "--out", str(blocker / "reports"), "--date", "30.11.2026")
    assert result.returncode == 1
    err = result.stderr.decode("utf-8")
    assert err.startswith("ppo: cannot create the folder") and len(err.strip().splitlines()) == 1
    assert result.stdout == b""


def test_report_on_an_unreadable_store_fails_in_one_line(ppo, tmp_path):
    ppo.db.write_bytes(b"this is not a database" * 100)
    result = cron(ppo, "report", "--out", str(tmp_path / "r"), "--date", "30.11.2026")
    assert result.returncode == 1
    assert len(result.stderr.decode("utf-8").strip().splitlines()) == 1
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


# --- a second run the same day: the day's workbook is replaced as `ppo export` replaces it ---


def tick_report(path, trip_id: int, no: int, value) -> None:
    """What the director does in the day's workbook: a value in a step's tick cell, save."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    for ws in book.worksheets:
        if ws.title.startswith("Checklist"):
            heads = {str(c.value): c.column for c in ws[1] if c.value}
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 1).value == trip_id:
                    ws.cell(r, heads[f"✓ {no}"]).value = value
    book.save(path)


def test_report_takes_the_ticks_of_the_days_workbook_before_replacing_it(agency, tmp_path):
    cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    tick_report(tmp_path / "ppo-2026-11-30.xlsx", 1, 0, "✓")
    again = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.returncode == 0, again.stderr
    assert "took 1 ticks from" in again.stderr.decode("utf-8")
    shown = agency("show", "1", "--format", "json", "--date", "30.11.2026").json()
    assert shown["steps"][0]["done_on"] == "2026-11-30"
    assert "4 actions: 2 overdue" in again.stdout.decode("utf-8")  # the Markdown counts it


def test_report_keeps_a_days_workbook_holding_entries_it_could_not_take(agency, tmp_path):
    cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    book = tmp_path / "ppo-2026-11-30.xlsx"
    tick_report(book, 1, 0, "сделано")
    before = book.read_bytes()
    again = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.returncode == 1
    err = again.stderr.decode("utf-8").strip().splitlines()
    assert err[-1].startswith("ppo: ") and "'сделано' is not a tick" in err[-1] and "--force" in err[-1]
    assert book.read_bytes() == before
    assert again.stdout.decode("utf-8").startswith("# ppo: actions for 30.11.2026")  # cron's mail


def test_report_does_not_replace_a_days_workbook_open_in_a_spreadsheet(agency, tmp_path):
    cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    book = tmp_path / "ppo-2026-11-30.xlsx"
    (tmp_path / ".~lock.ppo-2026-11-30.xlsx#").write_text("lock")
    before = book.read_bytes()
    again = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.returncode == 1 and "is open in a spreadsheet" in again.stderr.decode("utf-8")
    assert book.read_bytes() == before


def test_report_does_not_replace_a_file_of_the_days_name_that_ppo_did_not_write(agency, tmp_path):
    book = tmp_path / "ppo-2026-11-30.xlsx"
    book.write_bytes(b"the director's own notes")
    again = cron(agency, "report", "--out", str(tmp_path), "--date", "30.11.2026")
    assert again.returncode == 2 and "is not a ppo workbook" in again.stderr.decode("utf-8")
    assert book.read_bytes() == b"the director's own notes"
