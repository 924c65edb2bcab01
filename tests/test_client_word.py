"""The client's word through ppo's commands, against real servers: consent in the ledger (`ppo
consent`, `add --consent`, an import column, `optout`), replies and bounces read from a real
Dovecot, SMS delivery from the HTTP gateway's status API, the verdict and its complaint."""

from __future__ import annotations

import pytest
from imap_server import Dovecot, bounce, reply
from send_servers import Gateway, agency_config, email_config


@pytest.fixture
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


def configure(tmp_path, email_table=None, sms_table=None, imap=None, top="") -> None:
    path = agency_config(tmp_path, email_table, sms_table)
    text = 'service_director = "Ирина"\n' + top + path.read_text(encoding="utf-8")
    if imap:
        text += "[imap]\n" + "".join(
            f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v).replace(chr(39), chr(34))}\n"
            for k, v in imap.items()
        )
    path.write_text(text, encoding="utf-8")


def subjects(box) -> list[str]:
    return [letter["Subject"] for letter in box.letters()]


def test_consent_to_ads_lets_the_challenge_go_and_show_lists_the_ledger(ppo, tmp_path, mailbox):
    configure(tmp_path, email_config(mailbox.controller))
    anna = ppo.add("Анна", "01.12.2026", "10.12.2026", "20.12.2026", "--email", "anna@example.ru")
    ppo.add("Борис", "01.12.2026", "10.12.2026", "20.12.2026", "--email", "boris@example.ru", "--consent", "ads")
    unknown = ppo("consent", "nobody@example.ru", "--ads", "yes", check=False)
    assert unknown.code == 2 and "no client with the phone or e-mail nobody@example.ru" in unknown.err
    bad_via = ppo("consent", "ANNA@example.ru", "--ads", "yes", "--via", "pigeon", check=False)
    assert bad_via.code == 2 and "--via" in bad_via.err
    out = ppo("consent", "ANNA@example.ru", "--ads", "yes", "--via", "form", "--date", "01.12.2026",
              "--text-version", "v2").out  # fmt: skip
    assert "Client 1 (Анна): consent to advertising given (email, sms)." in out
    for day in range(1, 8):
        ppo("send", "--date", f"{day:02d}.12.2026")
    challenges = [m["To"] for m in mailbox.letters() if m["Subject"] == "Бросаем вам вызов!"]
    assert sorted(challenges) == ["Анна <anna@example.ru>", "Борис <boris@example.ru>"]
    shown = ppo("show", str(anna), "--format", "json").json()
    assert {(c["channel"], c["purpose"], c["given"], c["via"], c["text_version"]) for c in shown["consent"]} == {
        ("email", "ads", True, "form", "v2"),
        ("sms", "ads", True, "form", "v2"),
    }
    ppo("optout", "anna@example.ru", "--via", "call", "--date", "03.12.2026")
    ledger = ppo("show", str(anna), "--format", "json").json()["consent"]
    withdrawn = [(c["channel"], c["purpose"]) for c in ledger if not c["given"]]
    assert sorted(withdrawn) == [("email", "ads"), ("email", "service"), ("sms", "ads"), ("sms", "service")]
    assert all(c["on"] == "2026-12-03" and c["via"] == "call" for c in ledger if not c["given"])
    assert "withdrawn" in ppo("show", str(anna)).out


def test_without_consent_the_ads_step_is_no_consent_and_nobody_s_task(ppo, tmp_path, make_ppo):
    """A playbook whose first message is advertising: without consent it is not in today."""
    folder = tmp_path / "config" / "ppo" / "playbooks"
    folder.mkdir(parents=True)
    (folder / "offer.toml").write_text(
        'id = "offer"\ndates = ["purchase"]\n[[steps]]\nno = 0\nid = "offer-sms"\ntitle = "SMS: offer"\n'
        'channel = "sms"\nanchor = "purchase"\noffset = "0d"\ntext = "Скидка!"\npurpose = "ads"\n',
        encoding="utf-8",
    )
    ppo("add", "Анна", "-p", "01.12.2026", "-d", "10.12.2026", "-r", "20.12.2026", "--playbook", "offer",
        "--phone", "+79161111111")  # fmt: skip
    assert ppo("today", "--date", "01.12.2026", "--format", "json").json() == []
    ppo("consent", "+79161111111", "--ads", "yes", "--channel", "sms")
    assert [a["step_id"] for a in ppo("today", "--date", "01.12.2026", "--format", "json").json()] == ["offer-sms"]


