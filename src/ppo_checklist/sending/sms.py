"""SMS through a gateway's HTTP API: presets for sms.ru and smsc.ru, each as its published API
describes it; phones in E.164; quiet hours. Standard library only (urllib), with timeouts.

A gateway's answer decides a message's fate (`Handover`): accepted (sent, with the gateway's
id), refused for this number (failed), not reached or refusing the account (pending: the next
run tries again), or no answer after the request went (unknown: it may have gone).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple

from ppo_checklist import reasons
from ppo_checklist.config import SmsConfig, in_quiet_hours, parse_quiet_hours  # noqa: F401
from ppo_checklist.core.model import FAILED, PENDING_MSG, SENT, UNKNOWN
from ppo_checklist.errors import ConfigError
from ppo_checklist.i18n import _

DEFAULT_URLS = {"smsru": "https://sms.ru", "smsc": "https://smsc.ru"}
# smsc.ru error codes that concern the number, not the account: 7 the number's format,
# 8 a number the message cannot be delivered to. The others (login, money, IP, too many
# requests, a forbidden sender or text) are for a person to fix; the message waits.
SMSC_NUMBER_ERRORS = {7, 8}
# What a gateway's status API says became of a sent SMS.
DELIVERED, NOT_DELIVERED, WAITING = "delivered", "not_delivered", "waiting"


class Handover(NamedTuple):
    """What became of a message handed to a server."""

    state: str  # sent, failed, pending, unknown
    gateway_id: str | None = None
    error: str | None = None


def e164(phone: str | None) -> str | None:
    """The phone as +7XXXXXXXXXX (Russia when no country is given), or None when it is not a
    valid mobile number."""
    if not phone:
        return None
    import phonenumbers

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


class Gateway:
    """One SMS gateway for a run; secrets from the environment win over the config's."""

    def __init__(self, config: SmsConfig, environ: dict[str, str] | None = None):
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

    def send(self, phone: str, text: str) -> Handover:
        if self.provider == "smsru":
            fields = {"api_id": self.key, "to": phone.lstrip("+"), "msg": text, "json": "1"}
            if self.config.sender:
                fields["from"] = self.config.sender
            address = self.url + "/sms/send"
        else:
            fields = {
                "login": self.config.login,
                "psw": self.password,
                "phones": phone,
                "mes": text,
                "fmt": "3",
                "charset": "utf-8",
            }
            if self.config.sender:
                fields["sender"] = self.config.sender
            address = self.url + "/sys/send.php"
        answer = self._post(address, fields)
        if isinstance(answer, Handover):
            return answer
        return self._read_smsru(answer, phone) if self.provider == "smsru" else self._read_smsc(answer)

    def status(self, gateway_id: str, phone: str) -> tuple[str, str | None]:
        """What the gateway's status API says of a sent SMS: (delivered | not_delivered | waiting,
        the gateway's words). Not reached or not understood: waiting (asked again next run)."""
        if self.provider == "smsru":
            fields = {"api_id": self.key, "sms_id": gateway_id, "json": "1"}
            answer = self._post(self.url + "/sms/status", fields)
            item = (answer.get("sms") or {}).get(gateway_id) if isinstance(answer, dict) else None
            if not isinstance(item, dict) or item.get("status") != "OK":
                return WAITING, None
            code, text = item.get("status_code"), item.get("status_text")
            if code == 103:
                return DELIVERED, self._clean(text or "")
            if code in (100, 101, 102):
                return WAITING, None
            return NOT_DELIVERED, self._clean(f"{code}: {text or '—'}")
        fields = {
            "login": self.config.login,
            "psw": self.password,
            "phone": phone,
            "id": gateway_id,
            "fmt": "3",
            "charset": "utf-8",
        }
        answer = self._post(self.url + "/sys/status.php", fields)
        if not isinstance(answer, dict) or "status" not in answer:
            return WAITING, None
        code = answer.get("status")
        if code in (1, 2, 4):
            return DELIVERED, None
        if code in (3, 20, 22, 23, 24, 25):
            return NOT_DELIVERED, self._clean(f"{code}: {answer.get('err') or answer.get('status_name') or '—'}")
        return WAITING, None

    def _post(self, address: str, fields: dict[str, str]) -> dict | Handover:
        """POST (the secrets travel in the body, never in a URL a proxy logs); the answer as
        json, or the Handover a failure means."""
        body = urllib.parse.urlencode(fields).encode("utf-8")
        request = urllib.request.Request(
            address, data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:  # the gateway answered with an error: nothing went
            return Handover(PENDING_MSG, error=_("the SMS gateway answered HTTP {code}").format(code=exc.code))
        except urllib.error.URLError as exc:  # not reached: the request never went
            return Handover(
                PENDING_MSG,
                error=_("cannot reach the SMS gateway: {e}").format(e=self._clean(reasons.said(exc.reason))),
            )
        except (socket.timeout, TimeoutError, OSError) as exc:  # the request went, no answer came
            return Handover(
                UNKNOWN, error=_("no answer from the SMS gateway: {e}").format(e=self._clean(reasons.said(exc)))
            )
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

    def _gateway_error(self, code: object, text: object) -> str:
        return self._clean(_("the SMS gateway refused ({code}): {text}").format(code=code, text=text or "—"))

    def _clean(self, value: object) -> str:
        """A message on one line, without a secret even if a server quoted it."""
        text = " ".join(str(value).split())
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text
