"""E-mail over SMTP (the standard library's smtplib and email): proper MIME letters in UTF-8,
one connection per run, TLS required unless the config says the relay is on this machine.

`smtp://host:587` upgrades with STARTTLS and refuses a server that does not offer it (unless
`tls = false`, which is said once per run when the host is not this machine); `smtps://host:465`
is TLS from the start. The password comes from `PPO_SMTP_PASSWORD` or the config and is never
part of a message ppo prints. A domain in Cyrillic goes as punycode (IDNA); a local part that is
not ASCII goes only to a server that offers SMTPUTF8, else that letter fails with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from ppo_checklist.config import Config
from ppo_checklist.core.model import FAILED, PENDING_MSG, SENT, UNKNOWN, Message
from ppo_checklist.errors import PpoError
from ppo_checklist.i18n import _
from ppo_checklist.sending import connection
from ppo_checklist.sending.channel import Contact, Handover, Outgoing
from ppo_checklist.sending.rules import EmailRules
from ppo_checklist.server_settings import EmailConfig

# The e-mail library, smtplib and ssl (~50 ms together) load only when a letter is built or
# goes: `ppo today` asks this channel's rules (`MailSender.messages`, `contact`) on every run.
if TYPE_CHECKING:
    import smtplib
    import ssl
    from email.message import EmailMessage


class MailServerError(PpoError):
    """The SMTP server cannot be reached or will not take letters this run."""


def from_address(config: EmailConfig) -> str:
    """The bare address of `from` ("Агентство <info@x.ru>" -> info@x.ru)."""
    from email.utils import parseaddr  # see above

    return parseaddr(config.from_)[1]


def unsubscribe_header(config: EmailConfig) -> str:
    return f"<mailto:{from_address(config)}?subject=unsubscribe>"


class Envelope(NamedTuple):
    """A letter ready to go: the message, the recipient as SMTP takes it, and whether it needs
    the server's SMTPUTF8 (a local part that is not ASCII)."""

    letter: EmailMessage
    to: str
    utf8: bool


def ascii_domain(address: str) -> str:
    """The address with its domain as IDNA punycode (ivan@почта.рф -> ivan@xn--80a1acny.xn--p1ai);
    ValueError when the domain cannot be written so."""
    local, _at, domain = address.strip().rpartition("@")
    try:
        ascii_name = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(_("the e-mail domain {d} cannot be written in ASCII (IDNA)").format(d=domain)) from None
    return f"{local}@{ascii_name}"


