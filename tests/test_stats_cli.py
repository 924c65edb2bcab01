"""`ppo stats`: the director's figures, checked exactly on a store built through the CLI."""

from __future__ import annotations

import pytest
from ppo_runner import every_day_config

AS_OF = "20.11.2026"


def add(ppo, name: str, purchase: str, departure: str, return_: str, manager: str, phone: str) -> int:
    return ppo.add(name, purchase, departure, return_, "-m", manager, "--phone", _phone(phone))


def decline(ppo, name: str, day: str, manager: str, phone: str) -> int:
    return ppo.json("decline", name, "--date", day, "-m", manager, "--phone", _phone(phone))["trip_id"]


def _phone(short: str) -> str:
    """A real phone number for a short client number ("100": +7 900 000-01-00)."""
    return f"+7900000{int(short):04d}" if short.isdigit() and len(short) <= 4 else short


def done(ppo, trip: int, step: str, day: str) -> None:
    ppo("done", str(trip), step, "--date", day)


@pytest.fixture(scope="module")
def store(tmp_path_factory, make_ppo, backend):
    """November 2026 as of the 20th, two managers; the expected figures are in the tests."""
    home = tmp_path_factory.mktemp("stats")
    ppo = make_ppo(home, every_day_config(home), backend=backend)  # the figures count days by hand
    # Olga. Anna: steps due 02, 09, 10, 17, 18, 19, 24 Nov.
    anna = add(ppo, "Anna", "02.11.2026", "10.11.2026", "17.11.2026", "Olga", "+7 900 000-01-00")
    done(ppo, anna, "0", "02.11.2026")  # on time
    done(ppo, anna, "reminder", "09.11.2026")  # on time
    done(ppo, anna, "2", "12.11.2026")  # late
    done(ppo, anna, "3", "18.11.2026")  # late; 4 and 5 never (overdue), 6 due 24th (pending)
    # Anna again (same phone: a returning client); step 0 due on as_of, not done: pending.
    add(ppo, "Anna", "20.11.2026", "20.12.2026", "30.12.2026", "Olga", "89000000100")
    decline(ppo, "Fedor", "10.11.2026", "Olga", "400")  # steps due 10th and 17th, never done
    decline(ppo, "Gleb", "20.10.2026", "Olga", "500")  # declined in October: outside the period
    # Hanna's first tour, in June.
    add(ppo, "Hanna", "01.06.2026", "10.06.2026", "20.06.2026", "Olga", "600")
    # Zoya: a manager with a trip in June only, nothing in the period.
    add(ppo, "Yana", "01.06.2026", "10.06.2026", "20.06.2026", "Zoya", "800")
    # Ivan. Boris bought in October: step 0 (25 Oct) is outside; due 04, 05, 12, 13, 14, 19 Nov.
    boris = add(ppo, "Boris", "25.10.2026", "05.11.2026", "12.11.2026", "Ivan", "200")
    done(ppo, boris, "0", "25.10.2026")
    done(ppo, boris, "1", "04.11.2026")  # on time
    done(ppo, boris, "2", "06.11.2026")  # late
    done(ppo, boris, "3", "12.11.2026")  # on time
    done(ppo, boris, "4", "15.11.2026")  # late; 5 and 6 never (overdue)
    dina = add(ppo, "Dina", "03.11.2026", "08.11.2026", "15.11.2026", "Ivan", "700")
    done(ppo, dina, "0", "03.11.2026")
    ppo("cancel", str(dina), "--reason", "visa refused")  # cancelled: counts nowhere
    egor = decline(ppo, "Egor", "05.11.2026", "Ivan", "300")
    done(ppo, egor, "0", "05.11.2026")  # on time; step 1 (12th) never: overdue
    egor_tour = add(ppo, "Egor", "15.11.2026", "10.01.2027", "20.01.2027", "Ivan", "300")  # came back
    done(ppo, egor_tour, "0", "15.11.2026")
    hanna = add(ppo, "Hanna", "19.11.2026", "01.02.2027", "10.02.2027", "Ivan", "600")  # returning
    done(ppo, hanna, "0", "19.11.2026")
    for phone in ("100", "200", "300", "400", "500", "600", "700", "800"):  # ads go: counted by how they went
        ppo("consent", _phone(phone), "--ads", "yes", "--date", "01.01.2026")
    return ppo


