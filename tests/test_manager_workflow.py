"""What a manager does day to day, through ppo's command line (in-process; the installed
`ppo` where a process matters: start-up, exit codes, several at once)."""

import csv
import io
import os
import stat
from pathlib import Path

import pytest
from backends import set_schema_version

from ppo_checklist import __version__
from ppo_checklist.cli.app import all_commands

TRIP_ARGS = ("-p", "20.11.2026", "-d", "01.12.2026", "-r", "10.12.2026")

LATER = {"PPO_TODAY": "2027-01-01"}  # the tests' dates are in the past: a done mark is never in the future


def test_add_then_today_then_done_then_today(ppo):
    trip = ppo.add(
        "Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89", "--manager", "Ольга"
    )
    actions = ppo("today", "--date", "30.11.2026", "--format", "json").json()
    assert [(a["trip_id"], a["step_id"], a["status"], a["days_late"]) for a in actions] == [
        (trip, "ppo-do", "overdue", 10),
        (trip, "reminder", "due", 0),
    ]
    ppo("done", str(trip), "ppo-do", "--date", "20.11.2026")
    ppo("done", str(trip), "1", "--date", "30.11.2026", "--note", "звонила, всё хорошо", env=LATER)
    assert ppo("today", "--date", "30.11.2026", "--format", "json").json() == []
    steps = {s["id"]: s for s in ppo("show", str(trip), "--date", "30.11.2026", "--format", "json").json()["steps"]}
    assert steps["reminder"]["status"] == "done" and steps["reminder"]["done_on"] == "2026-11-30"
    assert steps["reminder"]["note"] == "звонила, всё хорошо"
    assert steps["sms-departure"]["status"] == "pending"


def test_today_lists_overdue_oldest_first_then_due_today(ppo):
    late = ppo.add("Late", "01.11.2026", "10.11.2026", "20.11.2026")
    fresh = ppo.add("Fresh", "25.11.2026", "26.11.2026", "30.11.2026")
    actions = ppo("today", "--date", "25.11.2026", "--format", "json").json()
    dues = [a["due"] for a in actions]
    assert dues == sorted(dues)
    assert actions[-1] == {
        "trip_id": fresh,
        "client": "Fresh",
        "phone": "",
        "email": "",
        "opted_out": False,
        "manager": "",
        "playbook": "tour",
        "step_no": 1,
        "step_id": "reminder",
        "step": "Напомнить о вылете завтра",
        "channel": "call",
        "due": "2026-11-25",
        "status": "due",
        "days_late": 0,
    }
    # Late's steps before the trip lapsed with its departure: the oldest left is the after-trip series
    assert (actions[0]["trip_id"], actions[0]["step_id"], actions[0]["days_late"]) == (late, "ppo-posle", 4)
    assert all(a["status"] == "overdue" for a in actions if a["trip_id"] == late)


def test_today_for_one_manager_only(ppo):
    ppo.add("A", "25.11.2026", "26.11.2026", "30.11.2026", "--manager", "Ольга")
    ppo.add("B", "25.11.2026", "26.11.2026", "30.11.2026", "--manager", "Игорь")
    actions = ppo("today", "--date", "25.11.2026", "--manager", "Игорь", "--format", "json").json()
    assert {a["client"] for a in actions} == {"B"}


def test_ppo_today_env_sets_the_day(ppo):
    ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    actions = ppo("today", "--format", "json", env={"PPO_TODAY": "2026-11-30"}).json()
    assert [a["step_id"] for a in actions] == ["ppo-do", "reminder"]


def test_table_groups_by_manager_with_days_late_and_a_count_line(ppo):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+79123456789", "--manager", "Ольга")
    out = ppo("today", "--date", "30.11.2026").out
    assert "Ольга" in out and "Анна" in out and "+7 912 345-67-89" in out
    assert "overdue 10 d" in out and "today" in out
    assert "2 actions: 1 overdue, 1 due today" in out
    assert "\x1b[" not in out  # not a terminal: plain text, no colour codes


