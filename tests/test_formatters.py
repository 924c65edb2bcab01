"""The formatters: one per `--format`, each printing every kind of output its commands ask for."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppo_checklist.cli import session as cli
from ppo_checklist.errors import EXIT_BAD_INPUT, BadInput
from ppo_checklist.output import formatters, render

OUTPUTS = ["trip", "actions", "trips", "playbooks", "stats", "store_info", "send_report", "import_result"]
TABLE_OR_JSON_ONLY = {"send_report", "import_result"}  # ppo send and ppo import refuse csv and md


def test_every_format_has_a_formatter():
    assert {f.value for f in cli.Format} == set(formatters.FORMATTERS)
    assert set(cli.TABLE_OR_JSON) <= set(formatters.FORMATTERS)


@pytest.mark.parametrize("name", sorted(formatters.FORMATTERS))
def test_a_formatter_prints_every_output_its_commands_allow(name):
    kind = formatters.FORMATTERS[name]
    for output in OUTPUTS:
        implemented = getattr(kind, output) is not getattr(formatters.Formatter, output)
        expected = name in cli.TABLE_OR_JSON or output not in TABLE_OR_JSON_ONLY
        assert implemented == expected, f"{name}.{output}"


def test_a_format_a_command_does_not_print_is_refused_with_its_message():
    with pytest.raises(BadInput, match="^send: table or json$") as refused:
        formatters.formatter(cli.Format.md, only=cli.TABLE_OR_JSON, refusal="send: table or json")
    assert refused.value.exit_code == EXIT_BAD_INPUT
    assert isinstance(formatters.formatter(cli.Format.json, only=cli.TABLE_OR_JSON), formatters.JsonFormatter)


def test_the_date_format_is_asked_for_only_when_a_date_is_shown():
    class Settings:
        asked = 0

        @property
        def date_format(self) -> str:
            self.asked += 1
            return "%Y-%m-%d"

    settings = Settings()
    out = formatters.formatter("table", settings)
    assert settings.asked == 0
    assert out.date_format == "%Y-%m-%d" and settings.asked == 1
    assert formatters.formatter("csv").date_format == "%d.%m.%Y"  # no settings: ppo's own


DAY = ("--date", "04.12.2026")


def _a_trip_with_work_today(ppo) -> int:
    return ppo.add(
        "Анна Петрова", "01.12.2026", "05.12.2026", "16.12.2026", "--phone", "+79161234567", "--manager", "Ольга"
    )


def _md_rows(out: str) -> list[list[str]]:
    """A Markdown table's body rows, cell by cell (the header and its rule left out)."""
    lines = [line for line in out.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[1:]]


@pytest.mark.parametrize("command", [("list",), ("find", "Петров"), ("store", "info")])
def test_csv_and_markdown_print_the_rows_json_prints(ppo, command):
    _a_trip_with_work_today(ppo)
    records = ppo(*command, "--format", "json").json()
    records = records if isinstance(records, list) else [records]
    key = next(iter(records[0]))
    expected = [str(r[key]) for r in records]
    rows = list(csv.DictReader(io.StringIO(ppo(*command, "--format", "csv").out)))
    assert [row[key] for row in rows] == expected
    assert [row[0] for row in _md_rows(ppo(*command, "--format", "md").out)] == expected


@pytest.mark.parametrize("command", [("list", "--all"), ("find", "+7916")])
def test_the_table_shows_each_trip_json_lists_with_its_steps_done(ppo, command):
    _a_trip_with_work_today(ppo)
    other = ppo.add("Борис Ёлкин", "20.11.2026", "01.12.2026", "03.12.2026", "--phone", "+79161234568")
    ppo("done", str(other), "0", *DAY)
    summaries = ppo(*command, *DAY, "--format", "json").json()
    assert len(summaries) == 2
    lines = ppo(*command, *DAY).out.splitlines()
    for s in summaries:
        (row,) = [line for line in lines if f" {s['client']} " in line]
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells[:2] == [str(s["trip_id"]), s["client"]]
        assert re.sub(r"\D", "", cells[2]) == re.sub(r"\D", "", s["phone"])  # spelt for people
        assert f"{s['done']}/{s['steps']}" in cells, row
    assert lines[-1] == "2 trips"


