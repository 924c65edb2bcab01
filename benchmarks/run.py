"""How fast ppo is at scale, next to a floor measured in the same run on the same machine.

    python benchmarks/run.py [--trips 100000] [--repeat N] [--memory-sizes 10000,100000,300000]

Run it with the Python of a plain (non-editable) install: `python3 -m venv /tmp/bench &&
/tmp/bench/bin/pip install . && /tmp/bench/bin/python benchmarks/run.py`. It times the `ppo`
found next to that Python (`Path(sys.executable).parent / "ppo"`); an editable install adds
~30 ms of import hooks to every start and is reported as such.

What it does:
1. Writes N synthetic trips as a CSV (see `synthetic.py` for how they are made realistic:
   three years of dates, 20 managers, both playbooks, about a third of steps done, a
   backlog of a few hundred overdue steps) and builds the store from it with `ppo import`,
   the bulk path; then adds the history (done marks, cancellations) through `Store`.
2. Times each operation as a whole process, `--repeat` times (median), interleaved with
   its floor so that both see the same load on a shared machine:
   - terminal commands (`--help`, `today`, `today --format json`, `add`, `done`, `show`)
     against `python -c "import typer, rich.console, rich.table"`;
   - `ppo import` of the CSV into a fresh store against `floor_import.py` (csv module +
     one `executemany`);
   - `ppo export` against `floor_export.py`, which replays the very XlsxWriter calls the
     export made (recorded once, untimed, by `record_export.py`) in a bare script;
   - `ppo sync` of the exported workbook (seconds and peak memory; there is no floor).
   Peak memory is each process's max RSS (`os.wait4`).
3. Prints one table (seconds, floor, ratio, target, max RSS), the machine, the query plan
   of `ppo today`, and writes the figures as JSON (`--json`).

`--memory-sizes` adds one export at each other size (building a store for each) and
reports how peak memory grows with the number of trips; at the default sizes it adds
about five minutes. No figure here is asserted: CI runs `--trips 1000 --repeat 1` only so
that the script keeps working.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

BIN = Path(sys.executable).parent
PPO = BIN / "ppo"
PYTHON = sys.executable
TERMINAL_FLOOR = "import typer, rich.console, rich.table"

TARGETS = {
    "ppo --help": 1.15,
    "ppo today": 1.25,
    "ppo today --format json": 1.15,
    "ppo add": 1.5,
    "ppo done": 1.5,
    "ppo show": 1.3,
    "ppo export": 1.5,
    "ppo import": 3.0,
}
EXPORT_RSS_TARGET_MB = 250


@dataclass
class Figure:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    floor: str | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb) if self.rss_mb else float("nan")


class Failed(RuntimeError):
    pass


def run_once(cmd: list[str], env: dict[str, str], figure: Figure | None = None, stdout: Path | None = None) -> float:
    """Run one process to its end; its wall time and max RSS go to `figure`."""
    with open(stdout or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise Failed(f"{' '.join(map(str, cmd))} exited {proc.returncode}: {err.read().decode(errors='replace')}")
    if figure is not None:
        figure.seconds.append(elapsed)
        figure.rss_mb.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return elapsed


def has_command(name: str, env: dict[str, str]) -> bool:
    result = subprocess.run([str(PPO), name, "--help"], env=env, capture_output=True)
    return result.returncode == 0


def internal(action: str, *args) -> object:
    """Run a setup step of this script in a child process, so that this one stays small:
    Linux carries a parent's peak memory into its children's max RSS across exec."""
    result = subprocess.run([PYTHON, __file__, "--internal", action, *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        raise Failed(f"setup step {action} failed: {result.stderr}")
    return json.loads(result.stdout or "null")


INTERNAL = {
    "csv": lambda path, n, day: synthetic.write_csv(Path(path), int(n), dt.date.fromisoformat(day)),
    "build": lambda db, path: build_store_in_process(Path(db), Path(path)),
    "history": lambda db, day: add_history(Path(db), dt.date.fromisoformat(day)),
    "plan": lambda db, day: today_plan(Path(db), dt.date.fromisoformat(day)),
}


def editable_install() -> bool:
    try:
        from importlib.metadata import distribution

        text = distribution("ppo-checklist").read_text("direct_url.json") or ""
    except Exception:  # not installed as a distribution at all
        return False
    return '"editable": true' in text


# --- the store -------------------------------------------------------------------------


def build_store(db: Path, csv_path: Path, env: dict[str, str], figure: Figure | None) -> str:
    """The store from the CSV: `ppo import` (timed as one import sample) when ppo has it."""
    if db.exists():
        db.unlink()
    if has_command("import", env):
        run_once([str(PPO), "--db", str(db), "import", str(csv_path)], env, figure)
        return "ppo import"
    internal("build", db, csv_path)
    return "in-script builder (TEMPORARY: ppo import not available)"


def build_store_in_process(db: Path, csv_path: Path) -> None:
    """(Run by `internal`.) TEMPORARY stand-in for `ppo import` until it lands: one transaction through Store."""
    from ppo_checklist import playbooks, tracker
    from ppo_checklist.dates import parse_date
    from ppo_checklist.store import open_store

    known = playbooks.load_all(None)
    store = open_store(db)
    with store.write(), csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            playbook = known[row["playbook"] or "tour"]
            dates = {name: parse_date(row[name]) if row.get(name) else None for name in playbook.dates}
            dates.update({name: parse_date(row[name]) for name in playbook.optional_dates if row.get(name)})
            steps = tracker.new_steps(playbook, dates)
            client = store.client_for(row["name"], row["phone"], row["email"])
            store.add_trip(client, row["manager"], playbook.id, dates, steps, row["note"])
    store.close()


def add_history(db: Path, today: dt.date) -> dict[str, int]:
    """Done marks and cancellations, as the managers would have made them, through Store."""
    from ppo_checklist.store import open_store

    with sqlite3.connect(db) as conn:
        steps = [(t, n, dt.date.fromisoformat(d)) for t, n, d in conn.execute("SELECT trip_id, no, due FROM steps")]
        trip_ids = [t for (t,) in conn.execute("SELECT id FROM trips ORDER BY id")]
    done, cancelled = synthetic.history(steps, trip_ids, today)
    store = open_store(db)
    with store.write():
        for trip_id, no, day in done:
            store.mark_done(trip_id, no, day, None)
        for trip_id in cancelled:
            store.cancel(trip_id, today, "синтетическая отмена")
    store.close()
    return {"trips": len(trip_ids), "steps": len(steps), "done": len(done), "cancelled": len(cancelled)}


def open_steps(db: Path, today: dt.date, count: int) -> list[tuple[int, int]]:
    """Steps `ppo done` can mark in the timing runs: open, due later, of trips not cancelled."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT s.trip_id, s.no FROM steps s JOIN trips t ON t.id = s.trip_id"
            " WHERE s.done_on IS NULL AND t.cancelled_on IS NULL AND s.due > ? ORDER BY s.trip_id LIMIT ?",
            (today.isoformat(), count),
        ).fetchall()


