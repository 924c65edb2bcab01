"""How long `ppo send --dry-run` takes over a large store on a day with about a thousand
messages due.

    python benchmarks/send.py [--trips 100000] [--repeat 5]

Builds the store as benchmarks/run.py does (`ppo import` of `synthetic.py`'s rows: three
years of departures, both playbooks, 20 managers), with a config that sends e-mail and SMS,
then times `ppo send --dry-run` (the full text of every letter printed) and
`ppo send --dry-run --format json` as whole processes, median of `--repeat`. A dry run opens
no connection: what is timed is finding what is due, rendering the letters and checking the
phones (E.164), which a real run does before it hands anything over. No figure is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

PPO = Path(sys.executable).parent / "ppo"
CONFIG = """agency = "Турагентство «Солнце»"
director = "Елена Смирнова"
[email]
server = "smtp://127.0.0.1:1"
from = "Турагентство «Солнце» <info@solnce.example>"
[sms]
provider = "smsru"
api_id = "benchmark"
url = "http://127.0.0.1:1"
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, check=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    today = dt.date(2026, 6, 15)  # a Monday in season
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "config.toml").write_text(CONFIG, encoding="utf-8")
        env = {
            **os.environ,
            "PPO_DB": str(work / "ppo.sqlite3"),
            "PPO_CONFIG": str(work / "config.toml"),
            "PPO_TODAY": today.isoformat(),
            "LANG": "C.UTF-8",
        }
        csv_path = work / "trips.csv"
        synthetic.write_csv(csv_path, args.trips, today)
        took, _ = timed([str(PPO), "import", str(csv_path)], env)
        print(f"store: {args.trips} trips imported in {took:.1f} s")
        _, out = timed([str(PPO), "send", "--dry-run", "--format", "json"], env)
        report = json.loads(out)
        messages = report["messages"]
        kinds: dict[str, int] = {}
        for message in messages:
            kinds[message["channel"]] = kinds.get(message["channel"], 0) + 1
        print(f"due on {today}: {len(messages)} messages {kinds}, {len(report['for_a_person'])} for a person")
        for label, extra in (("ppo send --dry-run", []), ("ppo send --dry-run --format json", ["--format", "json"])):
            samples = [timed([str(PPO), "send", "--dry-run", *extra], env)[0] for _ in range(args.repeat)]
            print(f"{label}: {statistics.median(samples):.3f} s (median of {args.repeat}; min {min(samples):.3f})")


if __name__ == "__main__":
    main()
