"""Fixtures that drive the installed `ppo` command against a private store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PPO = str(Path(sys.executable).parent / "ppo")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Ppo:
    """Runs `ppo` in a subprocess, as a manager or cron would, with its own store and config."""

    def __init__(self, home: Path):
        self.home = home
        self.db = home / "ppo.sqlite3"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "PPO_DB": str(self.db),
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
        }

    def __call__(self, *args: str, check: bool = True, env: dict | None = None, stdin: str | None = None) -> Result:
        proc = subprocess.run(
            [PPO, *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            timeout=120,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"ppo {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return result

    def add(self, name: str, purchase: str, departure: str, ret: str, *extra: str) -> int:
        data = self(
            "add", name, "--purchase", purchase, "--departure", departure, "--return", ret, "--format", "json", *extra
        ).json()
        return data["trip_id"]

    def snapshot(self) -> list:
        """Everything the store holds, as `ppo list --all --format json` and each trip shown."""
        trips = self("list", "--all", "--format", "json").json()
        return [self("show", str(t["trip_id"]), "--format", "json").json() for t in trips]


@pytest.fixture
def ppo(tmp_path: Path) -> Ppo:
    return Ppo(tmp_path)
