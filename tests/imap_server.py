"""A real IMAP server for the tests: Dovecot (Debian's `dovecot-imapd`) started on loopback with a
private config, one passwd-file user and a maildir, like the PostgreSQL cluster of `.ci/postgres`.

Test mail goes in with IMAP APPEND (what a mail server's delivery does to the maildir); what ppo
did to it (flags, nothing deleted) is read back over IMAP too. Without Dovecot the tests that need
it are skipped on a developer's machine and fail in CI.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from send_servers import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "agency", "imap-test-secret"


def need_dovecot() -> None:
    if not os.path.exists(DOVECOT):
        message = "no Dovecot for the IMAP tests (Debian: apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Dovecot:
    """A started Dovecot: `port` (plain IMAP with STARTTLS when `cert` was given), `tls_port`
    (IMAPS, with `cert`), `append` a mail, `mails` what the INBOX holds, `stop`."""

    def __init__(self, cert: tuple[Path, Path] | None = None) -> None:
        need_dovecot()
        self.folder = Path(tempfile.mkdtemp(prefix="ppo-dovecot-"))
        os.chmod(self.folder, 0o755)  # the mail process (another uid when run as root) walks in
        self.port = free_port()
        self.tls_port = free_port() if cert else 0
        if os.getuid() == 0:  # Dovecot never gives mail to uid 0: the mail belongs to nobody
            mail_uid = mail_gid = 65534
            users = ""
        else:
            mail_uid, mail_gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(mail_uid).pw_name
            users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        for sub in ("run", "state", "mail", "home"):
            (self.folder / sub).mkdir()
        (self.folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if os.getuid() == 0:
            for sub in ("mail", "home"):
                os.chown(self.folder / sub, mail_uid, mail_gid)
        ssl = "no"
        if cert:
            ssl = f"yes\nssl_cert = <{cert[0]}\nssl_key = <{cert[1]}"
        f = self.folder
        (f / "dovecot.conf").write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{f}/mail/%u
first_valid_uid = 1
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {f}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={f}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(f / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (f / "dovecot.log").read_text() if (f / "dovecot.log").exists() else ""
                    self.stop()
                    raise RuntimeError(f"Dovecot did not start: {log[-2000:]}") from None
                time.sleep(0.05)

    def config(self, **extra: object) -> dict[str, object]:
        """The `[imap]` table of a ppo config that reads this server (plain IMAP on loopback)."""
        return {"server": f"imap://127.0.0.1:{self.port}", "user": USER, "password": PASSWORD, "tls": False, **extra}

    def _connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        return connection

    def append(self, raw: bytes | str, seen: bool = False) -> None:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        connection = self._connect()
        try:
            status, answer = connection.append("INBOX", "(\\Seen)" if seen else "", None, data)
            assert status == "OK", answer
        finally:
            connection.logout()

    def mails(self) -> list[tuple[str, str]]:
        """(Message-ID, flags) of every mail in the INBOX, in order."""
        connection = self._connect()
        try:
            _status, found = connection.uid("SEARCH", None, "ALL")
            result = []
            for uid in found[0].split():
                _s, data = connection.uid("FETCH", uid, "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                head = data[0][0].decode() if isinstance(data[0], tuple) else ""
                body = data[0][1].decode() if isinstance(data[0], tuple) else ""
                result.append((body.split(":", 1)[-1].strip(), head))
            return result
        finally:
            connection.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def reply(sender: str, subject: str, body: str, message_id: str, to: str = "info@solnce.example") -> str:
    """A client's reply as a mail program sends it."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    )


def bounce(recipient: str, message_id: str, status: str = "5.1.1", action: str = "failed") -> str:
    """A delivery status notification (RFC 3464) as a mail server sends it back."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nTo: info@solnce.example\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system. Your message could not be delivered.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; 550 {status} No such user\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: info@solnce.example\r\nTo: {recipient}\r\nSubject: Спасибо\r\n\r\n"
        "--B--\r\n"
    )
