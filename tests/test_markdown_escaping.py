"""Markdown for mail (`ppo today --format md`, the report's .md): whatever managers typed as a
name, a manager or a note stays text; no link, heading or extra list item can be made of it."""

from __future__ import annotations

import re

import pytest

EVIL = "[Click me](http://evil.example)"
TODAY = "30.11.2026"


@pytest.fixture
def hostile(ppo):
    ppo.add(f"Анна {EVIL}", "20.11.2026", "01.12.2026", "10.12.2026", "--manager", EVIL)
    ppo.add("Борис # 1. - *a*", "20.11.2026", "01.12.2026", "10.12.2026", "--manager", "Ivan")
    return ppo


def links(markdown: str) -> list[str]:
    """Inline links a renderer would make: `[text](target)` with neither bracket escaped."""
    return re.findall(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", markdown)


def test_names_and_managers_cannot_make_links(hostile):
    out = hostile("today", "--format", "md", "--date", TODAY).out
    assert links(out) == []
    assert EVIL not in out
    assert "\\[Click me\\]\\(http://evil.example\\)" in out  # shown as typed, as text


def test_the_text_lines_cannot_make_links(hostile):
    out = hostile("today", "--format", "md", "--text", "--date", TODAY).out
    assert "> " in out  # the texts are there
    assert links(out) == []


def test_a_newline_in_any_field_cannot_start_a_list_item_or_heading(capsys):
    """ppo refuses control characters in names; a note or a text may still hold a newline."""
    from ppo_checklist.output import render

    typed = "перезвонить\n- **injected** item\n# heading\n1. step"
    render.emit_md_table([{"client": typed, "note": typed}], ["client", "note"])
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 3 and all(line.startswith("|") for line in table)
    line = render._md(typed)
    assert "\n" not in line and "**" not in line and "\\# heading" in line
    assert render._md("- item", line_start=True).startswith("\\-")
    assert render._md("1. step", line_start=True).startswith("\\1")


def test_headings_and_items_come_from_ppo_only(hostile):
    out = hostile("today", "--format", "md", "--text", "--date", TODAY).out
    items = [line for line in out.splitlines() if line.startswith("- ")]
    assert items and all(line.startswith("- **") for line in items)
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert len(headings) == 1 + 2  # the title and one per manager


def test_the_reports_markdown_is_escaped_as_well(hostile, tmp_path):
    hostile("report", "--out", str(tmp_path), "--date", TODAY)
    text = (tmp_path / "ppo-2026-11-30.md").read_text(encoding="utf-8")
    assert links(text) == [] and EVIL not in text


def test_md_tables_keep_one_row_per_record(hostile):
    out = hostile("list", "--format", "md", "--date", TODAY).out
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 2  # header, rule, two trips
    assert links(out) == []