def test_text_option_fills_in_the_ready_to_send_text(ppo, tmp_path):
    config = tmp_path / "agency.toml"
    config.write_text('agency = "Солнце Тур"\ndirector = "Мария Петровна"\n', encoding="utf-8")
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--manager", "Ольга")
    actions = ppo("--config", str(config), "today", "--date", "01.12.2026", "--text", "--format", "json").json()
    sms = next(a for a in actions if a["step_id"] == "sms-departure")
    assert sms["text"] == "Анна, счастливого пути! Мы на связи. Ольга, Солнце Тур"
    reminder = next(a for a in actions if a["step_id"] == "reminder")
    assert "01.12.2026" in reminder["text"] and "{" not in reminder["text"]
    table = ppo("--config", str(config), "today", "--date", "01.12.2026", "--text").out
    assert "счастливого пути" in table


def test_upcoming_lists_the_next_days_soonest_first(ppo):
    trip = ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    actions = ppo("upcoming", "--date", "25.11.2026", "--days", "7", "--format", "json").json()
    assert [(a["trip_id"], a["step_id"], a["status"]) for a in actions] == [
        (trip, "reminder", "pending"),
        (trip, "sms-departure", "pending"),
    ]


def test_done_again_says_so_and_changes_nothing(ppo):
    trip = ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "reminder", "--date", "30.11.2026", env=LATER)
    before = ppo.snapshot()
    again = ppo("done", str(trip), "1", "--date", "01.12.2026", env=LATER)
    assert "already done on 30.11.2026" in again.out
    assert ppo.snapshot() == before


def test_undo_takes_a_done_mark_back(ppo):
    trip = ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "reminder", "--date", "30.11.2026", env=LATER)
    ppo("undo", str(trip), "reminder")
    step = ppo("show", str(trip), "--date", "30.11.2026", "--format", "json").json()["steps"][1]
    assert step["status"] == "due" and step["done_on"] is None


def test_edit_moves_pending_steps_and_keeps_done_marks(ppo):
    trip = ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "reminder", "--date", "30.11.2026", env=LATER)
    shown = ppo("edit", str(trip), "--departure", "05.12.2026", "--return", "15.12.2026", "--format", "json").json()
    steps = {s["id"]: s for s in shown["steps"]}
    assert shown["dates"] == {"purchase": "2026-11-20", "departure": "2026-12-05", "return": "2026-12-15"}
    assert steps["reminder"]["due"] == "2026-11-30" and steps["reminder"]["done_on"] == "2026-11-30"
    assert steps["sms-departure"]["due"] == "2026-12-05"
    assert steps["office-visit"]["due"] == "2026-12-22"


def test_edit_corrects_the_client_and_manager(ppo):
    trip = ppo.add("Ana", "20.11.2026", "01.12.2026", "10.12.2026")
    shown = ppo(
        "edit", str(trip), "--name", "Анна", "--phone", "+7 900 000-00-00", "--manager", "Игорь", "--format", "json"
    ).json()
    assert shown["client"]["name"] == "Анна" and shown["client"]["phone"] == "+7 900 000-00-00"
    assert shown["manager"] == "Игорь"


def test_cancelled_trip_has_no_further_steps_but_stays_in_history(ppo):
    trip = ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    out = ppo("cancel", str(trip), "--reason", "visa refused").out
    assert "cancelled" in out
    assert ppo("today", "--date", "30.11.2026", "--format", "json").json() == []
    assert ppo("list", "--format", "json").json() == []
    history = ppo("list", "--all", "--format", "json").json()
    assert [(t["trip_id"], t["status"]) for t in history] == [(trip, "cancelled")]
    assert ppo("show", str(trip), "--format", "json").json()["cancel_reason"] == "visa refused"
    assert "already cancelled" in ppo("cancel", str(trip)).out


def test_finished_trip_leaves_the_active_list(ppo):
    trip = ppo.add("A", "20.11.2026", "20.11.2026", "20.11.2026")
    for no in range(7):
        ppo("done", str(trip), str(no), "--date", "20.11.2026")
    assert ppo("list", "--format", "json").json() == []
    assert ppo("list", "--all", "--format", "json").json()[0]["status"] == "finished"
    assert ppo("show", str(trip), "--format", "json").json()["status"] == "finished"


