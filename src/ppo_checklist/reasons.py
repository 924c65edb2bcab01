"""What a library's error means, in the run's language: a refused connection, a name that cannot
be found, a wrong password. ppo passes these on inside its own lines; the library's English is
kept only where it adds a fact (a certificate's reason, a server's own answer)."""

from __future__ import annotations

import errno

from ppo_checklist.i18n import _

_BY_ERRNO = {
    errno.ECONNREFUSED: lambda: _("the connection was refused (is the server running, on that port?)"),
    errno.ECONNRESET: lambda: _("the server dropped the connection"),
    errno.ETIMEDOUT: lambda: _("no answer in time"),
    errno.EHOSTUNREACH: lambda: _("the server cannot be reached (no route to it)"),
    errno.ENETUNREACH: lambda: _("the network cannot be reached"),
    errno.EPIPE: lambda: _("the server dropped the connection"),
}


def said(exc: BaseException | str) -> str:
    """`exc` (an OSError, an SSL or socket error, urllib's reason) as a person reads it."""
    if isinstance(exc, str):
        return exc
    # Here, not at the top: every channel module imports this one, and ssl costs `ppo today`
    # (which loads the channels to know what ppo sends) ~7 ms; an error to describe is rare.
    import socket
    import ssl

    if isinstance(exc, socket.gaierror):
        return _("the server's name cannot be found")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _("the server's certificate cannot be verified ({why})").format(why=exc.verify_message or exc)
    if isinstance(exc, ssl.SSLError):
        return _("the secure connection failed")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return _("no answer in time")
    reason = getattr(exc, "reason", None)  # urllib's URLError wraps the socket's error
    if isinstance(reason, BaseException):
        return said(reason)
    if isinstance(exc, OSError) and exc.errno in _BY_ERRNO:
        return _BY_ERRNO[exc.errno]()
    if exc.__class__.__name__ == "SMTPServerDisconnected":
        return _("the server closed the connection")
    return " ".join(str(exc).split()) or exc.__class__.__name__


def database_said(text: str) -> str:
    """libpq's message (psycopg passes it on) as a person reads it."""
    if "password authentication failed" in text or "no password supplied" in text:
        return _("the user name or password is wrong")
    if "Connection refused" in text:
        return _BY_ERRNO[errno.ECONNREFUSED]()
    if "could not translate host name" in text or "Name or service not known" in text:
        return _("the server's name cannot be found")
    if "timeout expired" in text:
        return _("no answer in time")
    if "does not exist" in text and "database" in text:
        name = text.split('database "', 1)[-1].split('"', 1)[0]
        return _("there is no database {name} on that server").format(name=name)
    return text
