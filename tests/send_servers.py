"""Real servers on loopback for the `ppo send` tests: an SMTP server (aiosmtpd), optionally with
STARTTLS and a throw-away certificate, and an HTTP server answering as an SMS gateway's API."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What an aiosmtpd server received; `hold` makes it keep the answer to DATA (a slow server)."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse: set[str] = set()  # recipients answered 550
        self.hold = threading.Event()  # set: DATA is answered only after `release`
        self.release = threading.Event()
        self.received = threading.Event()
        self.auth: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        self.received.set()
        if self.hold.is_set():
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def letters(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


def smtp_server(mailbox: Mailbox, tls_context: ssl.SSLContext | None = None, user: tuple[str, str] | None = None):
    """A started aiosmtpd Controller on loopback (stop it with `.stop()`)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    kwargs: dict = {}
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    if user is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
            password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
            mailbox.auth.append((login, password))
            return AuthResult(success=(login, password) == user)

        kwargs.update(authenticator=authenticator, auth_require_tls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made now with openssl: (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Gateway:
    """An HTTP server answering as sms.ru (`smsru`) or smsc.ru (`smsc`) documents its send call.

    `behaviour[phone]` (digits, as the gateway receives them without '+'): "ok" (default),
    "refuse" (an error for this number), "500", "timeout" (no answer for `delay` seconds)."""

    def __init__(self, provider: str, delay: float = 3.0):
        self.provider = provider
        self.delay = delay
        self.requests: list[dict] = []
        self.status_requests: list[dict] = []
        self.behaviour: dict[str, str] = {}
        # The status API: what became of each sent SMS by its id ("delivered", "failed", "waiting").
        self.delivery: dict[str, str] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                if self.path in ("/sms/status", "/sys/status.php"):
                    gateway.status_requests.append({"path": self.path, **form})
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps(gateway.status_answer(form)).encode())
                    return
                gateway.requests.append({"path": self.path, **form})
                phone = (form.get("to") or form.get("phones") or "").lstrip("+")
                kind = gateway.behaviour.get(phone, "ok")
                if kind == "timeout":
                    time.sleep(gateway.delay)
                if kind == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                body = gateway.answer(phone, kind)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    self.wfile.write(json.dumps(body).encode())
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, phone: str, kind: str) -> dict:
        n = len(self.requests)
        if self.provider == "smsru":
            if kind == "refuse":
                item = {"status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять"}
            else:
                item = {"status": "OK", "status_code": 100, "sms_id": f"000000-{n:08d}"}
            return {"status": "OK", "status_code": 100, "sms": {phone: item}, "balance": 100.5}
        if kind == "refuse":
            return {"error": "invalid number", "error_code": 7}
        return {"id": n, "cnt": 1}

    def status_answer(self, form: dict) -> dict:
        """The status API's answer, as sms.ru (`sms/status`) and smsc.ru (`status.php`) document it."""
        if self.provider == "smsru":
            codes = {"delivered": (103, "Сообщение доставлено"), "failed": (104, "Не может быть доставлено")}
            result = {}
            for sms_id in form.get("sms_id", "").split(","):
                code, text = codes.get(self.delivery.get(sms_id, "waiting"), (102, "Сообщение в пути"))
                result[sms_id] = {"status": "OK", "status_code": code, "status_text": text}
            return {"status": "OK", "status_code": 100, "sms": result}
        codes = {"delivered": 1, "failed": 20, "waiting": 0}
        return {"status": codes[self.delivery.get(form.get("id", ""), "waiting")], "last_date": "", "err": 0}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_config(path: Path, email_table: dict | None = None, sms_table: dict | None = None, **top) -> Path:
    """A config file; `top` adds (or replaces) top-level settings."""
    settings = {"agency": "Турагентство «Солнце»", "director": "Елена Смирнова", "default_manager": "Ольга", **top}
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    for name, table in (("email", email_table), ("sms", sms_table)):
        if table is None:
            continue
        lines.append(f"[{name}]")
        for key, value in table.items():
            if isinstance(value, dict):
                continue
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        for key, value in table.items():
            if isinstance(value, dict):
                lines.append(f"[{name}.{key}]")
                lines.extend(f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}" for k, v in value.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def email_config(controller, **extra) -> dict:
    return {
        "server": f"smtp://{controller.hostname}:{controller.port}",
        "from": "Турагентство «Солнце» <info@solnce.example>",
        "tls": False,
        **extra,
    }