def test_decline_starts_the_declined_chain(ppo):
    shown = ppo(
        "decline",
        "Пётр",
        "--date",
        "25.11.2026",
        "--departure",
        "10.12.2026",
        "--email",
        "p@example.com",
        "--format",
        "json",
    ).json()
    assert shown["playbook"] == "declined"
    assert shown["dates"] == {"departure": "2026-12-10", "declined": "2026-11-25"}
    assert [(s["id"], s["due"], s["lapses_on"]) for s in shown["steps"]] == [
        ("decline-chain", "2026-11-25", "2026-12-10"),  # «Желаем вам счастливого пути!»: before departure
        ("decline-feedback", "2026-12-02", "2026-12-25"),
        ("decline-why", "2026-11-28", "2026-12-25"),  # «Чем мы вас обидели?»
    ]


def test_same_name_and_phone_is_the_same_client_with_a_new_trip(ppo):
    first = ppo(
        "add",
        "Анна Иванова",
        "-p",
        "20.11.2026",
        "-d",
        "01.12.2026",
        "-r",
        "10.12.2026",
        "--phone",
        "+7 (912) 345-67-89",
        "-f",
        "json",
    ).json()
    second = ppo(
        "add",
        " анна  ИВАНОВА ",
        "-p",
        "20.11.2027",
        "-d",
        "01.12.2027",
        "-r",
        "10.12.2027",
        "--phone",
        "8 912 345 67 89",
        "--email",
        "A@Mail.ru",
        "-f",
        "json",
    ).json()
    assert second["client"]["id"] == first["client"]["id"]
    assert second["trip_id"] != first["trip_id"]
    third = ppo("decline", "Анна Иванова", "--date", "01.01.2028", "--email", "a@mail.ru", "-f", "json").json()
    assert third["client"]["id"] == first["client"]["id"]


def test_the_same_phone_under_another_name_is_a_new_client_and_one_line_names_the_other(ppo):
    ivanova = ppo.json("add", "Анна Иванова", *TRIP_ARGS, "--phone", "+7 912 345-67-89")
    added = ppo("add", "Анна Петрова", *TRIP_ARGS, "--phone", "8 912 345 67 89", "-f", "json")
    petrova = added.json()
    assert petrova["client"]["name"] == "Анна Петрова" and petrova["client"]["id"] != ivanova["client"]["id"]
    assert petrova["client"]["phone"] == "+7 912 345-67-89"
    said = [line for line in added.err.splitlines() if "created the store" not in line]
    assert said == [
        f"ppo: Анна Петрова (client {petrova['client']['id']}) is a new client sharing the phone"
        f" +7 912 345-67-89 with client {ivanova['client']['id']} (Анна Иванова)"
    ]
    declined = ppo("decline", "Пётр Петров", "--date", "01.01.2027", "--phone", "+79123456789", "-f", "json")
    assert "Анна Иванова" in declined.err and "Анна Петрова" in declined.err
    assert declined.json()["client"]["name"] == "Пётр Петров"
    # the one of the same name stays the same client, and says nothing
    again = ppo(
        "add",
        "анна петрова",
        "-p",
        "01.02.2027",
        "-d",
        "10.02.2027",
        "-r",
        "20.02.2027",
        "--phone",
        "+7 912 345-67-89",
        "-f",
        "json",
    )
    assert again.json()["client"]["id"] == petrova["client"]["id"] and "sharing" not in again.err


def test_csv_output_never_runs_as_a_formula(ppo):
    ppo.add('=HYPERLINK("http://x")', "25.11.2026", "26.11.2026", "30.11.2026", "--phone", "+7 912 000 00 00")
    rows = list(csv.DictReader(io.StringIO(ppo("today", "--date", "25.11.2026", "--format", "csv").out)))
    assert rows[0]["client"].startswith("'=") and rows[0]["phone"].startswith("'+")