def stats_json(ppo, *args: str) -> dict:
    return ppo("stats", "--date", AS_OF, "--format", "json", *args).json()


def counted(*values, **more):
    """A manager's or the total's figures: the steps', and the (empty) verdict."""
    return {**figures(*values, **more), **NO_ANSWERS}


def figures(due, on_time, late, overdue, pending, rate, lapsed=0, skipped=0, opted_out=0, no_consent=0):
    """The rate is over the steps whose day has come (came_due); those ahead (pending) apart."""
    return {
        "due": due,
        "on_time": on_time,
        "late": late,
        "overdue": overdue,
        "lapsed": lapsed,
        "missed": overdue + lapsed,
        "pending": pending,
        "skipped": skipped,
        "opted_out": opted_out,
        "on_time_rate": rate,
        "came_due": on_time + late + overdue + lapsed,
        "no_consent": no_consent,
    }


# No client answered `ppo feedback` in these stores: the verdict's figures are all zero.
NO_ANSWERS = {
    "satisfaction": {
        "answers": 0,
        "tour": {"levels": {"1": 0, "2": 0, "3": 0, "4": 0}, "satisfied_share": None},
        "service": {"levels": {"1": 0, "2": 0, "3": 0, "4": 0}, "satisfied_share": None},
    }
}
OLGA = figures(11, 2, 2, 5, 2, 0.2222)
IVAN = figures(11, 5, 2, 4, 0, 0.4545)
TOTAL = figures(22, 7, 4, 9, 2, 0.35)
STEPS = [
    ("declined", 0, "decline-chain", figures(2, 1, 0, 1, 0, 0.5)),
    ("declined", 1, "decline-feedback", figures(2, 0, 0, 2, 0, 0.0)),
    ("declined", 2, "decline-why", figures(2, 0, 0, 2, 0, 0.0)),
    ("tour", 0, "ppo-do", figures(4, 3, 0, 0, 1, 1.0)),
    ("tour", 1, "reminder", figures(2, 2, 0, 0, 0, 1.0)),
    ("tour", 2, "sms-departure", figures(2, 0, 2, 0, 0, 0.0)),
    ("tour", 3, "sms-return", figures(2, 1, 1, 0, 0, 0.5)),
    ("tour", 4, "ppo-posle", figures(2, 0, 1, 1, 0, 0.0)),
    ("tour", 5, "invite-call", figures(2, 0, 0, 2, 0, 0.0)),
    ("tour", 6, "office-visit", figures(2, 0, 0, 1, 1, 0.0)),
]
TITLES = {
    "decline-chain": "Подписать на цепочку «Отказники»",
    "decline-feedback": "Прочитать ответ «Чем мы вас обидели?»",
    "decline-why": "Письмо «Чем мы вас обидели?»",
    "ppo-do": "Подписать на серию ППО-ДО",
    "reminder": "Напомнить о вылете завтра",
    "sms-departure": "SMS «Счастливого пути»",
    "sms-return": "SMS «Добро пожаловать домой»",
    "ppo-posle": "Подписать на серию ППО-ПОСЛЕ",
    "invite-call": "Звонок: пригласить в офис",
    "office-visit": "Встреча в офисе (или по телефону)",
}
NAMES = {"tour": "Туры", "declined": "Отказники"}


def step_record(pb, no, sid, f):
    return {"playbook": pb, "step_no": no, "step_id": sid, **f, "title": TITLES[sid], "playbook_name": NAMES[pb]}


def test_json_has_every_figure_per_manager_step_and_outcome(store):
    assert stats_json(store) == {
        "period": {"from": "2026-11-01", "to": "2026-11-30"},
        "as_of": "2026-11-20",
        "managers": [{"manager": "Ivan", **IVAN, **NO_ANSWERS}, {"manager": "Olga", **OLGA, **NO_ANSWERS}],
        "total": {**TOTAL, **NO_ANSWERS},
        "steps": [step_record(*step) for step in STEPS],
        "outcomes": {
            "trips_sold": 4,
            "returning_clients": 2,
            "declined": 2,
            "declined_came_back": 1,
            "came_back_rate": 0.5,
        },
    }