def test_an_import_with_a_consent_column_records_consent_dated_the_purchase(ppo, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(
        "name,phone,email,purchase,departure,return,согласие\n"
        "Анна,+79161111111,anna@example.ru,01.11.2026,10.12.2026,20.12.2026,да\n"
        "Борис,+79162222222,boris@example.ru,02.11.2026,10.12.2026,20.12.2026,\n"
        "Вера,+79163333333,vera@example.ru,03.11.2026,10.12.2026,20.12.2026,+\n",
        encoding="utf-8",
    )
    ppo("import", str(path))
    records = {n: ppo("show", str(n), "--format", "json").json()["consent"] for n in (1, 2, 3)}
    assert {(c["channel"], c["on"], c["via"]) for c in records[1]} == {
        ("email", "2026-11-01", "import"),
        ("sms", "2026-11-01", "import"),
    }
    assert records[2] == [] and {c["on"] for c in records[3]} == {"2026-11-03"}


@pytest.mark.parametrize(
    "word, given",
    [("yes", True), ("Да", True), ("1", True), ("+", True), ("true", True), ("согласна", True),
     ("no", False), ("НЕТ", False), ("0", False), ("-", False), ("false", False), ("", False)],
)  # fmt: skip
def test_the_consent_column_takes_yes_words_and_no_words(ppo, tmp_path, word, given):
    path = tmp_path / "clients.csv"
    path.write_text(f"name,purchase,departure,return,consent\nГлеб,01.11.2026,10.12.2026,20.12.2026,{word}\n")
    ppo("import", str(path))
    ledger = ppo("show", "1", "--format", "json").json()["consent"]
    assert {(c["channel"], c["given"]) for c in ledger} == ({("email", True), ("sms", True)} if given else set())


@pytest.mark.parametrize("word", ["сделано", "✓", "x", "ок", "готово", "01.11.2026", "может быть"])
def test_a_consent_cell_that_is_no_yes_or_no_refuses_the_whole_file_naming_line_and_column(ppo, tmp_path, word):
    """A tick says a step was done, not that the client agreed to advertising: no consent on a guess."""
    path = tmp_path / "clients.csv"
    path.write_text(
        "name,phone,purchase,departure,return,согласие\n"
        "Анна,+79161111111,01.11.2026,10.12.2026,20.12.2026,да\n"
        f"Глеб,+79162222222,01.11.2026,10.12.2026,20.12.2026,{word}\n",
        encoding="utf-8",
    )
    refused = ppo("import", str(path), check=False)
    assert refused.code == 2 and refused.out == ""
    assert f"line 3: column 'согласие': '{word}' is neither yes nor no" in refused.err
    assert "Traceback" not in refused.err
    assert ppo("list", "--all", "--format", "json").json() == []  # nothing imported, not even Анна


def test_a_week_of_daily_runs_with_an_unsubscribe_and_a_bounce(ppo, tmp_path, mailbox, dovecot):
    """The issue's "done when": one client replies «Отписаться», another address bounces; no letter
    to either afterwards, both visible in show; each mail taken once, flagged seen, never deleted."""
    configure(tmp_path, email_config(mailbox.controller), imap=dovecot.config())
    people = {
        name: ppo.add(
            name, "01.12.2026", "04.12.2026", "06.12.2026", "--email", f"{mail}@example.ru", "--consent", "ads"
        )
        for name, mail in (("Анна", "anna"), ("Борис", "boris"), ("Вера", "vera"))
    }
    ppo("send", "--date", "01.12.2026")
    assert len({e.rcpt_tos[0] for e in mailbox.envelopes}) == 3  # «Спасибо» and the challenge to each
    dovecot.append(
        reply("Анна <Anna@Example.ru>", "Re: Спасибо", "Отписаться\r\n\r\n> Спасибо, что выбрали нас", "r1@x")
    )
    dovecot.append(bounce("boris@example.ru", "b1@x"))
    dovecot.append(reply("friend@example.ru", "Вопрос", "Подскажите про визу", "q1@x"))
    before = len(mailbox.envelopes)
    first = ppo("send", "--date", "02.12.2026")
    assert "anna@example.ru unsubscribed (Анна)" in first.err.lower() or "Anna@Example.ru unsubscribed" in first.err
    for day in range(2, 10):
        ppo("send", "--date", f"{day:02d}.12.2026")
    later = [m["To"] for m in mailbox.letters()[before:]]
    assert later and all("vera@example.ru" in to for to in later), later
    anna = ppo("show", str(people["Анна"]), "--format", "json").json()
    assert {(c["channel"], c["purpose"], c["via"]) for c in anna["consent"] if not c["given"]} == {
        ("email", "service", "reply"),
        ("email", "ads", "reply"),
    }
    boris = ppo("show", str(people["Борис"]), "--format", "json").json()
    assert [(p["channel"], p["kind"], p["detail"]) for p in boris["contact_problems"]] == [
        ("email", "bounced", "5.1.1")
    ]
    today = ppo("today", "--date", "09.12.2026", "--format", "json").json()
    assert [a["trip_id"] for a in today if a["step_id"] == "check-email"] == [people["Борис"]]
    mails = dict(dovecot.mails())
    assert len(mails) == 3  # nothing deleted
    assert "\\Seen" in mails["<r1@x>"] and "\\Seen" in mails["<b1@x>"] and "\\Seen" not in mails["<q1@x>"]
    assert ppo("inbox", "--date", "09.12.2026").out.startswith("0 new mails read.")
    ppo("done", str(people["Борис"]), "check-email")  # the manager checked: ppo writes again
    assert not [
        a for a in ppo("today", "--date", "09.12.2026", "--format", "json").json() if a["step_id"] == "check-email"
    ]


def test_an_sms_the_gateway_did_not_deliver_shows_in_show_and_today(ppo, tmp_path):
    gateway = Gateway("smsru")
    try:
        configure(tmp_path, sms_table={"provider": "smsru", "api_id": "K", "url": gateway.url})
        anna = ppo.add("Анна", "01.12.2026", "05.12.2026", "15.12.2026", "--phone", "+79161111111")
        boris = ppo.add("Борис", "01.12.2026", "05.12.2026", "15.12.2026", "--phone", "+79162222222")
        ppo("send", "--date", "05.12.2026")
        ids = {r["to"]: f"000000-{n:08d}" for n, r in enumerate(gateway.requests, start=1)}
        gateway.delivery[ids["79161111111"]] = "failed"
        gateway.delivery[ids["79162222222"]] = "delivered"
        run = ppo("send", "--date", "06.12.2026")
        assert "SMS to +79161111111 not delivered" in run.err and gateway.status_requests
        problems = ppo("show", str(anna), "--format", "json").json()["contact_problems"]
        assert [(p["channel"], p["kind"]) for p in problems] == [("sms", "not_delivered")]
        assert ppo("show", str(boris), "--format", "json").json()["contact_problems"] == []
        today = ppo("today", "--date", "06.12.2026", "--format", "json").json()
        assert [(a["trip_id"], a["step_id"]) for a in today if a["step_id"].startswith("check")] == [
            (anna, "check-phone")
        ]
        asked = len(gateway.status_requests)
        ppo("send", "--date", "07.12.2026")
        assert len(gateway.status_requests) == asked  # a settled SMS is not asked again
    finally:
        gateway.stop()


def test_smsc_s_delivery_status_is_asked_as_its_api_says_and_an_undelivered_sms_shows(ppo, tmp_path):
    """smsc.ru: each SMS goes with the outbox's id, and the next run asks `/sys/status.php`
    (login, psw, phone, id, fmt=3) for it: 20 (cannot be delivered) asks the manager to check
    the phone, 1 (delivered) settles it, 0 (with the operator) is asked again next time."""
    gateway = Gateway("smsc")
    try:
        secret = "smsc-secret-пароль"
        configure(tmp_path, sms_table={"provider": "smsc", "login": "solnce", "password": secret, "url": gateway.url})
        anna = ppo.add("Анна", "01.12.2026", "05.12.2026", "15.12.2026", "--phone", "+79161111111")
        boris = ppo.add("Борис", "01.12.2026", "05.12.2026", "15.12.2026", "--phone", "+79162222222")
        vera = ppo.add("Вера", "01.12.2026", "05.12.2026", "15.12.2026", "--phone", "+79163333333")
        ppo("send", "--date", "05.12.2026")
        ids = {r["phones"].lstrip("+"): r["id"] for r in gateway.requests}
        assert len(ids) == 3 and gateway.status_requests == []
        gateway.delivery[ids["79161111111"]] = "failed"  # 20: cannot be delivered
        gateway.delivery[ids["79162222222"]] = "delivered"  # 1
        gateway.delivery[ids["79163333333"]] = "waiting"  # 0: with the operator
        run = ppo("send", "--date", "06.12.2026")
        assert "SMS to +79161111111 not delivered" in run.err
        asked = {r["id"]: r for r in gateway.status_requests}
        assert set(asked) == set(ids.values())
        for phone, gateway_id in ids.items():
            request = asked[gateway_id]
            assert (request["login"], request["psw"], request["fmt"]) == ("solnce", secret, "3")
            assert request["phone"].lstrip("+") == phone
        problems = ppo("show", str(anna), "--format", "json").json()["contact_problems"]
        assert [(p["channel"], p["kind"]) for p in problems] == [("sms", "not_delivered")]
        assert [ppo("show", str(t), "--format", "json").json()["contact_problems"] for t in (boris, vera)] == [[], []]
        today = ppo("today", "--date", "06.12.2026", "--format", "json").json()
        assert [(a["trip_id"], a["step_id"]) for a in today if a["step_id"].startswith("check")] == [
            (anna, "check-phone")
        ]
        gateway.status_requests.clear()
        ppo("send", "--date", "07.12.2026")
        assert [r["id"] for r in gateway.status_requests] == [ids["79163333333"]]  # only the one still on its way
        shown = "".join(ppo("show", str(t)).out for t in (anna, boris, vera)) + run.out + run.err
        assert secret not in shown
    finally:
        gateway.stop()


def test_a_dissatisfied_verdict_opens_a_complaint_for_the_service_director(ppo, tmp_path):
    configure(tmp_path, top='complaint_hours = "1, 2, 3"\n')
    trip = ppo.add("Анна", "01.11.2026", "05.11.2026", "15.11.2026", "-m", "Ольга")
    other = ppo.add("Борис", "01.11.2026", "05.11.2026", "15.11.2026", "-m", "Иван")
    bad = ppo("feedback", str(trip), "--tour", "4", "--service", "2", "--date", "16.11.2026", check=False)
    assert bad.code == 0 and "complaint is open" in bad.out
    assert ppo("feedback", str(other), "--tour", "очень доволен", "--service", "3", "--date", "17.11.2026").code == 0
    wrong = ppo("feedback", str(other), "--tour", "5", "--service", "3", check=False)
    assert wrong.code == 2 and "--tour: '5' is not a level" in wrong.err
    director = ppo("today", "--manager", "ирина", "--format", "json").json()
    assert [(a["trip_id"], a["step_id"]) for a in director] == [(trip, "complaint-taken")]
    assert ppo("today", "--manager", "Ольга", "--format", "json").json() == [] or all(
        not a["step_id"].startswith("complaint") for a in ppo("today", "--manager", "Ольга", "--format", "json").json()
    )
    ppo("done", str(trip), "complaint")
    assert ppo("today", "--manager", "Ирина", "--format", "json").json() == []
    again = ppo("done", str(trip), "complaint", check=False)
    assert again.code == 2 and "no open complaint" in again.err
    corrected = ppo(
        "feedback", str(trip), "--tour", "4", "--service", "3", "--note", "всё решили", "--date", "18.11.2026"
    )
    assert "corrected" in corrected.out
    shown = ppo("show", str(trip), "--format", "json").json()
    assert [(f["tour"], f["service"]) for f in shown["feedback"]] == [(4, 2), (4, 3)]  # history kept
    assert shown["complaints"][0]["resolved_at"]
    today = ppo("show", str(trip), "--format", "json").json()
    assert today["trip_id"] == trip
    stats = ppo("stats", "--date", "20.11.2026", "--format", "json").json()
    verdicts = {m["manager"]: m["satisfaction"] for m in stats["managers"]}
    assert verdicts["Ольга"]["answers"] == 1 and verdicts["Ольга"]["service"]["levels"]["3"] == 1
    assert verdicts["Иван"]["tour"]["levels"]["4"] == 1 and verdicts["Иван"]["tour"]["satisfied_share"] == 1.0
    assert stats["total"]["satisfaction"]["answers"] == 2
    assert "Clients' satisfaction, per manager" in ppo("stats", "--date", "20.11.2026").out


def test_an_overdue_complaint_says_by_how_many_hours(ppo, tmp_path):
    configure(tmp_path)
    trip = ppo.add("Анна", "01.11.2026", "05.11.2026", "15.11.2026")
    ppo("feedback", str(trip), "--tour", "1", "--service", "1", "--date", "16.11.2026")
    later = ppo("today", "--date", "17.11.2026", "--manager", "Ирина", "--format", "json").json()
    assert [a["status"] for a in later] == ["overdue"]
    assert " h late" in later[0]["step"]
