"""Issue 13, the first week: what a new agency meets in its first days, end to end."""

from __future__ import annotations

import pytest
from ppo_runner import without_created

from ppo_checklist import cli

TRIP = ("20.11.2026", "01.12.2026", "10.12.2026")
LATE = {"PPO_TODAY": "2027-01-10"}


def one_line(result, code=2):
    assert result.code == code, result
    assert result.out == "" or code == 0
    assert len(result.err.strip().splitlines()) == 1, result.err
    return result.err


# --- the store says where it is, once ------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_first_command_that_creates_the_store_says_where_it_is_once(ppo):
    first = ppo("today", "--date", "30.11.2026")
    assert first.err == f"ppo: created the store {ppo.db}\n"
    assert ppo("today", "--date", "30.11.2026").err == ""


@pytest.mark.sqlite_only
def test_a_failing_first_command_keeps_its_one_error_line(ppo):
    failed = ppo("done", "1", "0", check=False)
    assert one_line(failed).startswith("ppo: no trip 1")


# --- the manager's morning: manager names ---------------------------------------------------


@pytest.mark.parametrize("typed", ["ольга", "Ольга ", "  ОЛЬГА"])
def test_a_manager_name_matches_ignoring_case_and_surrounding_spaces(ppo, typed):
    ppo.add("Анна", *TRIP, "--manager", "Ольга")
    ppo.add("Борис", *TRIP, "--manager", "Игорь")
    for command in ("today", "upcoming", "list"):
        rows = ppo(command, "--date", "25.11.2026", "--manager", typed, "--format", "json").json()
        assert rows and {r["client"] for r in rows} == {"Анна"}, command
    figures = ppo.json("stats", "--date", "30.11.2026", "--manager", typed)
    assert [m["manager"] for m in figures["managers"]] == ["Ольга"]


@pytest.mark.parametrize("command", ["today", "upcoming", "list", "stats"])
def test_a_manager_who_matches_nobody_is_exit_2_naming_the_known(ppo, command):
    ppo.add("Анна", *TRIP, "--manager", "Ольга")
    ppo.add("Борис", *TRIP, "--manager", "Игорь")
    err = one_line(ppo(command, "--manager", "Olga", check=False))
    assert "Olga" in err and "Игорь, Ольга" in err


# --- a sale typed twice --------------------------------------------------------------------


def test_the_same_sale_typed_twice_is_refused_naming_the_trip_unless_again(ppo):
    first = ppo.add("Анна Иванова", *TRIP, "--phone", "+7 912 345-67-89")
    again = ppo(
        "add", "Анна Иванова", "-p", TRIP[0], "-d", TRIP[1], "-r", TRIP[2], "--phone", "89123456789", check=False
    )
    assert f"trip {first}" in one_line(again) and "--again" in again.err
    nameless = ppo("add", "анна  иванова", "-p", TRIP[0], "-d", TRIP[1], "-r", TRIP[2], check=False)
    assert f"trip {first}" in one_line(nameless)
    assert len(ppo.json("list")) == 1
    second = ppo.add("Анна Иванова", *TRIP, "--phone", "+7 912 345-67-89", "--again")
    assert second != first and len(ppo.json("list")) == 2


def test_a_phone_of_a_client_with_another_name_is_said_on_stderr(ppo):
    ppo.add("Анна Иванова", *TRIP, "--phone", "+7 912 345-67-89")
    result = ppo(
        "add", "Борис", "-p", "01.12.2026", "-d", "05.12.2026", "-r", "09.12.2026", "--phone", "8 912 345 67 89"
    )
    said = without_created(result.err)
    assert "+7 912 345-67-89" in said and "Анна Иванова" in said and "Борис" in said


# --- done dates ----------------------------------------------------------------------------


