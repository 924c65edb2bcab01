"""The newest advertising consent is written three times for speed: `consent.newest` (Python,
`show` and the outbox), `sql.ADS_CONSENT_STEP` (the figures' query) and `WordStore.ads_consents`
(the workbook). On the same ledger, on each backend, they must say the same for every client and
channel: the latest day wins, then the latest written."""

from __future__ import annotations

import datetime as dt
import random

from ppo_checklist.core.consent import ADS, ConsentEntry, permitted
from ppo_checklist.store import open_store
from ppo_checklist.store.sql import ADS_CONSENT_STEP

CHANNELS = ("email", "sms")


def _ledger(store, clients: list[int]) -> None:
    """Ads and service records, given and withdrawn, several on one day and written out of order."""
    pick = random.Random(19)
    days = [dt.date(2026, 11, d) for d in (1, 2, 2, 3)]
    entries = [
        ConsentEntry(
            client,
            pick.choice(CHANNELS),
            pick.choice((ADS, ADS, "service")),
            pick.random() < 0.5,
            pick.choice(days),
            "office",
        )
        for client in clients[:-1]  # the last client has no record at all
        for _ in range(pick.randint(1, 6))
    ]
    with store.write():
        for entry in entries:  # one at a time: the ids follow this order, not the days'
            store.add_consents([entry])


def test_python_sql_and_the_workbook_s_rule_agree_on_the_newest_ads_consent(ppo):
    for n in range(12):
        ppo.add(f"Клиент {n}", "01.11.2026", "05.12.2026", "15.12.2026")
    store = open_store(ppo.store)
    try:
        clients = sorted({t.client.id for t in store.trips(True)})
        _ledger(store, clients)
        ledger = store.consents(clients)
        python = {(c, ch) for c in clients for ch in CHANNELS if permitted(ledger.get(c, []), ch, ADS)}
        query = (
            f"SELECT t.client_id, s.channel, {ADS_CONSENT_STEP} FROM (SELECT id AS client_id FROM clients) t"
            " CROSS JOIN (SELECT 'email' AS channel UNION ALL SELECT 'sms') s"
        )
        sql = {(client, channel) for client, channel, given in store._rows(query) if given}
        assert python, "the ledger gives some consent"
        assert python != {(c, ch) for c in clients for ch in CHANNELS}, "and withholds some"
        assert sql == python
        assert store.ads_consents() == python
    finally:
        store.close()
