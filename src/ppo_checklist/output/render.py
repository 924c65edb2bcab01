"""How things look: rich tables for people, json/csv/md for machines and mail.

The pieces: records, column lists, tables and Markdown. Which of them a command prints is
decided once, by `--format` (`formatters`), and by whether stdout is a terminal (`screen`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import textwrap
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.core import schedule, sms_segments, words
from ppo_checklist.core.consent import VIA_NAMES
from ppo_checklist.core.model import CLOSED_STATUSES, LAPSED, Action, Message, Trip
from ppo_checklist.core.playbooks import Playbook
from ppo_checklist.core.schedule import anchor_word, when_words
from ppo_checklist.core.words import (  # noqa: F401 (the names render prints with)
    CHANNEL_NAMES,
    FORMULA_STARTS,
    MESSAGE_STATES,
    STATUS_NAMES,
    channel_name,
    note_shown,
    status_name,
    step_named,
)
from ppo_checklist.i18n import _, ngettext
from ppo_checklist.output.screen import Screen, narrow, painted, screen

if TYPE_CHECKING:  # `ppo today` never loads the outbox
    from ppo_checklist.sending.outbox import SendReport


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- records as plain dicts (json, csv) --------------------------------------------------


def action_record(action: Action, text: str | None = None) -> dict[str, Any]:
    row = action.row
    record = {
        "trip_id": row.trip_id,
        "client": row.client,
        "phone": row.phone or "",
        "email": row.email or "",
        "opted_out": row.opted_out,
        "manager": row.manager,
        "playbook": row.playbook,
        "step_no": row.step_no,
        "step_id": row.step_id,
        "step": row.title,
        "channel": row.channel,
        "due": row.due.isoformat(),
        "status": action.status,
        "days_late": action.days_late,
    }
    if text is not None:
        record["text"] = text
    return record


def trip_record(
    trip: Trip, today: dt.date, moves: Mapping[int, schedule.Move] | None = None, unconsented: Collection[int] = ()
) -> dict[str, Any]:
    """A trip as json has it; `moves`: the steps moved off a day off (`schedule.moves`);
    `unconsented`: the steps whose advertising the client has not consented to (no_consent)."""
    moves = moves or {}
    return {
        "trip_id": trip.id,
        "client": {
            "id": trip.client.id,
            "name": trip.client.name,
            "phone": trip.client.phone or "",
            "email": trip.client.email or "",
            "opted_out": trip.opted_out,
            "birthday": trip.client.birthday.isoformat() if trip.client.birthday else None,
            "passport_expires": trip.client.passport_expires.isoformat() if trip.client.passport_expires else None,
        },
        "manager": trip.manager,
        "playbook": trip.playbook,
        "status": trip.status,
        "dates": {name: day.isoformat() for name, day in trip.dates.items()},
        "note": trip.note or "",
        "cancelled_on": trip.cancelled_on.isoformat() if trip.cancelled_on else None,
        "cancel_reason": trip.cancel_reason or "",
        "steps": [
            {
                "no": step.no,
                "id": step.id,
                "title": step.title,
                "channel": step.channel,
                "due": step.due.isoformat(),
                "status": trip.step_status(step, today, step.no in unconsented),
                "done_on": step.done_on.isoformat() if step.done_on else None,
                "note": note_shown(step.note),
                "moved_from": moves[step.no].planned.isoformat() if step.no in moves else None,
                "day_off": moves[step.no].why_en if step.no in moves else "",  # json: one language
                "lapses_on": step.lapses_on.isoformat() if step.lapses_on else None,
                "skipped_on": step.skipped_on.isoformat() if step.skipped_on else None,
                "skip_reason": step.skip_reason or "",
            }
            for step in trip.steps
        ],
    }


TRIP_STEP_COLUMNS = [
    "trip_id",
    "client",
    "no",
    "id",
    "title",
    "channel",
    "due",
    "status",
    "done_on",
    "note",
    "moved_from",
    "day_off",
    "lapses_on",
    "skipped_on",
    "skip_reason",
]


def trip_step_rows(
    trip: Trip, today: dt.date, moves: Mapping[int, schedule.Move] | None = None, unconsented: Collection[int] = ()
) -> list[dict[str, Any]]:
    """A trip's steps as rows (csv, md), each naming its trip and client."""
    steps = trip_record(trip, today, moves, unconsented)["steps"]
    return [{"trip_id": trip.id, "client": trip.client.name, **step} for step in steps]


def trip_summary(trip: Trip, today: dt.date) -> dict[str, Any]:
    statuses = [trip.step_status(s, today) for s in trip.steps]
    upcoming = [s for s, st in zip(trip.steps, statuses) if st not in CLOSED_STATUSES]
    nxt = upcoming[0] if upcoming else None
    return {
        "trip_id": trip.id,
        "client": trip.client.name,
        "phone": trip.client.phone or "",
        "opted_out": trip.opted_out,
        "manager": trip.manager,
        "playbook": trip.playbook,
        "status": trip.status,
        "steps": len(trip.steps),
        "done": statuses.count(schedule.DONE),
        "overdue": statuses.count(schedule.OVERDUE),
        "due": statuses.count(schedule.DUE),
        "lapsed": statuses.count(LAPSED),
        "next_step": nxt.id if nxt and trip.is_open else "",
        "next_due": nxt.due.isoformat() if nxt and trip.is_open else "",
        "next_title": f"{nxt.no}. {nxt.title}" if nxt and trip.is_open else "",  # as people read it
    }


