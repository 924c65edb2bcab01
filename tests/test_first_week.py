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
    assert "⟨агентство⟩" in texts["reminder"] and "Это ⟨менеджер⟩, ⟨агентство⟩." in texts["reminder"]
    assert "(⟨директор⟩, ⟨агентство⟩)" in texts["ppo-do"]
    said = without_created(result.err).splitlines()
    assert len(said) == 1 and "agency" in said[0] and "director" in said[0] and "ppo init" in said[0]
    assert result.code == 0


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
