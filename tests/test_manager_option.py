"""Every command that takes `--manager` reads it one way (tracker.managers_named): case and
surrounding spaces aside, the service director known with or without trips, and a name that
matches nobody exit 2 with one line naming the known ones, `send` included."""

from __future__ import annotations

import re

import pytest
from ppo_runner import without_created
from send_servers import agency_config, email_config

SALE = ("20.11.2026", "01.12.2026", "10.12.2026")
FILTERS = [
    ("today", "--date", "30.11.2026"),
    ("upcoming", "--date", "25.11.2026"),
    ("list",),
    ("stats", "--date", "30.11.2026"),
    ("calendar", "--date", "25.11.2026"),
    ("send", "--date", "20.11.2026", "--dry-run"),
]


@pytest.fixture
def two_desks(ppo, tmp_path, mailbox):
    agency_config(tmp_path, email_config(mailbox.controller), service_director="Мария Смирнова")
    ppo.add("Анна", *SALE, "--manager", "Ольга", "--email", "anna@example.ru")
    ppo.add("Борис", *SALE, "--manager", "Игорь", "--email", "boris@example.ru")
    return ppo


@pytest.mark.parametrize("command", FILTERS, ids=lambda c: c[0])
def test_an_unknown_manager_is_exit_2_with_one_line_in_every_command(two_desks, command, mailbox):
    result = two_desks(*command, "--manager", "Olgaa", check=False)
    assert result.code == 2, result
    said = without_created(result.err).strip().splitlines()
    assert said == ["ppo: no manager 'Olgaa' (known: Игорь, Ольга)"]
    assert mailbox.envelopes == []


def test_send_with_an_unknown_manager_sends_nothing_and_records_nothing(two_desks, mailbox):
    result = two_desks("send", "--date", "20.11.2026", "--manager", "Olgaa", check=False)
    assert result.code == 2 and "Olgaa" in result.err
    assert mailbox.envelopes == []
    assert all(t["messages"] == [] for t in (two_desks.show(1), two_desks.show(2)))


def test_send_takes_a_manager_typed_otherwise_as_the_stored_spelling(two_desks, mailbox):
    report = two_desks("send", "--date", "20.11.2026", "--manager", "  ольга ", "--format", "json").json()
    assert [m["client"] for m in report["messages"]] == ["Анна"]
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["anna@example.ru"]]
    rest = two_desks("send", "--date", "20.11.2026", "--format", "json").json()
    assert [m["client"] for m in rest["messages"]] == ["Борис"]


@pytest.mark.parametrize("command", FILTERS, ids=lambda c: c[0])
def test_the_service_director_is_a_known_manager_without_trips(two_desks, command):
    result = two_desks(*command, "--manager", " мария смирнова", check=False)
    assert result.code == 0, result


@pytest.mark.parametrize("command", FILTERS, ids=lambda c: c[0])
def test_a_manager_typed_otherwise_filters_as_the_stored_spelling(two_desks, command):
    typed = two_desks(*command, "--manager", "ОЛЬГА ", check=False)
    stored = two_desks(*command, "--manager", "Ольга", check=False)
    assert typed.code == stored.code == 0 and _stamped_out(typed.out) == _stamped_out(stored.out)


def _stamped_out(out: str) -> str:
    """A calendar's DTSTAMP is the second it was written: two runs may straddle one."""
    return re.sub(r"(?m)^DTSTAMP:.*$", "DTSTAMP:", out)