def emit_json(data: Any) -> None:
    sys.stdout.write(_json_text(data) + "\n")


def _json_text(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=2)`, the same text, written faster for
    a list of flat records (`ppo today`'s 600-900 actions at 100 000 trips): with `indent`,
    json uses its pure-Python encoder (~3x slower), so here each record is a template of its
    keys, filled with its values quoted by json's own C function (~40 % less than encoding
    each record with the C encoder after checking that it is flat). Anything else (a nested
    value, a float) is left to json."""
    import json  # here, not at the top: a table (`ppo today` in a terminal) needs no json (~1.2 ms)

    if isinstance(data, list) and data:
        try:
            return _records_json(data)
        except _NotFlat:
            pass
    return json.dumps(data, ensure_ascii=False, indent=2)


class _NotFlat(Exception):
    pass


def _records_json(records: list[Any]) -> str:
    from json.encoder import encode_basestring as quoted  # what json.dumps quotes with (ensure_ascii=False)

    templates: dict[tuple, str] = {}
    parts = []
    for record in records:
        if record.__class__ is not dict or not record:
            raise _NotFlat
        keys = tuple(record)
        template = templates.get(keys)
        if template is None:
            if not all(key.__class__ is str for key in keys):
                raise _NotFlat
            fields = ",\n".join(f"    {quoted(key).replace('%', '%%')}: %s" for key in keys)
            template = templates[keys] = "  {\n" + fields + "\n  }"
        parts.append(template % tuple([quoted(v) if v.__class__ is str else _scalar_json(v) for v in record.values()]))
    return "[\n" + ",\n".join(parts) + "\n]"


def _scalar_json(value: Any) -> str:
    kind = value.__class__
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    raise _NotFlat


def emit_csv(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    import csv  # here, not at the top: only `--format csv` writes csv (~0.6 ms)

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: safe_cell(value) for key, value in record.items()})
    sys.stdout.write(buffer.getvalue())


def emit_md_table(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A Markdown table (for mail and wikis); cell text is escaped, newlines become spaces."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return _md(" ".join(text.split()))

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(record.get(c)) for c in columns) + " |" for record in records]
    sys.stdout.write("\n".join(lines) + "\n")


ACTION_COLUMNS = [
    "trip_id",
    "client",
    "phone",
    "email",
    "opted_out",
    "manager",
    "playbook",
    "step_no",
    "step_id",
    "step",
    "channel",
    "due",
    "status",
    "days_late",
]


# --- for people ---------------------------------------------------------------------------


def _late(action: Action) -> str:
    if action.status == schedule.OVERDUE:
        return _("overdue {n} d").format(n=action.days_late)
    if action.status == schedule.DUE:
        return _("today")
    return _("upcoming")


def count_line(actions: Sequence[Action]) -> str:
    overdue = sum(1 for a in actions if a.status == schedule.OVERDUE)
    due = sum(1 for a in actions if a.status == schedule.DUE)
    later = len(actions) - overdue - due
    parts = [ngettext("{n} action", "{n} actions", len(actions)).format(n=len(actions))]
    if overdue:
        parts.append(_("{n} overdue").format(n=overdue))
    if due:
        parts.append(_("{n} due today").format(n=due))
    if later:
        parts.append(_("{n} upcoming").format(n=later))
    return parts[0] + (": " + ", ".join(parts[1:]) if len(parts) > 1 else "")


def by_manager(actions: Sequence[Action]) -> dict[str, list[Action]]:
    groups: dict[str, list[Action]] = {}
    for action in actions:
        groups.setdefault(action.row.manager, []).append(action)
    return dict(sorted(groups.items(), key=lambda item: item[0].casefold()))


def actions_table(
    actions: Sequence[Action], date_format: str, texts: Mapping[int, str] | None = None, title: str = ""
) -> None:
    out = screen()
    if title:
        out.print(title, style="bold")
    if not actions:
        out.print(_("Nothing to do."))
        return
    columns = (_("Trip"), _("Client"), _("Phone"), _("Step"), _("Channel"), _("Due"), _("Status"))
    # Hundreds of rows share a few days, channels and statuses: each is written once.
    days: dict[dt.date, str] = {}
    channels: dict[str, str] = {}
    lateness: dict[tuple[str, int], str] = {}
    for manager, group in by_manager(actions).items():
        rows, styles, notes = [], [], []
        for action in group:
            row = action.row
            due = days.get(row.due)
            if due is None:
                due = days[row.due] = row.due.strftime(date_format)
            channel = channels.get(row.channel)
            if channel is None:
                channel = channels[row.channel] = channel_name(row.channel)
            late = lateness.get((action.status, action.days_late))
            if late is None:
                late = lateness[(action.status, action.days_late)] = _late(action)
            rows.append(
                (
                    str(row.trip_id),
                    row.client,
                    row.phone or row.email or "",
                    f"{row.step_no} · {row.title}",
                    channel,
                    due,
                    late,
                )
            )
            styles.append(_ROW_STYLES.get(action.status, ""))
            notes.append(texts.get(id(action), "") if texts else "")
        table(out, columns, rows, manager or _("(no manager)"), styles, notes)
    out.print(count_line(actions))


_ROW_STYLES = {"overdue": "red", "due": "yellow"}  # an action's row on a colour terminal


def table(
    out: Screen,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str = "",
    styles: Sequence[str] | None = None,
    notes: Sequence[str] | None = None,
) -> None:
    """The one table writer: `grid` draws it (colours only on a colour terminal); rich only
    where a cell holds characters wider than one column, which rich measures."""
    painted = (styles or [""] * len(rows)) if out.colour else None
    drawn = grid(columns, rows, out.width, title, painted, notes)
    if drawn is not None:
        out.file.write(drawn)
        return
    from rich.table import Table  # only when a cell is too wide to draw by hand

    drawing = Table(title=title or None, title_justify="left", title_style="bold")
    for column in columns:
        drawing.add_column(column, overflow="fold")  # wrapped, never cut with "…"
    for index, cells in enumerate(rows):
        drawing.add_row(*cells, style=styles[index] if styles else None)
        note = notes[index] if notes else ""
        if note:
            drawing.add_row(*(note if n == min(3, len(columns) - 1) else "" for n in range(len(columns))), style="dim")
    out.print(drawing)


def grid(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    title: str = "",
    styles: Sequence[str] | None = None,
    notes: Sequence[str] | None = None,
) -> str | None:
    """The table in rich's box style (box, header, title), laid out here: ~1 s of rich's
    measuring for the 900 rows of `ppo today` at 100 000 trips becomes a few ms, in a terminal
    too. When every cell fits on one line it is, character for character, what rich draws
    (tests/test_tables.py holds it); when not, it wraps its own way, cutting nothing.

    Nothing is ever cut: when the columns do not fit in `width`, the widest give way and their
    cells wrap on word boundaries (a word longer than its column folds). A row's note (a step's
    text) goes below it across the whole table, wrapped the same way. `styles` (one per row:
    red, yellow or "") colours the rows, for a terminal; None writes no escape codes. None when
    a cell holds characters wider than one column (rich measures those)."""
    cells = [list(columns), *rows]
    if not narrow("".join(cell for row in cells for cell in row), "".join(notes or ())):
        return None
    count = len(columns)
    if all(len(row) == count for row in cells):
        natural = [max(map(len, column)) for column in zip(*cells)]
    else:
        natural = [max(len(row[i]) for row in cells) for i in range(count)]
    widths = _fit(natural, cells, max(width - (3 * count + 1), count))
    inner = sum(widths) + 3 * (count - 1)

    wrapped_before: dict[tuple[str, int], list[str]] = {}  # step titles, dates, statuses repeat

    def wrap(text: str, size: int) -> list[str]:
        if len(text) <= size and "\n" not in text:
            return [text]
        lines = wrapped_before.get((text, size))
        if lines is None:
            lines = wrapped_before[(text, size)] = []
            for paragraph in text.split("\n"):
                lines += textwrap.wrap(paragraph, size, break_long_words=True, break_on_hyphens=False) or [""]
        return lines

    def paint(text: str, style: str) -> str:
        return painted(text, style) if style and styles is not None else text

    # A row of cells that fit on one line (most rows) is one `str.format` of its bar and style's
    # template (`{i:<w}` pads as `ljust(w)` does): ~2 ms less than cell by cell for 900 rows.
    # Cells hold no line break (`narrow`: printable), so a cell fits unless its column was
    # narrowed below its natural width.
    templated = min(widths) > 0
    narrowed = [i for i in range(count) if widths[i] < natural[i]]  # only there may a cell not fit
    templates: dict[tuple[str, str], str] = {}

    def one_line(row: Sequence[str], bar: str, style: str) -> str:
        template = templates.get((bar, style))
        if template is None:
            fields = (" " + paint(f"{{{i}:<{w}}}", style) + " " for i, w in enumerate(widths))
            template = templates[(bar, style)] = bar + bar.join(fields) + bar
        return template.format(*row)

    # A row whose cells fold: its first line is the template filled with the row, each folded
    # cell by its first piece; its other lines hold only the folded cells' pieces, so rows that
    # fold the same texts (a step title on a narrow terminal: hundreds of rows) share them.
    continued: dict[tuple, tuple[list[str], list[str]]] = {}

    def folded_lines(row: Sequence[str], folds: tuple[int, ...], bar: str, style: str) -> list[str]:
        key = (folds, *(row[i] for i in folds), bar, style)
        known = continued.get(key)
        if known is None:
            pieces = [wrap(row[i], widths[i]) for i in folds]
            rest = []
            for n in range(1, max(map(len, pieces))):
                cells = [""] * count
                for i, lines in zip(folds, pieces):
                    cells[i] = lines[n] if n < len(lines) else ""
                rest.append(one_line(cells, bar, style))
            known = continued[key] = ([lines[0] for lines in pieces], rest)
        first = list(row)
        for i, piece in zip(folds, known[0]):
            first[i] = piece
        return [one_line(first, bar, style), *known[1]]

    def cells_lines(row: Sequence[str], bar: str, style: str = "") -> list[str]:
        if templated and len(row) == count:
            # Only a cell longer than its narrowed column wraps (every piece fits its width).
            folds = tuple(i for i in narrowed if len(row[i]) > widths[i])
            if not folds:
                return [one_line(row, bar, style)]
            return folded_lines(row, folds, bar, style)
        if all(len(cell) <= w and "\n" not in cell for cell, w in zip(row, widths)):  # one line: most rows
            return [bar + bar.join(" " + paint(cell.ljust(w), style) + " " for cell, w in zip(row, widths)) + bar]
        wrapped = [wrap(cell, w) for cell, w in zip(row, widths)]
        height = max(len(lines) for lines in wrapped)
        out = []
        for n in range(height):
            parts = []
            for lines, w in zip(wrapped, widths):
                text = lines[n] if n < len(lines) else ""
                parts.append(" " + paint(text + " " * (w - len(text)), style) + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    def line(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right

    total = inner + 4
    lines = []
    if title:
        lines += [paint(t + " " * (total - len(t)) if len(t) < total else t, "bold") for t in wrap(title, total)]
    lines.append(line("┏", "━", "┳", "┓"))
    lines += cells_lines(columns, "┃", "bold")
    lines.append(line("┡", "━", "╇", "┩"))
    for index, row in enumerate(rows):
        lines += cells_lines(row, "│", styles[index] if styles else "")
        note = notes[index] if notes else ""
        if note:
            for text in wrap(note, inner):
                lines.append("│ " + paint(text + " " * (inner - len(text)), "dim") + " │")
    lines.append(line("└", "─", "┴", "┘"))
    return "\n".join(lines) + "\n"


def _fit(natural: list[int], cells: Sequence[Sequence[str]], budget: int) -> list[int]:
    """Column widths within `budget`: the widest column gives way first, down to its longest
    word; only when every column is at its longest word do words fold."""
    widths = list(natural)
    if sum(widths) <= budget:
        return widths
    words = [max(map(len, " ".join(row[i] for row in cells).split()), default=1) for i in range(len(natural))]
    floors = [min(n, max(w, 1)) for n, w in zip(natural, words)]
    for floor_of in (floors, [1] * len(widths)):
        while sum(widths) > budget:
            slack = [(w - f, i) for i, (w, f) in enumerate(zip(widths, floor_of)) if w > f]
            if not slack:
                break
            widest = max(slack, key=lambda item: (widths[item[1]], item[0]))[1]
            widths[widest] -= 1
    return widths


def agenda_heading(day: dt.date, date_format: str) -> str:
    """The title of the day's actions, the same for `ppo today` and the daily report."""
    return _("ppo: actions for {day}").format(day=day.strftime(date_format))


def actions_markdown(
    actions: Sequence[Action], date_format: str, heading: str, texts: Mapping[int, str] | None = None
) -> str:
    """The day's actions grouped by manager, overdue first, with counts (for mail)."""
    lines = [f"# {heading}", "", count_line(actions), ""]
    for manager, group in by_manager(actions).items():
        lines.append(f"## {_md(manager) if manager else _('(no manager)')} ({len(group)})")
        lines.append("")
        for action in group:
            row = action.row
            contact = row.phone or row.email or ""
            status = _late(action)
            lines.append(
                f"- **{status}** · {row.due.strftime(date_format)} · {_md(row.client)}"
                f"{' · ' + _md(contact) if contact else ''} · "
                + _("trip {t}, step {n} {title} ({channel})").format(
                    t=row.trip_id, n=row.step_no, title=_md(row.title), channel=channel_name(row.channel)
                )
            )
            if texts and texts.get(id(action)):
                lines.extend(
                    "  > " + _md(line, line_start=True) for line in texts[id(action)].splitlines() if line.strip()
                )
        lines.append("")
    if not actions:
        lines.append(_("Nothing to do."))
        lines.append("")
    return "\n".join(lines)


_ORDERED = re.compile(r"\d+[.)]")
MD_SPECIAL = frozenset("\\`*_[]()<>#|!~")


