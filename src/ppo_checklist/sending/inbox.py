"""Replies and bounces, read over IMAP (the standard library's imaplib) from the agency's mailbox.

Every letter ppo sends tells the client to reply «Отписаться» to stop them, and its
List-Unsubscribe header points at the same mailbox; mail servers send a delivery status
notification (RFC 3464) back there when a letter cannot be delivered. `ppo send` reads them
first (and `ppo inbox` only that):

- a reply whose subject or first line says «Отписаться» / unsubscribe withdraws the sender's
  e-mail consent in the ledger (via `reply`, dated the day of the run);
- a DSN with `Action: failed` and a 5.x.x status marks that address undeliverable: no more
  letters to it; `today` asks the manager to check the client's e-mail.

Each mail is taken once (its Message-ID is recorded), the mails ppo acted on are flagged seen,
nothing is ever deleted; other mail is left as it was (unread stays unread for the manager).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import imaplib
import os
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import parseaddr
from typing import NamedTuple

from ppo_checklist.core.consent import BOUNCED, PURPOSES, ConsentEntry
from ppo_checklist.core.model import Client, email_key
from ppo_checklist.errors import ConfigError, PpoError
from ppo_checklist.i18n import _
from ppo_checklist.sending import connection
from ppo_checklist.server_settings import ImapConfig
from ppo_checklist.store import Store

UNSUBSCRIBE, BOUNCE, OTHER = "unsubscribe", "bounce", "other"
_UNSUBSCRIBE_WORDS = ("отписаться", "unsubscribe")
LOOK_BACK_DAYS = 14  # besides unread mail, the mail of the last two weeks is looked at
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxError(PpoError):
    """The mailbox cannot be reached or read this run."""


class Mail(NamedTuple):
    """What a mail says to ppo: its id, what kind it is, who sent it, the addresses that failed."""

    mail_id: str
    kind: str  # unsubscribe, bounce, other
    sender: str | None
    failed: tuple[tuple[str, str], ...] = ()  # (address, status) of a bounce


@dataclass
class InboxReport:
    taken: int = 0  # mails looked at for the first time
    unsubscribed: list[tuple[str, list[Client]]] = field(default_factory=list)  # address, its clients
    bounced: list[tuple[str, str, list[Client]]] = field(default_factory=list)  # address, status, clients


# --- what a mail says (pure) --------------------------------------------------------------


def classify(raw: bytes, fallback_id: str) -> Mail:
    """Read one mail: a DSN of failed delivery, an unsubscribe reply, or something else."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    mail_id = _message_id(message) or fallback_id
    sender = parseaddr(str(message.get("From", "")))[1] or None
    failed = tuple(_failed_recipients(message))
    if failed:
        return Mail(mail_id, BOUNCE, sender, failed)
    if _is_report(message):
        return Mail(mail_id, OTHER, sender)  # a delay or success notice: nothing to do
    if _asks_to_unsubscribe(message):
        return Mail(mail_id, UNSUBSCRIBE, sender)
    return Mail(mail_id, OTHER, sender)


def _message_id(message: Message) -> str | None:
    try:
        value = str(message.get("Message-ID", "") or "").strip()
    except (ValueError, TypeError):  # a header too broken to read
        return None
    return value or None


def _is_report(message: Message) -> bool:
    return message.get_content_type() == "multipart/report"


def _failed_recipients(message: Message) -> Iterator[tuple[str, str]]:
    """(address, status) of each recipient a DSN reports as failed for good (5.x.x)."""
    if not _is_report(message) or str(message.get_param("report-type", "")).lower() != "delivery-status":
        return
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in _status_blocks(part):
            action = fields.get("action", "").strip().lower()
            status = fields.get("status", "").strip()
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            address = recipient.split(";", 1)[-1].strip().strip("<>")
            if action == "failed" and status.startswith("5.") and "@" in address:
                yield address, status