def test_manager_filter_narrows_steps_and_outcomes(store):
    ivan = stats_json(store, "--manager", "Ivan")
    assert ivan["managers"] == [{"manager": "Ivan", **IVAN, **NO_ANSWERS}]
    assert ivan["total"] == {**IVAN, **NO_ANSWERS}
    assert ivan["outcomes"] == {
        "trips_sold": 2,
        "returning_clients": 1,
        "declined": 1,
        "declined_came_back": 1,
        "came_back_rate": 1.0,
    }
    olga = stats_json(store, "-m", "Olga")
    assert olga["total"] == {**OLGA, **NO_ANSWERS}
    assert olga["outcomes"] == {
        "trips_sold": 2,
        "returning_clients": 1,
        "declined": 1,
        "declined_came_back": 0,
        "came_back_rate": 0.0,
    }
    both = stats_json(store, "-m", "Olga", "-m", "Ivan")
    assert both["total"] == {**TOTAL, **NO_ANSWERS}


def test_manager_with_no_trips_gets_zeros_and_no_rate(store):
    result = stats_json(store, "--manager", "Zoya")
    assert result["managers"] == [{"manager": "Zoya", **figures(0, 0, 0, 0, 0, None), **NO_ANSWERS}]
    assert result["total"] == counted(0, 0, 0, 0, 0, None)
    assert result["steps"] == []
    assert result["outcomes"] == {
        "trips_sold": 0,
        "returning_clients": 0,
        "declined": 0,
        "declined_came_back": 0,
        "came_back_rate": None,
    }


def test_period_with_nothing_due_has_null_rates(store):
    result = stats_json(store, "--from", "01.03.2027", "--to", "31.03.2027")
    assert result["period"] == {"from": "2027-03-01", "to": "2027-03-31"}
    assert result["managers"] == []
    assert result["total"] == counted(0, 0, 0, 0, 0, None)
    assert result["outcomes"]["came_back_rate"] is None
    table = store("stats", "--date", AS_OF, "--from", "01.03.2027", "--to", "31.03.2027").out
    assert "Nothing due in the period." in table


def test_period_boundaries_are_inclusive_and_move_the_figures(store):
    result = stats_json(store, "--from", "17.11.2026", "--to", "19.11.2026")
    assert result["managers"] == [
        {
            "manager": "Ivan",
            **counted(2, 1, 0, 1, 0, 0.5),
        },  # Hanna 0 on time, Boris 6 overdue (19th)
        {"manager": "Olga", **counted(4, 0, 1, 3, 0, 0.0)},  # Anna 3 late, 4 and 5 overdue; Fedor 1
    ]
    assert result["outcomes"]["trips_sold"] == 1  # Hanna on the 19th


def test_as_of_decides_overdue_against_pending(store):
    # As of the 1st nothing open in November is late yet: every open step is pending.
    early = stats_json(store, "--from", "01.11.2026", "--to", "30.11.2026", "--date", "01.11.2026")
    assert early["as_of"] == "2026-11-01"
    assert early["total"] == counted(22, 7, 4, 0, 11, 0.6364)  # 7 of the 11 whose day had come
    assert early["outcomes"]["declined_came_back"] == 0  # Egor bought on the 15th, after that day


def test_default_period_is_the_month_of_the_date(store):
    result = store("stats", "--date", "05.10.2026", "-f", "json").json()
    assert result["period"] == {"from": "2026-10-01", "to": "2026-10-31"}
    assert result["outcomes"]["declined"] == 1  # Gleb
    assert result["outcomes"]["trips_sold"] == 1  # Boris


def test_today_comes_from_ppo_today(store):
    out = store("stats", "-f", "json", env={"PPO_TODAY": "2026-11-20"}).json()
    assert out["total"] == {**TOTAL, **NO_ANSWERS}


