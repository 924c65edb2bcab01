"""The Summary sheet's director's figures and on-time chart: exactly `ppo stats` for the period."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from director import tick
from ppo_runner import every_day_config

AS_OF = "25.11.2026"
# As `ppo stats` shows them: the steps whose day has come, how they went, the rate; those ahead.
FIGURES = ("came_due", "on_time", "late", "overdue", "on_time_rate", "pending")
OUTCOMES = {
    "Trips sold": "trips_sold",
    "Returning clients": "returning_clients",
    "Declined": "declined",
    "Came back": "declined_came_back",
    "Came-back rate": "came_back_rate",
}


@pytest.fixture(scope="module")
def agency(tmp_path_factory, make_ppo, backend):
    """November 2026: steps done on time and late, never done, a cancelled trip, a declined
    client who came back, and a manager whose steps all fall in December."""
    home = tmp_path_factory.mktemp("kpis")
    ppo = make_ppo(home, every_day_config(home), backend=backend)  # the figures count days by hand
    anna = ppo.add("Anna", "02.11.2026", "10.11.2026", "17.11.2026", "-m", "Olga", "--phone", "+79000000100")
    ppo("done", str(anna), "0", "--date", "02.11.2026")  # on time
    ppo("done", str(anna), "reminder", "--date", "09.11.2026")  # on time
    ppo("done", str(anna), "2", "--date", "12.11.2026")  # late; the rest never
    boris = ppo.add("Boris", "25.10.2026", "05.11.2026", "12.11.2026", "-m", "Ivan", "--phone", "+79000000200")
    ppo("done", str(boris), "0", "--date", "25.10.2026")  # due in October: outside
    ppo("done", str(boris), "1", "--date", "04.11.2026")  # on time
    ppo("done", str(boris), "2", "--date", "06.11.2026")  # late
    dina = ppo.add("Dina", "03.11.2026", "08.11.2026", "15.11.2026", "-m", "Ivan", "--phone", "+79000000300")
    ppo("cancel", str(dina))  # counts nowhere
    egor = ppo.json("decline", "Egor", "--date", "05.11.2026", "-m", "Ivan", "--phone", "+79000000400")
    ppo("done", str(egor["trip_id"]), "0", "--date", "05.11.2026")
    ppo.add("Egor", "15.11.2026", "10.01.2027", "20.01.2027", "-m", "Ivan", "--phone", "+79000000400")  # came back
    ppo.add("Zoya", "10.12.2026", "20.12.2026", "30.12.2026", "-m", "Zoya", "--phone", "+79000000500")
    return ppo


def export(ppo, name: str, *more: str) -> Path:
    path = ppo.home / name
    ppo("export", str(path), "--date", AS_OF, *more)
    return path


def stats(ppo, *more: str) -> dict:
    return ppo.json("stats", "--date", AS_OF, *more)


def figures(ws, row: int, col: int) -> dict:
    return {key: ws.cell(row, col + i).value for i, key in enumerate(FIGURES)}


def satisfaction(ws, row: int) -> dict:
    """A row of the satisfaction table in the shape of `ppo stats`' `satisfaction`."""

    def aspect(col: int) -> dict:
        levels = {str(level): ws.cell(row, col + i).value for i, level in enumerate((4, 3, 2, 1))}
        return {"levels": dict(sorted(levels.items())), "satisfied_share": ws.cell(row, col + 4).value}

    return {"answers": ws.cell(row, 2).value, "tour": aspect(3), "service": aspect(8)}


def rows_until_blank(ws, row: int):
    while ws.cell(row, 1).value is not None:
        yield row
        row += 1