def today_plan(db: Path, today: dt.date) -> list[str]:
    """EXPLAIN QUERY PLAN of the query `ppo today` runs (caught as ppo's Store runs it)."""
    from ppo_checklist.store import open_store

    store = open_store(db)
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    store.agenda(until=today)
    store.db.set_trace_callback(None)
    query = next((s for s in statements if s.lstrip().upper().startswith("SELECT")), None)
    if query is None or "?" in query:
        return ["(could not capture the query)"]
    plan = [row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + query)]
    store.close()
    return plan


# --- the operations ----------------------------------------------------------------------


# `ppo today` in Russian: the same command with the catalogue loaded (the others run in C.UTF-8).
OP_ENV = {"ppo today (LANG=ru_RU.UTF-8)": {"LANG": "ru_RU.UTF-8"}}

CATALOGUE_LOAD = """
import time
from ppo_checklist import i18n
started = time.perf_counter()
i18n.choose("", {"LANG": "%s"})
print(time.perf_counter() - started)
"""


def catalogue_load_ms(env: dict[str, str], repeat: int) -> dict[str, float]:
    """What choosing the language costs at the start of a run, in ms (median, each in a fresh
    process): English (no catalogue) and Russian (the .mo read and parsed)."""
    figures = {}
    for lang in ("C.UTF-8", "ru_RU.UTF-8"):
        seconds = []
        for _i in range(max(repeat, 5)):
            out = subprocess.run(
                [PYTHON, "-c", CATALOGUE_LOAD % lang], env=env, capture_output=True, text=True, check=True
            ).stdout
            seconds.append(float(out))
        figures[lang] = statistics.median(seconds) * 1000
    return figures


