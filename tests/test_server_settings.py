"""The mail servers' settings ppo reads alike for sending ([email], SMTP) and for the mailbox
([imap]): a `server` URL with a host and a port, a `cafile` that holds a certificate. A wrong
one is said in one line naming its table, in the run's language, before anything goes."""

from __future__ import annotations

import pytest
from send_servers import agency_config

RUSSIAN = {"LANG": "ru_RU.UTF-8"}


def _imap_config(home, **imap) -> None:
    path = agency_config(home)
    lines = [f'{key} = "{value}"' for key, value in {"user": "agency", "password": "pw-secret", **imap}.items()]
    path.write_text(path.read_text(encoding="utf-8") + "[imap]\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _refused(result) -> str:
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1, result
    assert "pw-secret" not in result.err
    return result.err


@pytest.mark.sqlite_only  # about the config, not the store
@pytest.mark.parametrize(
    ("server", "english", "russian"),
    [
        ("h:x", "'server' has a bad port", "в 'server' неверный порт"),
        (":25", "'server' names no host", "в 'server' не указан сервер"),
    ],
)
def test_a_server_url_without_a_host_or_with_a_bad_port_is_refused_naming_its_table(
    ppo, tmp_path, server, english, russian
):
    trip = ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    agency_config(tmp_path, {"server": f"smtp://{server}", "from": "info@solnce.example"})
    assert _refused(ppo("send", "--date", "01.12.2026", check=False)) == f"ppo: [email] {english}\n"
    assert ppo.show(trip)["messages"] == []  # nothing went, nothing was written
    _imap_config(tmp_path, server=f"imap://{server}")
    assert _refused(ppo("inbox", "--date", "01.12.2026", check=False, env=RUSSIAN)) == f"ppo: [imap] {russian}\n"


@pytest.mark.sqlite_only
def test_a_cafile_that_holds_no_certificate_is_refused_with_openssl_s_reason(ppo, tmp_path):
    not_a_certificate = tmp_path / "ca.pem"
    not_a_certificate.write_text("not a certificate\n", encoding="utf-8")
    ppo.add("Анна", "01.12.2026", "20.12.2026", "30.12.2026", "--email", "anna@example.ru")
    agency_config(
        tmp_path, {"server": "smtps://127.0.0.1:1", "from": "info@solnce.example", "cafile": str(not_a_certificate)}
    )
    said = _refused(ppo("send", "--date", "01.12.2026", check=False, env=RUSSIAN))
    assert said.startswith("ppo: [email] не удаётся прочитать 'cafile': ") and "no certificate" in said.lower()
    _imap_config(tmp_path, server="imaps://127.0.0.1:1", cafile=str(not_a_certificate))
    said = _refused(ppo("inbox", "--date", "01.12.2026", check=False))
    assert said.startswith("ppo: [imap] cannot read 'cafile': ") and "no certificate" in said.lower()
