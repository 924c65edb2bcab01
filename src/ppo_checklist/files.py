"""Files ppo writes for people (workbooks, reports): written whole or not at all, private
unless the office says otherwise, and no leftovers from a run that was killed.

Every such file is filled under a temporary name beside its target, flushed to disk,
given its mode, renamed over the target in one step and the rename itself synced. The
temporary names carry this host and process id, so the next run can tell a dead run's
leftovers (which it removes) from a live run's (which it leaves alone).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ppo_checklist.errors import PpoError
from ppo_checklist.i18n import _

PRIVATE_MODE = 0o600  # clients' names and phones are personal data
STALE_AFTER = 24 * 3600  # a leftover of another host (or an older ppo) older than this is dead
T = TypeVar("T")


class FileWriteError(PpoError):
    """A file could not be written (a full disk, a permission); nothing was replaced."""


def parse_mode(text: str) -> int:
    """`"0640"` (or `"640"`, `"0o640"`) as a mode; only read and write bits, never the owner's
    taken away (ppo must read back what it writes), never execute bits, never writable by
    others (the files hold clients' phones)."""
    value = int(text.strip().removeprefix("0o"), 8)
    if not 0 <= value <= 0o777 or value & 0o600 != 0o600 or value & 0o111 or value & 0o002:
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Fingerprint:
    """What a file was when ppo read it: a save by someone else changes at least one."""

    size: int
    mtime_ns: int
    inode: int
    sha256: str


def fingerprint(path: Path) -> Fingerprint | None:
    """None when there is no file."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return Fingerprint(info.st_size, info.st_mtime_ns, info.st_ino, digest.hexdigest())


def _host() -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in socket.gethostname())[:32] or "host"


def temp_prefix(path: Path) -> str:
    """What every temporary name of `path` starts with (`.~ppo-<name>-`)."""
    return f".~ppo-{path.stem}-"


def _own_prefix(path: Path) -> str:
    return f"{temp_prefix(path)}{_host()}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale(path: Path) -> list[Path]:
    """Remove what killed runs left beside `path`: temporary workbooks and XlsxWriter's
    folders of this host whose process is gone, and any older than a day (another host,
    or a ppo before these names carried their process). Returns what was removed."""
    removed: list[Path] = []
    prefix = temp_prefix(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        parts = entry.name[len(prefix) :].split("-")
        dead = False
        if len(parts) >= 3 and parts[0] == _host() and parts[1].isdigit():
            dead = int(parts[1]) != os.getpid() and not _alive(int(parts[1]))
        try:
            dead = dead or now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if not dead:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def new_temp(path: Path, suffix: str) -> Path:
    """An empty file beside `path`, named as this process's (created 0600)."""
    try:
        fd, name = tempfile.mkstemp(prefix=_own_prefix(path), suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise FileWriteError(
            _("cannot write in {folder}: {e}").format(folder=path.parent, e=exc.strerror or exc)
        ) from None
    os.close(fd)
    return Path(name)


@contextmanager
def scratch_dir(path: Path) -> Iterator[Path]:
    """A folder beside `path` for a writer's own temporary files (the big sheets' rows,
    compressed: about the book's size, ~50 MB at 100 000 trips), removed afterwards; a killed
    run's is removed by the next one."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=_own_prefix(path), suffix=".d", dir=path.parent))
    except OSError as exc:
        raise FileWriteError(
            _("cannot write in {folder}: {e}").format(folder=path.parent, e=exc.strerror or exc)
        ) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_atomically(
    path: Path,
    fill: Callable[[Path], T],
    mode: int = PRIVATE_MODE,
    suffix: str = ".tmp",
    unchanged: Callable[[], None] | None = None,
) -> T:
    """`fill` writes a temporary file beside `path`, which then replaces `path` in one step
    with `mode`. `unchanged`, if given, runs just before the replacement and raises to keep
    the old file (someone saved it meanwhile). On any failure the temporary file is removed,
    `path` is untouched, and an OSError becomes one line naming the file."""
    remove_stale(path)
    temp = new_temp(path, suffix)
    try:
        result = fill(temp)
        os.chmod(temp, mode)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        if unchanged is not None:
            unchanged()
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise FileWriteError(
                _("cannot replace {path}: {e} (is it open?)").format(path=path, e=exc.strerror or exc)
            ) from None
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise FileWriteError(write_failure(path, exc)) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_dir(path.parent)
    return result


def write_failure(path: Path, exc: OSError) -> str:
    """One line on why `path` could not be written, the full disk said as such."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("cannot write {path}: no space left on the disk of {folder}; nothing was replaced").format(
            path=path, folder=path.parent
        )
    return _("cannot write {path}: {e}; nothing was replaced").format(path=path, e=exc.strerror or exc)


def sync_dir(folder: Path) -> None:
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
