"""Fixtures: ppo on a private store in tmp_path, in-process (`ppo`) or as a process (`ppo_proc`).

Both are `ppo_runner.Ppo` on the same folder and store, so a test may build a store with
`ppo` and run the installed command on it with `ppo_proc`. `make_ppo` makes more, for
fixtures of a wider scope or a second store.

Every test that uses a store runs on each backend (`backend`: sqlite, postgresql), unless it
is marked `sqlite_only` (it looks at the SQLite file itself).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from backends import BACKENDS, store_for
from ppo_runner import Ppo


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only: on SQLite only (it reads the SQLite file, or is not about the store)"
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", ["sqlite"] if only_sqlite else list(BACKENDS), scope="module")


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback (send_servers.Mailbox; `.controller` is aiosmtpd's)."""
    from send_servers import Mailbox, smtp_server

    box = Mailbox()
    box.controller = smtp_server(box)
    yield box
    box.release.set()  # a DATA answer still held (`hold`) lets go, so that the server stops
    box.controller.stop()


@pytest.fixture
def ppo(tmp_path: Path, backend: str) -> Ppo:
    return Ppo(tmp_path, store=store_for(backend))


@pytest.fixture
def ppo_proc(ppo: Ppo) -> Ppo:
    """The installed `ppo` on the same folder and store as `ppo`."""
    return Ppo(ppo.home, ppo.env.get("PPO_CONFIG"), subprocess=True, store=ppo.store)


@pytest.fixture(scope="session")
def make_ppo():
    """`make_ppo(home, config=None, subprocess=False, backend="sqlite")`: a `Ppo` on another folder."""

    def make(home: Path, config: Path | None = None, *, subprocess: bool = False, backend: str = "sqlite") -> Ppo:
        return Ppo(home, config, subprocess=subprocess, store=store_for(backend))

    return make
