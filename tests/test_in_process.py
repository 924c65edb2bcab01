"""The in-process runner is faithful to the installed command and leaves nothing behind."""

from __future__ import annotations

import gc
import os
import sys

import pytest


@pytest.fixture
def trip(ppo) -> int:
    return ppo.add("Анна Иванова-Долгорукова", "20.11.2026", "01.12.2026", "10.12.2026", "-m", "Ольга")


@pytest.mark.parametrize(
    "args",
    [
        ("today", "--date", "30.11.2026"),
        ("today", "--date", "30.11.2026", "--format", "csv"),
        ("list", "--all"),
        ("show", "1", "--date", "30.11.2026", "--format", "json"),
        ("stats", "--date", "30.11.2026", "--format", "md"),
        ("playbooks",),
        ("--help",),
        ("add", "--help"),
        ("today", "--date", "31.02.2026"),  # exit 2
        ("frobnicate",),  # exit 2, click's own message
        ("done", "99", "1"),
    ],
)
def test_in_process_and_installed_ppo_answer_alike(ppo, ppo_proc, trip, args):
    assert ppo(*args, check=False) == ppo_proc(*args, check=False)


def test_in_process_and_installed_ppo_answer_alike_under_cron(ppo, ppo_proc, trip):
    for args in (("today", "--format", "md", "--date", "30.11.2026"), ("today", "--date", "30.11.2026")):
        assert ppo.cron(*args) == ppo_proc.cron(*args)


def test_a_call_leaves_the_environment_and_the_streams_as_they_were(ppo, trip):
    env, streams = dict(os.environ), (sys.stdin, sys.stdout, sys.stderr)
    ppo("today", env={"PPO_TODAY": "2026-11-30", "COLUMNS": "50"})
    ppo("today", check=False, env={"PPO_TODAY": "garbage"})
    ppo("import", "/nonexistent.csv", check=False, stdin="ignored")
    assert dict(os.environ) == env and (sys.stdin, sys.stdout, sys.stderr) == streams


def test_each_call_reads_its_own_environment(ppo, trip):
    assert ppo("today", check=False, env={"PPO_TODAY": "garbage"}).code == 2
    assert ppo("today").code == 0  # the call before's PPO_TODAY is gone
    on_the_30th = ppo("today", "--format", "json", env={"PPO_TODAY": "2026-11-30"}).json()
    assert [a["step_id"] for a in on_the_30th] == ["ppo-do", "reminder"]
    later = ppo("today", "--format", "json", env={"PPO_TODAY": "2027-06-01"}).json()
    assert [a["step_id"] for a in later] == ["invite-call", "office-visit"]  # the other five have lapsed


def test_each_call_has_its_own_terminal_width(ppo, trip):
    def widest(columns: str) -> int:
        out = ppo("today", "--date", "30.11.2026", env={"COLUMNS": columns}).out
        return max(len(line) for line in out.splitlines())

    assert widest("60") <= 60
    assert widest("200") > 60
    assert widest("60") <= 60


def test_each_call_reads_its_own_config(ppo, tmp_path):
    us = tmp_path / "us.toml"
    us.write_text('dayfirst = false\ndefault_manager = "Kate"\n', encoding="utf-8")
    first = ppo.json("--config", str(us), "add", "A", "-p", "11/02/2026", "-d", "12/01/2026", "-r", "12/10/2026")
    assert first["dates"]["purchase"] == "2026-11-02" and first["manager"] == "Kate"
    second = ppo.json("add", "B", "-p", "11.02.2026", "-d", "12.02.2026", "-r", "13.02.2026")
    assert second["dates"]["purchase"] == "2026-02-11" and second["manager"] == ""


def test_commands_leave_no_file_open(ppo, trip, tmp_path):
    def open_files() -> set[str]:
        """What this process holds open under the test's folder (the store, the workbook):
        counting every descriptor would also count the test runner's own pipes."""
        gc.collect()
        held = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(tmp_path)) or target.startswith(str(ppo.home)):
                held.add(target)
        return held

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc")
    ppo("export", str(tmp_path / "book.xlsx"), "--date", "30.11.2026")
    before = open_files()
    for _ in range(5):
        ppo("today", "--date", "30.11.2026")
        ppo("done", str(trip), "0", "--date", "30.11.2026", env={"PPO_TODAY": "2026-11-30"})
        ppo("undo", str(trip), "0")
        ppo("sync", str(tmp_path / "book.xlsx"), "--date", "30.11.2026")
        ppo("export", str(tmp_path / "book.xlsx"), "--date", "30.11.2026")
        ppo("show", "999", check=False)
    assert open_files() == before