def test_a_done_date_in_the_future_or_before_the_purchase_is_bad_input(ppo):
    trip = ppo.add("Анна", *TRIP)
    future = ppo("done", str(trip), "0", "--date", "30.11.2026", check=False, env={"PPO_TODAY": "2026-11-25"})
    assert "future" in one_line(future)
    early = ppo("done", str(trip), "0", "--date", "19.11.2026", check=False, env={"PPO_TODAY": "2026-11-25"})
    assert "before trip" in one_line(early)
    assert all(s["done_on"] is None for s in ppo.show(trip)["steps"])
    ppo("done", str(trip), "0", "--date", "20.11.2026", env={"PPO_TODAY": "2026-11-25"})


def test_done_all_closes_every_step_and_before_takes_those_due_before_on_their_day(ppo):
    trip = ppo.add("Анна", *TRIP)
    ppo("done", str(trip), "--all", "--before", "10.12.2026", env=LATE)
    steps = ppo.show(trip)["steps"]
    assert [(s["id"], s["done_on"]) for s in steps if s["done_on"]] == [
        ("ppo-do", "2026-11-20"),
        ("reminder", "2026-11-30"),
        ("sms-departure", "2026-12-01"),
    ]
    ppo("done", str(trip), "--all", "--date", "05.01.2027", env=LATE)
    assert ppo.show(trip, "--date", "2027-01-10")["status"] == "finished"
    assert ppo("done", str(trip), "--all", env=LATE).out.endswith("nothing changed\n")
    assert one_line(ppo("done", str(trip), check=False))


# --- texts ---------------------------------------------------------------------------------


def test_a_text_with_nothing_to_fill_in_shows_what_is_missing_and_names_ppo_init(ppo):
    ppo.add("Анна", *TRIP)
    result = ppo("today", "--date", "30.11.2026", "--text", "--format", "json")
    texts = {a["step_id"]: a["text"] for a in result.json()}
    assert "⟨agency⟩" in texts["reminder"] and "Это ⟨manager⟩, ⟨agency⟩." in texts["reminder"]
    assert "(⟨director⟩, ⟨agency⟩)" in texts["ppo-do"]
    said = without_created(result.err).splitlines()
    assert len(said) == 1 and "agency" in said[0] and "director" in said[0] and "ppo init" in said[0]
    assert result.code == 0
    russian = ppo("today", "--date", "30.11.2026", "--text", "--format", "json", env={"LANG": "ru_RU.UTF-8"})
    texts = {a["step_id"]: a["text"] for a in russian.json()}
    assert "Это ⟨менеджер⟩, ⟨агентство⟩." in texts["reminder"] and "(⟨директор⟩, ⟨агентство⟩)" in texts["ppo-do"]
    assert "агентство, директор" in russian.err and "ppo init --agency, --director" in russian.err


def test_the_reminder_pulled_onto_the_departure_day_says_today(ppo):
    ppo.add("Анна", "01.12.2026", "01.12.2026", "10.12.2026")
    ppo.add("Борис", "20.11.2026", "02.12.2026", "10.12.2026")
    actions = ppo("today", "--date", "01.12.2026", "--text", "--format", "json").json()
    texts = {(a["client"], a["step_id"]): a["text"] for a in actions}
    assert "вылет сегодня" in texts[("Анна", "reminder")] and "завтра" not in texts[("Анна", "reminder")]
    assert "вылет завтра" in texts[("Борис", "reminder")]


# --- what people type ----------------------------------------------------------------------


def test_phones_are_read_for_russia_and_shown_in_one_format(ppo):
    trip = ppo.add("Анна", *TRIP, "--phone", "8 (912) 345 67 89", "--email", " Anna@Example.RU ")
    client = ppo.show(trip)["client"]
    assert client["phone"] == "+7 912 345-67-89" and client["email"] == "Anna@example.ru"
    bad = ppo("add", "Борис", "-p", TRIP[0], "-d", TRIP[1], "-r", TRIP[2], "--phone", "12345", check=False)
    assert "12345" in one_line(bad)
    bad = ppo("add", "Борис", "-p", TRIP[0], "-d", TRIP[1], "-r", TRIP[2], "--email", "boris@", check=False)
    assert "boris@" in one_line(bad)
    bad = ppo("edit", str(trip), "--phone", "abc", check=False)
    assert "abc" in one_line(bad)


