"""The right moment: a step that lapses when its moment passes undone, a step a person skips,
and the declined chain's letters, each with its day and its moment."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st
from send_servers import agency_config, email_config

from ppo_checklist.core import model
from ppo_checklist.core.playbooks import Moment, load_all, parse_playbook
from ppo_checklist.errors import PlaybookError
from ppo_checklist.store import migrations


def steps(ppo, trip: int, day: str) -> dict[str, str]:
    return {s["id"]: s["status"] for s in ppo("show", str(trip), "--date", day, "--format", "json").json()["steps"]}


def today(ppo, day: str) -> list[tuple[int, str]]:
    return [(a["trip_id"], a["step_id"]) for a in ppo("today", "--date", day, "--format", "json").json()]


# --- the moment, pure ------------------------------------------------------------------------


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.integers(min_value=-366, max_value=366),
    st.integers(min_value=-400, max_value=400),
)
def test_a_moment_passes_the_day_after_its_last_day(anchor, days, later):
    moment = Moment.parse(f"departure{days:+d}d")
    last = moment.last_day({"departure": anchor})
    assert last == anchor + dt.timedelta(days=days)
    day = anchor + dt.timedelta(days=later)
    assert model.moment_passed(last, day) == (day > last)
    assert moment.last_day({"purchase": anchor}) is None  # a trip without that date: it never lapses


@pytest.mark.parametrize(
    ("lapses", "reason"),
    [
        ("tomorrow", "lapses 'tomorrow': unknown date 'tomorrow'"),
        ("departure+1w", "bad lapses 'departure+1w'"),
        ("departure+400d", "bad lapses 'departure+400d'"),
        (3, "bad lapses '3'"),
    ],
)
def test_a_bad_moment_is_refused_when_the_playbook_loads(lapses, reason):
    data = {
        "id": "p",
        "dates": ["purchase", "departure", "return"],
        "steps": [
            {
                "no": 0,
                "id": "s",
                "title": "t",
                "channel": "call",
                "anchor": "departure",
                "offset": "-1d",
                "text": "x",
                "lapses": lapses,
            }
        ],
    }
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(data, "p.toml")
    assert reason in str(raised.value) and "step 's'" in str(raised.value)


def test_the_shipped_playbooks_set_a_moment_wherever_the_meaning_dies():
    shipped = load_all()
    tour = {s.id: s for s in shipped["tour"].steps}
    assert tour["reminder"].lapses == Moment("departure")
    assert tour["sms-departure"].lapses == Moment("departure", 1)
    assert tour["sms-return"].lapses == Moment("return", 2)
    assert tour["ppo-do"].lapses == Moment("departure")
    assert {letter.id: letter.lapses for letter in tour["ppo-do"].letters} == {
        "spasibo": None,  # the first letter is its step
        "chemodany": Moment("departure"),
        "vyzov": Moment("departure"),
    }
    assert tour["invite-call"].lapses is None and tour["office-visit"].lapses is None


def test_the_declined_chain_has_the_method_s_two_letters_signed_by_the_service_director():
    declined = load_all()["declined"]
    assert declined.signer == "service_director"
    letters = {letter.subject: (step, letter) for step in declined.steps for letter in step.letters}
    assert set(letters) == {"Желаем вам счастливого пути!", "Чем мы вас обидели?"}
    for step, letter in letters.values():
        assert letter.body.rstrip().endswith("{service_director}\nдиректор по сервису · {agency}")
        assert "{manager}" not in letter.body  # never from the person the client did not buy from
        assert step.lapses is not None
    good_trip, why = letters["Желаем вам счастливого пути!"][0], letters["Чем мы вас обидели?"][0]
    assert (good_trip.offset.text, good_trip.lapses) == ("0d", Moment("departure"))
    assert (why.offset.text, why.lapses) == ("+3d", Moment("declined", 30))


# --- lapsed, through the commands --------------------------------------------------------------


def test_a_step_whose_moment_passed_leaves_today_and_counts_as_missed(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "-m", "Ольга")
    assert (trip, "reminder") in today(ppo, "30.11.2026")
    assert (trip, "reminder") in today(ppo, "01.12.2026")  # the departure day: still a call to make
    assert (trip, "reminder") not in today(ppo, "02.12.2026")
    assert today(ppo, "17.12.2026") == [(trip, "invite-call"), (trip, "office-visit")]  # not 14 rows of the past
    shown = steps(ppo, trip, "17.12.2026")
    assert shown["reminder"] == shown["ppo-do"] == shown["sms-departure"] == shown["sms-return"] == "lapsed"
    assert shown["ppo-posle"] == "lapsed" and shown["invite-call"] == "overdue"
    lapses = {s["id"]: s["lapses_on"] for s in ppo.show(trip)["steps"]}
    assert lapses["reminder"] == "2026-12-01" and lapses["sms-return"] == "2026-12-12"
    assert lapses["office-visit"] is None
    figures = ppo("stats", "--from", "01.11.2026", "--to", "31.12.2026", "--date", "17.12.2026", "-f", "json").json()
    assert {k: v for k, v in figures["total"].items() if k != "satisfaction"} | {"on_time_rate": None} == {
        "due": 7,
        "on_time": 0,
        "late": 0,
        "overdue": 1,
        "lapsed": 5,
        "missed": 6,
        "pending": 1,  # the visit, due that day
        "skipped": 0,
        "opted_out": 0,
        "on_time_rate": None,
        "came_due": 6,
        "no_consent": 0,
    }
    assert figures["total"]["on_time_rate"] == 0.0
    csv = ppo("stats", "--from", "01.11.2026", "--to", "31.12.2026", "--date", "17.12.2026", "-f", "csv").out
    assert csv.splitlines()[0].split(",")[9:11] == ["lapsed", "missed"] and ",7,0,0,1,5,6,1,0,0,0.0" in csv
    md = ppo("stats", "--from", "01.11.2026", "--to", "31.12.2026", "--date", "17.12.2026", "-f", "md").out
    assert "| Ольга | 6 | 0 | 0 | 1 | 5 | 0.0% | 1 | 0 | 0 | 0 |" in md


def test_moving_the_departure_moves_the_moment_of_the_steps_not_done(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "0", "--date", "20.11.2026")
    ppo("edit", str(trip), "--departure", "05.12.2026")
    lapses = {s["id"]: s["lapses_on"] for s in ppo.show(trip)["steps"]}
    assert lapses["reminder"] == "2026-12-05" and lapses["sms-departure"] == "2026-12-06"
    assert steps(ppo, trip, "05.12.2026")["reminder"] == "overdue"  # lapsed under the old date, not now


def test_a_declined_client_whose_trip_already_left_gets_no_good_trip_step(ppo):
    args = ("decline", "Пётр", "--date", "25.11.2026", "--departure", "20.11.2026", "--phone", "+79000000151")
    trip = ppo.json(*args)["trip_id"]
    assert steps(ppo, trip, "25.11.2026")["decline-chain"] == "no_consent"  # ads, and he never agreed
    ppo("consent", "+79000000151", "--ads", "yes", "--date", "25.11.2026")
    shown = steps(ppo, trip, "25.11.2026")
    assert shown["decline-chain"] == "lapsed" and shown["decline-why"] == "pending"
    assert today(ppo, "25.11.2026") == []


# --- skip ------------------------------------------------------------------------------------


def test_a_skipped_step_is_nobody_s_task_outside_the_rate_and_undo_takes_it_back(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026", "-m", "Ольга")
    result = ppo("skip", str(trip), "reminder", "--reason", "просила не звонить", "--date", "30.11.2026")
    assert result.out == f"trip {trip} step «1. Напомнить о вылете завтра» skipped; ppo will not send it\n"
    assert (trip, "reminder") not in today(ppo, "30.11.2026")
    step = next(s for s in ppo.show(trip)["steps"] if s["id"] == "reminder")
    assert (step["status"], step["skipped_on"], step["skip_reason"]) == ("skipped", "2026-11-30", "просила не звонить")
    figures = ppo("stats", "--from", "30.11.2026", "--to", "30.11.2026", "--date", "30.11.2026", "-f", "json").json()
    assert (figures["total"]["due"], figures["total"]["skipped"], figures["total"]["on_time_rate"]) == (0, 1, None)
    again = ppo("skip", str(trip), "1")
    assert again.out.endswith("was already skipped on 30.11.2026; nothing changed\n")
    assert (
        ppo("undo", str(trip), "reminder").out
        == f"trip {trip} step «1. Напомнить о вылете завтра» is no longer skipped\n"
    )
    assert (trip, "reminder") in today(ppo, "30.11.2026")


def test_skip_refuses_a_done_step_and_a_cancelled_trip_writing_nothing(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "0", "--date", "20.11.2026")
    before = ppo.show(trip)
    done = ppo("skip", str(trip), "0", check=False)
    assert done.code == 2 and done.err.startswith("ppo: ") and "ppo undo first" in done.err
    assert done.err.count("\n") == 1
    ppo("cancel", str(trip))
    cancelled = ppo("skip", str(trip), "1", check=False)
    assert cancelled.code == 2 and cancelled.err == f"ppo: trip {trip} is cancelled\n"
    unknown = ppo("skip", str(trip), "nope", check=False)
    assert unknown.code == 2 and "has no step nope" in unknown.err
    bidi = ppo("skip", "1", "1", "--reason", "a\u202eb", check=False)
    assert bidi.code == 2 and "control characters" in bidi.err
    assert ppo.show(trip) == {**before, "status": "cancelled", "cancelled_on": ppo.show(trip)["cancelled_on"]} | {
        "steps": ppo.show(trip)["steps"]
    }
    assert [s["skipped_on"] for s in ppo.show(trip)["steps"]] == [None] * 7


def test_a_skipped_letter_is_never_sent(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo("skip", str(trip), "ppo-do", "--date", "01.12.2026")
    ppo("send", "--date", "01.12.2026")
    assert mailbox.envelopes == []
    ppo("undo", str(trip), "ppo-do")
    ppo("send", "--date", "01.12.2026")
    assert len(mailbox.envelopes) == 1


# --- the declined chain, sent --------------------------------------------------------------------


def test_the_declined_chain_sends_its_two_letters_each_on_its_day(ppo, tmp_path, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller), service_director="Ирина Волкова")
    # the chain is advertising: it goes only with consent on record (here from the import)
    sheet = tmp_path / "declined.csv"
    sheet.write_text(
        "name,email,playbook,declined,departure,consent\nПётр,p@example.ru,declined,25.11.2026,10.12.2026,да\n",
        encoding="utf-8",
    )
    ppo("import", str(sheet))
    for day in ("25.11.2026", "26.11.2026", "27.11.2026", "28.11.2026"):
        ppo("send", "--date", day)
    letters = mailbox.letters()
    assert [letter["Subject"] for letter in letters] == ["Желаем вам счастливого пути!", "Чем мы вас обидели?"]
    for letter in letters:
        body = letter.get_body().get_content().replace("\r\n", "\n")
        assert body.startswith("Пётр, здравствуйте!") and "Ирина Волкова\nдиректор по сервису" in body
        assert "Ольга" not in body  # the manager who did not sell signs nothing


# --- stores made before moments ------------------------------------------------------------------


@pytest.mark.sqlite_only  # builds a version-2 SQLite file by hand
def test_a_store_from_before_moments_gets_the_shipped_moments_when_it_migrates(ppo):
    db = sqlite3.connect(ppo.db)
    for number in range(2):
        db.executescript(migrations.SQLITE[number])
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO clients (id, name, created_at) VALUES (1, 'Анна', 'x')")
    db.execute(
        "INSERT INTO trips (id, client_id, playbook, purchase, departure, return_on, created_at)"
        " VALUES (1, 1, 'tour', '2026-11-20', '2026-12-01', '2026-12-10', 'x')"
    )
    rows = [(0, "ppo-do", "email", "2026-11-20"), (1, "reminder", "call", "2026-11-30")]
    rows += [(2, "sms-departure", "sms", "2026-12-01"), (6, "office-visit", "visit", "2026-12-17")]
    db.executemany("INSERT INTO steps (trip_id, no, step_id, title, channel, due) VALUES (1, ?, ?, 't', ?, ?)", rows)
    db.commit()
    db.close()
    assert today(ppo, "17.12.2026") == [(1, "office-visit")]
    lapses = {s["id"]: s["lapses_on"] for s in ppo.show(1)["steps"]}
    assert lapses == {
        "ppo-do": "2026-12-01",
        "reminder": "2026-12-01",
        "sms-departure": "2026-12-02",
        "office-visit": None,
    }
