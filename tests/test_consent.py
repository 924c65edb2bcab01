"""Consent: every letter and SMS declares its purpose; an advertising one goes only with the
client's consent on record for its channel (38-ФЗ art. 18), never without it; the ledger keeps
who said what, when and how."""

from __future__ import annotations

import datetime as dt

import pytest
from send_servers import Gateway, Mailbox, email_config, smtp_server, write_config

from ppo_checklist.core import playbooks as pb

SHIPPED = pb.load_all()


@pytest.fixture
def servers(tmp_path):
    box = Mailbox()
    box.controller = smtp_server(box)
    gateway = Gateway("smsru")
    folder = tmp_path / "config" / "ppo"
    folder.mkdir(parents=True, exist_ok=True)
    write_config(
        folder / "config.toml",
        email_table=email_config(box.controller),
        sms_table={"provider": "smsru", "api_id": "K", "url": gateway.url},
    )
    config = folder / "config.toml"
    config.write_text('service_director = "Ирина Волкова"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    yield box, gateway
    box.controller.stop()
    gateway.stop()


def purposes_of(playbook: pb.Playbook) -> dict[tuple[int, str], str]:
    """(step no, letter id) -> purpose, for every message ppo sends of the playbook."""
    result = {}
    for step in playbook.steps:
        if not step.sendable:
            continue
        ids = [pb.SMS_LETTER] if step.channel == "sms" else [letter.id for letter in step.letters]
        for letter_id, purpose in zip(ids, pb.message_purposes(step)):
            result[(step.no, letter_id)] = purpose
    return result


DATES = {"purchase": "01.12.2026", "departure": "10.12.2026", "return": "20.12.2026", "declined": "01.12.2026"}


def add_for(ppo, playbook: pb.Playbook, n: int) -> int:
    """A trip on this playbook: `decline` for a playbook that starts on the decline, else `add`."""
    contact = ["--playbook", playbook.id, "--email", f"c{n}@example.ru", "--phone", f"+7916111111{n}"]
    if playbook.start == "declined":
        args = ["decline", f"Клиент {n}", "--date", DATES["declined"], "--departure", DATES["departure"], *contact]
    else:
        args = ["add", f"Клиент {n}", *contact] + [f"--{a}={DATES[a]}" for a in ("purchase", "departure", "return")]
    result = ppo(*args, "--format", "json")
    return int(result.json()["trip_id"])


def sent_messages(ppo, trip: int) -> list[tuple[int, str]]:
    messages = ppo("show", str(trip), "--format", "json").json()["messages"]
    return [(m["step_no"], m["letter"]) for m in messages if m["state"] == "sent"]


def test_the_shipped_playbooks_say_each_message_s_purpose_as_the_method_means_it():
    tour = purposes_of(SHIPPED["tour"])
    assert tour[(0, "spasibo")] == tour[(0, "chemodany")] == "service"  # the director's thank-you, packing
    assert tour[(2, "sms")] == tour[(3, "sms")] == "service"  # the departure SMS, welcome home
    assert tour[(4, "domoi")] == "service"  # welcome home and the request for a review
    assert tour[(0, "vyzov")] == "ads"  # the challenge
    assert tour[(4, "loyalnost")] == "ads"  # offers
    for playbook in SHIPPED.values():
        for step in playbook.steps:
            if step.sendable:
                assert all(p in ("service", "ads") for p in pb.message_purposes(step))


def test_no_shipped_playbook_sends_an_ads_message_without_consent(ppo, servers):
    """Every shipped playbook, a client with an e-mail and a mobile phone and no consent on record,
    cron's daily run from the purchase to a month after the return: every message that went is a
    service message, and every service message went."""
    box, gateway = servers
    trips = {name: add_for(ppo, playbook, n) for n, (name, playbook) in enumerate(sorted(SHIPPED.items()))}
    day = dt.date(2026, 12, 1)
    while day <= dt.date(2027, 1, 20):
        ppo("send", "--date", day.strftime("%d.%m.%Y"))
        day += dt.timedelta(days=1)
    ads_seen = 0
    for name, trip in trips.items():
        purposes = purposes_of(SHIPPED[name])
        sent = sent_messages(ppo, trip)
        assert all(purposes[key] == "service" for key in sent), (name, sent)
        assert sorted(sent) == sorted(k for k, p in purposes.items() if p == "service"), name
        ads_seen += sum(1 for p in purposes.values() if p == "ads")
    assert ads_seen > 0  # the shipped playbooks do have advertising: the test could fail
    assert len(box.envelopes) + len(gateway.requests) == sum(len(sent_messages(ppo, t)) for t in trips.values())


def test_a_purpose_other_than_service_or_ads_is_refused_when_the_playbook_loads(tmp_path):
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "x.toml").write_text(
        'id = "x"\ndates = ["purchase"]\n[[steps]]\nno = 0\nid = "s"\ntitle = "SMS"\nchannel = "sms"\n'
        'anchor = "purchase"\noffset = "0d"\ntext = "Hello"\npurpose = "promo"\n',
        encoding="utf-8",
    )
    with pytest.raises(Exception) as caught:
        pb.load_all(folder)
    assert "'purpose' must be \"service\" or \"ads\", not 'promo'" in str(caught.value)
    (folder / "x.toml").write_text(
        'id = "x"\ndates = ["purchase"]\n[[steps]]\nno = 0\nid = "s"\ntitle = "Call"\nchannel = "call"\n'
        'anchor = "purchase"\noffset = "0d"\ntext = "Hello"\npurpose = "service"\n',
        encoding="utf-8",
    )
    with pytest.raises(Exception) as caught:
        pb.load_all(folder)
    assert "only a letter or an SMS has a purpose" in str(caught.value)


def test_a_message_that_does_not_say_its_purpose_is_advertising():
    playbook = pb.parse_playbook(
        {
            "id": "x",
            "dates": ["purchase"],
            "steps": [
                {"no": 0, "id": "s", "title": "t", "channel": "sms", "anchor": "purchase", "offset": "0d", "text": "Hi"}
            ],
        },
        "x.toml",
    )
    assert pb.message_purposes(playbook.steps[0]) == ("ads",)