def _md(text: str, line_start: bool = False) -> str:
    """Text from the store as plain text in Markdown: no link, emphasis, heading or table
    cell can be made of it (`[x](http://…)` stays text), and a newline typed in a name or a
    note is a space, so it cannot end a list item or a table row."""
    text = "".join("\\" + ch if ch in MD_SPECIAL else ch for ch in " ".join(text.split()))
    if line_start and (text[:1] in ("-", "+", "=") or _ORDERED.match(text)):
        text = "\\" + text  # a list marker, a setext underline or "1." at a line's start
    return text


md_text = _md  # for the report's own lines


def trip_table(
    trip: Trip,
    today: dt.date,
    date_format: str,
    moves: Mapping[int, schedule.Move] | None = None,
    unconsented: Collection[int] = (),
) -> None:
    out = screen()
    moves_ = moves or {}
    record = trip_record(trip, today, moves, unconsented)
    contact = ", ".join(x for x in (trip.client.phone, trip.client.email) if x)
    head = _("Trip {id} · {name}").format(id=trip.id, name=trip.client.name)
    out.print(head + (f" · {contact}" if contact else ""), style="bold")
    dates = ", ".join(f"{anchor_word(name)} {day.strftime(date_format)}" for name, day in trip.dates.items())
    status = status_name(trip.status)
    line = _("playbook {pb} · manager {m}").format(pb=trip.playbook, m=trip.manager or "—")
    out.print(f"{line} · {dates} · {status}")
    if trip.cancelled_on:
        reason = f": {trip.cancel_reason}" if trip.cancel_reason else ""
        out.print(_("cancelled on {day}").format(day=trip.cancelled_on.strftime(date_format)) + reason)
    if trip.note:
        out.print(_("note: {note}").format(note=trip.note))
    personal = []
    if trip.client.birthday:
        personal.append(_("birthday {day}").format(day=trip.client.birthday.strftime(date_format)))
    if trip.client.passport_expires:
        personal.append(_("passport valid until {day}").format(day=trip.client.passport_expires.strftime(date_format)))
    if personal:
        out.print(" · ".join(personal))
    columns = (_("No"), _("Step"), _("Channel"), _("Due"), _("Status"), _("Done on"), _("Note"))
    rows, styles = [], []
    for step in record["steps"]:
        style = {"overdue": "red", "due": "yellow", "done": "green"}.get(step["status"], "dim")
        if step["status"] == "pending":
            style = ""
        rows.append(
            (
                str(step["no"]),
                f"{step['id']} · {step['title']}",
                channel_name(step["channel"]),
                dt.date.fromisoformat(step["due"]).strftime(date_format),
                status_name(step["status"]),
                dt.date.fromisoformat(step["done_on"]).strftime(date_format) if step["done_on"] else "",
                step["note"],
            )
        )
        styles.append(style)
    table(out, columns, rows, styles=styles)
    for step in trip.steps:
        if step.no in moves_ and step.done_on is None:
            out.print(moved_line(step.no, step.title, step.due, moves_[step.no], date_format))


