"""The floor for `ppo import`: the same CSV read with the csv module and inserted into a
fresh SQLite file with one `executemany` in one transaction, nothing checked, nothing derived.

    python benchmarks/floor_import.py trips.csv floor.sqlite3
"""

import csv
import sqlite3
import sys

source, target = sys.argv[1], sys.argv[2]
with open(source, newline="", encoding="utf-8-sig") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    db = sqlite3.connect(target)
    db.execute(f"CREATE TABLE rows ({', '.join(f'c{i} TEXT' for i in range(len(header)))})")
    with db:
        db.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(header))})", reader)
    db.close()
