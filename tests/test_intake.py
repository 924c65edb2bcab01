"""The one intake's rules, as pure functions: the name key, the same client, the manager's
spelling, the draft's checks (the commands that use them are tested in test_import and
test_manager_workflow)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ppo_checklist.core.intake import (
    ClientIndex,
    DraftChecker,
    ManagerSpellings,
    TwoClients,
    name_key,
    same_client,
)
from ppo_checklist.core.model import Client


@pytest.mark.parametrize(
    ("a", "b"),
    [("Алёна Иванова", "алена  иванова"), ("  ФЁДОР ", "федор"), ("Anna\tSmith", "anna smith")],
)
def test_a_name_matches_ignoring_case_yo_and_spaces(a, b):
    assert name_key(a) == name_key(b)


@given(st.text())
def test_the_name_key_is_stable(name):
    assert name_key(name_key(name)) == name_key(name)


def test_the_same_phone_under_another_name_is_another_client_who_shares_it():
    ivanova, petrova = Client(1, "Анна Иванова"), Client(2, "Анна Петрова")
    match = same_client("анна петрова", [ivanova, petrova], [])
    assert match.same is petrova and match.sharing == [ivanova]
    newcomer = same_client("Пётр Петров", [ivanova, petrova], [])
    assert newcomer.same is None and newcomer.sharing == [ivanova, petrova]


def test_a_phone_of_one_namesake_and_an_email_of_another_is_refused():
    with pytest.raises(TwoClients):
        same_client("Анна", [Client(1, "Анна")], [Client(2, "анна")])
    both = Client(3, "Анна")
    assert same_client("Анна", [Client(1, "Анна"), both], [both]).same is both


def test_the_index_finds_a_client_by_either_contact():
    index: ClientIndex[Client] = ClientIndex()
    anna = Client(1, "Анна")
    index.add(anna, "79123456789", None)
    index.add(anna, None, "a@x.ru")
    assert index.match("анна", None, "a@x.ru").same is anna
    assert index.match("Анна", "79000000000", None).same is None


def test_a_manager_takes_the_spelling_stored_or_first_typed():
    spelling = ManagerSpellings(["Ольга"])
    assert [spelling(t) for t in ("ольга ", " ОЛЬГА", "игорь ", "Игорь", "")] == [
        "Ольга",
        "Ольга",
        "игорь",
        "игорь",
        "",
    ]


def test_a_draft_names_every_problem_the_name_first():
    draft, problems = DraftChecker().check("", "+7 912", "not-an-email", "Ольга\x07", "ok\nok")
    assert problems[0] == "no client name" and len(problems) == 4
    draft, problems = DraftChecker().check(" Анна ", "8 912 345 67 89", "A@X.ru", " Ольга ", "")
    assert problems == []
    assert (draft.name, draft.phone, draft.phone_key, draft.email_key, draft.manager, draft.note) == (
        "Анна",
        "+7 912 345-67-89",
        "79123456789",
        "a@x.ru",
        "Ольга",
        None,
    )


def test_a_draft_checker_remembers_a_bounded_number_of_spellings_and_answers_the_same(monkeypatch):
    from ppo_checklist.core import intake

    monkeypatch.setattr(intake, "REMEMBERED", 4)
    checker = DraftChecker()
    phones = [f"8 912 345 67 {n:02d}" for n in range(10)] * 2 + ["+7 912", "+7 912"]
    answers = [checker.check("Анна", phone, f"a{n % 10}@x.ru") for n, phone in enumerate(phones)]
    assert answers == [DraftChecker().check("Анна", phone, f"a{n % 10}@x.ru") for n, phone in enumerate(phones)]
    assert answers[-1][1] == answers[-2][1] != []  # a bad phone read again is as bad
    assert len(checker._phones) <= 4 and len(checker._emails) <= 4
