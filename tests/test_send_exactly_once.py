"""Exactly once, whatever the servers do (issue 20): one sender at a time under a lease, every
change of a message's state a compare-and-set, a retry claimed under the lock."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from send_servers import agency_config, email_config

from ppo_checklist.core.model import Message
from ppo_checklist.errors import PpoError
from ppo_checklist.store import open_store


def states(ppo, trip: int) -> list[tuple]:
    return [(m["id"], m["state"]) for m in ppo("show", str(trip), "--format", "json").json()["messages"]]


def hold_first_letter(ppo, mailbox, *args: str):
    """A `ppo send` in a process of its own, stopped while the server holds its first letter."""
    mailbox.hold.set()
    process = ppo.popen("send", *args)
    if not mailbox.received.wait(60):
        process.kill()
        raise AssertionError("the letter never reached the server: " + process.communicate()[1].decode())
    return process


def let_go(mailbox, process) -> tuple[int, str, str]:
    mailbox.hold.clear()
    mailbox.release.set()
    out, err = process.communicate(timeout=60)
    return process.returncode, out.decode(), err.decode()


def test_a_second_send_while_one_runs_exits_1_naming_it_and_changes_nothing(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    first = hold_first_letter(ppo, mailbox, "--date", "01.12.2026")
    try:
        second = ppo("send", "--date", "01.12.2026", check=False)
        assert second.code == 1 and second.out == ""
        assert second.err.count("\n") == 1 and "another ppo send is running" in second.err
        assert f"host {socket.gethostname()}, pid {first.pid}" in second.err
        assert states(ppo, trip) == [(1, "sending")]  # the first run's letter is not made unknown
        retried = ppo("send", "--retry", "1", check=False)  # nor taken by a retry meanwhile
        assert retried.code == 1 and "another ppo send is running" in retried.err
    finally:
        code, out, err = let_go(mailbox, first)
    assert code == 0, err
    assert states(ppo, trip) == [(1, "sent")] and len(mailbox.envelopes) == 1
    assert ppo("send", "--date", "01.12.2026").code == 0 and len(mailbox.envelopes) == 1


def test_a_run_that_died_leaves_its_letter_unknown_and_the_next_takes_the_lease(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    first = hold_first_letter(ppo, mailbox, "--date", "01.12.2026")
    first.kill()
    first.wait()
    let_go(mailbox, first)
    after = ppo("send", "--date", "01.12.2026", check=False)
    assert after.code == 1 and "1 of an interrupted run may or may not have gone" in after.err
    assert states(ppo, trip) == [(1, "unknown")] and len(mailbox.envelopes) == 1


def test_two_retries_at_once_send_one_letter(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    first = hold_first_letter(ppo, mailbox, "--date", "01.12.2026")
    first.kill()
    first.wait()
    let_go(mailbox, first)
    ppo("send", "--date", "01.12.2026", check=False)  # the interrupted letter: unknown
    mailbox.received.clear()
    mailbox.release.clear()
    retry = hold_first_letter(ppo, mailbox, "--retry", "1")
    try:
        other = ppo("send", "--retry", "1", check=False)
        assert other.code == 1 and "another ppo send is running" in other.err
    finally:
        code, out, err = let_go(mailbox, retry)
    assert code == 0, err
    assert len(mailbox.envelopes) == 2 and states(ppo, trip) == [(1, "sent")]
    again = ppo("send", "--retry", "1", check=False)
    assert again.code == 2 and "was sent at" in again.err and len(mailbox.envelopes) == 2


def test_retry_refuses_a_message_that_is_not_unknown(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    mailbox.refuse.add("anna@example.ru")
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo("send", "--date", "01.12.2026", check=False)
    assert states(ppo, trip) == [(1, "failed")]
    mailbox.refuse.clear()
    refused = ppo("send", "--retry", "1", check=False)
    assert refused.code == 2 and "message 1 is failed, not unknown" in refused.err
    assert mailbox.envelopes == [] and states(ppo, trip) == [(1, "failed")]


def test_a_state_changes_only_from_the_state_expected(ppo):
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")

    store = open_store(ppo.store)
    try:
        with store.write():
            message_id = store.record_message(
                Message(None, trip, 0, "spasibo", "email", "anna@example.ru", "s", "b", dt.date(2026, 12, 1))
            )
        assert message_id is not None
        with store.write():
            assert store.set_message(message_id, "pending", "sending", handed=True)
            assert not store.set_message(message_id, "pending", "sending", handed=True)  # taken already
            assert not store.set_message(message_id, "unknown", "sent")
        assert store.message(message_id).state == "sending" and store.message(message_id).attempts == 1
    finally:
        store.close()


def test_a_writer_waits_for_a_stalled_one_at_most_its_wait_then_writes_nothing(ppo):
    """An import stopped mid-COPY holds the write lock: another writer gives up after `wait`."""
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    stalled = open_store(ppo.store)
    waiting = open_store(ppo.store, wait=1)
    try:
        with stalled.write():
            stalled.set_note(trip, "half-way")
            with pytest.raises(PpoError) as refused:
                with waiting.write():
                    waiting.set_note(trip, "mine")
        assert refused.value.exit_code == 1
        assert "busy" in str(refused.value) or "locked" in str(refused.value)
        assert "ppo-test-secret" not in str(refused.value)
        assert waiting.trip(trip).note == "half-way"
    finally:
        stalled.close()
        waiting.close()
