"""What each `--format` prints: one formatter per format, one method per kind of output.

A command picks its formatter once (`formatter(fmt, ...)`) and hands it what the tracker
returned: `out.trip(...)`, `out.actions(...)`. The pieces (records, column lists, tables,
Markdown) are in `render`; this module says which of them a format uses.

Loaded only by a command that prints (the CLI loads it lazily); like `render` it never
loads rich's tables, the outbox, the importer or the workbook modules by itself.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import typer

from ppo_checklist.config import DAY_FORMAT
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import N_, _, ngettext
from ppo_checklist.output import render

if TYPE_CHECKING:
    import datetime as dt

    from ppo_checklist.core.model import Action, Message, StoreInfo, Trip
    from ppo_checklist.core.playbooks import Playbook
    from ppo_checklist.core.schedule import Move
    from ppo_checklist.importing import ImportResult
    from ppo_checklist.sending.outbox import SendReport
    from ppo_checklist.stats import KpiReport

Texts = Mapping[int, str]  # each action's ready-to-send text, by id(action)

# `ppo store info` for people: its keys in words (json and csv keep the keys).
STORE_INFO_LABELS = {
    "backend": N_("backend"),
    "location": N_("location"),
    "schema": N_("schema"),
    "clients": N_("clients"),
    "trips": N_("trips"),
    "steps": N_("steps"),
}


class Settings(Protocol):
    """Where a formatter finds the date format: a `Config`, or the CLI's session, which reads
    the config only when a date is first shown (a command showing none never reads it)."""

    @property
    def date_format(self) -> str: ...


class Formatter:
    """The outputs of ppo's commands; each format overrides the ones it prints."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def date_format(self) -> str:
        return self._settings.date_format if self._settings is not None else DAY_FORMAT

    def trip(
        self,
        trip: Trip,
        today: dt.date,
        messages: Sequence[Message] | None = None,
        headline: str = "",
        moves: Mapping[int, Move] | None = None,
        word: Mapping[str, Any] | None = None,
        unconsented: Collection[int] = (),
    ) -> None:
        """A trip and its steps (add, decline, edit, show); `messages`: the ones ppo sent or
        tried (show); `headline`: a line for people above it (what was just done); `moves`: the
        steps moved off a day off, and why; `unconsented`: the step numbers whose message is
        advertising the client has not consented to (status no_consent)."""
        raise NotImplementedError

    def actions(self, actions: Sequence[Action], heading: str, texts: Texts | None = None) -> None:
        """Steps to act on (today, upcoming), under `heading`, with their texts if asked."""
        raise NotImplementedError

    def trips(self, trips: Sequence[Trip], today: dt.date) -> None:
        """Trips with a status summary each, as of `today` (`render.trip_summary`)."""
        raise NotImplementedError

    def playbooks(self, playbooks: Mapping[str, Playbook]) -> None:
        """The playbooks and their steps."""
        raise NotImplementedError

    def stats(self, report: KpiReport) -> None:
        """The director's figures (`stats.compute`)."""
        raise NotImplementedError

    def store_info(self, info: StoreInfo) -> None:
        """Where the store is and what it holds."""
        raise NotImplementedError

    def send_report(self, report: SendReport) -> None:
        """What `ppo send` did or, dry run, would do (table and json only)."""
        raise NotImplementedError

    def import_result(self, result: ImportResult) -> None:
        """What `ppo import` found and did (table and json only); the bad rows are said on
        stderr by the command, in every format."""
        raise NotImplementedError


class TableFormatter(Formatter):
    """For people: tables (drawn by hand when plain, by rich otherwise) and lines of text."""

    def trip(
        self,
        trip: Trip,
        today: dt.date,
        messages: Sequence[Message] | None = None,
        headline: str = "",
        moves: Mapping[int, Move] | None = None,
        word: Mapping[str, Any] | None = None,
        unconsented: Collection[int] = (),
    ) -> None:
        if headline:
            render.screen().print(headline)
        render.trip_table(trip, today, self.date_format, moves, unconsented)
        if messages:
            render.messages_table(messages, self.date_format)
        if word:
            render.word_lines(word, self.date_format)

    def actions(self, actions: Sequence[Action], heading: str, texts: Texts | None = None) -> None:
        render.actions_table(actions, self.date_format, texts, heading)

    def trips(self, trips: Sequence[Trip], today: dt.date) -> None:
        render.trips_table(trip_summaries(trips, today), self.date_format)

    def playbooks(self, playbooks: Mapping[str, Playbook]) -> None:
        render.playbooks_table(playbooks)

    def stats(self, report: KpiReport) -> None:
        render.stats_table(report.record(), self.date_format)

    def store_info(self, info: StoreInfo) -> None:
        for key, value in info._asdict().items():
            typer.echo(f"{_(STORE_INFO_LABELS.get(key, key))}: {value}")

    def send_report(self, report: SendReport) -> None:
        sys.stdout.write(render.send_report_text(report))

    def import_result(self, result: ImportResult) -> None:
        if not result.rejected:  # a rejected file is the command's error line, exit 2
            typer.echo(import_summary(result))


