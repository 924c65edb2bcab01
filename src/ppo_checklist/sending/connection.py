"""What the senders' connections share: where a server is (its URL: scheme, host and port), the
TLS context (the system's trust and a config's own `cafile`), and a failure told on one line
with no secret in it. Each protocol's own steps stay in its module: IMAP's login and folder
(inbox.py), SMTP's EHLO, STARTTLS and login (mail.py), the SMS gateway's HTTP POST (sms.py);
each passes its config's `timeout` to its own library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from ppo_checklist import reasons
from ppo_checklist.errors import ConfigError
from ppo_checklist.i18n import _

if TYPE_CHECKING:
    import ssl


class Server(NamedTuple):
    """A mail server from its config's `server` URL: TLS from the start (`secure`) or not."""

    host: str
    port: int
    secure: bool

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def server(url: str, secure_scheme: str, ports: tuple[int, int], section: str) -> Server:
    """`url` (e.g. smtps://host:465) read: `secure` when its scheme is `secure_scheme`, the port
    its own or `ports` (plain, secure); ConfigError, naming the config's `section`, if it names
    no host or a bad port."""
    parts = urlsplit(url)
    secure = parts.scheme == secure_scheme
    try:
        port = parts.port or ports[secure]
    except ValueError:
        raise ConfigError(_("[{section}] 'server' has a bad port").format(section=section)) from None
    if not parts.hostname:
        raise ConfigError(_("[{section}] 'server' names no host").format(section=section))
    return Server(parts.hostname, port, secure)


def tls_context(cafile: str, section: str) -> ssl.SSLContext:
    """The system's trust (OpenSSL's: SSL_CERT_FILE / SSL_CERT_DIR when set), and `cafile`
    besides: the certificate of a server that has its own, as an agency's mail host may.
    ConfigError, naming the config's `section`, when `cafile` cannot be read."""
    import ssl  # ~7 ms, on the path of a letter, not of `ppo today`: see mail.py

    context = ssl.create_default_context()
    if cafile:
        try:
            context.load_verify_locations(cafile=os.path.expanduser(cafile))
        except (OSError, ssl.SSLError) as exc:
            why = one_line(exc) if isinstance(exc, ssl.SSLError) else reasons.said(exc)  # OpenSSL's reason
            raise ConfigError(_("[{section}] cannot read 'cafile': {e}").format(section=section, e=why)) from None
    return context


def one_line(value: object, secrets: Iterable[str] = ()) -> str:
    """A message on one line, without a secret even if a server quoted it."""
    text = " ".join(str(value).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def said(exc: BaseException | str, secrets: Iterable[str] = ()) -> str:
    """Why a connection failed, as a person reads it (`reasons.said`), on one line, no secret."""
    return one_line(reasons.said(exc), secrets)
