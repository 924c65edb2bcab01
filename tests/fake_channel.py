"""A third channel in one module: a robot that reads a call step's text to the client's phone.
`test_send_faults` adds it to the registry with one line and sends through it."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ppo_checklist.sending.channel import Handover

CALLS: list[tuple[str, str]] = []  # (phone, text) of each call the robot made


class RobotCaller:
    channel: ClassVar[str] = "call"
    contact: ClassVar[str] = "phone"
    missing: ClassVar[str] = "no phone"

    @staticmethod
    def configured(config) -> bool:
        return True

    @staticmethod
    def messages(step) -> list[tuple[str, str | None, str]]:
        return [("call", None, step.text)] if step.channel == "call" else []

    @staticmethod
    def address(contact) -> tuple[str | None, str | None]:
        return (contact.phone, None) if contact.phone else (None, None)

    def __init__(self, config, environ=None) -> None:
        pass

    def warnings(self) -> list[str]:
        return []

    def holds(self, now: dt.datetime) -> str | None:
        return None

    def open(self) -> str | None:
        return None

    def prepare(self, outgoing) -> object:
        return outgoing.message.body

    def hand_over(self, prepared, message) -> Handover:
        CALLS.append((message.address, str(prepared)))
        return Handover("sent", gateway_id=f"call-{len(CALLS)}")

    def ask(self, messages) -> list:
        return []

    def close(self) -> None:
        pass
