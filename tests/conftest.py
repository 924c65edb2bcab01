"""Fixtures: ppo on a private store in tmp_path, in-process (`ppo`) or as a process (`ppo_proc`).

Both are `ppo_runner.Ppo` on the same folder, so a test may build a store with `ppo` and
run the installed command on it with `ppo_proc`. `make_ppo` makes more, for fixtures of a
wider scope or a second store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ppo_runner import Ppo


@pytest.fixture
def ppo(tmp_path: Path) -> Ppo:
    return Ppo(tmp_path)


@pytest.fixture
def ppo_proc(tmp_path: Path) -> Ppo:
    return Ppo(tmp_path, subprocess=True)


@pytest.fixture(scope="session")
def make_ppo():
    """`make_ppo(home, config=None, subprocess=False)`: a `Ppo` on another folder."""
    return Ppo
