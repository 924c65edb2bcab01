"""`ppo find TEXT`: a trip found by its client's name (any case, ё = е), phone (any spelling,
or its last digits) or e-mail, newest first, json shaped as `ppo list`'s, on both backends."""

from __future__ import annotations

import csv
import io

import pytest
from ppo_runner import without_created


@pytest.fixture
def agency(ppo):
    ppo.add("Алёна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    ppo.add("Пётр Петров", "21.11.2026", "02.12.2026", "10.12.2026", "--email", "Petr.Petrov@Example.ru")
    ppo.add("Алёна Иванова", "01.02.2027", "10.02.2027", "20.02.2027", "--phone", "89123456789")
    ppo("decline", "ИВАН ФЁДОРОВ", "--date", "22.11.2026", "--phone", "+7 903 111-22-33")
    ppo.add("Вера", "19.11.2026", "25.11.2026", "30.11.2026", "--phone", "+7 999 000-00-01")
    ppo("cancel", "5")
    return ppo


def found(ppo, text, *more):
    return [(row["trip_id"], row["client"]) for row in ppo.json("find", text, *more)]


@pytest.mark.parametrize("typed", ["алена", "АЛЁНА  иванова", " Иванова ", "лёна ив"])
def test_a_name_is_found_in_any_case_with_yo_as_ye_and_any_spacing(agency, typed):
    assert found(agency, typed) == [(3, "Алёна Иванова"), (1, "Алёна Иванова")]  # the newest sale first


@pytest.mark.parametrize("typed", ["+7 912 345-67-89", "8 (912) 345 67 89", "89123456789", "912345", "6789", "67-89"])
def test_a_phone_is_found_in_any_spelling_or_by_its_last_digits(agency, typed):
    assert [trip for trip, _name in found(agency, typed)] == [3, 1]


def test_three_digits_are_not_a_phone_and_an_email_is_found_in_any_case(agency):
    assert found(agency, "789") == []
    assert found(agency, "PETR.PETROV@example") == [(2, "Пётр Петров")]
    assert found(agency, "example.ru") == [(2, "Пётр Петров")]


def test_an_email_is_found_as_its_key_is_kept_even_with_letters_case_folding_changes(ppo):
    """«ß» has no upper case of its own: casefolding would make it «ss» and miss the stored key."""
    trip = ppo.add("Grete", "21.11.2026", "02.12.2026", "10.12.2026", "--email", "grete@straße.de")
    assert found(ppo, "STRAßE.de") == [(trip, "Grete")]


def test_a_decline_and_a_cancelled_trip_are_found_too(agency):
    assert found(agency, "фёдоров") == [(4, "ИВАН ФЁДОРОВ")]
    assert found(agency, "0001") == [(5, "Вера")]


def test_find_json_has_the_shape_of_list_and_csv_md_and_table_print_the_same_trips(agency):
    listed = {row["trip_id"]: row for row in agency.json("list", "--all")}
    rows = agency.json("find", "иванова")
    assert rows == [listed[3], listed[1]]
    table = agency("find", "иванова").out
    assert "Алёна Иванова" in table and "Пётр" not in table
    records = list(csv.DictReader(io.StringIO(agency("find", "иванова", "--format", "csv").out)))
    assert [r["trip_id"] for r in records] == ["3", "1"]
    assert agency("find", "иванова", "--format", "md").out.count("Алёна Иванова") == 2


def test_nothing_found_is_an_empty_list_and_exit_0(agency):
    result = agency("find", "Зинаида", "--format", "json")
    assert result.code == 0 and result.json() == []


@pytest.mark.parametrize("typed", ["", "   ", "Анна\x1b[2J"])
def test_an_empty_or_unsafe_text_is_exit_2_with_one_line(agency, typed):
    result = agency("find", typed, check=False)
    assert result.code == 2
    said = without_created(result.err).strip().splitlines()
    assert len(said) == 1 and said[0].startswith("ppo: ") and "\x1b" not in said[0]