def build(message: Message, config: EmailConfig, client_name: str, reply_to: str | None) -> Envelope:
    """The letter as it goes: From, To, Subject, Date, Message-ID, Reply-To, List-Unsubscribe;
    the body as UTF-8 text. ValueError (nothing has gone) when it cannot be built: a header
    with a line break, a domain that is not a domain."""
    import email.policy  # see above
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime, localtime, make_msgid

    to = ascii_domain(message.address)
    local = to.rpartition("@")[0]
    utf8 = not local.isascii()
    letter = EmailMessage(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)
    letter["From"] = config.from_
    name, _at, to_domain = to.rpartition("@")
    letter["To"] = Address(display_name=client_name, username=name, domain=to_domain)
    letter["Subject"] = message.subject or ""
    letter["Date"] = format_datetime(localtime())
    domain = from_address(config).rpartition("@")[2] or None
    letter["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        letter["Reply-To"] = reply_to
    letter["List-Unsubscribe"] = unsubscribe_header(config)
    letter.set_content(message.body, charset="utf-8")
    return Envelope(letter, to, utf8)


def valid_address(address: str | None) -> bool:
    if not address:
        return False
    from email.utils import getaddresses  # see above

    name, spec = getaddresses([address])[0]
    local, _at, domain = spec.partition("@")
    if not (local and "." in domain and spec == address.strip()):
        return False
    try:
        ascii_domain(spec)
    except ValueError:
        return False
    return True


def loopback(host: str) -> bool:
    import ipaddress  # see above

    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailer:
    """One SMTP connection for a run: `open()`, `send()` each letter, `close()`."""

    def __init__(self, config: EmailConfig, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        self.config = config
        self.password = env.get("PPO_SMTP_PASSWORD") or config.password
        self.host, self.port, self.secure = connection.server(config.server, "smtps", (587, 465), "email")
        self.smtp: smtplib.SMTP | None = None
        self.broken: str | None = None  # why the connection cannot take more letters

    def open(self) -> None:
        """Connect, secure and log in; MailServerError (one clean line) if that fails."""
        import smtplib  # see above
        import ssl

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
            why = connection.said(exc, [self.password])
            raise MailServerError(_("cannot reach the mail server {where}: {e}").format(where=where, e=why)) from None

    def send(self, envelope: Envelope | EmailMessage, to: str | None = None) -> Handover:
        """Hand one letter over. Before DATA nothing has gone (pending or failed); a connection
        lost during DATA leaves the letter's fate unknown."""
        import email.policy  # see above
        import smtplib

        if not isinstance(envelope, Envelope):  # (letter, to): the older call
            envelope = Envelope(envelope, to or "", False)
        if self.smtp is None or self.broken:
            return Handover(PENDING_MSG, error=self.broken or _("not connected to the mail server"))
        smtp = self.smtp
        sender = from_address(self.config)
        smtp.command_encoding = "ascii"
        options: list[str] = []
        if envelope.utf8:
            if not smtp.has_extn("smtputf8"):
                return Handover(
                    FAILED,
                    error=_(
                        "the address {a} is not ASCII before the @ and the mail server does not take such"
                        " addresses (no SMTPUTF8)"
                    ).format(a=envelope.to),
                )
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        try:
            code, answer = smtp.mail(sender, options)
            if code != 250:
                smtp.rset()
                return Handover(PENDING_MSG, error=self._refused(code, answer))
            code, answer = smtp.rcpt(envelope.to)
            if code not in (250, 251):
                smtp.rset()
                return Handover(FAILED if 500 <= code < 600 else PENDING_MSG, error=self._refused(code, answer))
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = _("lost the mail server: {e}").format(e=connection.said(exc, [self.password]))
            return Handover(PENDING_MSG, error=self.broken, no_answer=True)
        except (UnicodeError, ValueError) as exc:  # refused by smtplib itself: nothing went
            self.broken = _("the mail server's connection is in an unknown state: {e}").format(e=self._clean(exc))
            return Handover(FAILED, error=self._clean(exc))
        policy = email.policy.SMTPUTF8 if envelope.utf8 else email.policy.SMTP
        try:
            # smtplib fixes line ends only in text: the bytes must carry CRLF already
            code, answer = smtp.data(envelope.letter.as_bytes(policy=policy))
        except smtplib.SMTPDataError as exc:  # DATA itself refused: the letter did not go
            code, answer = exc.smtp_code, exc.smtp_error  # type: ignore[assignment]
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = _("lost the mail server: {e}").format(e=connection.said(exc, [self.password]))
            return Handover(UNKNOWN, error=self.broken, no_answer=True)
        if code != 250:  # smtplib returns the answer to the letter's end, it does not raise
            state = FAILED if 500 <= code < 600 else PENDING_MSG
            return Handover(state, error=self._refused(code, answer))
        return Handover(SENT, gateway_id=str(envelope.letter["Message-ID"]))

    def close(self) -> None:
        import smtplib  # see above

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
        return connection.one_line(value, [self.password])

    def _context(self) -> ssl.SSLContext:
        return connection.tls_context(self.config.cafile, "email")


class MailSender(EmailRules):
    """The e-mail channel: an e-mail step's letters to the client's address (what it sends of a
    step: `EmailRules`)."""

    @staticmethod
    def address(contact: Contact) -> tuple[str | None, str | None]:
        if not contact.email:
            return None, None
        if not valid_address(contact.email):
            return contact.email, _("not a valid e-mail address: {a}").format(a=contact.email)
        return contact.email.strip(), None

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        assert config.email is not None
        self.config = config.email
        self.mailer = Mailer(config.email, environ)

    def warnings(self) -> list[str]:
        if self.config.tls or self.mailer.secure or loopback(self.mailer.host):
            return []
        return [
            _(
                "[email] tls = false: letters and the password go unencrypted to {host}, which is not this machine"
            ).format(host=self.mailer.host)
        ]

    def holds(self, now: object) -> str | None:
        return None

    def open(self) -> str | None:
        try:
            self.mailer.open()
        except MailServerError as exc:
            return str(exc)
        return None

    def prepare(self, outgoing: Outgoing) -> object:
        reply_to = self.config.reply_to.get(outgoing.manager)
        return build(outgoing.message, self.config, outgoing.client, reply_to)

    def hand_over(self, prepared: object, message: Message) -> Handover:
        assert isinstance(prepared, Envelope)
        return self.mailer.send(prepared)

    def ask(self, messages: list[Message]) -> list[tuple[Message, Handover]]:
        return []  # a mail server keeps no status of the letters it took

    def close(self) -> None:
        self.mailer.close()