def table_rows(text: str) -> dict[str, list[str]]:
    """Each row of the rich tables by its first cell (or first two for the steps)."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 11:
            rows[cells[0]] = cells[1:]
        elif len(cells) == 12:
            rows[f"{cells[0]} {cells[1]}"] = cells[2:]
    return rows


def test_table_shows_the_same_figures(store):
    out = store("stats", "--date", AS_OF, env={"COLUMNS": "200"}).out
    assert "01.11.2026 – 30.11.2026 (as of 20.11.2026)" in out
    rows = table_rows(out)
    # came due, on time, late, overdue, lapsed, the rate over them; then ahead, skipped, opted out, no consent
    assert rows["Olga"] == ["9", "2", "2", "5", "0", "22.2%", "2", "0", "0", "0"]
    assert rows["Ivan"] == ["11", "5", "2", "4", "0", "45.5%", "0", "0", "0", "0"]
    assert rows["Total"] == ["20", "7", "4", "9", "0", "35.0%", "2", "0", "0", "0"]
    assert rows["Туры 4. Подписать на серию ППО-ПОСЛЕ"] == ["2", "0", "1", "1", "0", "0.0%", "0", "0", "0", "0"]
    feedback = "Отказники 1. Прочитать ответ «Чем мы вас обидели?»"
    assert rows[feedback] == ["2", "0", "0", "2", "0", "0.0%", "0", "0", "0", "0"]
    assert "ppo-posle" not in out and "decline-feedback" not in out  # no step id for people
    assert "trips sold: 4" in out
    assert "returning clients: 2" in out
    assert "declined clients: 2, came back: 1 (50.0%)" in out


def test_table_for_a_manager_with_no_trips_shows_a_dash(store):
    rows = table_rows(store("stats", "--date", AS_OF, "-m", "Zoya").out)
    assert rows["Zoya"] == ["0", "0", "0", "0", "0", "—", "0", "0", "0", "0"]


def test_csv_has_a_row_per_manager_and_a_total(store):
    out = store("stats", "--date", AS_OF, "--format", "csv").out.splitlines()
    assert out == [
        "period_from,period_to,as_of,scope,manager,due,on_time,late,overdue,lapsed,missed,pending,skipped,opted_out,"
        "on_time_rate,answers,tour_satisfied_share,service_satisfied_share,came_due,no_consent",
        "2026-11-01,2026-11-30,2026-11-20,manager,Ivan,11,5,2,4,0,4,0,0,0,0.4545,0,,,11,0",
        "2026-11-01,2026-11-30,2026-11-20,manager,Olga,11,2,2,5,0,5,2,0,0,0.2222,0,,,9,0",
        "2026-11-01,2026-11-30,2026-11-20,total,,22,7,4,9,0,9,2,0,0,0.35,0,,,20,0",
    ]


def test_csv_manager_name_never_runs_as_a_formula(ppo):
    add(ppo, "Anna", "02.11.2026", "10.11.2026", "17.11.2026", "=HYPERLINK(1)", "100")
    out = ppo("stats", "--date", AS_OF, "--format", "csv").out.splitlines()
    assert out[1].split(",")[4] == "'=HYPERLINK(1)"


def test_md_has_tables_for_mail(store):
    out = store("stats", "--date", AS_OF, "--format", "md").out
    assert out.startswith("# ppo: figures for 01.11.2026 – 30.11.2026 (as of 20.11.2026)\n")
    assert "| Olga | 9 | 2 | 2 | 5 | 0 | 22.2% | 2 | 0 | 0 | 0 |" in out
    assert "| **Total** | 20 | 7 | 4 | 9 | 0 | 35.0% | 2 | 0 | 0 | 0 |" in out
    assert "| Туры | 2. SMS «Счастливого пути» | 2 | 0 | 2 | 0 | 0 | 0.0% | 0 | 0 | 0 | 0 |" in out
    assert "- declined clients: 2, came back: 1 (50.0%)" in out


def test_from_after_to_is_bad_input(store):
    result = store("stats", "--from", "10.11.2026", "--to", "01.11.2026", check=False)
    assert result.code == 2
    assert result.err == "ppo: --from (10.11.2026) is after --to (01.11.2026)\n"
    assert result.out == ""


def test_impossible_date_is_bad_input(store):
    result = store("stats", "--from", "31.02.2026", check=False)
    assert result.code == 2
    assert result.err.startswith("ppo: --from: impossible date")
    assert len(result.err.splitlines()) == 1


def test_a_day_when_most_steps_are_ahead_rates_only_those_whose_day_has_come(ppo):
    """The issue's day: 33 of 46 steps ahead must not read as a failing team."""
    day = {"PPO_TODAY": "2026-12-12"}
    for n in range(5):  # sold on the 1st, flying on the 10th: steps 0, 1 and 2 have come, 3-6 ahead
        trip = add(ppo, f"Client {n}", "01.12.2026", "10.12.2026", "20.12.2026", "Olga", str(900 + n))
        ppo("consent", _phone(str(900 + n)), "--ads", "yes", "--date", "01.12.2026")
        ppo("done", str(trip), "0", "--date", "01.12.2026", env=day)  # on time
        if n < 4:
            ppo("done", str(trip), "1", "--date", "09.12.2026", env=day)  # on time; the fifth's: overdue
    result = ppo("stats", "--date", "12.12.2026", "--format", "json").json()
    total = result["total"]
    assert total["due"] == 35 and total["pending"] == 20
    # the 5 SMS of the 10th and the fifth's reminder call: lapsed (their moments passed), missed
    assert (total["on_time"], total["late"], total["overdue"], total["lapsed"]) == (9, 0, 0, 6)
    assert total["came_due"] == 15
    assert total["on_time_rate"] == 0.6  # 9 of 15, not 9 of 35
    table = ppo("stats", "--date", "12.12.2026", env={"COLUMNS": "200"}).out
    assert table_rows(table)["Total"] == ["15", "9", "0", "0", "6", "60.0%", "20", "0", "0", "0"]