def _status_blocks(part: Message) -> Iterator[dict[str, str]]:
    """The per-message and per-recipient field blocks of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parsed the blocks as header sets
        for block in payload:
            if isinstance(block, Message):
                yield {k.lower(): str(v) for k, v in block.items()}
        return
    raw = part.get_payload(decode=True) or b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields: dict[str, str] = {}
        for line in chunk.splitlines():
            name, colon, value = line.partition(":")
            if colon and not line[:1].isspace():
                fields[name.strip().lower()] = value.strip()
        if fields:
            yield fields


def _asks_to_unsubscribe(message: EmailMessage | Message) -> bool:
    """The subject, or the first line the client wrote (quoted lines aside), says to unsubscribe."""
    subject = str(message.get("Subject", "") or "")
    if _says_unsubscribe(subject):
        return True
    return _says_unsubscribe(_first_line(message))


def _says_unsubscribe(text: str) -> bool:
    words = text.casefold()
    return any(word in words for word in _UNSUBSCRIBE_WORDS)


def _first_line(message: EmailMessage | Message) -> str:
    body = None
    if isinstance(message, EmailMessage):
        try:
            part = message.get_body(preferencelist=("plain", "html"))
            body = part.get_content() if part is not None else None
        except (LookupError, KeyError, ValueError):
            body = None
    if not isinstance(body, str):
        return ""
    for line in body.splitlines():
        line = re.sub(r"<[^>]+>", " ", line).strip()  # an html body: the text of its first line
        if line and not line.startswith(">"):
            return line
    return ""


# --- the mailbox ----------------------------------------------------------------------------


class Mailbox:
    """One IMAP connection to the agency's mailbox: `open()`, `new_mails()`, `flag_seen()`, `close()`."""

    def __init__(self, config: ImapConfig, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        self.config = config
        self.password = env.get("PPO_IMAP_PASSWORD") or config.password
        self.host, self.port, self.secure = connection.server(config.server, "imaps", (143, 993), "imap")
        if not self.password:
            raise ConfigError(_("[imap] needs 'password' (or PPO_IMAP_PASSWORD)"))
        self.connection: imaplib.IMAP4 | None = None
        self.uidvalidity = ""

    def open(self) -> None:
        """Connect (imaps: TLS at once; imap: STARTTLS unless `tls = false`), the server's
        certificate verified; log in and select the folder. MailboxError, one clean line, if not."""
        secured = self.secure or self.config.tls
        context = connection.tls_context(self.config.cafile, "imap") if secured else None  # before connecting
        try:
            if self.secure:
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.config.timeout
                )
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=self.config.timeout)
                self.connection = imap  # closed if STARTTLS fails
                if context is not None:
                    imap.starttls(context)
            self.connection = imap
            imap.login(self.config.user, self.password)
            status, data = imap.select(_quoted(self.config.folder))
            if status != "OK":
                raise MailboxError(_("the mailbox has no folder {f}").format(f=self.config.folder))
            answer = imap.response("UIDVALIDITY")[1]
            self.uidvalidity = (answer[0] or b"").decode() if answer and answer[0] else ""
        except imaplib.IMAP4.error as exc:
            self.close()
            raise MailboxError(_("the mailbox refused: {e}").format(e=self._clean(exc))) from None
        except (OSError, ssl.SSLError, socket.timeout) as exc:
            self.close()
            why = connection.said(exc, [self.password])
            raise MailboxError(
                _("cannot reach the mailbox {h}:{p}: {e}").format(h=self.host, p=self.port, e=why)
            ) from None

    def new_mails(self, today: dt.date, known) -> list[tuple[bytes, Mail]]:
        """(uid, mail) of the unread mails and those of the last two weeks that `known` (a set of
        mail ids taken before) does not hold; read with PEEK: reading flags nothing."""
        assert self.connection is not None
        since = today - dt.timedelta(days=LOOK_BACK_DAYS)
        criteria = f"(OR UNSEEN SINCE {since.day:02d}-{_MONTHS[since.month - 1]}-{since.year})"
        try:
            status, found = self.connection.uid("SEARCH", criteria)
            uids = found[0].split() if status == "OK" and found and found[0] else []
            ids = self._ids(uids)
            fresh = [uid for uid in uids if ids[uid] not in known]
            result = []
            for uid in fresh:
                status, data = self.connection.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((item[1] for item in data if isinstance(item, tuple)), b"") if status == "OK" else b""
                result.append((uid, classify(raw, ids[uid])))
            return result
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(_("cannot read the mailbox: {e}").format(e=self._clean(exc))) from None

    def _ids(self, uids: list[bytes]) -> dict[bytes, str]:
        """Each mail's Message-ID (or, for a mail without one, its place in this mailbox)."""
        assert self.connection is not None
        ids = {uid: self._fallback(uid) for uid in uids}
        for start in range(0, len(uids), 200):
            chunk = b",".join(uids[start : start + 200]).decode()
            status, data = self.connection.uid("FETCH", chunk, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data if status == "OK" else []:
                if not isinstance(item, tuple):
                    continue
                uid_match = re.search(rb"UID (\d+)", item[0])
                header = email.message_from_bytes(item[1], policy=email.policy.default)
                value = _message_id(header)
                if uid_match and value:
                    ids[uid_match.group(1)] = value
        return ids

    def _fallback(self, uid: bytes) -> str:
        where = f"{self.config.user}@{self.host}/{self.config.folder};{self.uidvalidity};{uid.decode()}"
        return "imap:" + hashlib.sha256(where.encode()).hexdigest()[:32]

    def flag_seen(self, uids: list[bytes]) -> None:
        if uids and self.connection is not None:
            try:
                self.connection.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", "(\\Seen)")
            except (imaplib.IMAP4.error, OSError):
                pass  # the ledger has the mail; an unread flag left is harmless

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self.connection = None

    def _clean(self, value: object) -> str:
        return connection.one_line(value, [self.password])


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- acting on what the mail says -------------------------------------------------------------


def read(store: Store, config: ImapConfig, today: dt.date, environ: dict[str, str] | None = None) -> InboxReport:
    """Take the new mail from the mailbox into the ledger; MailboxError when it cannot be read."""
    mailbox = Mailbox(config, environ)
    mailbox.open()
    report = InboxReport()
    try:
        found = mailbox.new_mails(today, _Known(store))
        acted: list[bytes] = []
        for uid, mail in found:
            with store.write():
                if not store.record_mail(mail.mail_id, mail.kind, mail.sender):
                    continue  # another run took it meanwhile
                report.taken += 1
                if mail.kind == UNSUBSCRIBE and mail.sender:
                    clients = withdraw_email(store, mail.sender, today)
                    report.unsubscribed.append((mail.sender, clients))
                elif mail.kind == BOUNCE:
                    for address, status in mail.failed:
                        clients = mark_bounced(store, address, status, today)
                        report.bounced.append((address, status, clients))
            if mail.kind != OTHER:
                acted.append(uid)
        mailbox.flag_seen(acted)
    finally:
        mailbox.close()
    return report


class _Known:
    """`mail_id in known`, asked of the store in one query per batch of ids."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[str, bool] = {}

    def __contains__(self, mail_id: object) -> bool:
        key = str(mail_id)
        if key not in self.cache:
            self.cache[key] = bool(self.store.inbox_known([key]))
        return self.cache[key]


def withdraw_email(store: Store, address: str, today: dt.date) -> list[Client]:
    """The clients with this e-mail withdraw their e-mail consent (service and ads), via reply."""
    clients = store.clients_by_contact(None, address)
    store.add_consents(
        [ConsentEntry(c.id, "email", purpose, False, today, "reply") for c in clients for purpose in PURPOSES]
    )
    return clients


def mark_bounced(store: Store, address: str, status: str, today: dt.date) -> list[Client]:
    clients = store.clients_by_contact(None, address)
    for client in clients:
        if email_key(client.email) == email_key(address):
            store.add_contact_problem(client.id, "email", address, BOUNCED, today, status)
    return clients