def test_store_info_s_table_says_each_of_json_s_values_under_its_name_in_words(ppo):
    _a_trip_with_work_today(ppo)
    info = ppo("store", "info", "--format", "json").json()
    words = ppo("store", "info", env={"LANG": "ru_RU.UTF-8"}).out
    assert words.splitlines() == [
        f"{label}: {info[key]}"
        for key, label in zip(info, ("тип базы", "где", "версия схемы", "клиентов", "туров", "шагов"))
    ]


@pytest.mark.parametrize("fmt", ["table", "md", "csv"])
def test_today_prints_the_same_actions_in_every_format(ppo, fmt):
    trip = _a_trip_with_work_today(ppo)
    actions = ppo("today", *DAY, "--format", "json").json()
    assert [(a["trip_id"], a["step_no"], a["status"]) for a in actions] == [(trip, 0, "overdue"), (trip, 1, "due")]
    out = ppo("today", *DAY, "--format", fmt).out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [(int(r["trip_id"]), int(r["step_no"]), r["status"]) for r in rows] == [
            (a["trip_id"], a["step_no"], a["status"]) for a in actions
        ]
    else:  # a person's forms: each action's step title and client, in the json's order
        titles = [a["step"] for a in actions]
        places = [out.find(title) for title in titles]
        assert all(p >= 0 for p in places) and places == sorted(places), out
        assert out.count("Анна Петрова") >= len(actions)


@pytest.mark.parametrize("fmt", ["table", "md", "csv"])
def test_stats_prints_json_s_figures_per_manager_in_every_format(ppo, fmt):
    _a_trip_with_work_today(ppo)
    record = ppo("stats", *DAY, "--format", "json").json()
    (olga,) = record["managers"]
    out = ppo("stats", *DAY, "--format", fmt).out
    if fmt == "csv":
        (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r["manager"] == "Ольга"]
        assert {k: int(row[k]) for k in ("due", "overdue", "pending", "came_due")} == {
            k: olga[k] for k in ("due", "overdue", "pending", "came_due")
        }
    else:
        line = next(line for line in out.splitlines() if "Ольга" in line)  # the steps' table comes first
        numbers = [int(n) for n in re.findall(r"(?<![\d,.])\d+(?![\d,.%])", line)]
        # a person reads the steps whose day has come (with those ahead apart), not the period's total
        shown = ("came_due", "on_time", "late", "overdue", "lapsed", "pending")  # the rate between
        assert numbers[:6] == [olga[k] for k in shown], line


# --- json: ppo's own writer of flat records is json.dumps, byte for byte ------------------------

_SCALAR = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=True))
_VALUE = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=2), st.dictionaries(st.text(), _SCALAR, max_size=2))
_RECORD = st.dictionaries(st.text(), _VALUE, max_size=6)
_FLAT = st.dictionaries(st.text(), st.one_of(st.text(), st.integers(), st.booleans(), st.none()), max_size=6)


@settings(max_examples=400)
@given(st.one_of(st.lists(_FLAT, max_size=5), st.lists(_RECORD, max_size=5), _RECORD, st.lists(_SCALAR, max_size=3)))
def test_json_is_what_json_dumps_writes_with_indent_2(data):
    assert render._json_text(data) == json.dumps(data, ensure_ascii=False, indent=2)


def test_json_of_records_sharing_their_keys_is_what_json_dumps_writes():
    records = [
        {"trip_id": n, "client": f'Анна «{n}» %s "\\ \u2028', "opted_out": n % 2 == 0, "email": None, "step": "1 · x"}
        for n in range(50)
    ]
    records[7]["extra"] = "a record with one key more"  # a template of its own
    assert render._json_text(records) == json.dumps(records, ensure_ascii=False, indent=2)
