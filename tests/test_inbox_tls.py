"""The mailbox over TLS: a real Dovecot with a certificate made for the test, on an imaps port and
with STARTTLS on its plain port. ppo verifies the server's certificate: trusted through `[imap]
cafile` (or OpenSSL's standard SSL_CERT_FILE), refused in one line otherwise; `tls = false` on
imap:// skips STARTTLS. The password is never printed."""

from __future__ import annotations

import pytest
from imap_server import PASSWORD, Dovecot, reply
from send_servers import throwaway_certificate, write_config


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return throwaway_certificate(tmp_path_factory.mktemp("imap-cert"))


@pytest.fixture
def server(certificate):
    dovecot = Dovecot(cert=certificate)
    yield dovecot
    dovecot.stop()


def configure(tmp_path, imap: dict) -> None:
    folder = tmp_path / "config" / "ppo"
    folder.mkdir(parents=True, exist_ok=True)
    path = write_config(folder / "config.toml")
    lines = [f"{k} = {str(v).lower() if isinstance(v, bool) else chr(34) + str(v) + chr(34)}" for k, v in imap.items()]
    path.write_text(path.read_text(encoding="utf-8") + "[imap]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def imap_table(server: Dovecot, url: str, **more) -> dict:
    return {"server": url, "user": "agency", "password": PASSWORD, **more}


def logins(server: Dovecot) -> list[str]:
    """Dovecot's log lines of the logins it took (each says TLS when the session was encrypted)."""
    log = (server.folder / "dovecot.log").read_text(encoding="utf-8", errors="replace")
    return [line for line in log.splitlines() if "imap-login: Info: Login: user=<agency>" in line]


def unsubscribes_a_client(ppo, server: Dovecot, mail_id: str) -> None:
    """`ppo inbox` read the mailbox: a client's «Отписаться» withdrew her e-mail consent."""
    trip = ppo.add("Анна", "01.12.2026", "04.12.2026", "06.12.2026", "--email", f"{mail_id}@example.ru")
    server.append(reply(f"Анна <{mail_id}@example.ru>", "Re: Спасибо", "Отписаться", f"{mail_id}@x"))
    result = ppo("inbox", "--date", "02.12.2026")
    assert result.code == 0 and f"{mail_id}@example.ru unsubscribed (Анна)" in result.out
    consent = ppo("show", str(trip), "--format", "json").json()["consent"]
    assert ("email", "reply", False) in {(c["channel"], c["via"], c["given"]) for c in consent}


def test_imaps_with_the_certificate_trusted_by_cafile_reads_the_mailbox(ppo, tmp_path, server, certificate):
    configure(tmp_path, imap_table(server, f"imaps://127.0.0.1:{server.tls_port}", cafile=str(certificate[0])))
    unsubscribes_a_client(ppo, server, "imaps")
    assert "TLS" in logins(server)[-1]


def test_starttls_on_the_plain_port_with_the_certificate_trusted(ppo, tmp_path, server, certificate):
    configure(tmp_path, imap_table(server, f"imap://127.0.0.1:{server.port}", cafile=str(certificate[0])))
    unsubscribes_a_client(ppo, server, "starttls")
    assert "TLS" in logins(server)[-1]  # upgraded before the password went


def test_ssl_cert_file_trusts_the_certificate_as_openssl_documents(ppo, tmp_path, server, certificate):
    configure(tmp_path, imap_table(server, f"imaps://127.0.0.1:{server.tls_port}"))
    result = ppo("inbox", "--date", "02.12.2026", env={"SSL_CERT_FILE": str(certificate[0])})
    assert result.code == 0 and result.out.startswith("0 new mails read.")


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_an_untrusted_certificate_is_refused_in_one_line_without_the_password(ppo, tmp_path, server, scheme):
    port = server.tls_port if scheme == "imaps" else server.port
    configure(tmp_path, imap_table(server, f"{scheme}://127.0.0.1:{port}"))  # no cafile: not trusted
    before = len(logins(server))
    result = ppo("inbox", "--date", "02.12.2026", check=False)
    assert result.code == 1 and result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("ppo: cannot reach the mailbox 127.0.0.1:")
    assert "certificate cannot be verified" in result.err and "Traceback" not in result.err
    assert PASSWORD not in result.err
    assert len(logins(server)) == before  # the password never went to a server it could not trust


def test_tls_false_on_imap_skips_starttls(ppo, tmp_path, server):
    """No cafile: STARTTLS would fail to verify, so reading the mailbox proves it was skipped."""
    configure(tmp_path, imap_table(server, f"imap://127.0.0.1:{server.port}", tls=False))
    unsubscribes_a_client(ppo, server, "plain")
    assert "TLS" not in logins(server)[-1]


def test_a_cafile_that_cannot_be_read_is_bad_config(ppo, tmp_path, server):
    configure(tmp_path, imap_table(server, f"imaps://127.0.0.1:{server.tls_port}", cafile=str(tmp_path / "none.pem")))
    result = ppo("inbox", "--date", "02.12.2026", check=False)
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith("ppo: [imap] cannot read 'cafile':") and PASSWORD not in result.err
