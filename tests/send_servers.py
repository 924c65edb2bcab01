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


def smtp_server(
    mailbox: Mailbox,
    tls_context: ssl.SSLContext | None = None,
    user: tuple[str, str] | None = None,
    smtputf8: bool = False,
):
    """A started aiosmtpd Controller on loopback (stop it with `.stop()`); with `smtputf8` it
    offers SMTPUTF8 (addresses not in ASCII)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    kwargs: dict = {"enable_SMTPUTF8": smtputf8}
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
    """An HTTP server answering as sms.ru (`smsru`) or smsc.ru (`smsc`) documents its send and
    status calls.

    `behaviour[phone]` (digits, as the gateway receives them without '+'):
    "ok" (default), "refuse" (an error for this number), "500" / "429" (refused before delivering),
    "500-after" (delivered, then HTTP 500, as a proxy's 504 after the gateway took it),
    "garbage" (delivered, then the status line `HELLO WORLD`), "short" (delivered, then a body
    shorter than its Content-Length), "drop" (delivered, then the connection closed without a
    word), "timeout" / "hang" (no answer for `delay` seconds, nothing delivered), "slow"
    (delivered, answered after `delay` seconds). `delivered` maps each id of an SMS that reached
    a phone to it, `undeliverable` holds ids the operator could not deliver; the status API
    (`/sms/status`, `/sys/status.php`) answers from them."""

    def __init__(self, provider: str, delay: float = 3.0):
        self.provider = provider
        self.delay = delay
        self.requests: list[dict] = []
        self.status_requests: list[dict] = []
        self.behaviour: dict[str, str] = {}
        self.delivered: dict[str, str] = {}  # gateway id -> phone
        self.undeliverable: set[str] = set()
        # The status API: what became of a sent SMS by its id, when a test says ("delivered",
        # "failed", "waiting"); else `delivered` / `undeliverable` decide.
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
                    return self.reply(gateway.status_answer(form))
                gateway.requests.append({"path": self.path, **form})
                phone = (form.get("to") or form.get("phones") or "").lstrip("+")
                kind = gateway.behaviour.get(phone, "ok")
                if kind in ("timeout", "hang", "slow"):
                    time.sleep(gateway.delay)
                if kind in ("timeout", "hang"):  # the client gave up meanwhile: nothing went
                    self.close_connection = True
                    return
                if kind in ("500", "429"):  # refused before it was taken (a 5xx is unknown to ppo)
                    self.send_response(int(kind))
                    self.end_headers()
                    return
                body = gateway.answer(phone, kind, form)
                if kind in ("ok", "slow"):
                    return self.reply(body)
                if kind == "500-after":
                    self.send_response(500)
                    self.end_headers()
                elif kind == "garbage":
                    self.wfile.write(b"HELLO WORLD\r\n\r\n")
                elif kind == "short":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "500")
                    self.end_headers()
                    self.wfile.write(json.dumps(body).encode()[:10])
                elif kind == "refuse":
                    return self.reply(body)
                self.close_connection = True  # "drop" and the rest: no (more) answer

            def reply(self, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, phone: str, kind: str, form: dict) -> dict:
        n = len(self.requests)
        if kind == "refuse":
            if self.provider == "smsru":
                item = {"status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять"}
                return {"status": "OK", "status_code": 100, "sms": {phone: item}, "balance": 100.5}
            return {"error": "invalid number", "error_code": 7}
        gateway_id = f"000000-{n:08d}" if self.provider == "smsru" else str(form.get("id") or n)
        self.delivered[gateway_id] = phone
        if self.provider == "smsru":
            item = {"status": "OK", "status_code": 100, "sms_id": gateway_id}
            return {"status": "OK", "status_code": 100, "sms": {phone: item}, "balance": 100.5}
        return {"id": int(gateway_id) if gateway_id.isdigit() else gateway_id, "cnt": 1}

    def status_answer(self, form: dict) -> dict:
        """sms.ru: 103 delivered, 104 not delivered, -1 no such message; smsc: 1 delivered,
        20 cannot be delivered, -3 no such message; an id in `delivery` as it says."""
        if self.provider == "smsru":
            items = {}
            codes = {"delivered": (103, "Сообщение доставлено"), "failed": (104, "Не может быть доставлено")}
            for gateway_id in form.get("sms_id", "").split(","):
                if gateway_id in self.delivery:
                    code, text = codes.get(self.delivery[gateway_id], (102, "Сообщение в пути"))
                    items[gateway_id] = {"status": "OK", "status_code": code, "status_text": text}
                elif gateway_id in self.undeliverable:
                    items[gateway_id] = {"status": "OK", "status_code": 104, "status_text": "Не может быть доставлено"}
                elif gateway_id in self.delivered:
                    items[gateway_id] = {"status": "OK", "status_code": 103, "status_text": "Сообщение доставлено"}
                else:
                    items[gateway_id] = {"status": "ERROR", "status_code": -1, "status_text": "Сообщение не найдено"}
            return {"status": "OK", "status_code": 100, "sms": items}
        if form.get("id", "") in self.delivery:
            code = {"delivered": 1, "failed": 20, "waiting": 0}[self.delivery[form["id"]]]
            return {"status": code, "last_date": "", "err": 0}
        if form.get("id", "") in self.undeliverable:
            return {"status": 20, "last_date": "05.12.2026 10:00:01", "err": 1}
        found = self.delivered.get(form.get("id", "")) == form.get("phone", "").lstrip("+")
        return {"status": 1, "last_date": "05.12.2026 10:00:01", "err": 0} if found else {"status": -3}

    def sent_to(self, phone: str) -> int:
        """How many SMS reached this phone (digits without '+')."""
        return sum(1 for p in self.delivered.values() if p == phone)

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
    path.chmod(0o600)  # it holds a password: ppo send refuses one others may read
    return path


def agency_config(home: Path, email_table: dict | None = None, sms_table: dict | None = None, **top) -> Path:
    """`write_config` where ppo looks by default: `home`/config/ppo/config.toml (the `ppo`
    fixture's XDG_CONFIG_HOME is `home`/config)."""
    folder = home / "config" / "ppo"
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(folder / "config.toml", email_table, sms_table, **top)


def email_config(controller, **extra) -> dict:
    return {
        "server": f"smtp://{controller.hostname}:{controller.port}",
        "from": "Турагентство «Солнце» <info@solnce.example>",
        "tls": False,
        **extra,
    }
