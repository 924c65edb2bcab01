"""Exactly once, whatever the servers do (issue 20): one message's trouble is that message's;
what may have gone is unknown and never resent by itself (the gateway's status API settles it);
a channel that stops answering stops being asked; sending in time, never in a flood. Real
servers on loopback: aiosmtpd with and without SMTPUTF8, the HTTP gateway in each fault mode."""

from __future__ import annotations

import datetime as dt

import pytest
from send_servers import Gateway, Mailbox, agency_config, email_config, smtp_server

from ppo_checklist.sending import sms


@pytest.fixture
def utf8_mailbox():
    box = Mailbox()
    box.controller = smtp_server(box, smtputf8=True)
    yield box
    box.controller.stop()


@pytest.fixture
def gateway():
    server = Gateway("smsc", delay=3)
    yield server
    server.stop()


def smsc(gateway, **extra) -> dict:
    return {"provider": "smsc", "login": "solnce", "password": "PSW", "url": gateway.url, "timeout": 2, **extra}


def messages(ppo) -> dict[str, tuple[str, str | None]]:
    """Each client's messages: 'name:letter' -> (state, error)."""
    found = {}
    for trip in ppo("list", "--all", "--format", "json").json():
        shown = ppo("show", str(trip["trip_id"]), "--format", "json").json()
        for m in shown["messages"]:
            found[f"{shown['client']['name']}:{m['letter']}"] = (m["state"], m["error"])
    return found


def recipients(mailbox) -> list[str]:
    return [to for envelope in mailbox.envelopes for to in envelope.rcpt_tos]


# --- one message's trouble is that message's ---------------------------------------------


def test_a_cyrillic_domain_goes_as_punycode_and_the_day_s_other_messages_go_too(ppo, mailbox, gateway):
    agency_config(ppo.home, email_config(mailbox.controller), smsc(gateway))
    ppo.add("Иван", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "ivan@почта.рф")
    ppo.add("Пётр", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "petr@xn--80a1acny.xn--p1ai")
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo.add("Оля", "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+79161111111")
    result = ppo("send", "--date", "01.12.2026")
    assert sorted(recipients(mailbox)) == [
        "anna@example.ru",
        "ivan@xn--80a1acny.xn--p1ai",
        "petr@xn--80a1acny.xn--p1ai",
    ]
    assert gateway.sent_to("79161111111") == 1
    assert {state for state, _error in messages(ppo).values()} == {"sent"}
    assert "Traceback" not in result.err


@pytest.mark.parametrize("offers_smtputf8", [False, True])
def test_a_local_part_not_in_ascii_goes_with_smtputf8_or_fails_clearly(ppo, offers_smtputf8):
    box = Mailbox()
    box.controller = smtp_server(box, smtputf8=offers_smtputf8)
    try:
        agency_config(ppo.home, email_config(box.controller))
        ppo.add("Иван", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "иван@почта.рф")
        ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
        result = ppo("send", "--date", "01.12.2026", check=False)
        found = messages(ppo)
        assert found["Анна:spasibo"] == ("sent", None)
        if offers_smtputf8:
            assert result.code == 0, result.err
            assert sorted(recipients(box)) == ["anna@example.ru", "иван@xn--80a1acny.xn--p1ai"]
            letter = [m for m in box.letters() if "иван" in m["To"]][0]
            assert "иван@xn--80a1acny.xn--p1ai" in letter["To"]
        else:
            assert result.code == 1 and recipients(box) == ["anna@example.ru"]
            state, error = found["Иван:spasibo"]
            assert state == "failed" and "SMTPUTF8" in error
            assert result.err.count("\n") == 1 and "1 failed" in result.err and "Traceback" not in result.err
            refused = ppo("send", "--retry", "1", check=False)  # failed, not unknown: not resent
            assert refused.code == 2 and "Traceback" not in refused.err
    finally:
        box.controller.stop()


def test_a_letter_that_cannot_be_built_fails_with_its_reason_and_the_run_goes_on(ppo, mailbox, monkeypatch):
    """Any exception while building one letter (here the e-mail library's own) is that letter's."""
    from ppo_checklist.sending import mail

    real = mail.build

    def build(message, *args):
        if message.address == "broken@example.ru":
            raise LookupError("the letter's charset is gone")
        return real(message, *args)

    monkeypatch.setattr(mail, "build", build)
    agency_config(ppo.home, email_config(mailbox.controller))
    ppo.add("Борис", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "broken@example.ru")
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert result.code == 1 and recipients(mailbox) == ["anna@example.ru"]
    state, error = messages(ppo)["Борис:spasibo"]
    assert state == "failed" and "LookupError: the letter's charset is gone" in error
    assert "Traceback" not in result.err