class JsonFormatter(Formatter):
    """For programs: one json document, keys in English whatever the run's language."""

    def trip(
        self,
        trip: Trip,
        today: dt.date,
        messages: Sequence[Message] | None = None,
        headline: str = "",
        moves: Mapping[int, Move] | None = None,
        word: Mapping[str, Any] | None = None,
        unconsented: Collection[int] = (),
    ) -> None:
        record = render.trip_record(trip, today, moves, unconsented)
        if messages is not None:
            record["messages"] = [render.message_record(m) for m in messages]
        if word is not None:
            record.update(word)
        render.emit_json(record)

    def actions(self, actions: Sequence[Action], heading: str, texts: Texts | None = None) -> None:
        render.emit_json(action_records(actions, texts))

    def trips(self, trips: Sequence[Trip], today: dt.date) -> None:
        render.emit_json(trip_summaries(trips, today))

    def playbooks(self, playbooks: Mapping[str, Playbook]) -> None:
        render.emit_json(render.playbook_records(playbooks))

    def stats(self, report: KpiReport) -> None:
        render.emit_json(report.record())

    def store_info(self, info: StoreInfo) -> None:
        render.emit_json(info._asdict())

    def send_report(self, report: SendReport) -> None:
        render.emit_json(render.send_report_record(report))

    def import_result(self, result: ImportResult) -> None:
        render.emit_json(result.record())


class RowsFormatter(Formatter):
    """csv and md: rows under a header of column names."""

    def rows(self, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        raise NotImplementedError

    def trip(
        self,
        trip: Trip,
        today: dt.date,
        messages: Sequence[Message] | None = None,
        headline: str = "",
        moves: Mapping[int, Move] | None = None,
        word: Mapping[str, Any] | None = None,
        unconsented: Collection[int] = (),
    ) -> None:
        self.rows(render.trip_step_rows(trip, today, moves, unconsented), render.TRIP_STEP_COLUMNS)

    def trips(self, trips: Sequence[Trip], today: dt.date) -> None:
        summaries = trip_summaries(trips, today)
        self.rows(summaries, list(summaries[0]) if summaries else ["trip_id"])

    def playbooks(self, playbooks: Mapping[str, Playbook]) -> None:
        records = render.playbook_records(playbooks)
        self.rows(render.playbook_step_rows(records), render.PLAYBOOK_STEP_COLUMNS)

    def store_info(self, info: StoreInfo) -> None:
        self.rows([info._asdict()], list(info._fields))


class CsvFormatter(RowsFormatter):
    """For spreadsheets: a text that looks like a formula is prefixed with an apostrophe."""

    def rows(self, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        render.emit_csv(rows, columns)

    def actions(self, actions: Sequence[Action], heading: str, texts: Texts | None = None) -> None:
        columns = render.ACTION_COLUMNS + (["text"] if texts else [])
        render.emit_csv(action_records(actions, texts), columns)

    def stats(self, report: KpiReport) -> None:
        render.emit_csv(render.stats_csv_rows(report.record()), render.STATS_CSV_COLUMNS)


class MarkdownFormatter(RowsFormatter):
    """For mail and wikis: tables, and the day's actions as lists under each manager."""

    def rows(self, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        render.emit_md_table(rows, columns)

    def actions(self, actions: Sequence[Action], heading: str, texts: Texts | None = None) -> None:
        sys.stdout.write(render.actions_markdown(actions, self.date_format, heading, texts))

    def stats(self, report: KpiReport) -> None:
        sys.stdout.write(render.stats_markdown(report.record(), self.date_format))


FORMATTERS: dict[str, type[Formatter]] = {
    "table": TableFormatter,
    "json": JsonFormatter,
    "csv": CsvFormatter,
    "md": MarkdownFormatter,
}


def formatter(
    fmt: str, settings: Settings | None = None, *, only: Collection[str] = tuple(FORMATTERS), refusal: str = ""
) -> Formatter:
    """The formatter for `--format` (a name or the CLI's `Format`). A command that prints only
    some formats names them in `only` and what to say for the others in `refusal` (exit 2)."""
    name = getattr(fmt, "value", fmt)
    if name not in only:
        raise BadInput(refusal)
    return FORMATTERS[name](settings)


def trip_summaries(trips: Sequence[Trip], today: dt.date) -> list[dict[str, Any]]:
    return [render.trip_summary(trip, today) for trip in trips]


def action_records(actions: Sequence[Action], texts: Texts | None = None) -> list[dict[str, Any]]:
    return [render.action_record(a, texts[id(a)] if texts else None) for a in actions]


def import_summary(result: ImportResult) -> str:
    """One line for people: what an import added, found already there or skipped."""
    n = result.added
    if result.dry_run:
        added = ngettext("{n} trip would be added", "{n} trips would be added", n)
    else:
        added = ngettext("{n} trip added", "{n} trips added", n)
    parts = [added.format(n=n)]
    parts.append(_("{n} already there").format(n=result.already))
    if result.repeated:
        parts.append(_("{n} repeated in the file").format(n=result.repeated))
    if result.marked:
        marked = ngettext("{n} step done from history", "{n} steps done from history", result.marked)
        parts.append(marked.format(n=result.marked))
    if result.bad:
        n = len(result.bad)
        parts.append(ngettext("{n} bad row skipped", "{n} bad rows skipped", n).format(n=n))
    prefix = _("dry run, nothing written: ") if result.dry_run else ""
    return f"{result.file}: {prefix}" + ", ".join(parts)
