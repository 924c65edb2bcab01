"""Soak `ppo send` (issue 20): 200 runs of the installed `ppo send` against real servers on
loopback (aiosmtpd, the HTTP SMS gateway of tests/send_servers.py) with random faults and
kills, over ~7 weeks of days. Not part of the test suite; run it by hand:

    .venv/bin/python benchmarks/soak_send.py [--runs 200] [--seed 1] [--postgres URL]

It prints runs, letters and SMS delivered, duplicates (a letter or SMS reaching its client a
second time: must be 0), and what the outbox holds at the end (unknown, failed, lapsed). Exit 1
if any duplicate was seen.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from send_servers import Gateway, Mailbox, email_config, smtp_server, write_config  # noqa: E402

PPO = str(Path(sys.executable).parent / "ppo")
SMS_FAULTS = ["ok"] * 6 + ["500-after", "garbage", "short", "drop", "hang", "429", "500"]


class CountingGateway(Gateway):
    """The gateway, also keeping the text of each SMS delivered (to find a second one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deliveries: list[tuple[str, str]] = []

    def answer(self, phone, kind, form):
        body = super().answer(phone, kind, form)
        if kind != "refuse":
            self.deliveries.append((phone, form.get("mes") or form.get("msg") or ""))
        return body


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("PPO_TEST_POSTGRES", ""))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="ppo-soak-"))
    store = str(home / "ppo.sqlite3")
    if args.postgres:
        import psycopg

        schema = f"soak_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        store = args.postgres + ("&" if "?" in args.postgres else "?") + "options=-csearch_path%3D" + schema
    mailbox = Mailbox()
    mailbox.controller = smtp_server(mailbox)
    gateway = CountingGateway("smsc", delay=1.5)
    config = home / "config.toml"
    write_config(
        config,
        email_config(mailbox.controller, timeout=2),
        {"provider": "smsc", "login": "soak", "password": "PSW", "url": gateway.url, "timeout": 1},
        send_budget=60,
    )
    env = {**os.environ, "HOME": str(home), "PPO_DB": store, "PPO_CONFIG": str(config), "LANG": "C.UTF-8"}
    start = dt.date(2026, 12, 1)
    for n in range(args.clients):
        purchase = start + dt.timedelta(days=rng.randrange(0, 30))
        departure = purchase + dt.timedelta(days=rng.randrange(1, 15))
        back = departure + dt.timedelta(days=rng.randrange(3, 14))
        subprocess.run(
            [
                PPO,
                "add",
                f"Клиент {n}",
                "-p",
                f"{purchase:%d.%m.%Y}",
                "-d",
                f"{departure:%d.%m.%Y}",
                "-r",
                f"{back:%d.%m.%Y}",
                "--email",
                f"c{n}@example.ru",
                "--phone",
                f"+7916{n:07d}",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    codes: collections.Counter = collections.Counter()
    kills = 0
    started = time.monotonic()
    phones = [f"7916{n:07d}" for n in range(args.clients)]
    for run in range(args.runs):
        day = start + dt.timedelta(days=run // 4)  # four runs a day: cron, and people by hand
        gateway.behaviour = {phone: rng.choice(SMS_FAULTS) for phone in phones}
        mailbox.refuse = {f"c{n}@example.ru" for n in range(args.clients) if rng.random() < 0.03}
        kill = rng.random() < 0.25
        if kill and rng.random() < 0.5:
            mailbox.hold.set()  # killed while the server holds the answer to DATA
            mailbox.release.clear()
        process = subprocess.Popen(
            [PPO, "send", "--date", f"{day:%d.%m.%Y}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if kill:
            time.sleep(rng.uniform(0.0, 1.5))
            process.kill()
            kills += 1
        _out, err = process.communicate()
        mailbox.hold.clear()
        mailbox.release.set()
        codes[process.returncode] += 1
        if b"Traceback" in err:
            print(err.decode(), file=sys.stderr)
            codes["traceback"] += 1
    elapsed = time.monotonic() - started
    letters = collections.Counter(
        (tuple(e.rcpt_tos), m["Subject"]) for e, m in zip(mailbox.envelopes, mailbox.letters())
    )
    sms = collections.Counter(gateway.deliveries)
    duplicates = sum(n - 1 for n in letters.values() if n > 1) + sum(n - 1 for n in sms.values() if n > 1)
    shown = subprocess.run(
        [PPO, "send", "--dry-run", "--format", "json", "--date", f"{day:%d.%m.%Y}"],
        env=env,
        capture_output=True,
        check=True,
    )
    unknown = len(json.loads(shown.stdout)["unknown"])
    states: collections.Counter = collections.Counter()
    trips = json.loads(
        subprocess.run([PPO, "list", "--all", "--format", "json"], env=env, capture_output=True, check=True).stdout
    )
    for trip in trips:
        detail = json.loads(
            subprocess.run(
                [PPO, "show", str(trip["trip_id"]), "--format", "json"], env=env, capture_output=True, check=True
            ).stdout
        )
        states.update(m["state"] for m in detail["messages"])
    mailbox.controller.stop()
    gateway.stop()
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"backend {backend}, seed {args.seed}, {args.clients} clients, {elapsed:.0f} s")
    print(f"runs {args.runs} (killed {kills}; exit codes {dict(codes)})")
    print(f"letters delivered {len(mailbox.envelopes)}, SMS delivered {len(gateway.deliveries)}")
    print(f"duplicates {duplicates}")
    print(f"unknown {unknown}; outbox at the end {dict(states)}")
    return 1 if duplicates or codes["traceback"] else 0


if __name__ == "__main__":
    sys.exit(main())
