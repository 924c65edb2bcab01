"""The working calendar through ppo's own commands: calls and visits off the days off (add,
edit, import, show, the workbook), the client's birthday and passport, the passport check."""

import datetime as dt

import openpyxl
import pytest


def steps_of(shown: dict) -> dict:
    return {s["id"]: s for s in shown["steps"]}


def config(tmp_path, ppo, text: str):
    path = tmp_path / "ppo.toml"
    path.write_text(text, encoding="utf-8")
    ppo.env["PPO_CONFIG"] = str(path)
    return path


def test_a_reminder_before_a_departure_on_2_january_2027_is_called_on_30_december(ppo):
    trip = ppo.add("Анна Иванова", "01.12.2026", "02.01.2027", "09.01.2027", "--phone", "+79123456789")
    shown = steps_of(ppo.show(trip))
    assert shown["reminder"]["due"] == "2026-12-30"
    assert shown["reminder"]["moved_from"] == "2027-01-01"
    assert shown["reminder"]["day_off"] == "New Year Holidays"  # in English whatever the language
    assert shown["sms-departure"]["due"] == "2027-01-02"  # an SMS keeps its day
    assert shown["sms-departure"]["moved_from"] is None
    assert shown["office-visit"]["due"] == "2027-01-18"  # 16.01.2027 is a Saturday


def test_show_says_when_a_date_moved_and_why_in_the_run_s_language(ppo):
    trip = ppo.add("Анна Иванова", "01.12.2026", "02.01.2027", "09.01.2027")
    russian = ppo("show", str(trip), env={"LANG": "ru_RU.UTF-8"}).out
    assert "шаг «1. Напомнить о вылете завтра» перенесён с 01.01.2027 на 30.12.2026: Новогодние каникулы" in russian
    english = ppo("show", str(trip), env={"LANG": "C.UTF-8"}).out
    assert "step «1. Напомнить о вылете завтра» moved from 01.01.2027 to 30.12.2026: New Year Holidays" in english
    assert "(reminder)" not in russian + english  # a step is named as the workbook names it


def test_without_a_production_calendar_only_the_weekend_moves_a_call(ppo, tmp_path):
    config(tmp_path, ppo, 'holidays = ""\n')
    trip = ppo.add("Анна Иванова", "01.12.2026", "02.01.2027", "09.01.2027")
    assert steps_of(ppo.show(trip))["reminder"]["due"] == "2027-01-01"  # a Friday, a working day then


def test_a_six_day_week_calls_on_saturdays(ppo, tmp_path):
    config(tmp_path, ppo, 'working_week = "mon-sat"\n')
    trip = ppo.add("Анна Иванова", "01.12.2026", "20.12.2026", "09.01.2027")
    assert steps_of(ppo.show(trip))["office-visit"]["due"] == "2027-01-16"  # a Saturday


@pytest.mark.parametrize(
    "text", ['working_week = "sun-thu"\n', 'holidays = "Russia"\n', 'passport_margin = "half a year"\n']
)
def test_a_bad_calendar_setting_is_one_line_and_exit_2(ppo, tmp_path, text):
    config(tmp_path, ppo, text)
    result = ppo("add", "--purchase", "01.12.2026", "-d", "02.01.2027", "-r", "09.01.2027", "Анна", check=False)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    del ppo.env["PPO_CONFIG"]
    assert ppo.json("list", "--all") == []


def test_edit_re_derives_the_moved_days(ppo):
    trip = ppo.add("Анна Иванова", "01.12.2026", "20.12.2026", "27.12.2026")
    assert steps_of(ppo.show(trip))["reminder"]["due"] == "2026-12-18"  # 19.12 is a Saturday
    ppo("edit", str(trip), "--departure", "02.01.2027", "--return", "09.01.2027")
    moved = steps_of(ppo.show(trip))
    assert moved["reminder"]["due"] == "2026-12-30"
    assert moved["invite-call"]["due"] == "2027-01-11"


