"""SMS through a gateway's HTTP API: presets for sms.ru and smsc.ru, each as its published API
describes it; phones in E.164; quiet hours. Standard library only (urllib), with timeouts.

A gateway's answer decides a message's fate (`Handover`): accepted (sent, with the gateway's
id), refused for this number (failed), refused before the request was taken (pending: the next
run tries again), or anything else once the request has left — an HTTP 5xx, a dropped
connection, no answer, an answer that cannot be read (unknown: it may have gone). `status`
asks the gateway's status API what became of messages it has ids of.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ppo_checklist.config import Config, in_quiet_hours
from ppo_checklist.core.model import FAILED, PENDING_MSG, SENT, UNKNOWN, Message
from ppo_checklist.errors import ConfigError
from ppo_checklist.i18n import _
from ppo_checklist.sending import connection
from ppo_checklist.sending.channel import Contact, Handover, Outgoing
from ppo_checklist.sending.rules import SmsRules
from ppo_checklist.server_settings import SmsConfig

DEFAULT_URLS = {"smsru": "https://sms.ru", "smsc": "https://smsc.ru"}
# smsc.ru error codes that concern the number, not the account: 7 the number's format,
# 8 a number the message cannot be delivered to. The others (login, money, IP, too many
# requests, a forbidden sender or text) are for a person to fix; the message waits.
SMSC_NUMBER_ERRORS = {7, 8}

# What a gateway's status API says of a message, as ppo reads it.
DELIVERED, ON_ITS_WAY, NOT_DELIVERED, NOT_FOUND = "delivered", "on_its_way", "not_delivered", "not_found"
WAITING = "waiting"  # `Gateway.status`: on its way, or the gateway could not be asked
# sms.ru `sms/status` codes: 100 queued, 101 to the operator, 102 on its way, 103 delivered,
# 110 read; 104 expired, 105 deleted by the operator, 106 phone failure, 107 unknown reason,
# 108 rejected, 150 no route; -1 no such message.
SMSRU_STATUS = {-1: NOT_FOUND, 100: ON_ITS_WAY, 101: ON_ITS_WAY, 102: ON_ITS_WAY, 103: DELIVERED, 110: DELIVERED}
SMSRU_NOT_DELIVERED = {104, 105, 106, 107, 108, 150}
# smsc.ru `status` codes: -1 waiting, 0 with the operator, 1 delivered, 2 read, 4 link
# followed; 3 expired, 20 cannot be delivered, 22 wrong number, 23 forbidden, 24 no money,
# 25 unavailable number; -3 no such message.
SMSC_STATUS = {-3: NOT_FOUND, -1: ON_ITS_WAY, 0: ON_ITS_WAY, 1: DELIVERED, 2: DELIVERED, 4: DELIVERED}
SMSC_NOT_DELIVERED = {3, 20, 22, 23, 24, 25}


def e164(phone: str | None) -> str | None:
    """The phone as +7XXXXXXXXXX (Russia when no country is given), or None when it is not a
    valid mobile number."""
    if not phone:
        return None
    import phonenumbers  # ~35 ms: loaded when a phone is checked, not for every `ppo today`

    try:
        number = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if phonenumbers.number_type(number) not in kinds:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Delivery(NamedTuple):
    """What a gateway's status API says of one message."""

    status: str  # delivered, on_its_way, not_delivered, not_found, or "" (could not tell)
    code: object = None
    text: str = ""


