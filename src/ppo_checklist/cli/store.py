"""`ppo store`: the store as a whole (what it holds, moving it, backups, checks)."""

from __future__ import annotations

from pathlib import Path

import typer

from ppo_checklist.cli.session import FORMAT_OPTION, Format, commands, session_of
from ppo_checklist.i18n import N_, _

# Each command loads the parts it uses inside it: the lazy group imports this whole module for
# any one of its commands, which must not pay for the others' (`ppo today`: never the workbook).
app = commands(
    name="store",
    help=N_("The store as a whole: what it holds, moving it, backups, checks."),
    no_args_is_help=True,
)


@app.command(
    "info",
    help=N_("Where the store is (never with its password), its schema and what it holds."),
)
def store_info(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    from ppo_checklist.output import formatters

    session = session_of(ctx)
    out = formatters.formatter(fmt, session)
    out.store_info(session.store.info())


@app.command(
    "copy",
    help=N_("Moves an agency's whole store to another (SQLite file <-> PostgreSQL), in one transaction."),
)
def store_copy(
    source: str = typer.Argument(..., help=N_("The store to copy from (a path or a postgresql:// URL).")),
    target: str = typer.Argument(..., help=N_("The store to copy into; it must hold no trips.")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    copied = store_admin.copy(source, target)
    counts = copied.counts
    typer.echo(
        _("Copied {c} clients, {t} trips, {s} steps from {src} to {dst}.").format(
            c=counts["clients"], t=counts["trips"], s=counts["steps"], src=copied.source, dst=copied.target
        )
    )


@app.command(
    "backup",
    help=N_("A consistent copy of the SQLite store while managers keep working."),
)
def store_backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help=N_("The backup file to write (readable by you only).")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    session = session_of(ctx)
    written = store_admin.backup(session.store, file, session.config.file_mode)
    typer.echo(_("Backed up the store to {path}.").format(path=written))


@app.command(
    "check",
    help=N_("The backend's integrity check; exit 1 naming what is wrong."),
)
def store_check(
    ctx: typer.Context,
    quick: bool = typer.Option(False, "--quick", help=N_("The quick check (seconds, not minutes, on a big store).")),
) -> None:
    from ppo_checklist.store import admin as store_admin

    session = session_of(ctx)
    store_admin.check(session.store, quick)
    typer.echo(_("The store {where} is sound.").format(where=session.store.location.shown))