def test_an_imported_trip_moves_its_calls_as_add_does(ppo, tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text(
        "name,phone,purchase,departure,return\nАнна Иванова,+79123456789,01.12.2026,02.01.2027,09.01.2027\n",
        encoding="utf-8",
    )
    ppo("import", str(path))
    trip = ppo.json("list")[0]["trip_id"]
    assert steps_of(ppo.show(trip))["reminder"]["due"] == "2026-12-30"


def test_the_workbook_shows_the_moved_date(ppo, tmp_path):
    trip = ppo.add("Анна Иванова", "01.12.2026", "02.01.2027", "09.01.2027")
    book = tmp_path / "book.xlsx"
    ppo("export", str(book), "--date", "01.12.2026")
    sheet = openpyxl.load_workbook(book).worksheets[0]  # the tour playbook's sheet
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == trip)
    reminder = next(i for i, h in enumerate(header) if h and str(h).startswith("1. "))  # the reminder
    assert row[reminder] == dt.datetime(2026, 12, 30)  # the moved day, a value (not the D-1 formula)
    visit = next(i for i, h in enumerate(header) if h and str(h).startswith("6. "))
    assert row[visit] == dt.datetime(2027, 1, 18)
    departure_sms = next(i for i, h in enumerate(header) if h and str(h).startswith("2. "))
    assert str(row[departure_sms]).startswith("=")  # a letter's day: still the formula


# --- birthdays and passports ---------------------------------------------------------------


def test_add_and_edit_keep_the_birthday_and_the_passport_date(ppo):
    trip = ppo.add("Анна Иванова", "01.12.2026", "20.12.2026", "27.12.2026", "--birthday", "14.02.1990")
    client = ppo.show(trip)["client"]
    assert client["birthday"] == "1990-02-14" and client["passport_expires"] is None
    ppo("edit", str(trip), "--passport-expires", "01.09.2030")
    client = ppo.show(trip)["client"]
    assert client["birthday"] == "1990-02-14" and client["passport_expires"] == "2030-09-01"
    assert "passport" not in steps_of(ppo.show(trip))  # good for years: no check


def test_a_passport_expiring_within_six_months_of_the_return_is_checked_right_after_the_sale(ppo):
    trip = ppo.add("Анна Иванова", "03.12.2026", "20.12.2026", "27.12.2026", "--passport-expires", "01.05.2027")
    check = steps_of(ppo.show(trip))["passport"]
    assert check["channel"] == "call" and check["due"] == "2026-12-03" and check["no"] == -1
    assert check["title"] == "Проверить паспорт (действителен до 01.05.2027)"
    today = ppo.json("today", "--date", "03.12.2026")
    assert any(a["step_id"] == "passport" and a["trip_id"] == trip for a in today)


def test_a_passport_date_added_later_asks_for_the_check_at_once(ppo):
    trip = ppo.add("Анна Иванова", "01.12.2026", "20.02.2027", "27.02.2027")
    assert "passport" not in steps_of(ppo.show(trip))
    ppo("edit", str(trip), "--passport-expires", "10.06.2027", "--date", "07.12.2026")
    check = steps_of(ppo.show(trip))["passport"]
    assert check["due"] == "2026-12-07"
    ppo("done", str(trip), "passport", "--date", "07.12.2026", env={"PPO_TODAY": "07.12.2026"})
    ppo("edit", str(trip), "--passport-expires", "11.06.2027", "--date", "08.12.2026")
    assert [s["id"] for s in ppo.show(trip)["steps"]].count("passport") == 1  # one check, done


def test_the_margin_is_configurable(ppo, tmp_path):
    config(tmp_path, ppo, 'passport_margin = "3m"\n')
    trip = ppo.add("Анна Иванова", "01.12.2026", "20.12.2026", "27.12.2026", "--passport-expires", "01.05.2027")
    assert "passport" not in steps_of(ppo.show(trip))  # four months after the return: enough for 3m


def test_a_bad_birthday_is_bad_input_and_nothing_is_written(ppo):
    result = ppo(
        "add",
        "-p",
        "01.12.2026",
        "-d",
        "20.12.2026",
        "-r",
        "27.12.2026",
        "--birthday",
        "31.02.1990",
        "Анна",
        check=False,
    )
    assert result.code == 2 and "--birthday" in result.err
    assert ppo.json("list", "--all") == []


def test_import_takes_birthday_and_passport_columns(ppo, tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text(
        "name,phone,purchase,departure,return,birthday,passport_expires\n"
        "Анна Иванова,+79123456789,01.12.2026,20.12.2026,27.12.2026,14.02.1990,01.03.2027\n"
        "Борис Петров,+79123456780,01.12.2026,20.12.2026,27.12.2026,,\n",
        encoding="utf-8",
    )
    ppo("import", str(path))
    trips = {t["client"]: t["trip_id"] for t in ppo.json("list")}
    anna = ppo.show(trips["Анна Иванова"])
    assert anna["client"]["birthday"] == "1990-02-14" and anna["client"]["passport_expires"] == "2027-03-01"
    assert steps_of(anna)["passport"]["due"] == "2026-12-01"
    boris = ppo.show(trips["Борис Петров"])
    assert boris["client"]["birthday"] is None and "passport" not in steps_of(boris)