def test_a_phone_stored_before_phones_were_formatted_is_still_the_same_client(ppo):
    first = ppo.add("Анна", *TRIP, "--phone", "+7 912 345-67-89")
    again = ppo.add("Анна", "01.02.2027", "10.02.2027", "20.02.2027", "--phone", "9123456789")
    assert ppo.show(first)["client"]["id"] == ppo.show(again)["client"]["id"]


@pytest.mark.parametrize("name", ["А" * 201, "Анна \u202eвонави", "Анна\x1b[31m"])
def test_a_long_name_or_a_bidi_override_is_refused_everywhere(ppo, name):
    assert one_line(ppo("add", "-p", TRIP[0], "-d", TRIP[1], "-r", TRIP[2], "--", name, check=False))
    trip = ppo.add("Анна", *TRIP)
    assert one_line(ppo("edit", str(trip), "--name", name, check=False))


def test_an_argument_that_is_not_utf8_is_one_error_line():
    import io
    import sys

    saved = sys.stderr
    sys.stderr = io.StringIO()
    try:
        code = cli.run(["add", "\udcc0\udce0\udcea", "-p", "1.1.2026", "-d", "2.1.2026", "-r", "3.1.2026"])
        err = sys.stderr.getvalue()
    finally:
        sys.stderr = saved
    assert code == 2 and len(err.splitlines()) == 1 and "UTF-8" in err


def test_an_argument_that_is_not_utf8_through_the_installed_ppo(ppo_proc):
    import subprocess

    from ppo_runner import PPO

    proc = subprocess.run([PPO, "add", b"\xc0\xe0\xea", "-p", "1.1.2026"], capture_output=True, env=ppo_proc.env)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and b"UTF-8" in proc.stderr


# --- ppo init --------------------------------------------------------------------------------


def test_init_takes_every_answer_as_an_option_and_writes_a_private_config(ppo, tmp_path):
    config = tmp_path / "settings" / "config.toml"
    env = {"PPO_CONFIG": str(config)}
    ppo(
        "init",
        "--agency",
        'Тур "Мечта" \\ юг',
        "--director",
        "Иван Петров",
        "--service-director",
        "",
        "-m",
        " Ольга ",
        env=env,
    )
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert oct(config.parent.stat().st_mode & 0o777) == "0o700"
    ppo("add", "Анна", "-p", "01.12.2026", "-d", "01.12.2026", "-r", "10.12.2026", env=env)
    result = ppo("today", "--date", "01.12.2026", "--text", "--format", "json", env=env)
    reminder = next(a for a in result.json() if a["step_id"] == "reminder")
    assert reminder["manager"] == "Ольга"
    assert 'Это Ольга, Тур "Мечта" \\ юг.' in reminder["text"] and "⟨" not in reminder["text"]
    assert without_created(result.err) == ""


def test_init_asks_and_keeps_what_it_does_not_know_in_an_existing_config(ppo, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '# our agency\nagency = "Старое"\nlanguage = "ru"\n\n[email]\nserver = "smtp://mail:587"\n', encoding="utf-8"
    )
    env = {"PPO_CONFIG": str(config)}
    result = ppo("init", env=env, stdin="\nДиректор\n\nМария\n")
    assert "Старое" in result.out
    text = config.read_text(encoding="utf-8")
    assert text.startswith('# our agency\nagency = "Старое"\nlanguage = "ru"\n')
    assert 'director = "Директор"' in text and 'default_manager = "Мария"' in text
    assert text.index("default_manager") < text.index("[email]") and 'server = "smtp://mail:587"' in text


