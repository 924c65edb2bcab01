"""The daily report for cron: the day's actions as Markdown and the director's workbook,
written into a folder atomically (a reader never sees half a file).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ppo_checklist import render, tracker
from ppo_checklist.config import Config
from ppo_checklist.errors import PpoError
from ppo_checklist.i18n import _
from ppo_checklist.playbooks import Playbook
from ppo_checklist.store import Store


@dataclass(frozen=True)
class Report:
    markdown: str
    markdown_path: Path
    workbook_path: Path


def heading(day: dt.date, date_format: str) -> str:
    """The title of the day's actions, the same for `ppo today --format md` and the report."""
    return _("ppo: actions for {day}").format(day=day.strftime(date_format))


def markdown(store: Store, day: dt.date, config: Config, manager: str | None = None) -> str:
    """The day's actions grouped by manager, overdue first, with counts."""
    actions = tracker.agenda(store, day, manager)
    return render.actions_markdown(actions, config.date_format, heading(day, config.date_format))


def file_stem(day: dt.date) -> str:
    return f"ppo-{day.isoformat()}"


def write_report(store: Store, out_dir: Path, day: dt.date, config: Config, playbooks: dict[str, Playbook]) -> Report:
    """`ppo-YYYY-MM-DD.xlsx` and `ppo-YYYY-MM-DD.md` in `out_dir` (created if missing)."""
    prepare_dir(out_dir)
    body = markdown(store, day, config)
    workbook_path = out_dir / f"{file_stem(day)}.xlsx"
    markdown_path = out_dir / f"{file_stem(day)}.md"
    write_atomic(workbook_path, lambda tmp: write_report_workbook(store, tmp, day, config, playbooks))
    write_atomic(markdown_path, lambda tmp: tmp.write_text(body, encoding="utf-8"))
    return Report(body, markdown_path, workbook_path)


def write_report_workbook(
    store: Store, path: Path, day: dt.date, config: Config, playbooks: dict[str, Playbook]
) -> None:
    """The director's checklist workbook, as `ppo export` writes it."""
    try:
        from ppo_checklist import workbook
    except ImportError:
        raise PpoError(_("this ppo has no workbook writer: cannot write {path}").format(path=path)) from None
    workbook.export(store, path, day, config, playbooks)  # type: ignore[attr-defined]


def prepare_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PpoError(_("cannot create the folder {path}: {e}").format(path=out_dir, e=exc.strerror or exc)) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise PpoError(_("cannot write into the folder {path}").format(path=out_dir))


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """`write` fills a temporary file beside `path`, which then replaces `path` in one step."""
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    tmp = Path(handle.name)
    handle.close()
    try:
        write(tmp)
        with tmp.open("rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would: the umask decides
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """So that the rename itself survives a power cut (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