class Gateway:
    """One SMS gateway for a run; secrets from the environment win over the config's."""

    def __init__(self, config: SmsConfig, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        self.config = config
        self.provider = config.provider
        self.url = (config.url or DEFAULT_URLS[config.provider]).rstrip("/")
        if self.provider == "smsru":
            self.key = env.get("PPO_SMS_KEY") or config.api_id
            if not self.key:
                raise ConfigError(_("[sms] smsru needs 'api_id' (or PPO_SMS_KEY)"))
            self.secrets = [self.key]
        else:
            self.password = env.get("PPO_SMS_PASSWORD") or config.password
            if not config.login or not self.password:
                raise ConfigError(_("[sms] smsc needs 'login' and 'password' (or PPO_SMS_PASSWORD)"))
            self.secrets = [self.password]

    def send(self, phone: str, text: str, own_id: int | None = None) -> Handover:
        """Hand one SMS over. With smsc the message carries `own_id` (the outbox's id), so its
        status can be asked even when the answer to the send was lost."""
        if self.provider == "smsru":
            fields = {"api_id": self.key, "to": phone.lstrip("+"), "msg": text, "json": "1"}
            if self.config.sender:
                fields["from"] = self.config.sender
            address = self.url + "/sms/send"
        else:
            fields = self._smsc_fields(phones=phone, mes=text, charset="utf-8")
            if own_id is not None:
                fields["id"] = str(own_id)
            if self.config.sender:
                fields["sender"] = self.config.sender
            address = self.url + "/sys/send.php"
        answer = self._post(address, fields)
        if isinstance(answer, Handover):
            if answer.state == UNKNOWN and own_id is not None and self.provider == "smsc":
                return answer._replace(gateway_id=str(own_id))
            return answer
        return self._read_smsru(answer, phone) if self.provider == "smsru" else self._read_smsc(answer)

    def _smsc_fields(self, **fields: str) -> dict[str, str]:
        return {"login": self.config.login, "psw": self.password, "fmt": "3", **fields}

    def _post(self, address: str, fields: dict[str, str]) -> dict | Handover:
        """POST (the secrets travel in the body, never in a URL a proxy logs); the answer as
        json, or the Handover a failure means."""
        # urllib and http.client (~10 ms) load when an SMS goes: `ppo today` asks this
        # channel's rules (`SmsSender.messages`, `contact`) on every run.
        import http.client
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(fields).encode("utf-8")
        request = urllib.request.Request(
            address, data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:  # the request arrived; a proxy's 504 or a 500 after delivering
                return Handover(UNKNOWN, error=_("the SMS gateway answered HTTP {code}").format(code=exc.code))
            return Handover(PENDING_MSG, error=_("the SMS gateway answered HTTP {code}").format(code=exc.code))
        except urllib.error.URLError as exc:  # not reached: the request never went
            error = _("cannot reach the SMS gateway: {e}").format(e=connection.said(exc.reason, self.secrets))
            return Handover(PENDING_MSG, error=error, no_answer=True)
        except (http.client.HTTPException, ValueError) as exc:  # garbage, a short body
            error = _("the SMS gateway's answer cannot be read: {e}").format(e=type(exc).__name__)
            return Handover(UNKNOWN, error=error, no_answer=isinstance(exc, ConnectionError))
        except OSError as exc:  # the request went, no answer came (a timeout is an OSError)
            error = _("no answer from the SMS gateway: {e}").format(
                e=connection.said(exc, self.secrets) or type(exc).__name__
            )
            return Handover(UNKNOWN, error=error, no_answer=True)
        import json  # here: `ppo today` with [sms] set loads this module and parses no answer

        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Handover(UNKNOWN, error=_("the SMS gateway's answer cannot be read"))
        if not isinstance(answer, dict):
            return Handover(UNKNOWN, error=_("the SMS gateway's answer cannot be read"))
        return answer

    def _read_smsru(self, answer: dict, phone: str) -> Handover:
        if answer.get("status") != "OK":
            return Handover(
                PENDING_MSG, error=self._gateway_error(answer.get("status_code"), answer.get("status_text"))
            )
        item = (answer.get("sms") or {}).get(phone.lstrip("+"))
        if not isinstance(item, dict):
            return Handover(UNKNOWN, error=_("the SMS gateway did not say what became of the message"))
        if item.get("status") == "OK":
            return Handover(SENT, gateway_id=str(item.get("sms_id") or ""))
        return Handover(FAILED, error=self._gateway_error(item.get("status_code"), item.get("status_text")))

    def _read_smsc(self, answer: dict) -> Handover:
        if "error" in answer or "error_code" in answer:
            code = answer.get("error_code")
            state = FAILED if code in SMSC_NUMBER_ERRORS else PENDING_MSG
            return Handover(state, error=self._gateway_error(code, answer.get("error")))
        if "id" not in answer:
            return Handover(UNKNOWN, error=_("the SMS gateway did not say what became of the message"))
        return Handover(SENT, gateway_id=str(answer["id"]))

    def statuses(self, asked: Iterable[tuple[str, str]]) -> dict[str, Delivery]:
        """What the gateway's status API says of each (gateway id, phone); an id it could
        not be asked about (the gateway down, an answer that cannot be read) is left out."""
        asked = list(asked)
        if not asked:
            return {}
        if self.provider == "smsru":
            return self._status_smsru([gateway_id for gateway_id, _phone in asked])
        result = {}
        for gateway_id, phone in asked:
            answer = self._post(self.url + "/sys/status.php", self._smsc_fields(phone=phone, id=gateway_id))
            if isinstance(answer, dict) and "status" in answer:
                code = _int(answer.get("status"))
                result[gateway_id] = Delivery(_kind(code, SMSC_STATUS, SMSC_NOT_DELIVERED), code, "")
            elif isinstance(answer, dict) and answer.get("error_code") == 9 or isinstance(answer, Handover):
                break  # too many requests, or the gateway is down: the rest wait for the next run
        return result

    def status(self, gateway_id: str, phone: str) -> tuple[str, str | None]:
        """What the gateway's status API says of one sent SMS: (delivered | not_delivered |
        waiting, the gateway's words). Not reached or not understood: waiting (asked again)."""
        delivery = self.statuses([(gateway_id, phone)]).get(gateway_id)
        if delivery is None or delivery.status not in (DELIVERED, NOT_DELIVERED):
            return WAITING, None
        if delivery.status == DELIVERED:
            return DELIVERED, self.clean(delivery.text) if delivery.text else None
        return NOT_DELIVERED, self.clean(f"{delivery.code}: {delivery.text or '—'}")

    def _status_smsru(self, ids: list[str]) -> dict[str, Delivery]:
        result = {}
        for start in range(0, len(ids), 100):  # sms.ru takes up to 100 ids a request
            chunk = ids[start : start + 100]
            fields = {"api_id": self.key, "sms_id": ",".join(chunk), "json": "1"}
            answer = self._post(self.url + "/sms/status", fields)
            if not isinstance(answer, dict) or answer.get("status") != "OK":
                break
            for gateway_id, item in (answer.get("sms") or {}).items():
                if gateway_id in chunk and isinstance(item, dict):
                    code = _int(item.get("status_code"))
                    kind = _kind(code, SMSRU_STATUS, SMSRU_NOT_DELIVERED)
                    result[gateway_id] = Delivery(kind, code, str(item.get("status_text") or ""))
        return result

    def _gateway_error(self, code: object, text: object) -> str:
        return self.clean(_("the SMS gateway refused ({code}): {text}").format(code=code, text=text or "—"))

    def clean(self, value: object) -> str:
        """A message on one line, without a secret even if a server quoted it."""
        return connection.one_line(value, self.secrets)


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _kind(code: int | None, known: dict[int, str], not_delivered: set[int]) -> str:
    if code in not_delivered:
        return NOT_DELIVERED
    return known.get(code, "") if code is not None else ""


def status(
    config: SmsConfig, asked: Iterable[tuple[str, str]], environ: Mapping[str, str] | None = None
) -> dict[str, Delivery]:
    """What the configured gateway's status API (sms.ru `sms/status`, SMSC `status`) says of
    each (gateway id, phone) asked: delivered, on its way, not delivered, or not found. An id
    the gateway could not be asked about is left out: ask again later."""
    return Gateway(config, environ).statuses(asked)


class SmsSender(SmsRules):
    """The SMS channel: an SMS step's text to the client's mobile phone, in E.164 (what it sends
    of a step: `SmsRules`)."""

    @staticmethod
    def address(contact: Contact) -> tuple[str | None, str | None]:
        if not contact.phone:
            return None, None
        number = e164(contact.phone)
        if number is None:
            return contact.phone, _("not a valid mobile number: {p}").format(p=contact.phone)
        return number, None

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        assert config.sms is not None
        self.config = config.sms
        self.gateway = Gateway(config.sms, environ)

    def warnings(self) -> list[str]:
        return []

    def holds(self, now: dt.datetime) -> str | None:
        if in_quiet_hours(self.config.quiet_hours, now.time()):
            return _("quiet hours ({h})").format(h=self.config.quiet_hours)
        return None

    def open(self) -> str | None:
        return None  # each SMS is a request of its own

    def prepare(self, outgoing: Outgoing) -> object:
        return outgoing.message.body

    def hand_over(self, prepared: object, message: Message) -> Handover:
        own_id = message.id if self.gateway.provider == "smsc" else None
        return self.gateway.send(message.address, str(prepared), own_id)

    def ask(self, messages: list[Message]) -> list[tuple[Message, Handover]]:
        """Unknown messages the gateway has ids of, settled by its status API: on its way or
        delivered -> sent; not delivered -> failed; not found or no answer -> left unknown (a
        message may reach the gateway after ppo asked)."""
        answers = self.gateway.statuses((m.gateway_id or "", m.address) for m in messages if m.gateway_id)
        settled = []
        for message in messages:
            delivery = answers.get(message.gateway_id or "")
            if delivery is None or not delivery.status:
                continue
            if delivery.status in (DELIVERED, ON_ITS_WAY):
                settled.append((message, Handover(SENT, gateway_id=message.gateway_id)))
            elif delivery.status == NOT_FOUND:
                continue  # maybe still on its way into the gateway: a person asks the client
            else:
                why = _("the SMS gateway says it was not delivered ({code}{text})").format(
                    code=delivery.code, text=f": {delivery.text}" if delivery.text else ""
                )
                settled.append((message, Handover(FAILED, error=self.gateway.clean(why))))
        return settled

    def close(self) -> None:
        pass