# --- what may have gone is unknown, never resent by itself --------------------------------

PHONES = ["79161111111", "79162222222", "79163333333"]


@pytest.mark.parametrize("fault", ["500-after", "garbage", "short", "drop"])
def test_an_answer_lost_after_the_request_left_is_unknown_and_never_resent(ppo, fault):
    gateway = Gateway("smsru")
    try:
        agency_config(ppo.home, sms_table={"provider": "smsru", "api_id": "KEY", "url": gateway.url, "timeout": 2})
        for phone in PHONES:
            gateway.behaviour[phone] = fault
            ppo.add(phone, "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + phone)
        gateway.behaviour[PHONES[1]] = "ok"  # the one between goes as ever
        first = ppo("send", "--date", "01.12.2026", check=False)
        assert first.code == 1 and "2 unknown" in first.err and "Traceback" not in first.err
        for _run in range(2):  # the same day again, and the next
            ppo("send", "--date", "01.12.2026", check=False)
        ppo("send", "--date", "02.12.2026", check=False)
        assert [gateway.sent_to(phone) for phone in PHONES] == [1, 1, 1]
        assert len(gateway.requests) == 3
        assert sorted(state for state, _e in messages(ppo).values()) == ["sent", "unknown", "unknown"]
    finally:
        gateway.stop()


def test_a_refusal_before_the_request_was_taken_stays_pending(ppo, gateway):
    agency_config(ppo.home, sms_table=smsc(gateway))
    gateway.behaviour[PHONES[0]] = "500"
    ppo.add("Оля", "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + PHONES[0])
    gateway.stop()  # nobody listens: the request never left
    ppo("send", "--date", "01.12.2026", check=False)
    assert messages(ppo)["Оля:sms"][0] == "pending"


def test_the_next_run_asks_the_status_api_and_settles_unknown_sms(ppo, gateway):
    agency_config(ppo.home, sms_table=smsc(gateway))
    for phone in PHONES:
        ppo.add(phone, "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + phone)
    gateway.behaviour[PHONES[0]] = "500-after"  # delivered, then 500: the status API knows it
    gateway.behaviour[PHONES[1]] = "drop"  # taken, then the connection dropped; the operator fails it
    gateway.behaviour[PHONES[2]] = "hang"  # never answered, never taken: the API has no such message
    ppo("send", "--date", "01.12.2026", check=False)
    assert sorted(s for s, _e in messages(ppo).values()) == ["unknown", "unknown", "unknown"]
    gateway.undeliverable.add("2")  # smsc knows each message by the outbox's id
    later = ppo("send", "--date", "01.12.2026", "--format", "json", check=False).json()
    found = messages(ppo)
    assert found[f"{PHONES[0]}:sms"] == ("sent", None)
    state, error = found[f"{PHONES[1]}:sms"]
    assert state == "failed" and "not delivered (20)" in error
    assert found[f"{PHONES[2]}:sms"][0] == "unknown"  # not found may yet be on its way: a person asks
    assert [m["id"] for m in later["settled"]] == [1, 2] and [m["id"] for m in later["unknown"]] == [3]
    assert len(gateway.requests) == 3  # settled, never resent
    assert {r["id"] for r in gateway.status_requests} == {"1", "2", "3"}
    steps = {s["id"]: s["status"] for s in ppo.show(1, "--date", "01.12.2026")["steps"]}
    assert steps["sms-departure"] == "done"


def test_the_status_api_client_reads_sms_ru_and_smsc_answers():
    """The clean function issue 22 reuses for delivery reports."""
    for provider in ("smsru", "smsc"):
        gateway = Gateway(provider)
        try:
            secrets = {"api_id": "K"} if provider == "smsru" else {"login": "l", "password": "p"}
            config = sms.SmsConfig(provider=provider, url=gateway.url, timeout=2, **secrets)
            sent = sms.Gateway(config).send("+79161111111", "Привет", own_id=7)
            assert sent.state == "sent"
            known = sms.status(config, [(sent.gateway_id, "+79161111111"), ("424242", "+79162222222")])
            assert known[sent.gateway_id].status == sms.DELIVERED
            assert known["424242"].status == sms.NOT_FOUND
        finally:
            gateway.stop()
    assert sms.status(sms.SmsConfig(provider="smsc", login="l", password="p", url="http://127.0.0.1:9"), []) == {}


# --- a channel that stops answering stops being asked; a time budget -------------------------


def test_a_gateway_that_hangs_is_asked_three_times_then_the_rest_wait(ppo, gateway):
    agency_config(ppo.home, sms_table=smsc(gateway, timeout=1))
    phones = [f"7916555000{n}" for n in range(5)]
    for phone in phones:
        gateway.behaviour[phone] = "hang"
        ppo.add(phone, "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + phone)
    result = ppo("send", "--date", "01.12.2026", "--format", "json", check=False)
    report = result.json()
    assert result.code == 1 and len(gateway.requests) == 3
    assert [m["state"] for m in report["messages"]] == ["unknown"] * 3
    assert [h["kind"] for h in report["held"]] == ["no_answer", "no_answer"]
    assert "did not answer 3 times in a row" in report["held"][0]["reason"]
    for phone in phones:
        gateway.behaviour[phone] = "ok"
    ppo("send", "--date", "01.12.2026", check=False)  # the two that waited go; the three unknown do not
    assert len(gateway.requests) == 5


def test_a_run_stops_handing_over_when_its_time_budget_is_spent(ppo, gateway):
    # The budget is counted from the run's start (settling and planning come first): 3 s leave
    # room for a loaded machine's start before the first hand-over, which then takes 5 s.
    agency_config(ppo.home, sms_table=smsc(gateway, timeout=10), send_budget=3)
    gateway.delay = 5
    for phone in PHONES:
        gateway.behaviour[phone] = "slow"
        ppo.add(phone, "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + phone)
    report = ppo("send", "--date", "01.12.2026", "--format", "json", check=False).json()
    assert [m["state"] for m in report["messages"]] == ["sent"]
    assert [h["kind"] for h in report["held"]] == ["time_budget", "time_budget"]
    assert len(gateway.requests) == 1


# --- sending in time, never in a flood -----------------------------------------------------


def test_quiet_hours_are_checked_at_each_hand_over_and_the_held_sms_goes_at_the_next_run(ppo, gateway):
    """A run that starts a moment before the quiet hours sends nothing once they begin."""
    for phone in PHONES[:2]:
        ppo.add(phone, "01.11.2026", "01.12.2026", "10.12.2026", "--phone", "+" + phone)
    # The quiet hours begin 3-4 s from now (whole seconds: the config's form), counted after the
    # trips are added; the first SMS is answered 8 s after it is asked, so they begin meanwhile
    # however loaded the machine is, as long as the run starts within 3 s.
    gateway.delay = 8
    start = dt.datetime.now() + dt.timedelta(seconds=4)
    end = start + dt.timedelta(hours=1)
    quiet = f"{start:%H:%M:%S}-{end:%H:%M:%S}"
    agency_config(ppo.home, sms_table=smsc(gateway, timeout=15, quiet_hours=quiet))
    gateway.behaviour[PHONES[0]] = "slow"
    report = ppo("send", "--date", "01.12.2026", "--format", "json").json()
    assert [m["state"] for m in report["messages"]] == ["sent"]
    assert [h["kind"] for h in report["held"]] == ["quiet_hours"] and report["quiet_hours_wait"] == 1
    assert len(gateway.requests) == 1
    agency_config(ppo.home, sms_table=smsc(gateway, timeout=10))  # the next run, outside them
    ppo("send", "--date", "01.12.2026")
    assert [gateway.sent_to(phone) for phone in PHONES[:2]] == [1, 1]


def test_after_two_days_down_a_client_gets_one_letter_a_run_in_order(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    ppo.add("Анна", "01.12.2026", "05.12.2026", "16.12.2026", "--email", "anna@example.ru")
    subjects, held = [], []
    for day in ("03", "04", "05"):  # cron was down on the 1st and the 2nd
        report = ppo("send", "--date", f"{day}.12.2026", "--format", "json").json()
        subjects.append([m["subject"] for m in report["messages"]])
        held.append([h["kind"] for h in report["held"]])
    # the challenge letter is advertising: without consent on record it never goes (issue 22)
    assert subjects == [
        ["Спасибо, что выбрали нас! — Турагентство «Солнце»"],
        ["Пакуем чемоданы правильно"],
        [],
    ]
    assert held == [["one_per_run"], [], []]


def test_one_letter_per_client_a_run_the_other_waits_named(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo.add("Анна", "01.12.2026", "22.12.2026", "31.12.2026", "--email", "anna@example.ru")
    report = ppo("send", "--date", "01.12.2026", "--format", "json").json()
    assert len(report["messages"]) == 1 and len(mailbox.envelopes) == 1
    assert [(h["trip_id"], h["kind"]) for h in report["held"]] == [(2, "one_per_run")]
    ppo("send", "--date", "01.12.2026")
    assert len(mailbox.envelopes) == 2


def test_a_letter_whose_moment_passed_while_cron_was_down_is_named_never_sent(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller))
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    result = ppo("send", "--date", "05.12.2026", "--format", "json", check=False)
    report = result.json()
    assert result.code == 1 and mailbox.envelopes == []
    assert [(m["letter"], m["state"]) for m in report["lapsed"]] == [("spasibo", "failed")]
    assert "moment passed" in report["lapsed"][0]["error"]
    again = ppo("send", "--date", "06.12.2026", "--format", "json").json()  # named once, never sent
    assert again["lapsed"] == [] and mailbox.envelopes == []


# --- channels behind one interface ---------------------------------------------------------


def test_a_third_channel_is_one_module_and_one_registry_line(ppo, mailbox, monkeypatch):
    import fake_channel

    from ppo_checklist.sending import senders

    monkeypatch.setitem(senders.SENDERS, "call", fake_channel.RobotCaller)  # the one line
    fake_channel.CALLS.clear()
    agency_config(ppo.home, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.11.2026", "05.12.2026", "15.12.2026", "--phone", "+79161111111")
    today = ppo("today", "--date", "04.12.2026", "--format", "json").json()
    assert "reminder" not in [a["step_id"] for a in today]  # ppo makes that call itself now
    report = ppo("send", "--date", "04.12.2026", "--format", "json").json()
    assert [(m["channel"], m["state"]) for m in report["messages"]] == [("call", "sent")]
    assert [phone for phone, _text in fake_channel.CALLS] == ["+7 916 111-11-11"]
    steps = {s["id"]: s["status"] for s in ppo.show(trip, "--date", "04.12.2026")["steps"]}
    assert steps["reminder"] == "done"
    ppo("send", "--date", "04.12.2026")
    assert len(fake_channel.CALLS) == 1


# --- secrets --------------------------------------------------------------------------------


def test_a_config_with_a_password_readable_by_others_is_refused_for_sending(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller, user="u", password="PW-SECRET"))
    path = ppo.home / "config" / "ppo" / "config.toml"
    path.chmod(0o644)
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    refused = ppo("send", "--date", "01.12.2026", check=False)
    assert refused.code == 2 and str(path) in refused.err and "chmod 600" in refused.err
    assert "PW-SECRET" not in refused.err and mailbox.envelopes == []
    assert ppo("send", "--date", "01.12.2026", "--dry-run").code == 0  # reading is not sending


def test_tls_false_to_a_host_that_is_not_this_machine_warns_once(ppo):
    agency_config(
        ppo.home, {"server": "smtp://mail.invalid:2525", "from": "a@solnce.example", "tls": False, "timeout": 2}
    )
    for name in ("Анна", "Борис"):
        ppo.add(name, "01.12.2026", "20.12.2026", "30.12.2026", "--email", f"{name}@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert result.err.count("go unencrypted to mail.invalid") == 1


def test_a_line_break_in_the_agency_is_one_line_of_bad_input(ppo, mailbox):
    agency_config(ppo.home, email_config(mailbox.controller), agency="Солнце\r\nBcc: all@example.ru")
    ppo_result = ppo("send", "--date", "01.12.2026", check=False)
    assert ppo_result.code == 2 and ppo_result.err.count("\n") == 1 and "'agency'" in ppo_result.err
    assert "Traceback" not in ppo_result.err and mailbox.envelopes == []


@pytest.mark.parametrize(
    "url",
    ["postgresql://ppo:SECRET@[::1/ppo", "postgresql://ppo:SECRET@[]/ppo", "postgresql://ppo:SE%zzCRET@127.0.0.1:1/p"],
)
def test_a_store_url_that_cannot_be_parsed_never_shows_its_password(ppo, url):
    for how in ({"PPO_DB": url}, {"PPO_DB": None}):
        if how["PPO_DB"] is None:
            agency_config(ppo.home, store=url)
        result = ppo("list", check=False, env=how)
        assert result.code in (1, 2) and "SECRET" not in result.err and "zzCRET" not in result.err


def test_a_writer_gives_up_after_the_configured_wait_with_one_line(ppo):
    agency_config(ppo.home, store_wait=1)
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026")
    from ppo_checklist.store import open_store

    stalled = open_store(ppo.store)
    try:
        with stalled.write():  # an import stopped mid-COPY
            stalled.set_note(trip, "half-way")
            result = ppo("edit", str(trip), "--manager", "Ирина", check=False)
        assert result.code == 1 and result.err.count("\n") == 1
        assert "busy" in result.err or "locked" in result.err
    finally:
        stalled.close()
    assert ppo.show(trip)["note"] == "half-way" and ppo.show(trip)["manager"] != "Ирина"
