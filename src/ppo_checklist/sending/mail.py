"""E-mail over SMTP (the standard library's smtplib and email): proper MIME letters in UTF-8,
one connection per run, TLS required unless the config says the relay is on this machine.

`smtp://host:587` upgrades with STARTTLS and refuses a server that does not offer it (unless
`tls = false`); `smtps://host:465` is TLS from the start. The password comes from
`PPO_SMTP_PASSWORD` or the config and is never part of a message ppo prints.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, localtime, make_msgid, parseaddr
from urllib.parse import urlsplit

from ppo_checklist import reasons
from ppo_checklist.config import EmailConfig
from ppo_checklist.core.model import FAILED, PENDING_MSG, SENT, UNKNOWN, Message
from ppo_checklist.errors import ConfigError, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.sending.sms import Handover


class MailServerError(PpoError):
    """The SMTP server cannot be reached or will not take letters this run."""


def from_address(config: EmailConfig) -> str:
    """The bare address of `from` ("Агентство <info@x.ru>" -> info@x.ru)."""
    return parseaddr(config.from_)[1]


def unsubscribe_header(config: EmailConfig) -> str:
    return f"<mailto:{from_address(config)}?subject=unsubscribe>"


def build(message: Message, config: EmailConfig, client_name: str, reply_to: str | None) -> EmailMessage:
    """The letter as it goes: From, To, Subject, Date, Message-ID, Reply-To, List-Unsubscribe;
    the body as UTF-8 text."""
    letter = EmailMessage()
    letter["From"] = config.from_
    letter["To"] = Address(display_name=client_name, addr_spec=message.address)
    letter["Subject"] = message.subject or ""
    letter["Date"] = format_datetime(localtime())
    domain = from_address(config).rpartition("@")[2] or None
    letter["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        letter["Reply-To"] = reply_to
    letter["List-Unsubscribe"] = unsubscribe_header(config)
    letter.set_content(message.body, charset="utf-8")
    return letter


def valid_address(address: str | None) -> bool:
    if not address:
        return False
    name, spec = getaddresses([address])[0]
    local, _at, domain = spec.partition("@")
    return bool(local and "." in domain and spec == address.strip())


class Mailer:
    """One SMTP connection for a run: `open()`, `send()` each letter, `close()`."""

    def __init__(self, config: EmailConfig, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        self.config = config
        self.password = env.get("PPO_SMTP_PASSWORD") or config.password
        parts = urlsplit(config.server)
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname or ""
        try:
            self.port = parts.port or (465 if self.secure else 587)
        except ValueError:
            raise ConfigError(_("[email] 'server' has a bad port")) from None
        if not self.host:
            raise ConfigError(_("[email] 'server' names no host"))
        self.smtp: smtplib.SMTP | None = None
        self.broken: str | None = None  # why the connection cannot take more letters

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.cafile:
            try:
                context.load_verify_locations(cafile=os.path.expanduser(self.config.cafile))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(_("[email] cannot read 'cafile': {e}").format(e=exc)) from None
        return context

    def open(self) -> None:
        """Connect, secure and log in; MailServerError (one clean line) if that fails."""
        where = f"{self.host}:{self.port}"
        try:
            if self.secure:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.config.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.config.timeout)
            self.smtp = smtp
            smtp.ehlo()
            if not self.secure and self.config.tls:
                if not smtp.has_extn("starttls"):
                    raise MailServerError(
                        _(
                            "the mail server {where} offers no STARTTLS: letters would go unencrypted "
                            "(use smtps://, or tls = false for a relay on this machine)"
                        ).format(where=where)
                    )
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.config.user:
                smtp.login(self.config.user, self.password)
        except MailServerError:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise MailServerError(
                _("the mail server {where} refused the login of {user} ({code})").format(
                    where=where, user=self.config.user, code=exc.smtp_code
                )
            ) from None
        except UnicodeEncodeError:  # smtplib sends the login in ASCII only
            self.close()
            raise MailServerError(_("[email] the user and password must be ASCII for SMTP login")) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self.close()
            message = _("cannot reach the mail server {where}: {e}").format(
                where=where, e=self._clean(reasons.said(exc))
            )
            raise MailServerError(message) from None

    def send(self, letter: EmailMessage, to: str) -> Handover:
        """Hand one letter over. Before DATA nothing has gone (pending or failed); a connection
        lost during DATA leaves the letter's fate unknown."""
        if self.smtp is None or self.broken:
            return Handover(PENDING_MSG, error=self.broken or _("not connected to the mail server"))
        smtp = self.smtp
        sender = from_address(self.config)
        try:
            code, answer = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                return Handover(PENDING_MSG, error=self._refused(code, answer))
            code, answer = smtp.rcpt(to)
            if code not in (250, 251):
                smtp.rset()
                return Handover(FAILED if 500 <= code < 600 else PENDING_MSG, error=self._refused(code, answer))
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = _("lost the mail server: {e}").format(e=self._clean(reasons.said(exc)))
            return Handover(PENDING_MSG, error=self.broken)
        try:
            # smtplib fixes line ends only in text: the bytes must carry CRLF already
            code, answer = smtp.data(letter.as_bytes(policy=email.policy.SMTP))
        except smtplib.SMTPDataError as exc:  # DATA itself refused: the letter did not go
            code, answer = exc.smtp_code, exc.smtp_error  # type: ignore[assignment]
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = _("lost the mail server: {e}").format(e=self._clean(reasons.said(exc)))
            return Handover(UNKNOWN, error=self.broken)
        if code != 250:  # smtplib returns the answer to the letter's end, it does not raise
            state = FAILED if 500 <= code < 600 else PENDING_MSG
            return Handover(state, error=self._refused(code, answer))
        return Handover(SENT, gateway_id=str(letter["Message-ID"]))

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                try:
                    self.smtp.close()
                except OSError:
                    pass
            self.smtp = None

    def _refused(self, code: int, answer: bytes | str) -> str:
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return self._clean(_("the mail server refused ({code}): {text}").format(code=code, text=text))

    def _clean(self, value: object) -> str:
        text = " ".join(str(value).split())
        if self.password:
            text = text.replace(self.password, "***")
        return text
