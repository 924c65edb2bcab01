"""What every channel ppo sends through offers the outbox (`Sender`), and what a hand-over
becomes (`Handover`). The outbox names no channel: it asks the registry (`senders.py`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar, NamedTuple, Protocol

from ppo_checklist.config import Config
from ppo_checklist.core.model import Message
from ppo_checklist.core.playbooks import Step


class Handover(NamedTuple):
    """What became of a message handed to a server."""

    state: str  # sent, failed, pending, unknown
    gateway_id: str | None = None
    error: str | None = None
    no_answer: bool = False  # a timeout or a connection error: the server may be down


class Contact(Protocol):
    """A client's addresses as a step or an agenda row carries them."""

    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...


class Outgoing(NamedTuple):
    """A message to hand over, with whom it is for (the letter's To names the client; its
    Reply-To is the manager's)."""

    message: Message
    client: str
    manager: str


class Sender(Protocol):
    """One channel: e-mail, SMS, or any a module adds with one line in the registry."""

    channel: ClassVar[str]
    contact: ClassVar[str]  # the client's field it sends to: "email" or "phone"
    missing: ClassVar[str]  # why a client gets none (N_: "no e-mail address"), said to a person

    @staticmethod
    def configured(config: Config) -> bool:
        """ppo sends this channel's steps itself (its server is set up in the config)."""
        ...

    @staticmethod
    def messages(step: Step) -> list[tuple[str, str | None, str]]:
        """(letter id, subject or None, text) of each message of a step, in order; [] when
        ppo sends none of this step."""
        ...

    @staticmethod
    def address(contact: Contact) -> tuple[str | None, str | None]:
        """(address, problem): the client's address for this channel (None: has none), or
        why the one given cannot be used."""
        ...

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        """Secrets and settings checked (ConfigError); nothing is connected yet."""
        ...

    def warnings(self) -> list[str]:
        """What a person should know about this channel this run (said once)."""
        ...

    def holds(self, now: dt.datetime) -> str | None:
        """Why nothing goes through this channel at this moment (quiet hours), or None."""
        ...

    def open(self) -> str | None:
        """Connect; why it cannot take messages this run (its server is down), or None."""
        ...

    def prepare(self, outgoing: Outgoing) -> object:
        """The message as it will go; ValueError (or any error) when it cannot be built:
        nothing has gone, the message fails with the reason."""
        ...

    def hand_over(self, prepared: object, message: Message) -> Handover: ...

    def ask(self, messages: list[Message]) -> list[tuple[Message, Handover]]:
        """Unknown messages this channel's server can tell the fate of (a status API), each
        with what became of it; the others are left out."""
        ...

    def close(self) -> None: ...
