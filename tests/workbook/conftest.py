"""Fixtures for the workbook tests: the installed `ppo`, in a subprocess, on a store in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PPO = Path(sys.executable).parent / "ppo"


class Ppo:
    """Runs the installed `ppo` against a private store and no configuration."""

    def __init__(self, home: Path, config: Path | None = None):
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PPO_")}
        self.env.update(
            PPO_DB=str(home / "ppo.sqlite3"),
            XDG_CONFIG_HOME=str(home / "config"),  # the default config: absent
            XDG_DATA_HOME=str(home / "data"),
            COLUMNS="200",
        )
        if config is not None:
            self.env["PPO_CONFIG"] = str(config)

    def run(self, *args: str, code: int | None = 0) -> subprocess.CompletedProcess:
        result = subprocess.run([str(PPO), *args], env=self.env, capture_output=True, text=True, timeout=600)
        if code is not None:
            assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    def json(self, *args: str):
        if "--" in args:  # options before the arguments that may look like options
            at = args.index("--")
            args = (*args[:at], "--format", "json", *args[at:])
        else:
            args = (*args, "--format", "json")
        return json.loads(self.run(*args).stdout)

    def add(self, name: str, purchase: str, departure: str, ret: str, *more: str) -> int:
        trip = self.json(
            "add",
            "--purchase",
            purchase,
            "--departure",
            departure,
            "--return",
            ret,
            *more,
            "--",
            name,
        )
        return trip["trip_id"]

    def show(self, trip_id: int, *more: str) -> dict:
        return self.json("show", str(trip_id), *more)


@pytest.fixture
def ppo(tmp_path: Path) -> Ppo:
    return Ppo(tmp_path)
