"""What an SMS costs: the segment counter, the shipped texts, and `ppo playbooks` saying so."""

from __future__ import annotations

import pytest

from ppo_checklist.core import playbooks, sms_segments
from ppo_checklist.core.sms_segments import measure


@pytest.mark.parametrize(
    "text, encoding, length, count",
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),  # split: 153 a part
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # an extension character counts 2
        ("{" * 81, "gsm7", 162, 2),
        ("я" * 70, "ucs2", 70, 1),
        ("я" * 71, "ucs2", 71, 2),  # split: 67 a part
        ("я" * 134, "ucs2", 134, 2),
        ("я" * 135, "ucs2", 135, 3),
        ("a" * 69 + "я", "ucs2", 70, 1),  # one Cyrillic letter makes the whole text UCS-2
        ("", "gsm7", 0, 0),
    ],
)
def test_segments_follow_gsm7_and_ucs2_limits(text, encoding, length, count):
    assert measure(text) == (encoding, length, count)


def test_placeholders_are_measured_filled_with_typical_values():
    text = sms_segments.typical("{client}, {nosuch}")
    assert text == "Анна Иванова, {nosuch}"


def test_every_shipped_sms_fits_one_segment():
    shipped = [s for pb in playbooks.load_all().values() for s in pb.steps if s.channel == "sms"]
    assert shipped
    for step in shipped:
        assert sms_segments.of_step(step).sms == 1, step.id


def test_the_shipped_texts_name_no_banned_network():
    for path in playbooks.shipped_dir().glob("*.toml"):
        text = path.read_text(encoding="utf-8").casefold()
        for banned in ("instagram", "инстаграм", "facebook", "фейсбук", "meta"):
            assert banned not in text, (path.name, banned)
    assert "вконтакте" in (playbooks.shipped_dir() / "tour.toml").read_text(encoding="utf-8").casefold()


LONG_SMS = """
id = "long"
dates = ["purchase"]
[[steps]]
no = 0
id = "hello"
title = "Длинное SMS"
channel = "sms"
anchor = "purchase"
offset = "0d"
text = "{client}, здравствуйте! Это очень длинное SMS, которое никак не помещается в одно сообщение."
"""


@pytest.fixture
def long_sms(tmp_path, make_ppo):
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "long.toml").write_text(LONG_SMS, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'playbooks_dir = "{folder}"\n', encoding="utf-8")
    return make_ppo(tmp_path, config)


def test_playbooks_shows_each_sms_cost_in_every_format_and_warns_above_one(long_sms):
    records = {pb["id"]: pb for pb in long_sms("playbooks", "--format", "json").json()}
    [hello] = records["long"]["steps"]
    assert (hello["sms_segments"], hello["sms_length"]) == (2, 96)
    assert records["tour"]["steps"][2]["sms_segments"] == 1
    assert records["tour"]["steps"][0]["sms_segments"] is None  # a letter, not an SMS
    csv = long_sms("playbooks", "--format", "csv")
    assert csv.out.splitlines()[0].endswith(",sms_segments,sms_length")
    table = long_sms("playbooks", env={"COLUMNS": "250"})
    assert "2 × SMS (96/70)" in table.out and "1 × SMS (67/70)" in table.out
    assert table.err.count("\n") == 1
    assert "long: step 0 «Длинное SMS»: its SMS goes as 2 SMS (96 characters" in table.err
    russian = long_sms("playbooks", env={"LANG": "ru_RU.UTF-8"})
    assert "уйдёт как 2 SMS" in russian.err