def moved_line(no: int, title: str, due: dt.date, move: schedule.Move, date_format: str) -> str:
    """ "step «1. Remind of the flight» moved from 01.01.2027 to 30.12.2026: New Year holidays" """
    message = _("step {step} moved from {planned} to {due}: {why}")
    return message.format(
        step=step_named(no, title),
        planned=move.planned.strftime(date_format),
        due=due.strftime(date_format),
        why=move.why,
    )


def trips_table(summaries: Sequence[dict[str, Any]], date_format: str) -> None:
    out = screen()
    if not summaries:
        out.print(_("No trips."))
        return
    columns = (_("Trip"), _("Client"), _("Phone"), _("Manager"), _("Playbook"), _("Status"), _("Done"), _("Overdue"))
    rows, styles = [], []
    for s in summaries:
        when = dt.date.fromisoformat(s["next_due"]).strftime(date_format) if s["next_due"] else ""
        nxt = f"{s.get('next_title') or s['next_step']}, {when}" if when else ""
        styles.append("red" if s["overdue"] else ("yellow" if s["due"] else ""))
        rows.append(
            (
                str(s["trip_id"]),
                s["client"],
                s["phone"],
                s["manager"],
                s["playbook"],
                status_name(s["status"]),
                f"{s['done']}/{s['steps']}",
                str(s["overdue"] or ""),
                nxt,
            )
        )
    table(out, (*columns, _("Next step")), rows, styles=styles)
    out.print(ngettext("{n} trip", "{n} trips", len(summaries)).format(n=len(summaries)))


