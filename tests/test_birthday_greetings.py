"""The yearly birthday greeting through the real `ppo send`: aiosmtpd for the letters, the
loopback HTTP gateway for the SMS, a daily cron over years."""

from __future__ import annotations

import datetime as dt
import email.header
import email.utils

import pytest
from send_servers import Gateway, email_config, free_port, write_config

from ppo_checklist.sending import greetings


@pytest.fixture
def gateway():
    server = Gateway("smsru")
    yield server
    server.stop()


def configure(tmp_path, mailbox, gateway=None, **email_extra):
    folder = tmp_path / "config" / "ppo"
    folder.mkdir(parents=True, exist_ok=True)
    sms = {"provider": "smsru", "api_id": "k", "url": gateway.url} if gateway is not None else None
    write_config(folder / "config.toml", email_table=email_config(mailbox.controller, **email_extra), sms_table=sms)


def subject(letter) -> str:
    return str(email.header.make_header(email.header.decode_header(letter["Subject"])))


def greeted(mailbox) -> list[str]:
    return [
        email.utils.parseaddr(str(letter["To"]))[1]
        for letter in mailbox.letters()
        if "с днём рождения" in subject(letter)
    ]


def clients(ppo, tmp_path, *rows: str) -> None:
    """Clients imported as an agency would (the `consent` column: signed consent to advertising;
    a birthday greeting is not about a trip bought, so it needs it)."""
    path = tmp_path / "clients.csv"
    header = "name,email,phone,purchase,departure,return,birthday,consent\n"
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    ppo("import", str(path))


ANNA = "Анна Иванова,anna@example.ru,,01.12.2026,20.12.2026,27.12.2026,14.02.1990,да"


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def test_a_birthday_letter_goes_once_a_year_over_years_of_daily_sends(ppo, tmp_path, mailbox, gateway):
    configure(tmp_path, mailbox, gateway)
    clients(
        ppo,
        tmp_path,
        ANNA,
        "Борис Орлов,,+79123456789,01.12.2026,20.12.2026,27.12.2026,29.02.1992,да",
        "Вера Соколова,vera@example.ru,,01.12.2026,20.12.2026,27.12.2026,,да",  # no birthday
        "Глеб Титов,gleb@example.ru,,01.12.2026,20.12.2026,27.12.2026,14.02.1985,",  # no consent to ads
    )
    anna = next(t["trip_id"] for t in ppo.json("list") if t["client"] == "Анна Иванова")
    sends = 0
    checkpoints = {dt.date(2027, 3, 15): 1, dt.date(2028, 3, 15): 2, dt.date(2029, 3, 15): 3}
    for day in days(dt.date(2026, 12, 1), dt.date(2029, 3, 15)):  # cron, every day for over two years
        ppo("send", env={"PPO_TODAY": day.isoformat()})
        sends += 1
        if day in checkpoints:
            assert greeted(mailbox).count("anna@example.ru") == checkpoints[day], day
    assert sends == 836
    assert "vera@example.ru" not in greeted(mailbox)
    assert "gleb@example.ru" not in greeted(mailbox)  # advertising without consent never goes
    letter = next(m for m in mailbox.letters() if "с днём рождения" in subject(m))
    assert subject(letter) == "Анна Иванова, с днём рождения!"
    body = letter.get_body().get_content()
    assert "Турагентство «Солнце»" in body and "Отписаться" in body
    # Борис has no e-mail: an SMS, once a year; 28.02 in 2027 and 2029, 29.02 in 2028
    to_boris = [r for r in gateway.requests if "с днём рождения" in r.get("msg", "")]
    assert len(to_boris) == 3
    shown = ppo.show(anna, "--date", "15.03.2029")
    assert [m["letter"] for m in shown["messages"] if m["letter"].startswith("birthday")] == [
        "birthday-2027",
        "birthday-2028",
        "birthday-2029",
    ]
    assert all(step["no"] != greetings.BIRTHDAY_STEP for step in shown["steps"])


def test_a_greeting_missed_in_an_outage_goes_the_next_day_and_only_once(ppo, tmp_path, mailbox):
    down = {"server": f"smtp://127.0.0.1:{free_port()}", "timeout": 3}
    configure(tmp_path, mailbox, **down)
    clients(ppo, tmp_path, ANNA)
    failed = ppo("send", env={"PPO_TODAY": "2027-02-14"}, check=False)
    assert failed.code == 1
    configure(tmp_path, mailbox)
    for day in ("2027-02-15", "2027-02-16", "2027-02-17"):
        ppo("send", env={"PPO_TODAY": day})
    assert greeted(mailbox) == ["anna@example.ru"]


def test_a_client_who_opted_out_gets_no_greeting(ppo, tmp_path, mailbox):
    configure(tmp_path, mailbox)
    clients(ppo, tmp_path, ANNA)
    ppo("optout", "anna@example.ru")
    ppo("send", env={"PPO_TODAY": "2027-02-14"})
    assert greeted(mailbox) == []


def test_a_dry_run_lists_the_greeting_and_sends_nothing(ppo, tmp_path, mailbox):
    configure(tmp_path, mailbox)
    clients(ppo, tmp_path, ANNA)
    report = ppo.json("send", "--dry-run", "--date", "14.02.2027")
    assert any(m.get("letter") == "birthday-2027" for m in report["messages"]), report
    assert mailbox.letters() == []


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (dt.date(1990, 2, 14), dt.date(2027, 2, 14), dt.date(2027, 2, 14)),
        (dt.date(1990, 2, 14), dt.date(2027, 2, 16), dt.date(2027, 2, 14)),
        (dt.date(1990, 2, 14), dt.date(2027, 2, 17), None),
        (dt.date(1992, 2, 29), dt.date(2027, 2, 28), dt.date(2027, 2, 28)),
        (dt.date(1992, 2, 29), dt.date(2028, 2, 28), None),
        (dt.date(1992, 2, 29), dt.date(2028, 2, 29), dt.date(2028, 2, 29)),
        (dt.date(1990, 12, 31), dt.date(2027, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 2, 14), dt.date(2027, 2, 14), None),  # the day of birth itself
    ],
)
def test_the_occasion_of_a_birthday(birthday, today, expected):
    assert greetings.occasion(birthday, today) == expected
