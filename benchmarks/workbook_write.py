"""How fast, and in how much memory, the director's workbook is written.

    python benchmarks/workbook_write.py 10000 100000

For each size: a store of N tour trips, then `ppo export` (XlsxWriter constant_memory,
streamed from the store), a bare XlsxWriter script writing the same cells, and an
openpyxl write-only script writing the same cells (formulas without cached values:
openpyxl cannot store them). Each runs in its own process; peak RSS is that process's.
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

STEPS = 7


def seed(db: Path, n: int) -> None:
    from ppo_checklist import tracker
    from ppo_checklist.core import playbooks
    from ppo_checklist.store import open_store

    tour = playbooks.load_all()["tour"]
    store = open_store(db)
    start = dt.date(2026, 1, 1)
    with store.write():
        for i in range(n):
            p = start + dt.timedelta(days=i % 300)
            dates = {
                "purchase": p,
                "departure": p + dt.timedelta(days=10),
                "return": p + dt.timedelta(days=20),
            }
            client = store.add_client(f"Client {i}", f"+7900{i:07d}", None)
            store.add_trip(client, f"Manager {i % 12}", "tour", dates, tracker.new_steps(tour, dates))
    store.close()


def ppo_export(db: Path, out: Path) -> None:
    from ppo_checklist.core import playbooks
    from ppo_checklist.store import open_store
    from ppo_checklist.workbook import export as exporting

    store = open_store(db)
    exporting.export(store, playbooks.load_all(), out, dt.date(2026, 6, 1))


def bare_xlsxwriter(n: int, out: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    date = book.add_format({"num_format": "dd.mm.yyyy"})
    checklist, actions = book.add_worksheet("Checklist Туры"), book.add_worksheet("Actions")
    for c in range(24):
        checklist.write_string(0, c, f"h{c}")
    for c in range(8):
        actions.write_string(0, c, f"h{c}")
    a = 1
    for i in range(n):
        r = i + 1
        checklist.write_number(r, 0, i + 1)
        checklist.write_string(r, 1, f"Client {i}")
        checklist.write_string(r, 2, f"+7900{i:07d}")
        checklist.write_string(r, 3, f"Manager {i % 12}")
        checklist.write_string(r, 4, "tour")
        for c in (5, 6, 7):
            checklist.write_number(r, c, 46000 + i % 300, date)
        for s in range(STEPS):
            checklist.write_formula(r, 8 + 2 * s, f"=MAX(G{r + 1}-1,F{r + 1})", date, 46010)
            ref = f"'Checklist Туры'!$I${r + 1}"
            actions.write_number(a, 0, i + 1)
            actions.write_string(a, 1, f"Client {i}")
            actions.write_string(a, 2, f"Manager {i % 12}")
            actions.write_string(a, 3, f"{s} · step")
            actions.write_string(a, 4, "SMS")
            actions.write_formula(a, 5, "=" + ref, date, 46010)
            actions.write_formula(a, 6, f'=IF({ref}="","",{ref})', date, "")
            actions.write_formula(
                a,
                7,
                f'=IF(G{a + 1}<>"","done",IF(F{a + 1}<TODAY(),"overdue","pending"))',
                None,
                "pending",
            )
            a += 1
    book.close()


def openpyxl_write_only(n: int, out: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    checklist, actions = book.create_sheet("Checklist Туры"), book.create_sheet("Actions")
    checklist.append([f"h{c}" for c in range(24)])
    actions.append([f"h{c}" for c in range(8)])

    def dated(ws, value):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "dd.mm.yyyy"
        return cell

    day = dt.date(2026, 1, 1)
    a = 1
    for i in range(n):
        r = i + 1
        row = [i + 1, f"Client {i}", f"+7900{i:07d}", f"Manager {i % 12}", "tour"]
        row += [dated(checklist, day) for _ in range(3)]
        action_rows = []
        for s in range(STEPS):
            row += [dated(checklist, f"=MAX(G{r + 1}-1,F{r + 1})"), None]
            ref = f"'Checklist Туры'!$I${r + 1}"
            action_rows.append(
                [
                    i + 1,
                    f"Client {i}",
                    f"Manager {i % 12}",
                    f"{s} · step",
                    "SMS",
                    dated(actions, "=" + ref),
                    f'=IF({ref}="","",{ref})',
                    f'=IF(G{a + 1}<>"","done",IF(F{a + 1}<TODAY(),"overdue","pending"))',
                ]
            )
            a += 1
        checklist.append(row + [None])
        for action in action_rows:
            actions.append(action)
    book.save(str(out))


def child(mode: str, *args: str) -> None:
    started = time.perf_counter()
    if mode == "seed":
        seed(Path(args[0]), int(args[1]))
    elif mode == "ppo":
        ppo_export(Path(args[0]), Path(args[1]))
    elif mode == "xlsxwriter":
        bare_xlsxwriter(int(args[0]), Path(args[1]))
    elif mode == "openpyxl":
        openpyxl_write_only(int(args[0]), Path(args[1]))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = args[-1] if mode != "seed" else args[1]
    print(f"{mode:>10} {what:>30}: {seconds:7.1f} s  {peak:6.0f} MB peak RSS", flush=True)


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            db, base = Path(folder) / f"s{n}.sqlite3", Path(folder)
            subprocess.run([sys.executable, __file__, "--child", "seed", str(db), str(n)], check=True)
            for mode, args in (
                ("ppo", [str(db), str(base / f"ppo{n}.xlsx")]),
                ("xlsxwriter", [str(n), str(base / f"bare{n}.xlsx")]),
                ("openpyxl", [str(n), str(base / f"opx{n}.xlsx")]),
            ):
                subprocess.run([sys.executable, __file__, "--child", mode, *args], check=True)
            for name in (f"ppo{n}.xlsx", f"bare{n}.xlsx", f"opx{n}.xlsx"):
                with zipfile.ZipFile(base / name) as archive:
                    infos = archive.infolist()
                unpacked = sum(i.file_size for i in infos) / 1024**2
                ratio = max(i.file_size / max(i.compress_size, 1) for i in infos)
                print(
                    f"{name}: {(base / name).stat().st_size / 1024**2:.1f} MB on disk,"
                    f" {unpacked:.0f} MB unpacked, highest ratio {ratio:.0f}"
                )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:])
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000])