def playbooks_table(playbooks: Mapping[str, Playbook]) -> None:
    from rich.table import Table  # rich's tables (~18 ms) only where rich draws one, never for `today`

    out = screen()
    for playbook in playbooks.values():
        anchors = playbook.dates + playbook.optional_dates
        table = Table(
            title=f"{playbook.id} · {playbook.title}",
            title_justify="left",
            title_style="bold",
            caption=_("dates: {dates}").format(dates=", ".join(map(anchor_word, anchors))) + f"\n{playbook.source}",
            caption_justify="left",
        )
        for column in (_("No"), _("Id"), _("Step"), _("Channel"), _("When"), _("SMS")):
            table.add_column(column, overflow="fold")  # wrapped, never cut with "…"
        for step in playbook.steps:
            segments = sms_segments.of_step(step)
            cost = ""
            if segments is not None:
                alone = sms_segments.LIMITS[segments.encoding][0]
                cost = _("{n} × SMS ({length}/{alone})").format(n=segments.sms, length=segments.length, alone=alone)
            table.add_row(
                str(step.no),
                step.id,
                step.title,
                channel_name(step.channel),
                when_words(step.anchor, step.offset),
                cost,
                style="red" if segments is not None and segments.sms > 1 else "",
            )
        out.print(table)


def playbook_records(playbooks: Mapping[str, Playbook]) -> list[dict[str, Any]]:
    return [
        {
            "id": pb.id,
            "title": pb.title,
            "name": pb.name,
            "dates": list(pb.dates),
            "optional_dates": list(pb.optional_dates),
            "source": pb.source,
            "steps": [
                {
                    "no": s.no,
                    "id": s.id,
                    "title": s.title,
                    "channel": s.channel,
                    "anchor": s.anchor,
                    "offset": s.offset.text,
                    "lapses": s.lapses.text if s.lapses else "",
                    "text": s.text,
                    **_segments_record(s),
                }
                for s in pb.steps
            ],
        }
        for pb in playbooks.values()
    ]


