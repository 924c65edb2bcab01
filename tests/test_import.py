"""Moving from a spreadsheet: `ppo import` on files written the ways users' tools write them."""

import datetime as dt
import json
import sys

import pytest
from ppo_runner import without_created

RU_HEADER = ["Клиент", "Телефон", "Email", "Менеджер", "Дата покупки", "Дата вылета", "Дата возвращения"]
EN_HEADER = ["name", "phone", "email", "manager", "purchase", "departure", "return"]

ANNA = ["Анна Иванова", "+7 912 345-67-89", "anna@example.ru", "Ольга", "20.11.2026", "01.12.2026", "10.12.2026"]
BORIS = ["Борис Орлов", "8 (903) 111-22-33", "", "Игорь", "21.11.2026", "05.12.2026", "15.12.2026"]
VERA = ["Вера Соколова", "", "vera@example.ru", "", "22.11.2026", "22.11.2026", "29.11.2026"]


@pytest.fixture(autouse=True, params=["parts of 5000 rows", "one-row parts"])
def parts(request, monkeypatch):
    """Every test twice: a file as one part (as most are), and each row its own part (what a
    file of many thousand rows does at every PART rows): the same answers either way."""
    if request.param == "one-row parts":
        monkeypatch.setattr("ppo_checklist.importing.PART", 1)
    return request.param


def excel_csv(path, rows, encoding="cp1251"):
    """As Excel in a Russian locale saves "CSV (разделители - запятые)": `;`, CRLF, cp1251."""
    text = "".join(";".join(row) + "\r\n" for row in rows)
    path.write_bytes(text.encode(encoding))
    return path


