"""The managers' phone calendars: `ppo calendar` writes the upcoming calls and visits as an
iCalendar file (`ppo report` writes one per manager beside its workbook)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ppo_checklist.cli.session import DATE_HELP, MANAGER_FILTER, commands, session_of
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands()
DEFAULT_DAYS = 30


@app.command(
    help=N_(
        "Upcoming calls and visits as an iCalendar (.ics) file for a phone's calendar: one event per step,"
        " the same UID in every export, done and cancelled ones as cancelled events."
    ),
)
def calendar(
    ctx: typer.Context,
    manager: Optional[str] = MANAGER_FILTER,
    days: int = typer.Option(DEFAULT_DAYS, "--days", help=N_("How many days ahead (default 30).")),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=N_("The .ics file to write (default: stdout).")),
    date: Optional[str] = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    import datetime as dt

    from ppo_checklist import files
    from ppo_checklist.errors import BadInput
    from ppo_checklist.output import ical

    session = session_of(ctx)
    if not 0 <= days <= 3660:
        raise BadInput(_("--days must be from 0 to 3660"))
    if out is not None and out.suffix.lower() != ".ics":
        raise BadInput(_("--out must name a .ics file, not {path}").format(path=out))
    day = session.today(date)
    names = session.managers(manager)
    found = ical.events(session.store, session.playbooks, session.config, day, days, names, session.calendar)
    data = ical.to_ics(found, ical.calendar_name(names[0] if names else None), dt.datetime.now(dt.timezone.utc))
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    files.write_atomically(out, lambda tmp: tmp.write_bytes(data), session.config.file_mode, ".ics")
    count = sum(1 for e in found if not e.cancelled)
    message = _("wrote {path}: calls and visits: {n}, cancelled: {c}").format(path=out, n=count, c=len(found) - count)
    typer.echo(message)