def test_init_refuses_control_characters(ppo, tmp_path):
    env = {"PPO_CONFIG": str(tmp_path / "c.toml")}
    result = ppo(
        "init", "--agency", "A\x1b[31m", "--director", "", "--service-director", "", "-m", "", env=env, check=False
    )
    assert one_line(result) and not (tmp_path / "c.toml").exists()


# --- --text at 80 columns, and a colour terminal ------------------------------------------------


def test_texts_go_below_their_row_wrapped_and_no_cell_is_cut_at_80_columns(ppo):
    ppo.add("Анна Иванова-Петрова", *TRIP, "--phone", "+7 912 345-67-89", "-m", "Ольга")
    ppo.add("Борис", *TRIP, "--email", "very.long.address@example-agency.ru", "-m", "Ольга")
    out = ppo("today", "--date", "30.11.2026", "--text", env={"COLUMNS": "80"}).out
    lines = out.splitlines()
    assert "…" not in out and all(len(line) <= 80 for line in lines)
    flat = " ".join(" ".join(line.strip("│┃ ").split()) for line in lines)
    words = "Напоминаем: ваш вылет завтра, 01.12.2026. Проверьте паспорта, билеты и ваучер."
    assert words in flat
    text_lines = [line for line in lines if line.startswith("│ Анна Иванова-Петрова, здравствуйте!")]
    assert text_lines and len(text_lines[0]) == 80  # across the whole table, not in a column
    assert "Иванова-Петрова" in out  # the name kept whole where it fits


def test_today_in_a_colour_terminal_has_colours_and_the_same_rows(ppo_proc, ppo):
    from ppo_runner import PPO, on_a_terminal

    ppo.add("Анна", *TRIP, "--phone", "+7 912 345-67-89", "-m", "Ольга")
    env = {**ppo_proc.env, "TERM": "xterm-256color", "COLUMNS": "120", "PPO_TODAY": "2026-11-30"}
    code, out = on_a_terminal([PPO, "today"], env)
    assert code == 0
    assert "\x1b[31m" in out and "\x1b[33m" in out  # overdue red, due today yellow
    assert "Анна" in out and "+7 912 345-67-89" in out and "…" not in out
    assert "2 actions: 1 overdue, 1 due today" in out


# --- moving in from a spreadsheet ------------------------------------------------------------

HEADER = "name,phone,email,manager,purchase,departure,return"