def terminal_figures(db: Path, env: dict[str, str], today: dt.date, repeat: int, work: Path) -> list[Figure]:
    ppo = [str(PPO), "--db", str(db)]
    targets = open_steps(db, today, repeat)
    if len(targets) < repeat:
        raise Failed("not enough open steps for `ppo done`")
    show_trip = targets[len(targets) // 2][0]
    day = today.strftime("%d.%m.%Y")
    later = (today + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    back = (today + dt.timedelta(days=40)).strftime("%d.%m.%Y")
    ops = {
        "floor: import typer, rich": lambda i: [PYTHON, "-c", TERMINAL_FLOOR],
        "ppo --help": lambda i: [str(PPO), "--help"],
        "ppo today": lambda i: [*ppo, "today"],
        "ppo today --format json": lambda i: [*ppo, "today", "--format", "json"],
        "ppo today (LANG=ru_RU.UTF-8)": lambda i: [*ppo, "today"],
        "ppo add": lambda i: [
            *ppo,
            "add",
            f"Бенчмарк Клиент {i}",
            "--purchase",
            day,
            "--departure",
            later,
            "--return",
            back,
            "--phone",
            f"+7 900 000-{i // 100:02d}-{i % 100:02d}",
            "--manager",
            synthetic.MANAGERS[i % len(synthetic.MANAGERS)],
        ],
        "ppo done": lambda i: [*ppo, "done", str(targets[i][0]), str(targets[i][1])],
        "ppo show": lambda i: [*ppo, "show", str(show_trip)],
    }
    figures = {
        name: Figure(name, floor=None if name.startswith("floor") else "floor: import typer, rich") for name in ops
    }
    for i in range(repeat):
        for name, make in ops.items():
            out = work / f"out-{name.replace(' ', '_')}.txt" if i == 0 else None
            run_once(make(i), {**env, **OP_ENV.get(name, {})}, figures[name], out)
    rows = json.loads((work / "out-ppo_today_--format_json.txt").read_text(encoding="utf-8"))
    overdue = sum(1 for r in rows if r["status"] == "overdue")
    figures["ppo today"].note = f"{len(rows)} rows ({overdue} overdue)"
    figures["ppo today --format json"].note = f"{len(rows)} rows"
    return list(figures.values())


def import_figures(csv_path: Path, env: dict[str, str], first: Figure, repeat: int, work: Path) -> list[Figure]:
    floor = Figure("floor: csv + executemany")
    first.floor = floor.name
    for i in range(repeat):
        target = work / "floor-import.sqlite3"
        target.unlink(missing_ok=True)
        run_once([PYTHON, str(HERE / "floor_import.py"), str(csv_path), str(target)], env, floor)
        if i >= len(first.seconds):  # the store build was the first `ppo import` sample
            db = work / "import.sqlite3"
            for extra in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                extra.unlink(missing_ok=True)
            run_once([str(PPO), "--db", str(db), "import", str(csv_path)], env, first)
    return [first, floor]


def export_figures(db: Path, env: dict[str, str], repeat: int, work: Path) -> list[Figure]:
    calls = work / "export-calls.pickle"
    recorded = work / "recorded.xlsx"
    recorded.unlink(missing_ok=True)
    run_once([PYTHON, str(HERE / "record_export.py"), str(calls), "--", "--db", str(db), "export", str(recorded)], env)
    export = Figure("ppo export", floor="floor: XlsxWriter replay")
    floor = Figure("floor: XlsxWriter replay")
    load = Figure("  (floor's reading of the calls)")
    out = work / "export.xlsx"
    for _ in range(repeat):
        out.unlink(missing_ok=True)  # an existing workbook would be synced first
        run_once([str(PPO), "--db", str(db), "export", str(out)], env, export)
        run_once([PYTHON, str(HERE / "floor_export.py"), str(calls), str(work / "floor.xlsx")], env, floor)
    run_once([PYTHON, str(HERE / "floor_export.py"), str(calls), str(work / "floor.xlsx"), "--load-only"], env, load)
    calls.unlink()
    export.note = f"{out.stat().st_size / 1e6:.1f} MB file"
    return [export, floor, load]


def sync_figures(db: Path, env: dict[str, str], repeat: int, work: Path) -> list[Figure]:
    figure = Figure("ppo sync", note="the exported workbook, read-only")
    for _ in range(repeat):
        run_once([str(PPO), "--db", str(db), "sync", str(work / "export.xlsx")], env, figure)
    return [figure]


def memory_growth(sizes: list[int], main: int, main_figure: Figure | None, env, today, work) -> list[tuple]:
    """(trips, seconds, peak MB) of one export at each size."""
    result = []
    for size in sorted(set(sizes)):
        if size == main and main_figure is not None:
            result.append((size, main_figure.median, main_figure.peak_mb))
            continue
        csv_path, db = work / f"trips-{size}.csv", work / f"store-{size}.sqlite3"
        internal("csv", csv_path, size, today)
        build_store(db, csv_path, env, None)
        internal("history", db, today)
        figure = Figure("export")
        out = work / f"export-{size}.xlsx"
        out.unlink(missing_ok=True)
        run_once([str(PPO), "--db", str(db), "export", str(out)], env, figure)
        result.append((size, figure.median, figure.peak_mb))
        for path in (csv_path, db, out):
            path.unlink(missing_ok=True)
    return result


# --- the report --------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("typer", "rich", "XlsxWriter", "openpyxl"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "?"
    return {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def table(figures: list[Figure], repeat_note: dict[str, int]) -> str:
    by_name = {f.name: f for f in figures}
    lines = [
        f"| {'operation':<34} | {'median s':>8} | {'floor s':>7} | {'ratio':>5} | {'target':>6} | {'max RSS MB':>10} "
        f"| {'runs':>4} | note",
        f"|{'-' * 36}|{'-' * 10}|{'-' * 9}|{'-' * 7}|{'-' * 8}|{'-' * 12}|{'-' * 6}|------",
    ]
    for f in figures:
        floor = by_name.get(f.floor) if f.floor else None
        ratio = f.median / floor.median if floor else None
        target = TARGETS.get(f.name)
        mark = "" if target is None or ratio is None else (" ok" if ratio <= target else " MISS")
        lines.append(
            f"| {f.name:<34} | {f.median:>8.3f} | {floor.median if floor else float('nan'):>7.3f} | "
            f"{ratio if ratio else float('nan'):>5.2f} | {('<= ' + str(target)) if target else '':>6} | "
            f"{f.peak_mb:>10.1f} | {len(f.seconds):>4} | {(mark.strip() + ' ' if mark else '') + f.note}".rstrip()
        )
    return "\n".join(line.replace("nan", "   ") for line in lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--internal"]:
        print(json.dumps(INTERNAL[argv[1]](*argv[2:])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=100_000, help="trips in the store (default 100000)")
    parser.add_argument(
        "--repeat", type=int, help="runs of each operation (default: 7 terminal; heavy ones 3, or 1 above 20 000 trips)"
    )
    parser.add_argument("--memory-sizes", default="", help="e.g. 10000,100000,300000: export peak memory at each size")
    parser.add_argument("--workdir", type=Path, help="where the store, CSV and workbooks go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)

    if not PPO.exists():
        print(f"no ppo next to {PYTHON}: install ppo in this Python's environment first", file=sys.stderr)
        return 1
    started = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ppo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "PPO_TODAY": today.isoformat(),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    terminal_repeat = args.repeat or 7
    # The whole run must stay under 10 minutes at 100 000 trips, where one export and its
    # floor take ~1.5 minutes each: heavy operations run 3 times up to 20 000 trips, once above.
    heavy_repeat = args.repeat or (3 if args.trips <= 20_000 else 1)
    info = machine()
    load_before = os.getloadavg()
    print(
        f"ppo benchmark: {args.trips} trips, {info['date']}, {info['cpus']} CPUs ({info['cpu']}), "
        f"Python {info['python']}, load {load_before[0]:.2f}",
        flush=True,
    )
    if editable_install():
        print("warning: ppo is an editable install here; start-up figures include its import hook", flush=True)

    csv_path, db = work / "trips.csv", work / "store.sqlite3"
    internal("csv", csv_path, args.trips, today)
    importing = Figure("ppo import")
    built_by = build_store(db, csv_path, env, importing)
    history = internal("history", db, today)
    print(
        f"store built by {built_by}: {history['trips']} trips, {history['steps']} steps, "
        f"{history['done'] / max(history['steps'], 1):.0%} done, {history['cancelled']} cancelled "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    plan = internal("plan", db, today)

    figures = terminal_figures(db, env, today, terminal_repeat, work)
    catalogue = catalogue_load_ms(env, terminal_repeat)
    print(f"terminal commands timed ({time.perf_counter() - started:.0f} s)", flush=True)
    if importing.seconds:
        figures += import_figures(csv_path, env, importing, heavy_repeat, work)
        print(f"import timed ({time.perf_counter() - started:.0f} s)", flush=True)
    export_figure = None
    if has_command("export", env):
        exported = export_figures(db, env, heavy_repeat, work)
        export_figure = exported[0]
        figures += exported
        print(f"export timed ({time.perf_counter() - started:.0f} s)", flush=True)
        if has_command("sync", env):
            figures += sync_figures(db, env, heavy_repeat, work)
            print(f"sync timed ({time.perf_counter() - started:.0f} s)", flush=True)
    growth = []
    if args.memory_sizes and export_figure is not None:
        sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
        growth = memory_growth(sizes, args.trips, export_figure, env, today, work)

    missing = [name for name, have in (("import", importing.seconds), ("export", export_figure)) if not have]
    print()
    print(table(figures, {}))
    if missing:
        print(f"\nnot measured (ppo has no such command yet): {', '.join(missing)}")
    if export_figure is not None:
        verdict = "ok" if export_figure.peak_mb <= EXPORT_RSS_TARGET_MB else "MISS"
        print(
            f"\nexport peak memory: {export_figure.peak_mb:.0f} MB at {args.trips} trips "
            f"(target <= {EXPORT_RSS_TARGET_MB} MB at 100000: {verdict})"
        )
    if growth:
        print("export by store size:  trips | seconds | peak MB | MB per 10k trips")
        for size, seconds, mb in growth:
            print(f"  {size:>20} | {seconds:>7.1f} | {mb:>7.0f} | {mb / size * 10_000:>6.1f}")
    print(
        "\nchoosing the language at the start of a run: "
        + ", ".join(f"LANG={lang} {ms:.2f} ms" for lang, ms in catalogue.items())
        + " (Russian: the catalogue's .mo loaded; target < 5 ms)"
    )
    print("\nquery plan of `ppo today`:")
    for line in plan:
        print(f"  {line}")
    load_after = os.getloadavg()
    print(
        f"\nmachine: {info['cpus']} CPUs, {info['cpu']}; Python {info['python']}, SQLite {info['sqlite']}; "
        f"{info['packages']}; {info['os']}"
    )
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; "
        f"whole run {time.perf_counter() - started:.0f} s; this script's own peak {own:.0f} MB "
        "(no max RSS above can be below it)"
    )

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "trips": args.trips,
                    "machine": info,
                    "store": history,
                    "built_by": built_by,
                    "load": [load_before[0], load_after[0]],
                    "query_plan": plan,
                    "figures": [
                        {"name": f.name, "seconds": f.seconds, "rss_mb": f.rss_mb, "floor": f.floor, "note": f.note}
                        for f in figures
                    ],
                    "export_growth": growth,
                    "catalogue_load_ms": catalogue,
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
