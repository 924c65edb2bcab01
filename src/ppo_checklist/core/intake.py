"""One intake for a sale or a decline, as `add`, `decline` and `import` take it: the typed
name, contacts, manager and note checked in one place (`DraftChecker`), the manager's stored
spelling (`ManagerSpellings`), and one rule for "the same client" (the same name and a shared
phone or e-mail: `ClientIndex`) and for "the same sale" (`sale_key`).

A phone or e-mail shared under another name is another person (a family shares a phone): a new
client sharing that contact, never the trip given to the one already known.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, NamedTuple, Protocol, TypeVar

from ppo_checklist.core.model import (
    email_key,
    manager_key,
    name_problem,
    normal_email,
    normal_phone,
    phone_key,
    text_problem,
)
from ppo_checklist.errors import BadInput
from ppo_checklist.i18n import _


def name_key(name: str) -> str:
    """A client's name as compared: case, ё/е and spacing aside («Алёна  ИВАНОВА» is «алена иванова»)."""
    return " ".join(name.split()).casefold().replace("ё", "е")


def same_name(a: str, b: str) -> bool:
    """Two spellings of one person's name."""
    return name_key(a) == name_key(b)


def sale_key(name: str, playbook: str, dates: Hashable) -> tuple[str, str, Hashable]:
    """The same sale: the same client's name, playbook and dates (typed twice, or imported twice)."""
    return name_key(name), playbook, dates


# --- the draft ---------------------------------------------------------------------------------


class Draft(NamedTuple):
    """Who a sale is for, as typed and checked: texts as stored, contacts in their stored form
    with the keys they are recognised by."""

    name: str
    phone: str | None
    email: str | None
    phone_key: str | None
    email_key: str | None
    manager: str
    note: str | None


Normalised = tuple[str | None, str | None]  # (the value as stored, or why it cannot be)


REMEMBERED = 1 << 14  # contact spellings a DraftChecker remembers at most (of each kind)


class DraftChecker:
    """Checks drafts, remembering the contact spellings it has read lately (a file repeats them)."""

    def __init__(self) -> None:
        self._phones: dict[str, Normalised] = {}
        self._emails: dict[str, Normalised] = {}

    def check(
        self, name: str, phone: str | None, email: str | None, manager: str = "", note: str | None = None
    ) -> tuple[Draft, list[str]]:
        """The draft, and every reason it cannot be stored (none: it can)."""
        problems: list[str] = []
        name = name.strip()
        problem = name_problem(name) if name else _("no client name")
        if problem:
            problems.append(problem)
        phone = _contact(phone, self._phones, normal_phone, problems)
        email = _contact(email, self._emails, normal_email, problems)
        for field_name, value in (("manager", manager), ("note", note)):
            problem = text_problem(field_name, value)
            if problem:
                problems.append(problem)
        draft = Draft(name, phone, email, phone_key(phone), email_key(email), manager.strip(), note or None)
        return draft, problems


def checked_draft(name: str, phone: str | None, email: str | None, manager: str = "", note: str | None = None) -> Draft:
    """A draft typed on the command line: BadInput naming its first problem."""
    draft, problems = DraftChecker().check(name, phone, email, manager, note)
    if problems:
        raise BadInput(problems[0])
    return draft


def _contact(
    value: str | None, seen: dict[str, Normalised], normalise: Callable[[str], Normalised], problems: list[str]
) -> str | None:
    if not value:
        return None
    found = seen.get(value)
    if found is None:
        if len(seen) >= REMEMBERED:  # a file of a million rows: memory stays flat
            seen.clear()
        found = seen[value] = normalise(value)
    if found[1]:
        problems.append(found[1])
    return found[0]


# --- the manager -------------------------------------------------------------------------------


class ManagerSpellings:
    """The stored spelling of each manager typed: «ольга » is «Ольга» when a trip names Ольга
    (case and surrounding spaces aside); a new name is kept as first typed, without surrounding
    spaces, and later spellings of it join it. One manager, one group in every list."""

    def __init__(self, known: Iterable[str]) -> None:
        self._by_key: dict[str, str] = {}
        for name in known:
            self._by_key.setdefault(manager_key(name), name)

    def __call__(self, typed: str) -> str:
        name = typed.strip()
        return self._by_key.setdefault(manager_key(name), name) if name else name


