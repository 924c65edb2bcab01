"""`ppo send` and SMS: a local HTTP server answers as each preset's API documents (sms.ru's
/sms/send with json=1, smsc.ru's /sys/send.php with fmt=3); the outbox states are exact."""

from __future__ import annotations

import datetime as dt

import pytest
from send_servers import Gateway, agency_config

PHONES = {
    "ok": ("+7 916 111-11-11", "79161111111"),
    "refuse": ("8 (916) 222-22-22", "79162222222"),
    "429": ("9163333333", "79163333333"),
    "timeout": ("+79164444444", "79164444444"),
}


def sms_states(ppo) -> dict[str, str]:
    states = {}
    for trip in ppo("list", "--all", "--format", "json").json():
        shown = ppo("show", str(trip["trip_id"]), "--format", "json").json()
        for message in shown["messages"]:
            states[f"{shown['client']['name']}:{message['step_no']}"] = message["state"]
    return states


@pytest.mark.sqlite_only  # about files, mail or a gateway, not the store: one backend is enough
@pytest.mark.parametrize("provider", ["smsru", "smsc"])
def test_each_answer_of_the_gateway_decides_the_message_s_fate(ppo, tmp_path, provider):
    gateway = Gateway(provider, delay=4)
    try:
        secrets = {"api_id": "KEY-123"} if provider == "smsru" else {"login": "solnce", "password": "PSW-456"}
        agency_config(
            tmp_path, sms_table={"provider": provider, "sender": "Solnce", "url": gateway.url, "timeout": 2, **secrets}
        )
        for kind, (typed, digits) in PHONES.items():
            gateway.behaviour[digits] = kind
            ppo.add(kind, "01.11.2026", "05.12.2026", "15.12.2026", "--phone", typed)
        result = ppo("send", "--date", "05.12.2026", check=False)
        assert (
            result.code == 1 and result.err == "ppo: 1 message sent, 3 not sent (1 failed, 1 to try again, 1 unknown)\n"
        )
        assert sms_states(ppo) == {"ok:2": "sent", "refuse:2": "failed", "429:2": "pending", "timeout:2": "unknown"}
        assert "KEY-123" not in result.out + result.err and "PSW-456" not in result.out + result.err
        first = gateway.requests[0]
        text = "ok, счастливого пути! Мы на связи. Ольга, Турагентство «Солнце»"
        if provider == "smsru":
            assert first == {
                "path": "/sms/send",
                "api_id": "KEY-123",
                "to": "79161111111",
                "msg": text,
                "json": "1",
                "from": "Solnce",
            }
        else:
            assert first == {
                "path": "/sys/send.php",
                "login": "solnce",
                "psw": "PSW-456",
                "phones": "+79161111111",
                "mes": text,
                "fmt": "3",
                "charset": "utf-8",
                "id": "1",
                "sender": "Solnce",
            }
        # the next run: only the pending one is tried again; sent, failed and unknown are not
        gateway.behaviour["79163333333"] = "ok"
        again = ppo("send", "--date", "05.12.2026")
        assert [r.get("to") or r.get("phones") for r in gateway.requests[4:]] in (["79163333333"], ["+79163333333"])
        assert sms_states(ppo) == {"ok:2": "sent", "refuse:2": "failed", "429:2": "sent", "timeout:2": "unknown"}
        assert "may or may not have gone" in again.out and "ppo send --retry" in again.out
        today = ppo("today", "--date", "05.12.2026", "--format", "json").json()
        assert sorted((a["client"], a["step_id"]) for a in today if a["channel"] == "sms") == [
            ("refuse", "sms-departure"),
            ("timeout", "sms-departure"),
        ]
    finally:
        gateway.stop()


def test_a_number_that_is_no_mobile_is_not_sent_to_and_is_reported(ppo, tmp_path):
    gateway = Gateway("smsru")
    try:
        agency_config(tmp_path, sms_table={"provider": "smsru", "api_id": "K", "url": gateway.url})
        ppo.add("Офис", "01.11.2026", "05.12.2026", "15.12.2026", "--phone", "8 495 123-45-67")  # Moscow landline
        result = ppo("send", "--date", "05.12.2026", check=False)
        assert result.code == 1 and "not a valid mobile number: +7 495 123-45-67" in result.out
        assert gateway.requests == [] and sms_states(ppo) == {"Офис:2": "failed"}
    finally:
        gateway.stop()


def test_sms_goes_on_its_day_only_and_waits_in_quiet_hours(ppo, tmp_path):
    gateway = Gateway("smsru")
    try:
        now = dt.datetime.now()  # quiet hours around this very minute (00:00-23:59 missed 23:59)
        around = f"{(now - dt.timedelta(hours=1)):%H:%M}-{(now + dt.timedelta(hours=1)):%H:%M}"
        agency_config(
            tmp_path, sms_table={"provider": "smsru", "api_id": "K", "url": gateway.url, "quiet_hours": around}
        )
        ppo.add("Анна", "01.11.2026", "05.12.2026", "15.12.2026", "--phone", "+79161111111")
        quiet = ppo("send", "--date", "05.12.2026")
        assert "quiet hours" in quiet.out and "1 wait for a later run" in quiet.out and gateway.requests == []
        agency_config(tmp_path, sms_table={"provider": "smsru", "api_id": "K", "url": gateway.url})
        later = ppo("send", "--date", "06.12.2026", check=False)  # "have a good trip" the day after: never
        assert later.code == 1 and "lapsed, never sent" in later.out and "1 lapsed" in later.err
        assert gateway.requests == [] and sms_states(ppo) == {"Анна:2": "failed"}
        today = ppo("today", "--date", "06.12.2026", "--format", "json").json()
        assert ("sms-departure", "overdue") in [(a["step_id"], a["status"]) for a in today]
    finally:
        gateway.stop()


def test_secrets_come_from_the_environment(ppo, tmp_path):
    gateway = Gateway("smsc")
    try:
        agency_config(tmp_path, sms_table={"provider": "smsc", "login": "solnce", "url": gateway.url})
        ppo.add("Анна", "01.11.2026", "05.12.2026", "15.12.2026", "--phone", "+79161111111")
        missing = ppo("send", "--date", "05.12.2026", check=False)
        assert missing.code == 2 and "PPO_SMS_PASSWORD" in missing.err
        ppo("send", "--date", "05.12.2026", env={"PPO_SMS_PASSWORD": "from-env"})
        assert gateway.requests[0]["psw"] == "from-env"
    finally:
        gateway.stop()
