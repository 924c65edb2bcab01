"""`ppo calendar` and the report's per-manager .ics: valid RFC 5545, read back by the
`icalendar` package that wrote it and by an independent reader (vobject), with UIDs that stay
the same from one export to the next."""

from __future__ import annotations

import datetime as dt
import stat

import icalendar
import vobject


def add_trips(ppo) -> dict[str, int]:
    anna = ppo.add("Анна Иванова", "01.12.2026", "02.01.2027", "09.01.2027", "-m", "Ольга", "--phone", "+79123456789")
    boris = ppo.add(
        "Борис Орлов",
        "01.12.2026",
        "14.12.2026",
        "20.12.2026",
        "-m",
        "Иван",
        "--phone",
        "+79031112233",
        "--passport-expires",
        "01.03.2027",
    )
    vera = ppo.add("Вера Соколова", "01.12.2026", "10.12.2026", "15.12.2026", "-m", "Ольга", "--email", "v@example.ru")
    return {"anna": anna, "boris": boris, "vera": vera}


def read_both(data: bytes) -> tuple[dict, dict]:
    """The events by UID as icalendar and as vobject read them."""
    ours = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    theirs = {e.uid.value: e for e in vobject.readOne(data.decode("utf-8")).vevent_list}
    return ours, theirs


def export(ppo, tmp_path, name: str, *more: str) -> bytes:
    path = tmp_path / name
    ppo("calendar", "--out", str(path), "--days", "60", *more, env={"PPO_TODAY": "2026-12-01"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path.read_bytes()


def test_calls_and_visits_are_events_with_the_client_the_phone_and_what_to_say(ppo, tmp_path):
    trips = add_trips(ppo)
    ours, theirs = read_both(export(ppo, tmp_path, "all.ics"))
    assert set(ours) == set(theirs)
    # Анна: the reminder (30.12, moved off 01.01.2027), the invitation call (11.01.2027) and the
    # visit (18.01.2027); Борис: the passport check, the reminder, the call and the visit; Вера:
    # reminder, call, visit
    assert len(ours) == 3 + 4 + 3
    reminder = theirs[f"ppo-trip{trips['anna']}-step1@" + next(iter(theirs)).split("@")[1]]
    assert reminder.dtstart.value == dt.date(2026, 12, 30)
    assert reminder.dtend.value == dt.date(2026, 12, 31)
    assert "Анна Иванова" in reminder.summary.value
    description = reminder.description.value
    assert "+79123456789" in description or "+7 912 345-67-89" in description
    assert "Напоминаем: ваш вылет завтра, 02.01.2027" in description  # the step's text, filled in
    assert "01.01.2027" in description  # the day it moved from
    assert reminder.status.value == "CONFIRMED"
    letters = [e for e in ours.values() if "ppo-do" in str(e.get("DESCRIPTION"))]
    assert letters == []  # letters and SMS are ppo's own: not in a manager's calendar
    passport = [e for e in theirs.values() if "passport" in e.description.value]
    assert len(passport) == 1 and passport[0].dtstart.value == dt.date(2026, 12, 1)


def test_two_exports_keep_the_uids_and_a_done_step_is_cancelled(ppo, tmp_path):
    trips = add_trips(ppo)
    first, _ = read_both(export(ppo, tmp_path, "first.ics"))
    ppo("done", str(trips["vera"]), "reminder", "--date", "01.12.2026", env={"PPO_TODAY": "2026-12-01"})
    ppo("edit", str(trips["anna"]), "--departure", "13.01.2027", "--return", "20.01.2027")
    second_ours, second = read_both(export(ppo, tmp_path, "second.ics"))
    assert set(first) == set(second)  # the same events, by the same UIDs
    done = next(uid for uid in second if f"trip{trips['vera']}-step1@" in uid)
    assert second[done].status.value == "CANCELLED"
    moved = next(uid for uid in second if f"trip{trips['anna']}-step1@" in uid)
    assert first[moved]["DTSTART"].dt == dt.date(2026, 12, 30)
    assert second[moved].dtstart.value == dt.date(2027, 1, 12)  # the reminder follows the new departure
    assert int(second_ours[moved]["SEQUENCE"]) >= int(first[moved]["SEQUENCE"])


def test_a_cancelled_trip_s_calls_are_cancelled_events(ppo, tmp_path):
    trips = add_trips(ppo)
    ppo("cancel", str(trips["boris"]), "--reason", "visa")
    _, theirs = read_both(export(ppo, tmp_path, "c.ics"))
    boris = [e for uid, e in theirs.items() if f"trip{trips['boris']}-" in uid]
    assert boris and all(e.status.value == "CANCELLED" for e in boris)


def test_one_manager_s_calendar(ppo, tmp_path):
    trips = add_trips(ppo)
    _, theirs = read_both(export(ppo, tmp_path, "olga.ics", "--manager", "ольга"))
    assert theirs and all(f"trip{trips['boris']}-" not in uid for uid in theirs)
    calendar = vobject.readOne((tmp_path / "olga.ics").read_text(encoding="utf-8"))
    assert calendar.contents["x-wr-calname"][0].value.endswith("Ольга")


def test_without_out_the_calendar_goes_to_stdout(ppo):
    add_trips(ppo)
    result = ppo("calendar", "--date", "01.12.2026")
    ours, theirs = read_both(result.out.encode("utf-8"))
    assert ours and set(ours) == set(theirs)


def test_bad_input_is_one_line_exit_2_and_no_file(ppo, tmp_path):
    add_trips(ppo)
    for args in (
        ("--manager", "Никто"),
        ("--days", "-1"),
        ("--out", str(tmp_path / "calendar.txt")),
        ("--date", "31.02.2027"),
    ):
        out = () if "--out" in args else ("--out", str(tmp_path / "x.ics"))
        result = ppo("calendar", *args, *out, check=False)
        assert result.code == 2, args
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not (tmp_path / "x.ics").exists() and not (tmp_path / "calendar.txt").exists()


def test_the_report_writes_one_calendar_per_manager_beside_the_workbook(ppo, tmp_path):
    add_trips(ppo)
    out = tmp_path / "reports"
    ppo("report", "--out", str(out), "--date", "01.12.2026")
    names = sorted(p.name for p in out.iterdir())
    assert "ppo-calendar-Ольга.ics" in names and "ppo-calendar-Иван.ics" in names
    assert "ppo-2026-12-01.xlsx" in names
    olga = out / "ppo-calendar-Ольга.ics"
    assert stat.S_IMODE(olga.stat().st_mode) == 0o600
    ours, theirs = read_both(olga.read_bytes())
    assert ours and set(ours) == set(theirs)
    assert all("Ольга" in e.description.value for e in theirs.values())
