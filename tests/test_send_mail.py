"""`ppo send` and e-mail: a real SMTP server (aiosmtpd) on loopback; what arrived is read back
with the email package."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
from send_servers import Mailbox, agency_config, email_config, free_port, smtp_server, throwaway_certificate


def configured(ppo, tmp_path, table: dict) -> dict:
    """The agency's config where ppo looks by default (the fixture's XDG_CONFIG_HOME)."""
    agency_config(tmp_path, table)
    return {}


def outbox(ppo, trip: int) -> list[tuple]:
    shown = ppo("show", str(trip), "--format", "json").json()
    return [(m["letter"], m["channel"], m["state"]) for m in shown["messages"]]


def test_thank_you_letter_arrives_once_as_proper_utf8_mime(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, email_config(mailbox.controller, reply_to={"Ольга": "olga@solnce.example"}))
    trip = ppo.add("Анна Петрова", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "Anna@Example.ru")
    first = ppo("send", "--date", "01.12.2026")
    assert first.out.strip().endswith("1 sent, 0 not sent") and first.err == ""
    again = ppo("send", "--date", "01.12.2026")
    ppo("send", "--date", "02.12.2026")
    assert again.out.strip().endswith("0 sent, 0 not sent")
    [letter] = mailbox.letters()
    assert letter["Subject"] == "Спасибо, что выбрали нас! — Турагентство «Солнце»"
    assert letter["From"].addresses[0].addr_spec == "info@solnce.example"
    assert letter["From"].addresses[0].display_name == "Турагентство «Солнце»"
    assert letter["To"].addresses[0].display_name == "Анна Петрова"
    assert letter["To"].addresses[0].addr_spec == "Anna@example.ru"  # the domain as e-mail-validator normalises it
    assert letter["Reply-To"].addresses[0].addr_spec == "olga@solnce.example"
    assert letter["List-Unsubscribe"] == "<mailto:info@solnce.example?subject=unsubscribe>"
    assert letter["Date"].datetime is not None and letter["Message-ID"].endswith("@solnce.example>")
    assert letter.get_content_type() == "text/plain" and letter.get_content_charset() == "utf-8"
    body = letter.get_content()
    assert body.startswith("Анна Петрова, здравствуйте!") and "Елена Смирнова" in body
    assert "Ольга" in body and "«Отписаться»" in body and "{" not in body
    assert mailbox.envelopes[0].mail_from == "info@solnce.example"
    assert outbox(ppo, trip) == [("spasibo", "email", "sent")]
    step = ppo("show", str(trip), "--format", "json").json()["steps"][0]
    assert step["status"] == "done" and step["done_on"] == "2026-12-01"
    shown = ppo("show", str(trip), "--format", "json").json()["messages"][0]
    assert step["note"] == f"sent by ppo: e-mail, message {shown['id']}"
    assert shown["subject"].startswith("Спасибо") and shown["to"] == "Anna@example.ru"
    assert shown["gateway_id"] == letter["Message-ID"] and shown["sent_at"]
    sent = dt.datetime.fromisoformat(shown["sent_at"]).astimezone()  # stored in UTC, shown in local time
    table = ppo("show", str(trip)).out
    assert f"{sent:%d.%m.%Y %H:%M}" in table and shown["sent_at"] not in table


def test_the_series_follows_the_first_letter_on_its_own_days(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, email_config(mailbox.controller))
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    for day in range(1, 20):
        ppo("send", "--date", f"{day:02d}.12.2026")
    subjects = [letter["Subject"] for letter in mailbox.letters()]
    assert subjects == [
        "Спасибо, что выбрали нас! — Турагентство «Солнце»",
        "Пакуем чемоданы правильно",
    ]  # «Бросаем вам вызов!» is advertising: no consent on record, never sent


def test_a_step_done_by_hand_gets_no_letters(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo("done", str(trip), "ppo-do", "--date", "01.12.2026", env={"PPO_TODAY": "01.12.2026"})
    for day in ("01", "03"):
        ppo("send", "--date", f"{day}.12.2026")
    assert mailbox.letters() == []


def test_a_letter_two_days_late_still_goes_a_third_day_is_for_a_person(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, email_config(mailbox.controller))
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    ppo.add("Борис", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "boris@example.ru")
    ppo("send", "--date", "03.12.2026")  # two days late: the window of the shipped letters
    # the thanks, late; the packing tips due that day wait for the next run (one letter a run)
    assert [(e.rcpt_tos, letter["Subject"][:7]) for e, letter in zip(mailbox.envelopes, mailbox.letters())] == [
        (["anna@example.ru"], "Спасибо"),
        (["boris@example.ru"], "Спасибо"),
    ]
    ppo.add("Вера", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "vera@example.ru")
    later = ppo("send", "--date", "04.12.2026", check=False)  # Вера's thanks: a third day late, lapsed
    assert later.code == 1 and "1 lapsed" in later.err and "vera@example.ru" in later.out
    assert [letter["Subject"][:7] for letter in mailbox.letters()[2:]] == ["Пакуем ", "Пакуем "]
    today = ppo("today", "--date", "04.12.2026", "--format", "json").json()
    assert [(a["client"], a["step_id"]) for a in today] == [("Вера", "ppo-do")]


@pytest.mark.sqlite_only  # compares the SQLite file's bytes
def test_dry_run_prints_what_would_go_and_writes_nothing(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, email_config(mailbox.controller))
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    before = ppo.db.read_bytes()
    shown = ppo("send", "--date", "01.12.2026", "--dry-run")
    assert "To: Анна <anna@example.ru>" in shown.out
    assert "Subject: Спасибо, что выбрали нас! — Турагентство «Солнце»" in shown.out
    assert "Анна, здравствуйте!" in shown.out and "would go" in shown.out
    data = ppo("send", "--date", "01.12.2026", "--dry-run", "--format", "json").json()
    [message] = data["messages"]
    assert (message["to"], message["subject"], message["id"]) == (
        "anna@example.ru",
        "Спасибо, что выбрали нас! — Турагентство «Солнце»",
        None,
    )
    assert message["text"].startswith("Анна, здравствуйте!") and data["dry_run"] is True
    assert mailbox.letters() == [] and outbox(ppo, trip) == []
    assert ppo.db.read_bytes() == before


def test_smtp_server_down_leaves_the_letter_pending_for_the_next_run(ppo, tmp_path, mailbox):
    down = {**email_config(mailbox.controller), "server": f"smtp://127.0.0.1:{free_port()}", "timeout": 3}
    configured(ppo, tmp_path, down)
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert result.code == 1 and result.err == "ppo: 0 messages sent, 1 not sent (1 to try again)\n"
    assert "cannot reach the mail server" in result.out
    assert outbox(ppo, trip) == [("spasibo", "email", "pending")]
    today = ppo("today", "--date", "01.12.2026", "--format", "json").json()
    assert [a["step_id"] for a in today] == ["ppo-do"]  # could not be sent: the manager sees it
    configured(ppo, tmp_path, email_config(mailbox.controller))
    assert ppo("send", "--date", "02.12.2026").out.strip().endswith("1 sent, 0 not sent")
    assert [letter["Subject"] for letter in mailbox.letters()] == ["Спасибо, что выбрали нас! — Турагентство «Солнце»"]
    assert outbox(ppo, trip) == [("spasibo", "email", "sent")]


def test_a_refused_recipient_fails_the_others_go(ppo, tmp_path, mailbox):
    mailbox.refuse.add("nobody@example.ru")
    configured(ppo, tmp_path, email_config(mailbox.controller))
    bad = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "nobody@example.ru")
    good = ppo.add("Борис", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "boris@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert result.code == 1 and result.err == "ppo: 1 message sent, 1 not sent (1 failed)\n"
    assert outbox(ppo, bad) == [("spasibo", "email", "failed")]
    assert outbox(ppo, good) == [("spasibo", "email", "sent")]
    again = ppo("send", "--date", "01.12.2026")  # a failed letter is a person's, not resent
    assert again.code == 0 and len(mailbox.envelopes) == 1
    today = ppo("today", "--date", "01.12.2026", "--format", "json").json()
    assert [(a["trip_id"], a["step_id"]) for a in today] == [(bad, "ppo-do")]


def test_smtp_url_refuses_a_server_without_starttls(ppo, tmp_path, mailbox):
    configured(ppo, tmp_path, {**email_config(mailbox.controller), "tls": True})
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert result.code == 1 and "offers no STARTTLS" in result.out
    assert mailbox.envelopes == [] and outbox(ppo, trip) == [("spasibo", "email", "pending")]


@pytest.mark.sqlite_only  # about files, mail or a gateway, not the store: one backend is enough
def test_starttls_with_a_throwaway_certificate_and_a_password_never_shown(ppo, tmp_path):
    cert, key = throwaway_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    controller = smtp_server(box, tls_context=context, user=("info@solnce.example", "s3cret-P4ss"))
    try:
        table = {
            **email_config(controller),
            "tls": True,
            "user": "info@solnce.example",
            "cafile": str(cert),
            "timeout": 5,
        }
        configured(ppo, tmp_path, table)
        env = {"PPO_SMTP_PASSWORD": "s3cret-P4ss"}
        ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
        result = ppo("send", "--date", "01.12.2026", env=env)
        assert result.out.strip().endswith("1 sent, 0 not sent")
        assert box.auth == [("info@solnce.example", "s3cret-P4ss")]
        assert box.letters()[0]["Subject"] == "Спасибо, что выбрали нас! — Турагентство «Солнце»"
        wrong = {"PPO_SMTP_PASSWORD": "wrong-secret"}
        ppo.add("Борис", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "boris@example.ru")
        refused = ppo("send", "--date", "01.12.2026", env=wrong, check=False)
        assert refused.code == 1 and "sent" not in refused.out.split("·")[0]
        for text in (result.out, result.err, refused.out, refused.err):
            assert "s3cret" not in text and "wrong-secret" not in text
    finally:
        controller.stop()


def test_the_server_certificate_must_be_trusted(ppo, tmp_path):
    cert, key = throwaway_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    controller = smtp_server(box, tls_context=context)
    try:
        configured(ppo, tmp_path, {**email_config(controller), "tls": True})  # no cafile
        ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
        result = ppo("send", "--date", "01.12.2026", check=False)
        assert result.code == 1 and "certificate cannot be verified" in result.out and box.envelopes == []
    finally:
        controller.stop()


def test_config_email_table_is_checked(ppo, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[email]\nserver = "smtp://x"\nfrom = "a@b.c"\npasword = "x"\n', encoding="utf-8")
    result = ppo("--config", str(path), "send", check=False)
    assert result.code == 2 and "unknown setting 'pasword' in [email]" in result.err
    path.write_text('[email]\nserver = "http://x"\nfrom = "a@b.c"\n', encoding="utf-8")
    assert "smtp://" in ppo("--config", str(path), "send", check=False).err
    path.write_text('agency = "A"\n', encoding="utf-8")
    nothing = ppo("--config", str(path), "send", check=False)
    assert nothing.code == 2 and "neither [email] nor [sms]" in nothing.err


def test_a_letter_whose_signature_is_not_set_up_is_held_for_ppo_init(ppo, tmp_path, mailbox):
    """«Спасибо» from the director needs the director's name: without `ppo init` nothing
    signed ⟨директор⟩ goes out; the step stays with the manager, and the run says why."""
    config = agency_config(tmp_path, email_config(mailbox.controller))
    config.write_text(config.read_text(encoding="utf-8").replace('director = "Елена Смирнова"\n', ""), "utf-8")
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    result = ppo("send", "--date", "01.12.2026", check=False)
    assert mailbox.envelopes == [] and "run ppo init" in result.out and "director" in result.out
    assert outbox(ppo, trip) == []
    today = ppo("today", "--date", "01.12.2026", "--format", "json").json()
    assert "ppo-do" in [a["step_id"] for a in today]


@pytest.mark.parametrize("review_url", ["https://otzyvy.example/solnce?from=letter&id=7", None])
def test_the_welcome_home_letter_carries_the_review_link_only_when_one_is_set(ppo, tmp_path, mailbox, review_url):
    top = {"review_url": review_url} if review_url else {}
    agency_config(tmp_path, email_config(mailbox.controller), **top)
    ppo.add("Анна", "01.12.2026", "10.12.2026", "20.12.2026", "--email", "anna@example.ru")
    ppo("send", "--date", "21.12.2026")  # the day after the return: «Добро пожаловать домой!»
    [welcome] = [letter for letter in mailbox.letters() if letter["Subject"].startswith("Добро пожаловать домой")]
    body = welcome.get_content().replace("\r\n", "\n")
    if review_url:
        assert f"другим путешественникам выбрать отдых: {review_url}\n" in body
        assert "Каждый ответ я читаю лично.\n\nЕсли вам удобнее, оставьте отзыв" in body
    else:  # no such paragraph: the letter reads as if it never had one
        assert "отзыв о поездке" not in body and "http" not in body
        assert "Каждый ответ я читаю лично.\n\nИ не забудьте" in body
    assert "{" not in body and "⟨" not in body and "\n\n\n" not in body


@pytest.mark.parametrize(
    "url", ["ftp://otzyvy.example/solnce", "otzyvy.example/solnce", "https://", "https://otzyvy.example/a b"]
)
def test_a_review_url_that_is_no_web_address_refuses_the_config_in_one_line(ppo, tmp_path, url):
    agency_config(tmp_path, review_url=url)
    result = ppo("today", check=False)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "'review_url' must be a web address (http:// or https://" in result.err


def test_review_url_goes_only_in_a_letter_s_body(ppo, tmp_path):
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "thanks.toml").write_text(
        'id = "thanks"\ntitle = "Спасибо"\ndates = ["purchase"]\n'
        '[[steps]]\nno = 0\nid = "sms"\ntitle = "SMS"\nchannel = "sms"\nanchor = "purchase"\noffset = "0d"\n'
        'purpose = "service"\ntext = "Спасибо! Отзыв: {review_url}"\n',
        encoding="utf-8",
    )
    agency_config(tmp_path, playbooks_dir=str(playbooks), review_url="https://otzyvy.example")
    result = ppo("playbooks", check=False)
    assert result.code == 2 and "'{review_url}' goes only in a letter's body" in result.err
