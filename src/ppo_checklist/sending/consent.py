"""May this message go to this client? The consent ledger and the addresses known not to deliver,
read once for a run and asked per message by the outbox's selection (and by `today`, which
leaves out what the client has not consented to).
"""

from __future__ import annotations

from collections.abc import Iterable

from ppo_checklist.core.consent import ADS, BOUNCED, ConsentEntry, ContactProblem, permitted
from ppo_checklist.core.model import NO_CONSENT, Client, email_key
from ppo_checklist.core.playbooks import Step, message_purposes
from ppo_checklist.i18n import _
from ppo_checklist.store import Store


class Gate:
    """The ledger and open contact problems of a set of clients."""

    def __init__(
        self, ledger: dict[int, list[ConsentEntry]], problems: dict[int, list[ContactProblem]] | None = None
    ) -> None:
        self.ledger = ledger
        self.problems = problems or {}

    @classmethod
    def load(cls, store: Store, client_ids: Iterable[int]) -> Gate:
        ids = set(client_ids)
        if not ids:
            return cls({}, {})
        return cls(store.consents(ids), store.contact_problems(ids))

    def consents(self, client_id: int, channel: str, purpose: str) -> bool:
        return permitted(self.ledger.get(client_id, ()), channel, purpose)

    def bounced(self, client: Client) -> ContactProblem | None:
        """The client's current e-mail bounced (a person checks it before ppo writes again)."""
        key = email_key(client.email)
        return next(
            (
                p
                for p in self.problems.get(client.id, ())
                if p.kind == BOUNCED and p.channel == "email" and p.address == key
            ),
            None,
        )

    def refusal(self, client: Client, channel: str, purpose: str) -> str | None:
        """None when the message may go; else NO_CONSENT, or why a person must look first."""
        if not self.consents(client.id, channel, purpose):
            return NO_CONSENT
        if channel == "email":
            problem = self.bounced(client)
            if problem is not None:
                return _("the e-mail {a} bounced on {d}: check it with the client").format(
                    a=client.email, d=problem.found_on.isoformat()
                )
        return None


def first_purpose(step: Step) -> str | None:
    """The purpose of the message that does a sendable step (its SMS or first letter)."""
    purposes = message_purposes(step) if step.sendable else ()
    return purposes[0] if purposes else None


def lacks_consent(gate: Gate, client_id: int, step: Step | None) -> bool:
    """The step is ppo's to send and its first message is one the client has not consented to:
    its status is `no_consent` (never sent, not a task for anyone)."""
    if step is None:
        return False
    purpose = first_purpose(step)
    return purpose is not None and not gate.consents(client_id, step.channel, purpose)


__all__ = ["ADS", "NO_CONSENT", "Gate", "first_purpose", "lacks_consent"]