def write(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_done_before_marks_history_done_on_the_due_day(ppo, tmp_path):
    sheet = write(
        tmp_path / "season.csv",
        HEADER,
        "Анна,+7 912 345-67-89,,Ольга,01.06.2026,10.06.2026,20.06.2026",
        "Борис,,,Ольга,20.11.2026,01.12.2026,10.12.2026",
    )
    dry = ppo("import", str(sheet), "--done-before", "26.11.2026", "--dry-run", "--format", "json", env=LATE)
    assert dry.json()["done_marks"] == 8 and ppo.snapshot() == []
    ppo("import", str(sheet), "--done-before", "26.11.2026", env=LATE)
    assert ppo("today", "--date", "25.11.2026", "--format", "json").json() == []
    anna, boris = (ppo.show(t["trip_id"]) for t in ppo.json("list", "--all"))
    assert anna["status"] == "finished" and all(s["done_on"] == s["due"] for s in anna["steps"])
    assert {s["note"] for s in anna["steps"]} == {"imported"}  # stored as a code, said in the run's words
    assert [s["id"] for s in boris["steps"] if s["done_on"]] == ["ppo-do"]


def test_import_step_columns_take_a_date_or_a_tick_by_id_number_or_title(ppo, tmp_path):
    sheet = write(
        tmp_path / "marks.csv",
        HEADER + ",ppo-do,1,SMS «Счастливого пути»",
        "Анна,,,Ольга,20.11.2026,01.12.2026,10.12.2026,21.11.2026,✓,",
        "Борис,,,Ольга,20.11.2026,01.12.2026,10.12.2026,,,да",
    )
    ppo("import", str(sheet), env=LATE)
    anna, boris = (ppo.show(t["trip_id"]) for t in ppo.json("list", "--all"))
    assert [(s["id"], s["done_on"]) for s in anna["steps"] if s["done_on"]] == [
        ("ppo-do", "2026-11-21"),
        ("reminder", "2026-11-30"),
    ]
    assert [(s["id"], s["done_on"]) for s in boris["steps"] if s["done_on"]] == [("sms-departure", "2026-12-01")]


def test_import_step_columns_read_the_director_s_words_as_the_workbook_does(ppo, tmp_path):
    sheet = write(
        tmp_path / "marks.csv",
        HEADER + ",ppo-do,1",
        "Анна,,,Ольга,20.11.2026,01.12.2026,10.12.2026,Сделано,выполнено.",
        "Борис,,,Ольга,20.11.2026,01.12.2026,10.12.2026,нет,-",
    )
    ppo("import", str(sheet), env=LATE)
    anna, boris = (ppo.show(t["trip_id"]) for t in ppo.json("list", "--all"))
    assert [(s["id"], s["done_on"]) for s in anna["steps"] if s["done_on"]] == [
        ("ppo-do", "2026-11-20"),
        ("reminder", "2026-11-30"),
    ]
    assert not [s for s in boris["steps"] if s["done_on"]]


def test_import_step_columns_refuse_a_future_or_early_date_and_a_non_tick(ppo, tmp_path):
    sheet = write(
        tmp_path / "marks.csv",
        HEADER + ",ppo-do",
        "Анна,,,,20.11.2026,01.12.2026,10.12.2026,01.01.2030",
        "Борис,,,,20.11.2026,01.12.2026,10.12.2026,19.11.2026",
        "Вера,,,,20.11.2026,01.12.2026,10.12.2026,может быть",
    )
    result = ppo("import", str(sheet), check=False, env=LATE)
    err = without_created(result.err).splitlines()
    assert result.code == 2 and len(err) == 4
    assert "line 2" in err[0] and "future" in err[0]
    assert "line 3" in err[1] and "before the trip began" in err[1]
    assert "line 4" in err[2] and "not a date or a tick" in err[2]


def test_a_quote_that_never_closes_is_an_error_naming_its_line(ppo, tmp_path):
    lines = [f"Клиент {n},,,,20.11.2026,01.12.2026,10.12.2026" for n in range(1, 8)]
    lines[2] = '"Клиент 3,,,,20.11.2026,01.12.2026,10.12.2026'
    sheet = write(tmp_path / "broken.csv", HEADER, *lines)
    for extra in ((), ("--dry-run", "--format", "json")):
        result = ppo("import", str(sheet), *extra, check=False)
        assert "line 4" in one_line(result) and "quote" in result.err
    assert ppo.snapshot() == []


def test_the_row_count_equals_the_data_lines_and_a_note_may_span_lines(ppo, tmp_path):
    sheet = write(
        tmp_path / "ok.csv",
        HEADER + ",note",
        'Анна,,,,20.11.2026,01.12.2026,10.12.2026,"две\nстроки"',
        *[f"Клиент {n},,,,20.11.2026,01.12.2026,10.12.2026," for n in range(6)],
    )
    assert ppo("import", str(sheet), "--dry-run", "--format", "json").json()["rows"] == 7


def test_dry_run_and_the_real_import_give_the_same_verdict_and_exit_code(ppo, tmp_path):
    sheet = write(tmp_path / "bad.csv", HEADER, "Анна,,,,20.11.2026,01.12.2026,10.12.2026", "Борис,12345,,,1.1.2026,,")
    dry = ppo("import", str(sheet), "--dry-run", check=False)
    real = ppo("import", str(sheet), check=False)
    assert dry.code == real.code == 2
    assert without_created(dry.err).splitlines()[:-1] == without_created(real.err).splitlines()[:-1]
    dry = ppo("import", str(sheet), "--dry-run", "--skip-bad", check=False)
    real = ppo("import", str(sheet), "--skip-bad", check=False)
    assert dry.code == real.code == 0


def test_import_checks_contacts_and_stores_phones_in_one_format(ppo, tmp_path):
    sheet = write(
        tmp_path / "c.csv",
        HEADER,
        "Анна,8 (912) 345 67 89,Anna@Example.RU,,20.11.2026,01.12.2026,10.12.2026",
        "Борис,12345,,,20.11.2026,01.12.2026,10.12.2026",
        "Вера,,vera@,,20.11.2026,01.12.2026,10.12.2026",
        "\u202eГлеб,,,,20.11.2026,01.12.2026,10.12.2026",
        f"{'Д' * 201},,,,20.11.2026,01.12.2026,10.12.2026",
    )
    result = ppo("import", str(sheet), "--skip-bad")
    bad = without_created(result.err).splitlines()
    assert [line.split(":")[0] for line in bad] == ["line 3", "line 4", "line 5", "line 6"]
    anna = ppo.show(ppo.json("list")[0]["trip_id"])["client"]
    assert anna["phone"] == "+7 912 345-67-89" and anna["email"] == "Anna@example.ru"
    again = ppo.add("Анна", "01.02.2027", "10.02.2027", "20.02.2027", "--phone", "+79123456789")
    assert ppo.show(again)["client"]["id"] == anna["id"]


# --- files that are not there, a folder that holds a foreign file --------------------------------


@pytest.mark.parametrize("command", [["import"], ["sync"], ["--config"]])
def test_a_missing_input_file_is_exit_2(ppo, tmp_path, command):
    missing = str(tmp_path / "nowhere.csv")
    args = [*command, missing, "today"] if command == ["--config"] else [*command, missing]
    assert "nowhere.csv" in one_line(ppo(*args, check=False))


def test_report_explains_a_foreign_file_without_pointing_at_a_force_it_has_not(ppo, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "ppo-2026-11-30.xlsx").write_text("not a workbook")
    result = ppo("report", "--out", str(tmp_path / "out"), "--date", "30.11.2026", check=False)
    err = without_created(result.err).splitlines()
    assert result.code == 2 and len(err) == 1 and "--force" not in err[0] and "move" in err[0]


def test_list_and_show_at_80_columns_cut_no_cell(ppo):
    trip = ppo.add("Анна Иванова-Петрова", *TRIP, "--email", "very.long.address@example-agency.ru", "-m", "Ольга")
    for args in (("list",), ("show", str(trip)), ("upcoming", "--date", "19.11.2026", "--days", "30")):
        out = ppo(*args, env={"COLUMNS": "80"}).out
        assert "…" not in out and all(len(line) <= 80 for line in out.splitlines()), args


def test_a_decline_typed_twice_is_refused_unless_again(ppo):
    first = ppo.json("decline", "Пётр", "--date", "25.11.2026")["trip_id"]
    again = ppo("decline", "Пётр", "--date", "25.11.2026", check=False)
    assert f"trip {first}" in one_line(again)
    assert ppo.json("decline", "Пётр", "--date", "25.11.2026", "--again")["trip_id"] != first


def test_a_decline_with_a_departure_is_not_the_same_as_one_without(ppo):
    """The same sale is the same dates, an absent one included: a date given where the first
    had none (or none where it had one) is another trip, not a double."""
    first = ppo.json("decline", "Пётр", "--date", "25.11.2026")["trip_id"]
    other = ppo.json("decline", "Пётр", "--date", "25.11.2026", "--departure", "10.12.2026")["trip_id"]
    assert other != first
    again = ppo("decline", "Пётр", "--date", "25.11.2026", "--departure", "10.12.2026", check=False)
    assert f"trip {other}" in one_line(again)
