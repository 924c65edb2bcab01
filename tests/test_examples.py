"""The files in examples/ work as the README says."""

from pathlib import Path

import pytest
from ppo_runner import without_created

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_every_example_playbook_loads_with_its_month_offsets(ppo):
    playbooks = ppo("--config", str(EXAMPLES / "config.toml"), "playbooks", "--format", "json").json()
    loaded = {p["source"] for p in playbooks}
    for path in (EXAMPLES / "playbooks").glob("*.toml"):
        assert str(path) in loaded, path
    season = next(p for p in playbooks if p["id"] == "next-season")
    assert [(s["anchor"], s["offset"]) for s in season["steps"]] == [
        ("return", "+11m"),
        ("return", "+11m1w"),
        ("departure", "+1y"),
    ]


def test_example_playbook_schedules_months_ahead(ppo):
    shown = ppo(
        "--config",
        str(EXAMPLES / "config.toml"),
        "add",
        "Анна",
        "-p",
        "20.11.2026",
        "-d",
        "01.12.2026",
        "-r",
        "10.12.2026",
        "--playbook",
        "next-season",
        "--format",
        "json",
    ).json()
    assert [(s["id"], s["due"]) for s in shown["steps"]] == [
        ("season-offer", "2027-11-10"),
        ("season-call", "2027-11-17"),
        ("trip-anniversary", "2027-12-01"),
    ]


def test_example_clients_csv_is_excel_style_and_imports_cleanly(ppo):
    raw = (EXAMPLES / "clients.csv").read_bytes()
    assert b"\r\n" in raw and raw.split(b"\r\n")[0].count(b";") == 7
    assert raw.decode("cp1251").startswith("Клиент;Телефон;")
    result = ppo("--config", str(EXAMPLES / "config.toml"), "import", str(EXAMPLES / "clients.csv"))
    assert without_created(result.err) == "" and result.out.strip().endswith("6 trips added, 0 already there")
    trips = ppo.snapshot()
    assert len(trips) == 6
    # an empty manager cell takes the example config's default manager
    assert {t["client"]["name"]: t["manager"] for t in trips}["Григорий Павлов"] == "Ольга"
    assert {t["client"]["name"]: t["note"] for t in trips}["Борис Орлов"] == "VIP; летит с семьёй"


def test_crontab_and_systemd_units_run_ppo_report(ppo):
    lines = [line for line in (EXAMPLES / "crontab").read_text().splitlines() if line and line[0] != "#"]
    job = [line for line in lines if "ppo report" in line]
    assert len(job) == 1 and len(job[0].split()[:5]) == 5 and "%" not in job[0]
    assert any(line.startswith("MAILTO=") for line in lines)
    service = (EXAMPLES / "ppo-report.service").read_text()
    assert "Type=oneshot" in service and "ExecStart=" in service and "ppo report --out" in service
    timer = (EXAMPLES / "ppo-report.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer and "WantedBy=timers.target" in timer


@pytest.mark.sqlite_only
def test_the_crontab_backup_line_makes_a_backup_and_keeps_a_week(ppo, tmp_path):
    import os
    import subprocess
    import sys
    import time

    ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    line = next(line for line in (EXAMPLES / "crontab").read_text().splitlines() if "store backup" in line)
    command = " ".join(line.split()[5:]).replace("\\%", "%")  # cron's escaped % as the shell gets it
    backups = tmp_path / "backups"
    backups.mkdir()
    command = command.replace("/srv/ppo/backups", str(backups))
    command = command.replace("/opt/ppo/.venv/bin/ppo", str(Path(sys.executable).parent / "ppo"))
    old, recent = backups / "ppo-2026-11-01.sqlite3", backups / "ppo-2026-11-23.sqlite3"
    for path, days in ((old, 8), (recent, 3)):
        path.write_bytes(b"")
        os.utime(path, (time.time() - days * 86400,) * 2)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PPO_DB": str(ppo.db), "LANG": "C.UTF-8"}
    subprocess.run(["/bin/sh", "-c", command], env=env, check=True, capture_output=True)
    names = sorted(p.name for p in backups.iterdir())
    assert recent.name in names and old.name not in names and len(names) == 2
