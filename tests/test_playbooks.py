from pathlib import Path

import pytest

from ppo_checklist.core import playbooks
from ppo_checklist.errors import PlaybookError

GOOD_STEP = """
[[steps]]
no = 0
id = "hello"
title = "Hello"
channel = "sms"
anchor = "purchase"
offset = "+1d"
text = "Hi {client}"
"""


def write(folder: Path, body: str, name: str = "mine.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_shipped_playbooks_are_tour_and_declined():
    found = playbooks.load_all()
    assert set(found) == {"tour", "declined"}
    assert [s.id for s in found["tour"].steps] == [
        "ppo-do",
        "reminder",
        "sms-departure",
        "sms-return",
        "ppo-posle",
        "invite-call",
        "office-visit",
    ]


def test_user_playbook_replaces_a_shipped_one_by_id(tmp_path):
    write(tmp_path, 'id = "tour"\ndates = ["purchase", "departure", "return"]\n' + GOOD_STEP)
    found = playbooks.load_all(tmp_path)
    assert [s.id for s in found["tour"].steps] == ["hello"]
    assert "declined" in found


def test_user_playbook_adds_a_new_one(tmp_path):
    write(tmp_path, 'id = "vip"\ndates = ["purchase", "departure", "return"]\n' + GOOD_STEP)
    assert {"tour", "declined", "vip"} <= set(playbooks.load_all(tmp_path))


@pytest.mark.parametrize(
    "change, reason",
    [
        (('anchor = "purchase"', 'anchor = "birthday"'), "unknown anchor 'birthday'"),
        (('offset = "+1d"', 'offset = "tomorrow"'), "bad offset 'tomorrow'"),
        (("Hi {client}", "Hi {name}"), "unknown placeholder '{name}'"),
        (('channel = "sms"', 'channel = "fax"'), "unknown channel 'fax'"),
        (('title = "Hello"\n', ""), "missing field 'title'"),
    ],
)
def test_broken_step_is_refused_naming_file_step_and_reason(tmp_path, change, reason):
    path = write(tmp_path, 'id = "x"\ndates = ["purchase"]\n' + GOOD_STEP.replace(*change))
    with pytest.raises(PlaybookError) as error:
        playbooks.load_file(path)
    message = str(error.value)
    assert str(path) in message and "hello" in message and reason in message


def test_duplicate_step_number_is_refused(tmp_path):
    path = write(tmp_path, 'id = "x"\ndates = ["purchase"]\n' + GOOD_STEP + GOOD_STEP.replace('"hello"', '"other"'))
    with pytest.raises(PlaybookError, match="duplicate step number 0"):
        playbooks.load_file(path)


def test_duplicate_step_id_is_refused(tmp_path):
    path = write(tmp_path, 'id = "x"\ndates = ["purchase"]\n' + GOOD_STEP + GOOD_STEP.replace("no = 0", "no = 1"))
    with pytest.raises(PlaybookError, match="duplicate step id 'hello'"):
        playbooks.load_file(path)


def test_unknown_playbook_date_is_refused(tmp_path):
    path = write(tmp_path, 'id = "x"\ndates = ["purchase", "wedding"]\n' + GOOD_STEP)
    with pytest.raises(PlaybookError, match="unknown date 'wedding'"):
        playbooks.load_file(path)


def test_broken_toml_is_refused_naming_the_file(tmp_path):
    path = write(tmp_path, 'id = "x\n')
    with pytest.raises(PlaybookError, match="mine.toml"):
        playbooks.load_file(path)
