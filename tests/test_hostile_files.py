"""Files made to hurt: `ppo import` and `ppo sync` refuse them quickly, in one line (exit 2),
before they can make ppo hold more than ~300 MB. Peak memory is measured on a real process."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PPO = str(Path(sys.executable).parent / "ppo")
BUDGET_MB = 300
OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER = ["name", "phone", "email", "manager", "purchase", "departure", "return"]

CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{OOXML}.sharedStrings+xml"/>
</Types>"""
RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Clients" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


def xlsx(path: Path, sheet_rows: str, dimension: str = "A1:G2", shared: str = "") -> Path:
    """A workbook written by hand, as an attacker would: every part of it chosen."""
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {MAIN}><dimension ref="{dimension}"/><sheetData>'
    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADER))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/sharedStrings.xml", shared or f'<?xml version="1.0"?><sst {MAIN} count="0"/>')
        book.writestr(
            "xl/worksheets/sheet1.xml", f'{sheet}<row r="1">{header}</row>{sheet_rows}</sheetData></worksheet>'
        )
    return path


def wide_rows(n: int) -> str:
    """Rows each with one cell in the last column, under a dimension of 16 384 columns."""
    return "".join(f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>' for r in range(2, n + 2))


def many_shared_strings(megabytes: int) -> str:
    """Shared strings that compress like real names (no zip bomb), read whole by openpyxl."""
    rng = random.Random(14)
    words = ["".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(50_000)]
    count = megabytes * 1024**2 // 24
    items = "".join(f"<si><t>{words[i % len(words)]}</t></si>" for i in range(count))
    return f'<?xml version="1.0"?><sst {MAIN} count="{count}" uniqueCount="{count}">{items}</sst>'


def measured(*args: str, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    """Runs ppo in a child of a small wrapper that reports the child's peak RSS (MB); the
    address space is capped at 2 GB so that a regression fails the test, not the machine."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "def cap(): resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=cap, timeout=120)\n"
        "sys.stdout.write(str(p.returncode) + '\\n' + str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        " + '\\n' + p.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, PPO, *args], capture_output=True, text=True, env=env)
    code, rss, err = proc.stdout.split("\n", 2)
    return subprocess.CompletedProcess(args, int(code), "", err), int(rss) / 1024


@pytest.fixture
def env(tmp_path):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PPO_")},
        "PPO_DB": str(tmp_path / "store.sqlite3"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def assert_refused_in_one_line(result, rss: float, says: str) -> None:
    """Refused in one line within the memory budget (how long it took is benchmarks/' business)."""
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr, result.stderr
    assert rss < BUDGET_MB, f"peak {rss:.0f} MB"


def test_import_of_a_sheet_declaring_every_column_reads_only_the_headers_width(tmp_path, env):
    book = xlsx(tmp_path / "wide.xlsx", wide_rows(20_000), dimension="A1:XFD20001")
    result, rss = measured("import", str(book), "--dry-run", env=env)
    print(f"wide sheet import: {rss:.0f} MB peak")
    # the rows are blank within the header's width: nothing to import, and quickly so
    assert result.returncode == 0, result.stderr
    assert rss < BUDGET_MB


@pytest.mark.parametrize("command", ["import", "sync"])
def test_shared_strings_read_whole_are_bounded(tmp_path, env, command):
    book = xlsx(tmp_path / "strings.xlsx", "", shared=many_shared_strings(48))
    result, rss = measured(command, str(book), env=env)
    print(f"{command} of 48 MB of shared strings: {rss:.0f} MB peak")
    assert_refused_in_one_line(result, rss, "sharedStrings.xml would unpack to")


def test_import_of_too_many_cells_is_refused(tmp_path, env):
    cells = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{chr(65 + i)}{r}"><v>{r}</v></c>' for i in range(len(HEADER))) + "</row>"
        for r in range(2, 300_002)
    )
    book = xlsx(tmp_path / "cells.xlsx", cells, dimension="A1:G300001")
    result, rss = measured("import", str(book), "--dry-run", env=env)
    print(f"import of 2.1 M cells: {rss:.0f} MB peak")
    assert_refused_in_one_line(result, rss, "more than 2,000,000 cells")


def test_import_of_hostile_xml_says_one_line(tmp_path, env):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<sst {MAIN} count="1"><si><t>&b;</t></si></sst>'
    )
    book = xlsx(tmp_path / "laughs.xlsx", "", shared=laughs)
    result, rss = measured("import", str(book), env=env)
    assert_refused_in_one_line(result, rss, "hostile XML")


def test_a_24_mb_one_row_csv_is_refused_at_its_row_within_100_mb(tmp_path, env):
    hostile = tmp_path / "hostile.csv"
    with hostile.open("w", encoding="utf-8") as handle:
        handle.write("name,phone,purchase,departure,return\n")
        for _mb in range(24):
            handle.write("x" * 1024**2)
        handle.write(",+79160000000,01.12.2026,10.12.2026,20.12.2026\n")
    result, rss = measured("import", str(hostile), env=env)
    print(f"import of a 24 MB one-row csv: {rss:.0f} MB peak")
    assert_refused_in_one_line(result, rss, "line 2: refused: a row of more than 1,048,576 characters")
    assert rss < 100, f"peak {rss:.0f} MB"


def test_a_row_of_many_quoted_lines_is_refused_at_the_row_bound(ppo, tmp_path):
    """Each cell short and each line short, the row itself endless: a quote on every line."""
    path = tmp_path / "lines.csv"
    path.write_text(",".join(HEADER) + ",note\n" + "Анна,,,Olga,20.11.2026,01.12.2026,10.12.2026," + '"\n",' * 600_000)
    result = ppo("import", str(path), check=False)
    assert result.code == 2 and result.out == "", result.err
    assert result.err.strip().splitlines() == [
        f"ppo: {path}: line 2: refused: a row of more than 1,048,576 characters; "
        "a client's row is far shorter (a quote left open?)"
    ]
    assert ppo.snapshot() == []


def test_a_cell_longer_than_the_csv_field_limit_is_refused_naming_its_line(ppo, tmp_path):
    path = tmp_path / "cell.csv"
    anna = "Анна,+7 912 345-67-89,,Olga,20.11.2026,01.12.2026,10.12.2026"
    path.write_text(",".join(HEADER) + ",note\n" + anna + ",short\n" + anna + ',"' + "y" * 200_000 + '"\n')
    result = ppo("import", str(path), check=False)
    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == [f"ppo: {path}: line 3: refused: a cell of more than 131,072 characters"]
    assert ppo.snapshot() == []


def test_more_rows_than_the_row_bound_are_refused_and_nothing_is_written(ppo, tmp_path, monkeypatch):
    from ppo_checklist import importing

    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = [f"Клиент {n},,,Olga,20.11.2026,01.12.2026,10.12.2026" for n in range(4)]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join([",".join(HEADER), *rows[:3]]) + "\n")
    assert ppo("import", str(path)).code == 0  # exactly the bound: taken
    path.write_text("\n".join([",".join(HEADER), *rows]) + "\n")
    result = ppo("import", str(path), check=False)
    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == [f"ppo: {path}: refused: more than 3 rows; split the file"]
    assert len(ppo.snapshot()) == 3  # the first import's, nothing of the second