def test_playbooks_lists_steps_and_offsets(ppo):
    out = ppo("playbooks").out
    assert "tour" in out and "declined" in out and "1 day before departure" in out and "7 days after return" in out
    data = {p["id"]: p for p in ppo("playbooks", "--format", "json").json()}
    assert [(s["id"], s["anchor"], s["offset"]) for s in data["declined"]["steps"]] == [
        ("decline-chain", "declined", "0d"),
        ("decline-feedback", "declined", "+7d"),
        ("decline-why", "declined", "+3d"),
    ]
    assert [s["offset"] for s in data["tour"]["steps"]] == ["0d", "-1d", "0d", "0d", "+1d", "+2d", "+7d"]
    lapses = ["departure", "departure", "departure+1d", "return+2d", "return+5d", "", ""]
    assert [s["lapses"] for s in data["tour"]["steps"]] == lapses


def test_user_playbook_from_the_config_dir_is_used(ppo):
    folder = ppo.home / "config" / "ppo" / "playbooks"
    folder.mkdir(parents=True)
    (folder / "short.toml").write_text(
        'id = "short"\ndates = ["purchase", "departure", "return"]\n[[steps]]\nno = 0\nid = "thanks"\n'
        'title = "Thanks"\nchannel = "sms"\nanchor = "return"\noffset = "+11m"\ntext = "{client}"\n',
        encoding="utf-8",
    )
    shown = ppo(
        "add", "A", "-p", "01.01.2026", "-d", "10.01.2026", "-r", "31.01.2026", "--playbook", "short", "-f", "json"
    ).json()
    assert [(s["id"], s["due"]) for s in shown["steps"]] == [("thanks", "2026-12-31")]


def test_config_switches_to_month_first_dates_and_a_default_manager(ppo, tmp_path):
    config = tmp_path / "us.toml"
    config.write_text('dayfirst = false\ndefault_manager = "Kate"\ndate_format = "%m/%d/%Y"\n', encoding="utf-8")
    shown = ppo(
        "--config", str(config), "add", "A", "-p", "11/20/2026", "-d", "12/01/2026", "-r", "12/10/2026", "-f", "json"
    ).json()
    assert shown["dates"]["purchase"] == "2026-11-20" and shown["manager"] == "Kate"
    assert "11/30/2026" in ppo("--config", str(config), "today", "--date", "11/30/2026").out