def kpis(ws) -> dict:
    """The block below the live table, read back in the shape of `ppo stats --format json`."""
    column_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    title = next(r for r, v in enumerate(column_a, 1) if str(v).startswith("On time, "))
    head = title + 3
    assert [c.value for c in ws[head]][:7] == [
        "Manager",
        "Came due",
        "On time",
        "Late",
        "Overdue",
        "On-time rate",
        "Ahead",
    ]
    managers = []
    for r in rows_until_blank(ws, head + 1):
        name = ws.cell(r, 1).value
        if name == "Total":
            total = figures(ws, r, 2)
            break
        managers.append({"manager": "" if name == "(no manager)" else name, **figures(ws, r, 2)})
    steps_head = column_a.index("By step") + 2
    assert [c.value for c in ws[steps_head]][:2] == ["Step", "Came due"]
    steps, playbook = [], None
    for r in rows_until_blank(ws, steps_head + 1):
        if ws.cell(r, 2).value is None:  # a playbook's name over its steps
            playbook = ws.cell(r, 1).value
            continue
        steps.append({"playbook_name": playbook, "step": ws.cell(r, 1).value, **figures(ws, r, 2)})
    outcomes = {
        OUTCOMES[ws.cell(r, 1).value]: ws.cell(r, 2).value for r in rows_until_blank(ws, column_a.index("Outcomes") + 2)
    }
    verdict_head = column_a.index("Clients' satisfaction, per manager") + 2
    assert [c.value for c in ws[verdict_head]][:12] == [
        "Manager", "Answers", "4", "3", "2", "1", "Tour satisfied", "4", "3", "2", "1", "Service satisfied",
    ]  # fmt: skip
    verdicts = {ws.cell(r, 1).value: satisfaction(ws, r) for r in rows_until_blank(ws, verdict_head + 1)}
    for manager in managers:
        manager["satisfaction"] = verdicts[manager["manager"] or "(no manager)"]
    total["satisfaction"] = verdicts["Total"]
    return {
        "title": ws.cell(title, 1).value,
        "note": ws.cell(title + 1, 1).value,
        "managers": managers,
        "total": total,
        "steps": steps,
        "outcomes": outcomes,
    }


def comparable(record: dict) -> dict:
    """`ppo stats --format json` (or the block read back) in the block's shape."""

    def shown(row: dict) -> dict:
        return {key: row[key] for key in FIGURES}

    steps = record["steps"]
    if steps and "step_no" in steps[0]:  # ppo stats: as people read a step
        steps = [
            {"playbook_name": s["playbook_name"], "step": f"{s['step_no']}. {s['title']}", **shown(s)} for s in steps
        ]
    return {
        "managers": [{"manager": m["manager"], **shown(m)} for m in record["managers"]],
        "total": shown(record["total"]),
        "steps": steps,
        "outcomes": record["outcomes"],
    }


