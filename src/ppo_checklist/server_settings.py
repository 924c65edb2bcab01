"""[email], [sms] and [imap]: the servers ppo sends letters and SMS through and reads replies from,
as the config's tables declare them (`config.from_mapping` reads and checks them). Apart from
`config` so that a run whose config sets none of them (`ppo today`, most runs) never defines
them: three frozen dataclasses cost ~1.5 ms to define."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmailConfig:
    """[email]: the SMTP server ppo sends the letters through."""

    server: str = ""  # smtp://host:587 (STARTTLS) or smtps://host:465 (TLS from the start)
    user: str = ""
    password: str = field(default="", repr=False)  # PPO_SMTP_PASSWORD wins
    from_: str = ""  # the key is `from`
    tls: bool = True  # false only for a relay on this machine
    reply_to: dict = field(default_factory=dict)  # manager -> their address
    cafile: str = ""  # a CA to trust besides the system's (a server with its own certificate)
    timeout: int = 30  # seconds


@dataclass(frozen=True)
class SmsConfig:
    """[sms]: the SMS gateway and how ppo uses it."""

    provider: str = ""  # smsru or smsc
    api_id: str = field(default="", repr=False)  # sms.ru; PPO_SMS_KEY wins
    login: str = ""  # smsc
    password: str = field(default="", repr=False)  # smsc; PPO_SMS_PASSWORD wins
    sender: str = ""
    url: str = ""  # the gateway's base address; default the provider's own
    quiet_hours: str = ""  # "21:00-09:00": no SMS then, they wait for the next run
    timeout: int = 15  # seconds


@dataclass(frozen=True)
class ImapConfig:
    """[imap]: the agency's mailbox, where replies («Отписаться») and bounces arrive."""

    server: str = ""  # imaps://host:993 (TLS) or imap://host:143 (STARTTLS unless tls = false)
    user: str = ""
    password: str = field(default="", repr=False)  # PPO_IMAP_PASSWORD wins
    folder: str = "INBOX"
    tls: bool = True  # false only for a server on this machine
    cafile: str = ""
    timeout: int = 30  # seconds