PLAYBOOK_STEP_COLUMNS = [
    "playbook", "no", "id", "title", "channel", "anchor", "offset", "lapses", "text", "sms_segments", "sms_length",
]  # fmt: skip


def _segments_record(step) -> dict[str, Any]:
    """An SMS step's cost: how many SMS its text goes as, and its length (typical names)."""
    segments = sms_segments.of_step(step)
    return {
        "sms_segments": segments.sms if segments else None,
        "sms_length": segments.length if segments else None,
    }


def playbook_step_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of `playbook_records` as rows (csv, md), each naming its playbook."""
    return [{"playbook": pb["id"], **step} for pb in records for step in pb["steps"]]


# --- the director's figures (ppo stats) ---------------------------------------------------

STATS_COLUMNS = [
    "due",
    "on_time",
    "late",
    "overdue",
    "lapsed",
    "missed",
    "pending",
    "skipped",
    "opted_out",
    "on_time_rate",
]
# The clients' verdict (`ppo feedback`) per manager: answers, and the share satisfied per aspect.
SATISFACTION_COLUMNS = ["answers", "tour_satisfied_share", "service_satisfied_share"]
# came_due (the steps whose day has come: what the rate is over) came last, then no_consent (ads
# not sent for want of consent): columns are only added.
STATS_CSV_COLUMNS = [
    "period_from", "period_to", "as_of", "scope", "manager", *STATS_COLUMNS, *SATISFACTION_COLUMNS, "came_due",
    "no_consent",
]  # fmt: skip


def percent(rate: float | None) -> str:
    return words.percent(rate)


def stats_heading(record: dict[str, Any], date_format: str) -> str:
    def shown(iso: str) -> str:
        return dt.date.fromisoformat(iso).strftime(date_format)

    period = record["period"]
    return _("ppo: figures for {a} – {b} (as of {day})").format(
        a=shown(period["from"]), b=shown(period["to"]), day=shown(record["as_of"])
    )


def stats_csv_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per manager and a last row with scope `total`."""
    common = {
        "period_from": record["period"]["from"],
        "period_to": record["period"]["to"],
        "as_of": record["as_of"],
    }
    rows = [{**common, "scope": "manager", **row, **_satisfaction_flat(row)} for row in record["managers"]]
    rows.append({**common, "scope": "total", "manager": "", **record["total"], **_satisfaction_flat(record["total"])})
    return rows


def _satisfaction_flat(row: dict[str, Any]) -> dict[str, Any]:
    answers = row["satisfaction"]
    return {
        "answers": answers["answers"],
        "tour_satisfied_share": answers["tour"]["satisfied_share"],
        "service_satisfied_share": answers["service"]["satisfied_share"],
    }


def _satisfaction_headers() -> list[str]:
    return [
        _("Answers"),
        _("Tour 4/3/2/1"),
        _("Tour satisfied"),
        _("Service 4/3/2/1"),
        _("Service satisfied"),
    ]


def _satisfaction_cells(row: dict[str, Any]) -> list[str]:
    answers = row["satisfaction"]

    def levels(aspect: str) -> str:
        return "/".join(str(answers[aspect]["levels"][n]) for n in ("4", "3", "2", "1"))

    return [
        str(answers["answers"]),
        levels("tour"),
        percent(answers["tour"]["satisfied_share"]),
        levels("service"),
        percent(answers["service"]["satisfied_share"]),
    ]


def _figure_headers() -> list[str]:
    """The steps whose day has come and how they went, the rate over them, then those ahead and
    those outside the rate."""
    return [
        _("Came due"),
        _("On time"),
        _("Late"),
        _("Overdue"),
        _("Lapsed"),
        _("On time %"),
        _("Ahead"),
        _("Skipped"),
        _("Opted out"),
        _("No consent"),
    ]


def _figure_cells(row: dict[str, Any]) -> list[str]:
    counts = [str(row[column]) for column in ("came_due", "on_time", "late", "overdue", "lapsed")]
    apart = [str(row[column]) for column in ("pending", "skipped", "opted_out", "no_consent")]
    return [*counts, percent(row["on_time_rate"]), *apart]


def _step_name(row: dict[str, Any]) -> str:
    return f"{row['step_no']}. {row.get('title') or row['step_id']}"


def _outcome_lines(outcomes: dict[str, Any]) -> list[str]:
    came_back = _("declined clients: {n}, came back: {m} ({rate})")
    return [
        _("trips sold: {n}").format(n=outcomes["trips_sold"]),
        _("returning clients: {n}").format(n=outcomes["returning_clients"]),
        came_back.format(
            n=outcomes["declined"],
            m=outcomes["declined_came_back"],
            rate=percent(outcomes["came_back_rate"]),
        ),
    ]