def test_summary_has_ppo_stats_figures_for_the_month_of_the_export(agency):
    path = export(agency, "month.xlsx")
    block = kpis(openpyxl.load_workbook(path)["Summary"])
    expected = stats(agency)
    assert expected["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert comparable(block) == comparable(expected)
    assert block["title"] == "On time, 01.11.2026–30.11.2026"
    assert block["note"].startswith("KPIs for 01.11.2026–30.11.2026 as of 25.11.2026")
    assert "the table above is live" in block["note"]
    # Known by hand: Olga 0, 1 on time, 2 late, 3-5 overdue (6 due on the 24th: overdue);
    # Ivan's Boris 1 on time, 2 late, 3-6 overdue; Egor's chain 0 on time, 1 overdue.
    assert [m["manager"] for m in block["managers"]] == ["Ivan", "Olga"]
    assert block["total"]["on_time"] == 4 and block["total"]["late"] == 2
    assert block["steps"][0] == {  # no step id: the playbook's name, the step's number and title
        "playbook_name": "Отказники",
        "step": "0. Подписать на цепочку «Отказники»",
        "came_due": 1,
        "on_time": 1,
        "late": 0,
        "overdue": 0,
        "on_time_rate": 1.0,
        "pending": 0,
    }
    assert block["outcomes"]["declined_came_back"] == 1


def test_from_and_to_choose_the_period_of_the_figures(agency):
    path = export(agency, "week.xlsx", "--from", "09.11.2026", "--to", "15.11.2026")
    block = kpis(openpyxl.load_workbook(path)["Summary"])
    assert comparable(block) == comparable(stats(agency, "--from", "09.11.2026", "--to", "15.11.2026"))
    assert block["title"] == "On time, 09.11.2026–15.11.2026"


def test_rates_are_percentages_and_counts_are_plain_values(agency):
    path = export(agency, "formats.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    column_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    figures_at = next(r for r, v in enumerate(column_a, 1) if str(v).startswith("On time, "))
    olga = column_a.index("Olga", figures_at) + 1  # the figures' row, below the live table
    assert ws.cell(olga, 2).data_type == "n" and not str(ws.cell(olga, 2).value).startswith("=")
    assert ws.cell(olga, 6).number_format == "0.0%"


def test_a_bar_chart_shows_the_on_time_rate_of_each_manager(agency):
    path = export(agency, "chart.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    [chart] = ws._charts
    assert chart.tagname == "barChart" and chart.barDir == "bar"
    [series] = chart.series
    categories, values = series.cat.strRef.f, series.val.numRef.f
    assert categories.startswith("'Summary'!$A$") and values.startswith("'Summary'!$F$")
    cells = values.split("!")[1].replace("$", "")
    names = categories.split("!")[1].replace("$", "")
    rates = [row[0].value for row in ws[cells]]
    managers = [row[0].value for row in ws[names]]
    expected = stats(agency)["managers"]
    assert managers == [m["manager"] for m in expected]
    assert rates == [m["on_time_rate"] for m in expected]
    # Readers that do not recalculate (previews) draw the cached points.
    xml = zipfile.ZipFile(path).read("xl/charts/chart1.xml").decode()
    assert "<c:v>Olga</c:v>" in xml and f"<c:v>{expected[1]['on_time_rate']}</c:v>" in xml


def test_a_manager_with_nothing_due_in_the_period_is_left_out_as_in_ppo_stats(agency):
    path = export(agency, "zoya.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    column_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert column_a.count("Zoya") == 1  # in the live table (her steps are later), not in the figures
    assert "Zoya" not in [m["manager"] for m in kpis(ws)["managers"]]


def test_a_period_with_nothing_due_has_blank_rates_and_no_chart(agency):
    path = export(agency, "empty.xlsx", "--from", "01.03.2027", "--to", "31.03.2027")
    ws = openpyxl.load_workbook(path)["Summary"]
    block = kpis(ws)
    assert block["managers"] == []
    no_answers = {"levels": {"1": 0, "2": 0, "3": 0, "4": 0}, "satisfied_share": None}
    verdict = {"answers": 0, "tour": no_answers, "service": no_answers}
    assert block["total"] == dict.fromkeys(FIGURES, 0) | {"on_time_rate": None, "satisfaction": verdict}
    assert block["outcomes"]["came_back_rate"] is None
    assert ws._charts == []
    assert "Nothing due in the period: no chart." in [c.value for c in ws["A"]]


def test_an_empty_store_writes_the_figures_without_a_chart(ppo):
    path = export(ppo, "empty-store.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    block = kpis(ws)
    assert comparable(block) == comparable(stats(ppo))
    assert ws._charts == []
    assert not any(name.startswith("xl/charts/") for name in zipfile.ZipFile(path).namelist())


def test_manager_names_in_the_figures_stay_text(ppo):
    ppo.add("Anna", "02.11.2026", "10.11.2026", "17.11.2026", "-m", "=1+1")
    ppo.add("Boris", "02.11.2026", "10.11.2026", "17.11.2026", "-m", "")
    ws = openpyxl.load_workbook(export(ppo, "names.xlsx"))["Summary"]
    managers = [m["manager"] for m in kpis(ws)["managers"]]
    assert managers == [m["manager"] for m in stats(ppo)["managers"]] == ["", "=1+1"]
    column_a = [c for c in ws["A"] if c.value == "=1+1"]
    assert column_a and all(c.data_type == "s" for c in column_a)


def test_from_after_to_is_one_line_and_exit_2(agency):
    path = agency.home / "never.xlsx"
    result = agency("export", str(path), "--from", "10.11.2026", "--to", "01.11.2026", check=False)
    assert result.code == 2, result
    assert result.err.count("\n") == 1 and "--from" in result.err
    assert not path.exists()
    out = agency.home / "reports"
    result = agency("report", "--out", str(out), "--from", "10.11.2026", "--to", "01.11.2026", check=False)
    assert result.code == 2, result
    assert result.err.count("\n") == 1 and not out.exists()


def test_the_daily_report_workbook_has_the_figures_too(agency):
    out = agency.home / "daily"
    agency("report", "--out", str(out), "--date", AS_OF, "--from", "09.11.2026", "--to", "15.11.2026")
    ws = openpyxl.load_workbook(out / "ppo-2026-11-25.xlsx")["Summary"]
    assert comparable(kpis(ws)) == comparable(stats(agency, "--from", "09.11.2026", "--to", "15.11.2026"))
    assert len(ws._charts) == 1


def test_ticks_taken_from_the_replaced_workbook_count_in_the_figures(ppo):
    trip = ppo.add("Anna", "02.11.2026", "10.11.2026", "17.11.2026", "-m", "Olga")
    path = export(ppo, "ticked.xlsx")
    assert kpis(openpyxl.load_workbook(path)["Summary"])["total"]["late"] == 0
    tick(path, trip, 3, "18.11.2026")  # sms-return, a day late
    export(ppo, "ticked.xlsx")
    total = kpis(openpyxl.load_workbook(path)["Summary"])["total"]
    assert total["late"] == 1
    assert {key: total[key] for key in FIGURES} == comparable(stats(ppo))["total"]
