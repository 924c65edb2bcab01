"""The director's workbook beside its floors, measured in the same run (issue 24):

- `ppo export` (fresh) against plain Python writing the same cells as sheet XML into a zip
  (`floor_export_xml.py`: a full run minus a load-only run);
- `ppo export` over yesterday's book (cron's path: a full sync first) against a fresh export;
- `ppo sync` against python-calamine reading the sheets sync needs (`floor_sync.py`).

    python benchmarks/export_book.py STORE.sqlite3 WORKDIR [--repeat N]

Each figure is a whole process (seconds, max RSS), interleaved with its floor so both see
the same load; seconds are medians of `--repeat`, a ratio the median of each round's own.
`figures()` is what benchmarks/run.py calls.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PPO = BIN / "ppo"
PYTHON = sys.executable

OVER = "export over yesterday's book"
TARGETS = {"export": 2.0, OVER: 1.2, "sync": 3.0}


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds, max RSS in MB, stdout) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {err[-500:]}")
    return seconds, usage.ru_maxrss / 1024, out


def figures(db: Path, work: Path, repeat: int = 1, env: dict[str, str] | None = None) -> list[dict]:
    """Rows of the table: name, seconds, floor seconds, ratio, target, peak MB."""
    work.mkdir(parents=True, exist_ok=True)
    book = work / "book.xlsx"
    fresh, floor, load, over, sync, calamine = [], [], [], [], [], []
    fresh_mb, over_mb, sync_mb = [], [], []
    yesterday = work / "yesterday.xlsx"

    def export_fresh() -> None:
        book.unlink(missing_ok=True)
        s, mb, _out = timed([str(PPO), "--db", str(db), "export", str(book)], env)
        fresh.append(s)
        fresh_mb.append(mb)

    def export_over() -> None:
        shutil.copy(book, yesterday)
        s, mb, _out = timed([str(PPO), "--db", str(db), "export", str(yesterday)], env)
        over.append(s)
        over_mb.append(mb)

    for round_no in range(repeat):
        # The export over yesterday's book runs next to the fresh one, first in every other
        # round (ABBA): the machine's speed drifts over the minutes of a round.
        if round_no % 2 == 0 or not book.exists():
            export_fresh()
            export_over()
        else:
            export_over()
            export_fresh()
        out = timed([PYTHON, str(HERE / "floor_export_xml.py"), str(book), str(work / "floor.xlsx")], env)[2]
        floor.append(json.loads(out)["seconds"])
        out = timed(
            [PYTHON, str(HERE / "floor_export_xml.py"), str(book), str(work / "floor.xlsx"), "--load-only"], env
        )[2]
        load.append(json.loads(out)["seconds"])
        shutil.copy(book, yesterday)
        s, mb, _out = timed([str(PPO), "--db", str(db), "sync", str(yesterday)], env)
        sync.append(s)
        sync_mb.append(mb)
        calamine.append(timed([PYTHON, str(HERE / "floor_sync.py"), str(book)], env)[0])
    med = statistics.median
    floors = [full - only for full, only in zip(floor, load)]
    rows = [
        ("ppo export", fresh, floors, "floor: the same cells as XML into a zip", "export", max(fresh_mb)),
        ("ppo export over yesterday's book", over, fresh, "a fresh export", OVER, max(over_mb)),
        ("ppo sync", sync, calamine, "python-calamine, the same sheets", "sync", max(sync_mb)),
    ]
    # Each ratio is the median of the rounds' own ratios: a round's figure and its floor ran one
    # after the other, while the machine's speed drifts across the minutes of the rounds.
    return [
        {
            "name": name,
            "seconds": med(seconds),
            "floor": med(floor_seconds),
            "floor_name": floor_name,
            "ratio": med(a / b for a, b in zip(seconds, floor_seconds)) if all(floor_seconds) else float("nan"),
            "target": TARGETS[key],
            "peak_mb": peak,
        }
        for name, seconds, floor_seconds, floor_name, key, peak in rows
    ]


def table(rows: list[dict]) -> str:
    lines = ["| operation | ppo | floor | ratio | target | peak MB |", "|---|---|---|---|---|---|"]
    for row in rows:
        verdict = "ok" if row["ratio"] <= row["target"] else "MISS"
        lines.append(
            f"| `{row['name']}` | {row['seconds']:.1f} s | {row['floor_name']}: {row['floor']:.1f} s"
            f" | {row['ratio']:.2f}× | ≤ {row['target']}× {verdict} | {row['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rows = figures(args.db, args.work, args.repeat)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