def stats_table(record: dict[str, Any], date_format: str) -> None:
    from rich.table import Table  # as in `playbooks_table`

    def table(title: str, names: list[str]) -> Table:
        result = Table(title=title, title_justify="left", title_style="bold")
        for column in names:
            result.add_column(column)
        for column in _figure_headers():
            result.add_column(column, justify="right")
        return result

    out = screen()
    out.print(stats_heading(record, date_format), style="bold")
    managers = table(_("Steps due in the period, per manager"), [_("Manager")])
    for index, row in enumerate(record["managers"]):
        name = row["manager"] or _("(no manager)")
        last = index == len(record["managers"]) - 1
        style = "red" if row["missed"] else ""
        managers.add_row(name, *_figure_cells(row), style=style, end_section=last)
    managers.add_row(_("Total"), *_figure_cells(record["total"]), style="bold")
    out.print(managers)
    verdict = Table(title=_("Clients' satisfaction, per manager"), title_justify="left", title_style="bold")
    verdict.add_column(_("Manager"))
    for column in _satisfaction_headers():
        verdict.add_column(column, justify="right")
    for index, row in enumerate(record["managers"]):
        last = index == len(record["managers"]) - 1
        verdict.add_row(row["manager"] or _("(no manager)"), *_satisfaction_cells(row), end_section=last)
    verdict.add_row(_("Total"), *_satisfaction_cells(record["total"]), style="bold")
    out.print(verdict)
    if record["steps"]:
        steps = table(_("Per step"), [_("Playbook"), _("Step")])
        for row in record["steps"]:
            style = "red" if row["missed"] else ""
            name = row.get("playbook_name") or row["playbook"]
            steps.add_row(name, _step_name(row), *_figure_cells(row), style=style)
        out.print(steps)
    else:
        out.print(_("Nothing due in the period."))
    out.print(_("Outcomes"), style="bold")
    for line in _outcome_lines(record["outcomes"]):
        out.print(line)


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def stats_markdown(record: dict[str, Any], date_format: str) -> str:
    """The figures as markdown tables, for the director's mail."""
    lines = [f"# {stats_heading(record, date_format)}", ""]
    lines += ["## " + _("Steps due in the period, per manager"), ""]
    lines += [_md_row([_("Manager"), *_figure_headers()]), "|---" * (1 + len(_figure_headers())) + "|"]
    for row in record["managers"]:
        lines.append(_md_row([_md(row["manager"] or _("(no manager)")), *_figure_cells(row)]))
    lines.append(_md_row(["**" + _("Total") + "**", *_figure_cells(record["total"])]))
    lines += ["", "## " + _("Clients' satisfaction, per manager"), ""]
    lines += [_md_row([_("Manager"), *_satisfaction_headers()]), "|---" * 6 + "|"]
    for row in record["managers"]:
        lines.append(_md_row([_md(row["manager"] or _("(no manager)")), *_satisfaction_cells(row)]))
    lines.append(_md_row(["**" + _("Total") + "**", *_satisfaction_cells(record["total"])]))
    lines += ["", "## " + _("Per step"), ""]
    if record["steps"]:
        lines += [_md_row([_("Playbook"), _("Step"), *_figure_headers()]), "|---" * (2 + len(_figure_headers())) + "|"]
        for row in record["steps"]:
            name = row.get("playbook_name") or row["playbook"]
            lines.append(_md_row([_md(name), _md(_step_name(row)), *_figure_cells(row)]))
    else:
        lines.append(_("Nothing due in the period."))
    lines += ["", "## " + _("Outcomes"), ""]
    lines += [f"- {line}" for line in _outcome_lines(record["outcomes"])]
    return "\n".join(lines) + "\n"


# --- letters and SMS (ppo send, ppo show) -------------------------------------------------


def message_record(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "trip_id": message.trip_id,
        "step_no": message.step_no,
        "letter": message.letter,
        "channel": message.channel,
        "to": message.address,
        "subject": message.subject,
        "text": message.body,
        "due": message.due.isoformat(),
        "state": message.state,
        "created_at": message.created_at,
        "handed_at": message.handed_at,
        "sent_at": message.sent_at,
        "gateway_id": message.gateway_id,
        "error": message.error,
    }


