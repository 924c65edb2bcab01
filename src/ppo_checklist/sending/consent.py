"""May this message go to this client? The consent ledger and the addresses known not to deliver,
read once for a run and asked per message by the outbox's selection (and by `today`, which
leaves out what the client has not consented to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ppo_checklist.core.consent import (
    ADS,
    BOUNCED,
    CONSENT_CHANNELS,
    ConsentEntry,
    ContactProblem,
    first_purpose,
    permitted,
)
from ppo_checklist.core.model import NO_CONSENT, Action, Client, Trip, email_key
from ppo_checklist.core.playbooks import Playbook, Step, stored_step
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


def without_unconsented(store: Store, playbooks: Mapping[str, Playbook], actions: Sequence[Action]) -> list[Action]:
    """`today` leaves out the steps whose message the client has not consented to (`no_consent`:
    nobody's task, not even by hand)."""
    candidates = [a for a in actions if a.row.channel in CONSENT_CHANNELS]
    if not candidates:
        return list(actions)
    steps = {id(a): stored_step(playbooks, a.row.playbook, a.row.step_id) for a in candidates}
    ads = [a for a in candidates if first_purpose_of(steps[id(a)]) == ADS]
    if not ads:
        return list(actions)
    clients = store.trip_clients({a.row.trip_id for a in ads})
    gate = Gate.load(store, set(clients.values()))
    refused = {id(a) for a in ads if lacks_consent(gate, clients[a.row.trip_id], steps[id(a)])}
    return [a for a in actions if id(a) not in refused]


def unconsented_steps(store: Store, playbooks: Mapping[str, Playbook], trip: Trip) -> frozenset[int]:
    """The numbers of the trip's steps whose message is advertising its client has not
    consented to (`no_consent`), by the ledger as it stands: what `show` says of them."""
    gate = Gate.load(store, [trip.client.id])
    return frozenset(
        s.no for s in trip.steps if lacks_consent(gate, trip.client.id, stored_step(playbooks, trip.playbook, s.id))
    )


def first_purpose_of(step: Step | None) -> str | None:
    return first_purpose(step) if step is not None else None


def lacks_consent(gate: Gate, client_id: int, step: Step | None) -> bool:
    """The step is ppo's to send and its first message is one the client has not consented to:
    its status is `no_consent` (never sent, not a task for anyone)."""
    if step is None:
        return False
    purpose = first_purpose(step)
    return purpose is not None and not gate.consents(client_id, step.channel, purpose)


__all__ = ["ADS", "NO_CONSENT", "Gate", "first_purpose", "lacks_consent"]