def sheets_csv(path, rows):
    """As Google Sheets downloads a sheet: `,`, CRLF, UTF-8 without BOM, quotes where needed."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def shown(ppo):
    return {t["client"]["name"]: t for t in ppo.snapshot()}


def dues(trip):
    return {s["id"]: s["due"] for s in trip["steps"]}


# --- files as users' tools write them --------------------------------------------------------


def test_excel_semicolon_csv_in_cp1251_imports_every_trip(ppo, tmp_path):
    path = excel_csv(tmp_path / "clients.csv", [RU_HEADER, ANNA, BORIS, VERA])
    result = ppo("import", str(path))
    assert result.out.strip() == f"{path}: 3 trips added, 0 already there"
    trips = shown(ppo)
    anna = trips["Анна Иванова"]
    assert anna["client"]["phone"] == "+7 912 345-67-89" and anna["client"]["email"] == "anna@example.ru"
    assert anna["manager"] == "Ольга" and anna["playbook"] == "tour"
    assert anna["dates"] == {"purchase": "2026-11-20", "departure": "2026-12-01", "return": "2026-12-10"}
    assert dues(anna) == {
        "ppo-do": "2026-11-20",
        "reminder": "2026-11-30",
        "sms-departure": "2026-12-01",
        "sms-return": "2026-12-10",
        "ppo-posle": "2026-12-11",
        "invite-call": "2026-12-14",  # R+2d is Saturday 12.12: the call moves to Monday
        "office-visit": "2026-12-17",
    }
    assert trips["Борис Орлов"]["client"]["phone"] == "+7 903 111-22-33"
    assert trips["Вера Соколова"]["client"]["email"] == "vera@example.ru"
    # departure on the purchase day: the reminder is never before the purchase
    assert dues(trips["Вера Соколова"])["reminder"] == "2026-11-22"


def test_utf8_csv_with_bom_imports_the_same_trips(ppo, tmp_path):
    path = excel_csv(tmp_path / "clients.csv", [RU_HEADER, ANNA, BORIS], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    ppo("import", str(path))
    trips = shown(ppo)
    assert sorted(trips) == ["Анна Иванова", "Борис Орлов"]
    assert trips["Анна Иванова"]["dates"]["return"] == "2026-12-10"


def test_google_sheets_comma_csv_with_iso_dates_imports(ppo, tmp_path):
    rows = [
        EN_HEADER + ["note"],
        [
            "Orlov, Boris",
            "+7 903 111-22-33",
            "boris@example.com",
            "Igor",
            "2026-11-21",
            "2026-12-05",
            "2026-12-15",
            "wants a window seat,\nand a vegetarian meal",
        ],
        ["Анна Иванова", "", "", "Ольга", "2026-11-20", "2026-12-01", "2026-12-10", ""],
    ]
    ppo("import", str(sheets_csv(tmp_path / "Clients - Sheet1.csv", rows)))
    trips = shown(ppo)
    boris = trips["Orlov, Boris"]
    assert boris["note"] == "wants a window seat,\nand a vegetarian meal"
    assert boris["dates"] == {"purchase": "2026-11-21", "departure": "2026-12-05", "return": "2026-12-15"}
    assert trips["Анна Иванова"]["client"]["phone"] == ""


def test_xlsx_with_date_cells_imports(ppo, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(RU_HEADER + ["Примечание"])
    sheet.append(
        [
            "Анна Иванова",
            79123456789,
            "anna@example.ru",
            "Ольга",
            dt.datetime(2026, 11, 20),
            dt.date(2026, 12, 1),
            dt.datetime(2026, 12, 10),
            "VIP",
        ]
    )
    sheet.append(["Борис Орлов", "+7 903 111-22-33", None, None, "21.11.2026", "05.12.2026", "15.12.2026", None])
    for row in sheet.iter_rows(min_row=2, min_col=5, max_col=7):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "DD.MM.YYYY"
    path = tmp_path / "clients.xlsx"
    book.save(path)
    assert ppo("import", str(path)).out.strip().endswith("2 trips added, 0 already there")
    trips = shown(ppo)
    anna = trips["Анна Иванова"]
    assert anna["client"]["phone"] == "+7 912 345-67-89" and anna["note"] == "VIP"
    assert anna["dates"] == {"purchase": "2026-11-20", "departure": "2026-12-01", "return": "2026-12-10"}
    assert trips["Борис Орлов"]["dates"]["departure"] == "2026-12-05"


def test_headers_match_regardless_of_case_and_extra_spaces(ppo, tmp_path):
    header = ["  ФИО ", "ТЕЛЕФОН", "E-mail", "менеджер", "Дата  покупки", " дата вылета", "Дата Возвращения", ""]
    path = excel_csv(tmp_path / "c.csv", [header, ANNA + [""]])
    ppo("import", str(path))
    assert shown(ppo)["Анна Иванова"]["manager"] == "Ольга"


def test_empty_manager_takes_the_configured_default_and_month_first_dates(ppo, tmp_path):
    config = tmp_path / "us.toml"
    config.write_text('dayfirst = false\ndefault_manager = "Kate"\n', encoding="utf-8")
    rows = [EN_HEADER, ["Ann", "", "", "", "11/20/2026", "12/01/2026", "12/10/2026"]]
    ppo("--config", str(config), "import", str(sheets_csv(tmp_path / "us.csv", rows)))
    ann = shown(ppo)["Ann"]
    assert ann["manager"] == "Kate" and ann["dates"]["purchase"] == "2026-11-20"


def test_playbook_column_chooses_a_user_playbook(ppo, tmp_path):
    folder = ppo.home / "config" / "ppo" / "playbooks"
    folder.mkdir(parents=True)
    (folder / "season.toml").write_text(
        'id = "season"\ndates = ["purchase", "departure", "return"]\n[[steps]]\nno = 0\nid = "offer"\n'
        'title = "Offer"\nchannel = "email"\nanchor = "return"\noffset = "+11m"\ntext = "{client}"\n',
        encoding="utf-8",
    )
    rows = [EN_HEADER + ["playbook"], ANNA + ["season"], BORIS + [""]]
    ppo("import", str(excel_csv(tmp_path / "c.csv", rows)))
    trips = shown(ppo)
    assert dues(trips["Анна Иванова"]) == {"offer": "2027-11-10"}
    assert trips["Борис Орлов"]["playbook"] == "tour"


# --- all or nothing ----------------------------------------------------------------------------


def test_bad_rows_are_listed_by_line_with_reasons_and_nothing_goes_in(ppo, tmp_path):
    ppo.add("Уже есть", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 900 000-00-00")
    before = ppo.snapshot()
    rows = [
        RU_HEADER,
        ANNA,
        ["", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026"],
        ["Плохая дата", "", "", "", "20.11.2026", "31.02.2026", "10.12.2026"],
        ["Не по порядку", "", "", "", "05.12.2026", "01.12.2026", "10.12.2026"],
        ["Без возвращения", "", "", "", "20.11.2026", "01.12.2026", ""],
        BORIS,
        ["Лишняя ячейка", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026", "лишнее"],
    ]
    result = ppo("import", str(excel_csv(tmp_path / "bad.csv", rows)), check=False)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[:5] == [
        "line 3: no client name",
        "line 4: departure: impossible date: 31.02.2026",
        "line 5: purchase (05.12.2026) is after departure (01.12.2026)",
        "line 6: no return date",
        "line 8: more cells than the header has columns (a stray separator?)",
    ]
    assert lines[5].startswith("ppo: ") and "5 bad rows; nothing imported" in lines[5]
    assert result.out == ""
    assert ppo.snapshot() == before


def test_line_numbers_count_file_lines_across_blank_lines_and_multiline_cells(ppo, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "name,phone,email,manager,purchase,departure,return,note\n"
        "\n"
        'A,,,,2026-11-20,2026-12-01,2026-12-10,"two\nlines"\n'
        "B,,,,2026-11-20,2026-13-01,2026-12-10,\n",
        encoding="utf-8",
    )
    result = ppo("import", str(path), check=False)
    assert result.err.splitlines()[0] == "line 5: departure: impossible date: 2026-13-01"


def test_skip_bad_takes_the_good_rows_and_still_lists_the_bad(ppo, tmp_path):
    rows = [RU_HEADER, ANNA, ["Плохая дата", "", "", "", "20.11.2026", "31.02.2026", "10.12.2026"], BORIS]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", rows)), "--skip-bad")
    assert without_created(result.err) == "line 3: departure: impossible date: 31.02.2026\n"
    assert result.out.strip().endswith("2 trips added, 0 already there, 1 bad row skipped")
    assert sorted(shown(ppo)) == ["Анна Иванова", "Борис Орлов"]


def test_dry_run_reports_and_writes_nothing(ppo, tmp_path):
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, ANNA, BORIS])
    result = ppo("import", str(path), "--dry-run")
    assert "dry run, nothing written: 2 trips would be added" in result.out
    assert ppo.snapshot() == []


@pytest.mark.parametrize(
    "header, says",
    [
        (["Клиент", "Телефон", "Город", "Дата покупки", "Дата вылета", "Дата возвращения"], "unknown column 'Город'"),
        (["Клиент", "Телефон", "Дата покупки", "Дата вылета"], "missing column return"),
        (["Телефон", "Дата покупки", "Дата вылета", "Дата возвращения"], "missing column name"),
        (["Клиент", "ФИО", "Дата покупки", "Дата вылета", "Дата возвращения"], "column 'ФИО' appears twice"),
    ],
)
def test_unknown_or_missing_column_is_one_clear_error(ppo, tmp_path, header, says):
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", [header, ["x"] * len(header)])), check=False)
    assert result.code == 2 and result.err.startswith("ppo: ") and says in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert ppo.snapshot() == []


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("empty.csv", b"", "empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old .xls"),
        ("notes.pdf", b"%PDF", "not a .csv or .xlsx"),
        ("broken.xlsx", b"PK nope", "not a readable .xlsx"),
    ],
)
def test_unreadable_files_are_one_clear_error(ppo, tmp_path, name, content, says):
    (tmp_path / name).write_bytes(content)
    result = ppo("import", str(tmp_path / name), check=False)
    assert result.code == 2 and says in result.err and "Traceback" not in result.err


def test_missing_file_is_bad_input(ppo, tmp_path):
    result = ppo("import", str(tmp_path / "nope.csv"), check=False)
    assert result.code == 2 and result.err == f"ppo: no such file: {tmp_path / 'nope.csv'}\n"


# --- importing again, and who is the same client ---------------------------------------------


def test_second_import_adds_nothing(ppo, tmp_path):
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, ANNA, BORIS, VERA])
    ppo("import", str(path))
    first = ppo.snapshot()
    again = ppo("import", str(path), "--format", "json").json()
    assert again["added"] == 0 and again["already"] == 3 and again["bad"] == []
    assert ppo.snapshot() == first


def test_the_same_trip_twice_in_one_file_goes_in_once(ppo, tmp_path):
    anna_again = ["  Анна  Иванова ", "8 912 345 67 89", "", "Ольга", "20.11.26", "1.12.2026", "2026-12-10"]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", [RU_HEADER, ANNA, anna_again])), "-f", "json").json()
    assert (result["added"], result["repeated"]) == (1, 1)
    assert len(ppo.snapshot()) == 1


def test_same_name_and_phone_or_email_is_the_same_client_with_another_trip(ppo, tmp_path):
    existing = ppo.add("Анна Иванова", "01.06.2026", "10.06.2026", "20.06.2026", "--phone", "+79123456789")
    next_tour = ["анна  иванова", "8 912 345-67-89", "anna@example.ru", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    by_email = ["АННА ИВАНОВА", "", "ANNA@example.ru", "", "01.01.2027", "05.01.2027", "12.01.2027"]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", [RU_HEADER, next_tour, by_email])))
    assert without_created(result.err) == ""
    trips = ppo.snapshot()
    assert len(trips) == 3
    assert {t["client"]["id"] for t in trips} == {ppo("show", str(existing), "-f", "json").json()["client"]["id"]}
    # the known client gains the e-mail it lacked, and keeps its name and phone
    assert trips[0]["client"] == {
        "id": 1,
        "name": "Анна Иванова",
        "phone": "+7 912 345-67-89",
        "email": "anna@example.ru",
        "opted_out": False,
        "birthday": None,
        "passport_expires": None,
    }


def test_the_same_phone_under_another_name_is_a_new_client_sharing_it_named_on_one_line(ppo, tmp_path):
    ivanova = ppo.add("Анна Иванова", "01.06.2026", "10.06.2026", "20.06.2026", "--phone", "+79123456789")
    petrova = ["Анна Петрова", "8 912 345-67-89", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    son = ["Пётр Петров", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    son_by_phone = ["Пётр Петров", "+7 912 345 67 89", "", "", "21.11.2026", "02.12.2026", "11.12.2026"]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, petrova, son, son_by_phone])
    result = ppo("import", str(path), "-f", "json")
    said = without_created(result.err).splitlines()
    assert said == [
        "line 2: Анна Петрова is a new client sharing the phone +7 912 345-67-89 with client 1 (Анна Иванова)",
        "line 4: Пётр Петров is a new client sharing the phone +7 912 345-67-89 with client 1 (Анна Иванова),"
        " line 2 (Анна Петрова)",
    ]
    assert [s["line"] for s in result.json()["shared_contacts"]] == [2, 4]
    trips = ppo.snapshot()
    assert [(t["client"]["name"], t["client"]["phone"] or None) for t in trips] == [
        ("Анна Иванова", "+7 912 345-67-89"),
        ("Анна Петрова", "+7 912 345-67-89"),
        ("Пётр Петров", None),
        ("Пётр Петров", "+7 912 345-67-89"),
    ]
    assert trips[0]["trip_id"] == ivanova and len({t["client"]["id"] for t in trips}) == 4
    # the letters greet the person typed: each trip is its own client's
    assert ppo.show(trips[1]["trip_id"])["client"]["name"] == "Анна Петрова"


def test_phone_and_email_of_two_different_clients_of_that_name_is_a_bad_row(ppo, tmp_path):
    ppo.add("Анна", "01.06.2026", "10.06.2026", "20.06.2026", "--phone", "+79123456789")
    ppo.add("Анна", "02.06.2026", "10.06.2026", "20.06.2026", "--email", "b@x.ru")
    before = ppo.snapshot()
    row = ["анна", "+79123456789", "b@x.ru", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", [RU_HEADER, ANNA, row])), check=False)
    assert result.code == 2
    assert result.err.splitlines()[0] == "line 3: the phone and the e-mail belong to two different clients"
    assert ppo.snapshot() == before


def test_a_new_client_sharing_a_phone_with_one_and_an_email_with_another_names_both(ppo, tmp_path):
    ppo.add("Анна", "01.06.2026", "10.06.2026", "20.06.2026", "--phone", "+79123456789")
    ppo.add("Борис", "01.06.2026", "10.06.2026", "20.06.2026", "--email", "b@x.ru")
    row = ["Кто-то", "+79123456789", "b@x.ru", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", [RU_HEADER, row])))
    assert without_created(result.err).splitlines() == [
        "line 2: Кто-то is a new client sharing the phone +7 912 345-67-89 with client 1 (Анна);"
        " the e-mail b@x.ru with client 2 (Борис)"
    ]
    assert {t["client"]["name"] for t in ppo.snapshot()} == {"Анна", "Борис", "Кто-то"}


def test_client_without_phone_or_email_is_recognised_by_name_on_a_second_import(ppo, tmp_path):
    row = ["Гость Без Контактов", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, row])
    ppo("import", str(path))
    path2 = excel_csv(tmp_path / "c2.csv", [RU_HEADER, ["гость  без контактов"] + row[1:]])
    assert ppo("import", str(path2), "-f", "json").json()["already"] == 1
    assert len(ppo.snapshot()) == 1


def test_json_output_carries_counts_and_bad_lines_even_when_refused(ppo, tmp_path):
    rows = [RU_HEADER, ANNA, ["", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]]
    result = ppo("import", str(excel_csv(tmp_path / "c.csv", rows)), "--format", "json", check=False)
    assert result.code == 2
    assert json.loads(result.out) == {
        "file": str(tmp_path / "c.csv"),
        "rows": 2,
        "added": 1,
        "clients_added": 1,
        "already": 0,
        "repeated": 0,
        "bad": [{"line": 3, "reason": "no client name"}],
        "dry_run": False,
        "written": False,
        "done_marks": 0,
        "shared_contacts": [],
    }
    assert ppo.snapshot() == []


def test_a_large_file_under_cron_prints_no_progress(ppo, tmp_path):
    start = dt.date(2026, 1, 1)
    rows = [EN_HEADER]
    for n in range(2500):
        purchase = start + dt.timedelta(days=n % 300)
        rows.append(
            [
                f"Client {n}",
                f"+7 900 {n:07d}",
                "",
                "",
                purchase.isoformat(),
                (purchase + dt.timedelta(days=10)).isoformat(),
                (purchase + dt.timedelta(days=20)).isoformat(),
            ]
        )
    result = ppo("import", str(sheets_csv(tmp_path / "big.csv", rows)))
    assert without_created(result.err) == ""
    assert result.out.strip().endswith("2500 trips added, 0 already there")
    assert len(ppo("list", "--all", "--format", "json").json()) == 2500


# --- one intake with `ppo add` -------------------------------------------------------------------


def test_a_manager_typed_otherwise_in_a_file_takes_the_stored_spelling_as_add_does(ppo, tmp_path):
    ppo.add("Уже есть", "20.11.2026", "01.12.2026", "10.12.2026", "--manager", "Ольга")
    rows = [
        RU_HEADER,
        ["Анна", "", "", "ольга ", "20.11.2026", "01.12.2026", "10.12.2026"],
        ["Борис", "", "", " ОЛЬГА", "20.11.2026", "01.12.2026", "10.12.2026"],
        ["Вера", "", "", "игорь ", "20.11.2026", "01.12.2026", "10.12.2026"],
        ["Глеб", "", "", "Игорь", "20.11.2026", "01.12.2026", "10.12.2026"],
    ]
    ppo("import", str(excel_csv(tmp_path / "c.csv", rows)))
    managers = {t["client"]["name"]: t["manager"] for t in ppo.snapshot()}
    assert managers == {"Уже есть": "Ольга", "Анна": "Ольга", "Борис": "Ольга", "Вера": "игорь", "Глеб": "игорь"}
    added = ppo.json("add", "Дина", "-p", "20.11.2026", "-d", "01.12.2026", "-r", "10.12.2026", "-m", "ИГОРЬ")
    assert added["manager"] == "игорь"
    groups = {row["manager"] for row in ppo.json("list")}
    assert groups == {"Ольга", "игорь"}


def test_a_sale_typed_again_without_a_phone_is_refused_by_add_and_taken_once_by_import(ppo, tmp_path):
    first = ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    refused = ppo("add", "анна иванова", "-p", "20.11.2026", "-d", "01.12.2026", "-r", "10.12.2026", check=False)
    assert refused.code == 2 and f"trip {first}" in refused.err
    without_phone = ["Анна  Иванова", "", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    with_another_email = ["АННА ИВАНОВА", "", "anna@example.ru", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    guest = ["Гость", "", "", "", "21.11.2026", "02.12.2026", "11.12.2026"]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, without_phone, with_another_email, guest, guest])
    result = ppo("import", str(path), "-f", "json").json()
    assert (result["added"], result["already"], result["repeated"]) == (1, 1, 2)
    assert [t["client"]["name"] for t in ppo.snapshot()] == ["Анна Иванова", "Гость"]
    # and the other way round: a sale imported without a phone is the one `add` refuses
    again = ppo(
        "add",
        "гость",
        "-p",
        "21.11.2026",
        "-d",
        "02.12.2026",
        "-r",
        "11.12.2026",
        "--phone",
        "+79000000001",
        check=False,
    )
    assert again.code == 2 and "--again" in again.err


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("Клиент", "Анна \u202eавонавИ"),  # a bidi override: the name shown reversed
        ("Клиент", "Анна\x1b[31m"),  # an escape code
        ("Менеджер", "Ольга\u2066"),
        ("Примечание", "VIP\x07"),
        ("Сценарий", "tour\u202e"),
        ("Телефон", "+7 912 345-67-89\x00"),
    ],
)
def test_text_add_refuses_is_refused_by_import_naming_the_line_and_column(ppo, tmp_path, column, cell):
    header = [*RU_HEADER, "Примечание", "Сценарий"]
    row = {**dict(zip(header, [*ANNA, "", "tour"])), column: cell}
    path = sheets_csv(tmp_path / "c.csv", [header, [*BORIS, "ok\nна две строки", "tour"], [row[h] for h in header]])
    result = ppo("import", str(path), check=False)
    assert result.code == 2
    assert result.err.splitlines()[0] == f"line 4: column '{column}' contains control characters"
    assert cell not in result.err
    assert ppo.snapshot() == []


# --- a file read a part at a time (`parts`: each row its own part too) ------------------------


def test_a_bad_row_after_parts_were_written_leaves_nothing_written(ppo, tmp_path):
    late = ["Глеб Панов", "+7 915 000-00-01", "", "", "20.11.2026", "01.11.2026", "10.12.2026"]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, ANNA, BORIS, VERA, late])
    result = ppo("import", str(path), "-f", "json", check=False)
    assert result.code == 2
    assert [b["line"] for b in result.json()["bad"]] == [5]
    assert result.json()["written"] is False and result.json()["added"] == 3
    assert ppo.snapshot() == []
    assert ppo("import", str(path), "--skip-bad").code == 0
    assert sorted(shown(ppo)) == ["Анна Иванова", "Борис Орлов", "Вера Соколова"]


def test_a_client_of_earlier_rows_is_one_client_completed_and_named_by_its_line(ppo, tmp_path):
    first = ["Анна Иванова", "+7 912 345-67-89", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    again = ["Анна Иванова", "+7 912 345-67-89", "anna@example.ru", "", "20.01.2027", "01.02.2027", "10.02.2027"]
    son = ["Пётр Иванов", "+7 912 345-67-89", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, first, again, son, first])
    result = ppo("import", str(path), "-f", "json")
    assert without_created(result.err).splitlines() == [
        "line 4: Пётр Иванов is a new client sharing the phone +7 912 345-67-89 with line 2 (Анна Иванова)"
    ]
    assert result.json()["shared_contacts"][0]["with_phone"] == [{"client": None, "line": 2, "name": "Анна Иванова"}]
    assert (result.json()["added"], result.json()["clients_added"], result.json()["repeated"]) == (3, 2, 1)
    anna = [t["client"] for t in ppo.snapshot() if t["client"]["name"] == "Анна Иванова"]
    assert len(anna) == 2 and anna[0] == anna[1]
    assert (anna[0]["phone"], anna[0]["email"]) == ("+7 912 345-67-89", "anna@example.ru")


def test_a_sale_of_the_store_is_already_there_and_its_repeat_in_the_file_repeated(ppo, tmp_path):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, BORIS, ANNA, BORIS, ANNA, VERA])
    result = ppo("import", str(path), "-f", "json").json()
    assert (result["added"], result["already"], result["repeated"], result["clients_added"]) == (2, 1, 2, 2)
    assert sorted(t["client"]["name"] for t in ppo.snapshot()) == ["Анна Иванова", "Борис Орлов", "Вера Соколова"]


def test_each_trip_of_a_client_whose_passport_expires_gets_its_own_passport_check(ppo, tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text(
        "name,phone,purchase,departure,return,passport_expires\n"
        "Анна Иванова,+79123456789,01.12.2026,20.12.2026,27.12.2026,01.03.2027\n"
        "Анна Иванова,+79123456789,05.01.2027,20.01.2027,27.01.2027,01.03.2027\n",
        encoding="utf-8",
    )
    ppo("import", str(path))
    checks = {t["dates"]["purchase"]: [s["id"] for s in t["steps"]].count("passport") for t in ppo.snapshot()}
    assert checks == {"2026-12-01": 1, "2027-01-05": 1}


def test_a_contact_the_file_gave_its_new_client_rows_before_finds_that_client(ppo, tmp_path):
    """A row's e-mail completes the client an earlier row made; later rows that give only that
    e-mail are the same client, whether the earlier rows are in the store yet or still being
    written while these are decided."""
    phone_only = ["Анна Иванова", "+7 912 345-67-89", "", "", "20.11.2026", "01.12.2026", "10.12.2026"]
    both = ["Анна Иванова", "+7 912 345-67-89", "anna@example.ru", "", "20.01.2027", "01.02.2027", "10.02.2027"]
    email_only = [
        ["Анна Иванова", "", "anna@example.ru", "", f"20.0{m}.2027", f"01.0{m + 1}.2027", f"10.0{m + 1}.2027"]
        for m in (3, 5)
    ]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, phone_only, both, *email_only])
    result = ppo("import", str(path), "-f", "json").json()
    assert (result["added"], result["clients_added"], result["bad"]) == (4, 1, [])
    clients = {(t["client"]["id"], t["client"]["phone"], t["client"]["email"]) for t in ppo.snapshot()}
    assert clients == {(1, "+7 912 345-67-89", "anna@example.ru")}


def test_a_connection_dropped_while_a_part_is_written_aside_is_one_line_and_nothing_written(
    tmp_path, make_ppo, monkeypatch, capsys
):
    """On PostgreSQL a part is written in a second thread while the next is decided: the
    server ending the session there is the command's one line and exit 1, as anywhere."""
    import threading

    import psycopg
    from backends import server

    from ppo_checklist import cli
    from ppo_checklist.store.postgresql import PostgresStore

    monkeypatch.setattr("ppo_checklist.importing.PART", 3)
    ppo = make_ppo(tmp_path, backend="postgresql")
    ppo.add("Вера Соколова", "22.11.2026", "22.11.2026", "29.11.2026")
    before = ppo.snapshot()
    rows = [
        [f"Клиент {i}", f"+7 912 000-00-{i:02}", "", "", "20.11.2026", "01.12.2026", "10.12.2026"] for i in range(9)
    ]
    path = excel_csv(tmp_path / "c.csv", [RU_HEADER, *rows])
    real = PostgresStore.add_trips_bulk
    threads = []

    def dropped(self, trips, steps):
        threads.append(threading.current_thread().name)
        if len(threads) == 2:
            with psycopg.connect(server(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (self.db.info.backend_pid,))
        return real(self, trips, steps)

    monkeypatch.setattr(PostgresStore, "add_trips_bulk", dropped)
    monkeypatch.setenv("PPO_DB", ppo.store)
    interval = sys.getswitchinterval()
    code = cli.run(["import", str(path)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "connection" in err and "Traceback" not in err
    assert threads and all(name.startswith("ppo-import-write") for name in threads)
    assert sys.getswitchinterval() == interval
    assert ppo.snapshot() == before