def local_time(stamp: str | None, date_format: str = DAY_FORMAT) -> str:
    """A stored UTC time (ISO) as a person reads it: the local day and time, to the minute."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().strftime(f"{date_format} %H:%M")


def messages_table(messages: Sequence[Message], date_format: str = DAY_FORMAT) -> None:
    out = screen()
    out.print(_("Messages"), style="bold")
    columns = (_("Id"), _("Step"), _("Letter"), _("Channel"), _("To"), _("State"), _("When"), _("Why"))
    rows = [
        (
            str(m.id),
            str(m.step_no),
            m.subject or m.letter,
            channel_name(m.channel),
            m.address,
            _(MESSAGE_STATES.get(m.state, m.state)),
            local_time(m.sent_at or m.handed_at or m.created_at, date_format),
            m.error or "",
        )
        for m in messages
    ]
    table(out, columns, rows)


def send_report_record(report: SendReport) -> dict[str, Any]:
    """What `ppo send` did (or, dry run, would do), for json."""
    return {
        "date": report.day.isoformat(),
        "dry_run": report.dry_run,
        "sent": report.sent,
        "not_sent": report.not_sent,
        "interrupted": report.interrupted,
        "quiet_hours_wait": report.quiet,
        "messages": [
            {**message_record(o.message), "client": o.client, "manager": o.manager, "step": o.title}
            for o in report.done
        ],
        "for_a_person": [
            {
                "trip_id": s.trip_id,
                "step_no": s.step_no,
                "step_id": s.step_id,
                "client": s.client.name,
                "channel": s.channel,
                "reason": reason,
            }
            for s, reason in report.held
        ],
        "unknown": [message_record(m) for m in report.unknown],
        "held": [
            {**message_record(o.message), "client": o.client, "step": o.title, "kind": kind, "reason": why}
            for o, why, kind in report.waiting
        ],
        "lapsed": [{**message_record(o.message), "client": o.client, "step": o.title} for o in report.lapsed],
        "settled": [message_record(o.message) for o in report.settled],
        "warnings": list(report.warnings),
    }


def send_report_text(report: SendReport) -> str:
    """What `ppo send` did (or, dry run, would do), for people and cron's mail."""
    from ppo_checklist.sending.outbox import unknown_lines  # the outbox is `ppo send`'s, not `today`'s

    lines: list[str] = []
    for outgoing in report.done:
        m = outgoing.message
        what = channel_name(m.channel)
        if report.dry_run:
            state = _("would be refused") if m.state == "failed" else _("would go")
            where = _("trip {t}, step {n} ({title}), {channel}").format(
                t=m.trip_id, n=m.step_no, title=outgoing.title, channel=what
            )
            lines.append(f"— {state}: {where}")
            lines.append(_("To: {who}").format(who=f"{outgoing.client} <{m.address}>"))
            if m.subject is not None:
                lines.append(_("Subject: {s}").format(s=m.subject))
            if m.error:
                lines.append(_("Why: {why}").format(why=m.error))
            lines.append("")
            lines.extend(m.body.splitlines())
            lines.append("")
            continue
        state = _(MESSAGE_STATES.get(m.state, m.state))
        trip_word = _("trip")
        head = f"{state:8} #{m.id} {trip_word} {m.trip_id} · {m.step_no} · {what} → {m.address}"
        if m.subject:
            head += f" · «{m.subject}»"
        if m.gateway_id and m.channel == "sms":
            head += f" · id {m.gateway_id}"
        if m.error:
            head += f" · {m.error}"
        lines.append(head)
    for s, reason in report.held:
        lines.append(
            _("for a person: trip {t} step {n} ({sid}), {c}: {why}").format(
                t=s.trip_id, n=s.step_no, sid=s.step_id, c=s.client.name, why=reason
            )
        )
    for o in report.settled:
        m = o.message
        state = _(MESSAGE_STATES.get(m.state, m.state))
        lines.append(_("message {id} was unknown; the gateway says: {state}").format(id=m.id, state=state))
    for o, why, _kind in report.waiting:
        m = o.message
        lines.append(
            _("waits: trip {t}, step {n} ({title}), {channel} → {to}: {why}").format(
                t=m.trip_id, n=m.step_no, title=o.title, channel=channel_name(m.channel), to=m.address, why=why
            )
        )
    for o in report.lapsed:
        m = o.message
        lines.append(
            _("lapsed, never sent: trip {t}, step {n} ({title}), {channel} → {to}, due {due}").format(
                t=m.trip_id, n=m.step_no, title=o.title, channel=channel_name(m.channel), to=m.address, due=m.due
            )
        )
    for warning in report.warnings:
        lines.append(_("warning: {w}").format(w=warning))
    lines.extend(unknown_lines(report.unknown))
    if report.dry_run:
        lines.append(
            _("dry run, nothing sent or written: {n} would go").format(
                n=sum(1 for o in report.done if o.message.state != "failed")
            )
        )
    else:
        lines.append(report.summary())
    return "\n".join(lines) + "\n"


# --- the client's word (ppo show) -------------------------------------------------------------


def word_lines(word: Mapping[str, Any], date_format: str = DAY_FORMAT) -> None:
    """The consent ledger, the addresses that do not deliver, the verdicts and complaints."""
    out = screen()

    def shown(iso: str) -> str:
        return dt.date.fromisoformat(iso).strftime(date_format)

    if word.get("consent"):
        out.print(_("Consent"), style="bold")
        for e in word["consent"]:
            line = _("{day}: {channel}, {purpose}: {what} {via}").format(
                day=shown(e["on"]),
                channel=channel_name(e["channel"]),
                purpose=e["purpose"],
                what=_("given") if e["given"] else _("withdrawn"),
                via=_(VIA_NAMES.get(e["via"], e["via"])),
            )
            out.print(line + (f" ({e['text_version']})" if e["text_version"] else ""))
    for problem in word.get("contact_problems", ()):
        what = _("letters bounce") if problem["kind"] == "bounced" else _("SMS not delivered")
        line = _("{channel} {address}: {what} since {day} ({why})").format(
            channel=channel_name(problem["channel"]),
            address=problem["address"],
            what=what,
            day=shown(problem["found_on"]),
            why=problem["detail"] or "—",
        )
        out.print(line, style="red")
    for answer in word.get("feedback", ()):
        line = _("Verdict {day}: tour {tour}, service {service} ({via})").format(
            day=shown(answer["on"]), tour=answer["tour"], service=answer["service"], via=answer["via"]
        )
        out.print(line + (f": {answer['note']}" if answer["note"] else ""))
    for complaint in word.get("complaints", ()):
        state = _("resolved") if complaint["resolved_at"] else _("open")
        out.print(
            _("Complaint opened {at}: {state}").format(at=local_time(complaint["opened_at"], date_format), state=state)
        )