@pytest.mark.sqlite_only  # compares the SQLite file's bytes
def test_stats_writes_nothing(store):
    before = store.db.read_bytes()
    store("stats", "--date", AS_OF)
    assert store.db.read_bytes() == before


def test_ads_without_consent_are_counted_apart_in_every_format(ppo):
    """Pavel never agreed to advertising: the declined chain's two ads letters are no_consent,
    outside `due` and the rate; Rita agreed, hers are counted by how they went."""
    decline(ppo, "Pavel", "05.11.2026", "Olga", "101")
    decline(ppo, "Rita", "05.11.2026", "Ivan", "102")
    ppo("consent", _phone("102"), "--ads", "yes", "--date", "01.11.2026")
    record = stats_json(ppo)
    olga, ivan = (next(m for m in record["managers"] if m["manager"] == name) for name in ("Olga", "Ivan"))
    assert (olga["no_consent"], olga["due"], olga["came_due"]) == (2, 1, 1)  # the feedback call is still hers
    assert (ivan["no_consent"], ivan["due"], ivan["came_due"]) == (0, 3, 3)
    assert record["total"]["no_consent"] == 2
    chain = next(s for s in record["steps"] if s["step_id"] == "decline-chain")
    assert (chain["no_consent"], chain["due"]) == (1, 1)

    csv_rows = ppo("stats", "--date", AS_OF, "--format", "csv").out.splitlines()
    assert csv_rows[0].endswith(",came_due,no_consent")
    assert [row.rsplit(",", 1)[1] for row in csv_rows[1:]] == ["0", "2", "2"]  # Ivan, Olga, total

    table = table_rows(ppo("stats", "--date", AS_OF, env={"COLUMNS": "200"}).out)
    assert table["Olga"][-1] == "2" and table["Ivan"][-1] == "0" and table["Total"][-1] == "2"
    assert table["Отказники 0. Подписать на цепочку «Отказники»"][-1] == "1"
    md = ppo("stats", "--date", AS_OF, "--format", "md").out
    assert "| No consent |" in md and "| Olga | 1 | 0 | 0 | 1 | 0 | 0.0% | 0 | 0 | 0 | 2 |" in md

    ppo("consent", _phone("101"), "--ads", "yes", "--date", "20.11.2026")  # Pavel agrees: his letters count again
    olga = next(m for m in stats_json(ppo)["managers"] if m["manager"] == "Olga")
    assert (olga["no_consent"], olga["due"]) == (0, 3)