def test_store_file_is_readable_by_the_owner_only(ppo):
    ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    for path in ppo.db.parent.glob("ppo.sqlite3*"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_default_store_lives_in_the_user_data_dir(ppo):
    ppo("add", "A", "-p", "20.11.2026", "-d", "01.12.2026", "-r", "10.12.2026", env={"PPO_DB": None})
    assert (ppo.home / "data" / "ppo" / "ppo.sqlite3").exists()
    assert not ppo.db.exists()


def test_two_managers_adding_at_the_same_moment_lose_nothing(ppo):
    ppo("list")  # create the store first, as the first command of the day does
    procs = [
        ppo.popen(
            "add", f"C{i}", "-p", "20.11.2026", "-d", "01.12.2026", "-r", "10.12.2026", "--phone", f"+7900{i:07d}"
        )
        for i in range(12)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    trips = ppo("list", "--format", "json").json()
    assert sorted(t["client"] for t in trips) == sorted(f"C{i}" for i in range(12))
    assert all(t["steps"] == 7 for t in trips)


def test_newer_store_schema_is_a_clear_error(ppo):
    ppo("list")
    set_schema_version(ppo, 99)
    result = ppo("today", check=False)
    assert result.code == 1
    assert "newer than this ppo knows" in result.err and "Traceback" not in result.err


@pytest.mark.sqlite_only
def test_unreadable_store_is_a_clear_error(ppo):
    ppo.db.write_bytes(b"this is not a database" * 100)
    result = ppo("today", check=False)
    assert result.code == 1 and result.err.startswith("ppo: ") and len(result.err.splitlines()) == 1


def test_version_and_help_on_every_command(ppo):
    assert ppo("--version").out == f"ppo {__version__}\n"
    commands = all_commands()
    assert len(commands) >= 16
    listed = ppo("--help").out
    for name, command in commands.items():
        assert name in listed, name
        out = ppo(name, "--help").out
        assert f"Usage: ppo {name} " in out, name
        assert command.help.split("\n")[0][:60] in " ".join(out.split()), name
        assert ppo(name, "-h").out == out


@pytest.mark.sqlite_only
def test_installed_ppo_starts_and_exits_as_a_shell_sees_it(ppo_proc):
    """The console script itself: start-up, help, and the exit codes of CLI.md (0, 2, 1)."""
    assert ppo_proc("--version").out.startswith("ppo ")
    assert "Usage: ppo " in ppo_proc().out  # no command: the help, exit 0
    assert ppo_proc("list").code == 0
    bad = ppo_proc("today", "--date", "32.13.2026", check=False)
    assert bad.code == 2 and bad.err.startswith("ppo: --date") and len(bad.err.splitlines()) == 1
    ppo_proc.db.write_bytes(b"this is not a database" * 100)
    broken = ppo_proc("today", check=False)
    assert broken.code == 1 and broken.err.startswith("ppo: ") and "Traceback" not in broken.err


@pytest.mark.parametrize(
    "args, says",
    [
        (["add", "A", "-p", "31.02.2026", "-d", "01.03.2026", "-r", "02.03.2026"], "impossible date"),
        (["add", "A", "-p", "03.03.2026", "-d", "01.03.2026", "-r", "02.03.2026"], "purchase"),
        (["add", "A", "-p", "01.03.2026", "-d", "05.03.2026", "-r", "02.03.2026"], "departure"),
        (["add", "A", "-p", "next week", "-d", "01.03.2026", "-r", "02.03.2026"], "--purchase"),
        (["add", "A", "-p", "01.03.2026", "-d", "01.03.2026"], "--return"),
        (["add", " ", "-p", "01.03.2026", "-d", "01.03.2026", "-r", "02.03.2026"], "name"),
        (
            ["add", "A", "-p", "01.03.2026", "-d", "01.03.2026", "-r", "02.03.2026", "--playbook", "cruise"],
            "unknown playbook",
        ),
        (
            [
                "add",
                "анна ",
                "-p",
                "01.03.2026",
                "-d",
                "01.03.2026",
                "-r",
                "02.03.2026",
                "--phone",
                "+7 912 345-67-89",
                "--email",
                "b@x.ru",
            ],
            "two different clients",
        ),
        (["done", "999", "1"], "no trip 999"),
        (["done", "1", "99"], "no step 99"),
        (["done", "1", "reminder", "--date", "32.11.2026"], "impossible date"),
        (["undo", "1", "nope"], "no step nope"),
        (["edit", "1", "--departure", "01.01.2020"], "after departure"),
        (["edit", "1"], "nothing to change"),
        (["edit", "1", "--email", "B@x.ru"], "another client"),  # the intake decides sharing, not edit
        (["cancel", "42"], "no trip 42"),
        (["show", "abc"], "TRIP"),
        (["today", "--date", "12"], "--date"),
        (["today", "--format", "xml"], "--format"),
        (["upcoming", "--days", "-3"], "--days"),
        (["frobnicate"], "No such command"),
        (["add", "A", "-p", "0001-01-01", "-d", "01.12.2026", "-r", "9999-12-31"], "implausible date"),
        (
            ["add", "A\x1b]0;pwned\x07", "-p", "01.03.2026", "-d", "01.03.2026", "-r", "02.03.2026"],
            "control characters",
        ),
        (["upcoming", "--date", "9999-12-31"], "implausible date"),
        (["upcoming", "--days", "99999999"], "--days"),
        (["show", "99999999999999999999"], "no trip"),
        (["edit", "1", "--manager", "Ольга\x07"], "control characters"),
        (["decline", "X", "--date", "99.99.99"], "impossible date"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(ppo, args, says):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    ppo.add("Анна", "21.11.2026", "01.12.2026", "10.12.2026", "--email", "b@x.ru")  # another Анна
    before = ppo.snapshot()
    result = ppo(*args, check=False)
    assert result.code == 2, result
    assert len(result.err.strip().splitlines()) == 1 and result.err.startswith("ppo: ")
    assert says in result.err
    assert "Traceback" not in result.err
    assert ppo.snapshot() == before


def test_broken_user_playbook_is_refused_naming_the_file(ppo):
    folder = ppo.home / "config" / "ppo" / "playbooks"
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text('id = "bad"\ndates = ["purchase"]\n[[steps]]\nno = 0\n', encoding="utf-8")
    result = ppo("playbooks", check=False)
    assert result.code == 2 and "bad.toml" in result.err and "missing field" in result.err


def test_missing_named_config_is_an_error(ppo):
    result = ppo("--config", str(ppo.home / "nope.toml"), "today", check=False)
    assert result.code == 2 and "config file not found" in result.err


def test_unknown_config_key_is_an_error(ppo, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('agencyname = "x"\n', encoding="utf-8")
    result = ppo("--config", str(config), "today", check=False)
    assert result.code == 2 and "agencyname" in result.err


def test_names_with_brackets_print_as_typed(ppo):
    ppo.add("[red]Иван[/] [/bold]", "25.11.2026", "26.11.2026", "30.11.2026")
    assert "[red]Иван[/] [/bold]" in ppo("today", "--date", "25.11.2026").out
    assert "[red]Иван[/] [/bold]" in ppo("list").out


def test_default_paths_are_where_platformdirs_puts_them(tmp_path, monkeypatch):
    import platformdirs

    from ppo_checklist import config

    for env in ({}, {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}):
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert config.default_config_path() == Path(platformdirs.user_config_dir("ppo")) / "config.toml"
        assert config.default_db_path() == Path(platformdirs.user_data_dir("ppo")) / "ppo.sqlite3"


def test_text_option_survives_a_playbook_whose_step_is_gone(ppo):
    ppo.add("A", "20.11.2026", "01.12.2026", "10.12.2026")
    folder = ppo.home / "config" / "ppo" / "playbooks"
    folder.mkdir(parents=True)
    (folder / "tour.toml").write_text(
        'id = "tour"\ndates = ["purchase", "departure", "return"]\n[[steps]]\nno = 0\nid = "other"\n'
        'title = "Other"\nchannel = "sms"\nanchor = "return"\noffset = "+1d"\ntext = "{client}"\n',
        encoding="utf-8",
    )
    actions = ppo("today", "--date", "30.11.2026", "--text", "--format", "json").json()
    assert [(a["step_id"], a["text"]) for a in actions] == [("ppo-do", ""), ("reminder", "")]


def test_config_that_is_not_utf8_is_a_clear_error(ppo, tmp_path):
    config = tmp_path / "c.toml"
    config.write_bytes(b"\xff\xfeagency = 1")
    result = ppo("--config", str(config), "today", check=False)
    assert result.code == 2 and "c.toml" in result.err and "Traceback" not in result.err


def test_bad_ppo_today_is_named_as_such(ppo):
    result = ppo("today", check=False, env={"PPO_TODAY": "garbage"})
    assert result.code == 2 and result.err.startswith("ppo: PPO_TODAY:")


@pytest.mark.sqlite_only
def test_an_empty_store_file_made_by_someone_else_becomes_private(ppo):
    ppo.db.touch(mode=0o644)
    os.chmod(ppo.db, 0o644)
    ppo("list")
    assert stat.S_IMODE(os.stat(ppo.db).st_mode) == 0o600


def test_list_show_and_playbooks_speak_markdown_and_csv(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    assert ppo("list", "--format", "md").out.startswith("| trip_id | client |")
    assert "| ppo-do |" in ppo("show", str(trip), "--format", "md").out
    rows = list(csv.DictReader(io.StringIO(ppo("playbooks", "--format", "csv").out)))
    assert {(r["playbook"], r["id"], r["offset"]) for r in rows} >= {("tour", "reminder", "'-1d")}
    assert "| tour | 1 | reminder |" in ppo("playbooks", "--format", "md").out


def test_emoji_codes_in_names_print_as_typed(ppo):
    ppo.add(":smile: Anna", "25.11.2026", "26.11.2026", "30.11.2026")
    assert ":smile: Anna" in ppo("today", "--date", "25.11.2026").out


def test_list_names_the_next_step_by_its_number_and_title_not_its_id(ppo):
    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    out = ppo("list", env={"COLUMNS": "250", "PPO_TODAY": "2026-11-25"}).out
    assert "0. Подписать на серию ППО-ДО, 20.11.2026" in out and "ppo-do" not in out
    listed = ppo("list", "--format", "json", env={"PPO_TODAY": "2026-11-25"}).json()
    assert listed[0]["next_step"] == "ppo-do"  # json keeps the id
