"""`Ppo`: runs ppo commands against a private store, in-process by default.

In-process (as click's CliRunner does): `ppo_checklist.cli.run(argv)` is called with
sys.stdin/stdout/stderr replaced and os.environ replaced by the helper's environment for
the duration of the call, then restored. With `subprocess=True` the installed `ppo` runs
in a child process with the same environment: for what only a process shows (start-up,
exit codes as a shell sees them, several processes at once, cron's bare environment).
Both modes answer with the same `Result`, the output exactly as ppo wrote it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

PPO = str(Path(sys.executable).parent / "ppo")
# A config line for stores whose tests work out each step's day by hand and are not about the
# working calendar: no production calendar, an office open every day (calls stay on their days).
EVERY_DAY = 'holidays = ""\nworking_week = "mon-sun"\n'


def every_day_config(folder: Path, extra: str = "") -> Path:
    """A config file in `folder` with EVERY_DAY (and `extra` lines)."""
    path = Path(folder) / "every-day.toml"
    path.write_text(EVERY_DAY + extra, encoding="utf-8")
    return path


TIMEOUT = 600


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Ppo:
    """ppo as a manager or cron runs it, with its own store, config folder and no user settings."""

    def __init__(
        self, home: Path, config: Optional[Path] = None, *, subprocess: bool = False, store: Optional[str] = None
    ):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)  # a manager's home folder exists
        self.db = self.home / "ppo.sqlite3"  # the SQLite store, unless `store` names another
        self.store = store or str(self.db)
        self.backend = "postgresql" if store and store.startswith("postgresql://") else "sqlite"
        self.subprocess = subprocess
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),  # the default config: absent
            "XDG_DATA_HOME": str(self.home / "data"),
            "PPO_DB": self.store,
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            # Tables and help are as wide as this, whatever terminal runs the tests.
            "COLUMNS": "200",
        }
        if config is not None:
            self.env["PPO_CONFIG"] = str(config)

    def __call__(
        self, *args: str, check: bool = True, env: Optional[dict] = None, stdin: Optional[str] = None
    ) -> Result:
        """`ppo *args`; `env` adds to (a value of None: removes from) the helper's environment.
        With `check`, an exit code other than 0 fails the test."""
        merged = {**self.env, **(env or {})}
        result = self._run(args, {k: v for k, v in merged.items() if v is not None}, stdin)
        if check and result.code != 0:
            raise AssertionError(f"ppo {' '.join(args)} exited {result.code}: {result.err}")
        return result

    def cron(self, *args: str, home: Optional[Path] = None) -> Result:
        """`ppo *args` as cron starts it: no input, output to a pipe, a minimal environment."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home or self.home), "PPO_DB": self.store, "LANG": "C"}
        return self._run(args, env, None)

    def popen(self, *args: str) -> subprocess.Popen:
        """The installed `ppo`, started and left running (for several at once)."""
        return subprocess.Popen(
            [PPO, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    # --- conveniences -------------------------------------------------------------------

    def json(self, *args: str) -> Any:
        """`ppo *args --format json`, parsed (the option goes before a `--`, if any)."""
        if "--" in args:
            at = args.index("--")
            args = (*args[:at], "--format", "json", *args[at:])
        else:
            args = (*args, "--format", "json")
        return self(*args).json()

    def add(self, name: str, purchase: str, departure: str, ret: str, *extra: str) -> int:
        """A trip added with `ppo add`; its id. The name may start with `-` or `=`."""
        dates = ("--purchase", purchase, "--departure", departure, "--return", ret)
        return self.json("add", *dates, *extra, "--", name)["trip_id"]

    def show(self, trip_id: int, *more: str) -> dict:
        return self.json("show", str(trip_id), *more)

    def snapshot(self) -> list:
        """Everything the store holds, as `ppo list --all --format json` and each trip shown."""
        trips = self("list", "--all", "--format", "json").json()
        return [self("show", str(t["trip_id"]), "--format", "json").json() for t in trips]

    # --- the two ways of running ------------------------------------------------------------

    def _run(self, args: tuple, env: dict, stdin: Optional[str]) -> Result:
        if self.subprocess:
            return _in_a_process(list(args), env, stdin)
        return _in_this_process(list(args), env, stdin)


def _in_a_process(argv: list, env: dict, stdin: Optional[str]) -> Result:
    proc = subprocess.run(
        [PPO, *argv],
        capture_output=True,
        env=env,
        input=stdin.encode("utf-8") if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=TIMEOUT,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def on_a_terminal(argv: list, env: dict, columns: int = 100) -> tuple[int, str]:
    """`argv` (a whole command line) on a pseudo-terminal `columns` wide as its stdin, stdout
    and stderr: its exit code and all it wrote there."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=TIMEOUT)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


class _Stream(io.TextIOWrapper):
    """A captured text stream: UTF-8, not a terminal, no newline translation."""

    def __init__(self, data: bytes = b"", errors: str = "strict"):
        super().__init__(io.BytesIO(data), encoding="utf-8", errors=errors, newline="")

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8")


def _in_this_process(argv: list, env: dict, stdin: Optional[str]) -> Result:
    from ppo_checklist import cli

    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_env = dict(os.environ)
    out, err = _Stream(), _Stream(errors="backslashreplace")
    sys.stdin = _Stream((stdin or "").encode("utf-8"))
    sys.stdout, sys.stderr = out, err
    os.environ.clear()
    os.environ.update(env)
    try:
        code = cli.run(argv)
    except SystemExit as exc:  # as a process would end
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.text(), err.text())


def without_created(err: str) -> str:
    """stderr without the one line the first command of a new store says (where it is)."""
    return "".join(line for line in err.splitlines(keepends=True) if not line.startswith("ppo: created the store "))