def test_a_csv_bigger_than_24_mb_of_long_notes_imports_whole(ppo, tmp_path):
    """No bound on the file's size: 250 rows, each with a note of 100 000 characters."""
    path = tmp_path / "notes.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + ",note\n")
        for n in range(250):
            handle.write(f"Клиент {n},,,Olga,20.11.2026,01.12.2026,10.12.2026,{'заметка ' * 12_500}\n")
    assert path.stat().st_size > 24 * 1024**2
    result = ppo("import", str(path))
    assert result.out.strip() == f"{path}: 250 trips added, 0 already there"
    trips = ppo.snapshot()
    assert len(trips) == 250 and {len(t["note"]) for t in trips} == {len("заметка " * 12_500) - 1}


@pytest.mark.parametrize("target", ["folder", "/dev/zero"])
def test_import_of_what_is_not_a_file_says_what_it_is(ppo, tmp_path, target):
    path = tmp_path if target == "folder" else Path(target)
    result = ppo("import", str(path), check=False)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "no such file" not in result.err
    assert ("is a folder" if target == "folder" else "not a regular file") in result.err


def test_import_of_a_wrong_header_above_a_far_cell_is_refused_before_the_rows(tmp_path, env):
    """A 5 KB book: a header ppo does not know, one cell in Excel's last row and column."""
    book = xlsx(
        tmp_path / "far.xlsx",
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        dimension="A1:XFD1048576",
    )
    with zipfile.ZipFile(book) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode().replace("<t>manager</t>", "<t>кто ведёт</t>")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in ((n, d) for n, d in _parts(sheet)):
            archive.writestr(name, data)
    result, rss = measured("import", str(book), "--dry-run", env=env)
    assert_refused_in_one_line(result, rss, "кто ведёт")


def _parts(sheet: str) -> list[tuple[str, str]]:
    return [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {MAIN} count="0"/>'),
        ("xl/worksheets/sheet1.xml", sheet),
    ]


def test_import_of_too_many_cells_under_a_small_dimension_is_refused_as_counted(tmp_path, env):
    cells = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{chr(65 + i)}{r}"><v>{r}</v></c>' for i in range(len(HEADER))) + "</row>"
        for r in range(2, 300_002)
    )
    book = xlsx(tmp_path / "cells.xlsx", cells, dimension="A1:G2")  # the dimension lies
    result, rss = measured("import", str(book), "--dry-run", env=env)
    assert_refused_in_one_line(result, rss, "more than 2,000,000 cells")
