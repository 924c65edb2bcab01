"""What a command loads and opens before it answers: only what it uses. (How long that takes is
measured in benchmarks/run.py, beside its floor; here, which modules load and how many
connections a command makes, which a test can hold without a clock.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ppo_runner import PPO
from send_servers import agency_config

# ppo's console script in a fresh interpreter; afterwards, the modules it loaded and the
# connections it opened to a PostgreSQL server, as one json line on stderr.
RUN = """
import json, sys
opened = []
if "--count-connections" in sys.argv:  # the PostgreSQL case: psycopg loads anyway
    sys.argv.remove("--count-connections")
    import psycopg
    connect = psycopg.connect
    def counted(*args, **kwargs):
        opened.append(1)
        return connect(*args, **kwargs)
    psycopg.connect = counted
already = set(sys.modules)
def report():  # at exit: a registered function also makes ppo end the usual way
    loaded = {"modules": sorted(set(sys.modules) - already), "connections": len(opened)}
    sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
import atexit
atexit.register(report)
from ppo_checklist.cli import main
main()
"""

# What connects to a mail server or a gateway: loaded by `ppo send`, never by `ppo today`.
CONNECTING = ("smtplib", "ssl", "http.client", "urllib.request")


def run_fresh(ppo, *args: str) -> tuple[str, dict]:
    result = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=ppo.env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stderr.rsplit("LOADED ", 1)[1])
    return result.stdout, report


@pytest.fixture
def sending(ppo):
    """A config that sends letters and SMS (servers never reached: nothing is sent here)."""
    agency_config(
        ppo.home,
        email_table={"server": "smtp://127.0.0.1:9", "from": "info@solnce.example", "tls": False},
        sms_table={"provider": "smsru", "api_id": "k", "url": "http://127.0.0.1:9/"},
    )
    return ppo


@pytest.mark.sqlite_only  # psycopg itself loads ssl, json and more
def test_today_without_letters_or_sms_configured_loads_no_channel(ppo):
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    out, loaded = run_fresh(ppo, "today", "--date", "05.12.2026", "--format", "json")
    assert [row["step_id"] for row in json.loads(out)] == ["ppo-do"]  # a person subscribes the client
    channels = ("ppo_checklist.sending.mail", "ppo_checklist.sending.sms", "ppo_checklist.sending.outbox")
    assert not set(loaded["modules"]) & {*channels, *CONNECTING}


@pytest.mark.sqlite_only  # psycopg itself loads ssl, json and more
def test_today_with_letters_and_sms_configured_connects_nowhere_and_leaves_out_what_ppo_sends(sending):
    ppo = sending
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru", "--phone", "+79161111111")
    out, loaded = run_fresh(ppo, "today", "--date", "05.12.2026", "--format", "json")
    assert [row["step_id"] for row in json.loads(out)] == []  # ppo sends the thank-you letter itself
    assert not set(loaded["modules"]) & set(CONNECTING)
    everything, _loaded = run_fresh(ppo, "today", "--date", "05.12.2026", "--all", "--format", "json")
    assert [row["step_id"] for row in json.loads(everything)] == ["ppo-do"]


@pytest.mark.sqlite_only  # psycopg itself loads ssl, json and more
def test_today_in_a_terminal_loads_neither_json_nor_csv(ppo):
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026", "--phone", "+79161111111")
    out, loaded = run_fresh(ppo, "today", "--date", "05.12.2026")
    assert "Анна" in out
    assert "json" not in loaded["modules"] and "csv" not in loaded["modules"]


@pytest.mark.sqlite_only  # psycopg itself loads ssl
def test_export_and_sync_of_a_workbook_load_nothing_that_connects(ppo, tmp_path):
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026", "--phone", "+79161111111")
    book = tmp_path / "book.xlsx"
    for command in (("export", str(book)), ("sync", str(book)), ("export", str(book))):
        _out, loaded = run_fresh(ppo, *command, "--date", "05.12.2026")
        assert not set(loaded["modules"]) & set(CONNECTING), command
    assert book.is_file()


@pytest.mark.parametrize("command", [("today",), ("today", "--format", "json"), ("show", "1"), ("done", "1", "0")])
def test_a_command_on_postgresql_connects_once(make_ppo, tmp_path, command):
    ppo = make_ppo(tmp_path, backend="postgresql")
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--phone", "+79161111111")
    day = ("--date", "05.12.2026") if command[0] == "today" else ()
    _out, loaded = run_fresh(ppo, "--count-connections", "--db", ppo.store, *command, *day)
    assert loaded["connections"] == 1
    assert "sqlite3" not in loaded["modules"]  # the other backend's library stays unloaded


@pytest.mark.sqlite_only  # psycopg itself loads more
def test_today_reads_the_shipped_playbooks_without_parsing_toml(ppo):
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026")
    out, loaded = run_fresh(ppo, "today", "--date", "05.12.2026", "--format", "json")
    assert [row["step_id"] for row in json.loads(out)] == ["ppo-do"]
    assert "tomllib" not in loaded["modules"] and "tomli" not in loaded["modules"]
    assert "ppo_checklist.server_settings" not in loaded["modules"]  # no [email], [sms], [imap]


def test_add_reads_the_cached_days_off_without_loading_what_writes_files(make_ppo, tmp_path):
    config = tmp_path / "office.toml"
    config.write_text('holidays = "RU"\n', encoding="utf-8")
    ppo = make_ppo(tmp_path / "home", config)
    ppo.add("Анна", "05.12.2026", "20.12.2026", "30.12.2026")  # the days off of 2026-2027 cached
    _out, loaded = run_fresh(
        ppo, "add", "Борис", "--purchase", "05.12.2026", "--departure", "21.12.2026", "--return", "31.12.2026"
    )
    assert "ppo_checklist.cli.days_off" in loaded["modules"]
    assert not {"ppo_checklist.files", "hashlib", "tempfile"} & set(loaded["modules"])


def _mobile_pattern_caches(ppo) -> list:
    return sorted(ppo.home.rglob("ru-mobile-*.txt"))


def _add_fresh(ppo, name: str, phone: str) -> dict:
    """`ppo add` in a fresh process (in-process runs share the pattern read by the first phone)."""
    sale = ("--purchase", "05.12.2026", "--departure", "20.12.2026", "--return", "30.12.2026")
    return run_fresh(ppo, "add", name, *sale, "--phone", phone)[1]


def test_add_with_a_plain_mobile_reads_the_cached_pattern_without_loading_phonenumbers(ppo):
    _add_fresh(ppo, "Анна", "89123456789")
    [cache] = _mobile_pattern_caches(ppo)
    if os.name == "posix":
        assert cache.stat().st_mode & 0o777 == 0o600
    loaded = _add_fresh(ppo, "Борис", "+7 (912) 345-67-88")
    assert "phonenumbers" not in loaded["modules"]
    assert [ppo.show(n)["client"]["phone"] for n in (1, 2)] == ["+7 912 345-67-89", "+7 912 345-67-88"]


def test_a_damaged_mobile_pattern_cache_is_passed_by_and_written_again(ppo):
    _add_fresh(ppo, "Анна", "89123456789")
    [cache] = _mobile_pattern_caches(ppo)
    kept = cache.read_text(encoding="utf-8")
    cache.write_text("9(", encoding="utf-8")  # not a pattern
    loaded = _add_fresh(ppo, "Борис", "8 912 345 67 88")
    assert "phonenumbers" in loaded["modules"]
    assert ppo.show(2)["client"]["phone"] == "+7 912 345-67-88"
    assert cache.read_text(encoding="utf-8") == kept


# In Python's verbose mode the interpreter says each module it cleans up as it tears down.
TEARDOWN = b"# cleanup"


def _watched(ppo, tmp_path, *args: str, at_exit: bool = False) -> subprocess.CompletedProcess:
    """The installed `ppo` in verbose mode; `at_exit`: a sitecustomize first registers a function
    to run at exit (it writes AT EXIT)."""
    env = {**ppo.env, "PYTHONVERBOSE": "1"}
    if at_exit:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(
            "import atexit, os\natexit.register(lambda: os.write(2, b'AT EXIT\\n'))\n", encoding="utf-8"
        )
        env["PYTHONPATH"] = str(site)
    return subprocess.run([PPO, *args], env=env, capture_output=True, timeout=120, check=False)


@pytest.mark.sqlite_only  # the ending does not depend on the store
def test_the_console_script_leaves_without_the_interpreters_teardown_and_loses_no_output(ppo, tmp_path):
    for n in range(200):  # more than a pipe holds (64 KB): the last bytes are flushed before it leaves
        ppo.add(f"Клиент {n}", "01.12.2026", "20.12.2026", "30.12.2026", "--phone", f"+7916000{n:04d}")
    result = _watched(ppo, tmp_path, "today", "--date", "05.12.2026", "--format", "json")
    assert result.returncode == 0
    assert len(result.stdout) > 65536 and len(json.loads(result.stdout)) == 200
    assert TEARDOWN not in result.stderr
    refused = _watched(ppo, tmp_path, "show", "999")  # an error line, exit 2, the same way
    assert refused.returncode == 2 and b"\nppo: " in refused.stderr
    assert TEARDOWN not in refused.stderr


@pytest.mark.sqlite_only
def test_something_registered_to_run_at_exit_makes_the_console_script_end_the_usual_way(ppo, tmp_path):
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026")
    result = _watched(ppo, tmp_path, "today", "--date", "05.12.2026", "--format", "json", at_exit=True)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 1
    assert b"AT EXIT" in result.stderr and TEARDOWN in result.stderr


# ppo's console script where POSIX-only modules cannot be imported, as on Windows.
WITHOUT_POSIX = """
import sys
for name in ("fcntl", "termios", "pwd", "grp", "resource"):
    sys.modules[name] = None  # `import fcntl` raises ImportError, as on Windows
from ppo_checklist.cli import main
main()
"""


@pytest.mark.sqlite_only  # the embedded store is what a Windows PC runs
def test_the_commands_of_a_day_run_where_posix_only_modules_do_not_exist(ppo):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", WITHOUT_POSIX, *args], env=ppo.env, capture_output=True, text=True, timeout=60
        )

    added = run("add", "Анна", "--purchase", "05.12.2026", "--departure", "20.12.2026", "--return", "30.12.2026")
    assert added.returncode == 0, added.stderr
    today = run("today", "--date", "05.12.2026", "--format", "json")
    assert today.returncode == 0, today.stderr
    assert [row["step_id"] for row in json.loads(today.stdout)] == ["ppo-do"]
    assert run("done", "1", "0").returncode == 0
    assert run("show", "1").returncode == 0