# --- the same client ---------------------------------------------------------------------------


class Person(Protocol):
    @property
    def name(self) -> str: ...


P = TypeVar("P", bound=Person)


class Match(Generic[P]):
    """The known client a draft is (None: a new one), and the others who share its phone or
    e-mail under another name."""

    # A plain class: a generic frozen dataclass cost ~1 ms of every command's start (a generic
    # NamedTuple needs Python 3.11).
    __slots__ = ("same", "sharing")

    def __init__(self, same: P | None, sharing: list[P]) -> None:
        self.same = same
        self.sharing = sharing


class TwoClients(ValueError):
    """The phone names one client of this name and the e-mail another."""


class ClientIndex(Generic[P]):
    """Known clients by the keys of their phone and e-mail (several may share one)."""

    def __init__(self) -> None:
        self._phones: dict[str, list[P]] = {}
        self._emails: dict[str, list[P]] = {}

    def add(self, client: P, p_key: str | None, e_key: str | None) -> None:
        for index, key in ((self._phones, p_key), (self._emails, e_key)):
            if key:
                holders = index.setdefault(key, [])
                if client not in holders:
                    holders.append(client)

    def match(self, name: str, p_key: str | None, e_key: str | None) -> Match[P]:
        """The same client: the same name and the same phone or e-mail. Raises TwoClients when
        the phone is one such client's and the e-mail another's."""
        return same_client(
            name,
            self._phones.get(p_key, ()) if p_key else (),
            self._emails.get(e_key, ()) if e_key else (),
        )


def same_client(name: str, by_phone: Sequence[P], by_email: Sequence[P]) -> Match[P]:
    """Among the clients holding the draft's phone and those holding its e-mail: the one of the
    same name (the one holding both, if any), and the others."""
    wanted = name_key(name)
    phone_same = [c for c in by_phone if name_key(c.name) == wanted]
    email_same = [c for c in by_email if name_key(c.name) == wanted]
    both = [c for c in phone_same if c in email_same]
    if both:
        same: P | None = both[0]
    elif phone_same and email_same:
        raise TwoClients(_("the phone and the e-mail belong to two different clients"))
    else:
        same = next(iter(phone_same or email_same), None)
    sharing: list[P] = []
    for client in (*by_phone, *by_email):
        if client is not same and client not in sharing and name_key(client.name) != wanted:
            sharing.append(client)
    return Match(same, sharing)


Other = tuple[int | None, int, str]  # a client sharing a contact: id (None: new, on a file's line), line, name


class Sharing(NamedTuple):
    """A new client's phone and e-mail, and the clients of other names who already hold each."""

    phone: str | None
    email: str | None
    by_phone: tuple[Other, ...]
    by_email: tuple[Other, ...]

    def line(self, name: str, client_id: int | None = None) -> str:
        """One line naming the others: «Анна Петрова (client 2) is a new client sharing the
        phone +7 912 345-67-89 with client 1 (Анна Иванова)»."""
        parts = []
        if self.by_phone:
            parts.append(_("the phone {p} with {others}").format(p=self.phone, others=_named(self.by_phone)))
        if self.by_email:
            parts.append(_("the e-mail {e} with {others}").format(e=self.email, others=_named(self.by_email)))
        who = name if client_id is None else _("{name} (client {id})").format(name=name, id=client_id)
        return _("{who} is a new client sharing {what}").format(who=who, what="; ".join(parts))

    def record(self) -> dict[str, object]:
        """As json: the contacts shared and with whom."""

        def named(others: tuple[Other, ...]) -> list[dict[str, object]]:
            return [{"client": cid, "line": line or None, "name": name} for cid, line, name in others]

        return {
            "phone": self.phone if self.by_phone else None,
            "email": self.email if self.by_email else None,
            "with_phone": named(self.by_phone),
            "with_email": named(self.by_email),
        }


def _named(others: tuple[Other, ...]) -> str:
    return ", ".join(
        _("client {id} ({name})").format(id=cid, name=name)
        if cid is not None
        else _("line {n} ({name})").format(n=line, name=name)
        for cid, line, name in others
    )
