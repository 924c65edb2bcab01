"""Was the SMS delivered? For each SMS sent with the gateway's id, the next `ppo send` asks the
gateway's status API (sending/sms.py); one not delivered is recorded on the client's phone
(`show` tells it, `today` asks the manager to check the number). SMS still on their way are
asked again next run, for a few days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ppo_checklist.core.consent import NOT_DELIVERED
from ppo_checklist.sending.sms import DELIVERED, WAITING, Gateway
from ppo_checklist.server_settings import SmsConfig
from ppo_checklist.store import Store

ASK_DAYS = 3  # an SMS the gateway still calls "on its way" after three days is not asked again


@dataclass
class DeliveryReport:
    delivered: int = 0
    waiting: int = 0
    not_delivered: list[tuple[int, str, str | None]] = field(default_factory=list)  # message id, phone, why


def check(store: Store, config: SmsConfig, today: dt.date, environ: dict[str, str] | None = None) -> DeliveryReport:
    report = DeliveryReport()
    to_check = store.sms_to_check(today - dt.timedelta(days=ASK_DAYS))
    if not to_check:
        return report
    gateway = Gateway(config, environ)
    for sms in to_check:
        state, detail = gateway.status(sms.gateway_id, sms.address)
        with store.write():
            store.set_delivery(sms.message_id, state, detail)
            if state == NOT_DELIVERED:
                client = store.trip(sms.trip_id).client
                store.add_contact_problem(client.id, "sms", sms.address, NOT_DELIVERED, today, detail)
        if state == DELIVERED:
            report.delivered += 1
        elif state == WAITING:
            report.waiting += 1
        else:
            report.not_delivered.append((sms.message_id, sms.address, detail))
    return report
