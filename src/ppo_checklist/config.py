"""Configuration: an optional TOML file, a declared set of keys checked on load."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional
from urllib.parse import urlsplit  # pathlib loads it anyway

from ppo_checklist.errors import ConfigError, PpoError
from ppo_checklist.i18n import LANGUAGES, _

if TYPE_CHECKING:  # defined only for a config that sets them (server_settings)
    from ppo_checklist.server_settings import EmailConfig, ImapConfig, SmsConfig

APP = "ppo"


SMS_PROVIDERS = ("smsru", "smsc")
INT_SETTINGS = ("send_budget", "store_wait")
BOOL_SETTINGS = ("dayfirst", "report_per_manager")
WORKING_WEEKS = ("mon-fri", "mon-sat", "mon-sun")
_MARGIN = re.compile(r"^\d{1,3}[dwmy]$")
DAY_FORMAT = "%d.%m.%Y"  # how people read a day: tables, messages (config `date_format`)


class Config(NamedTuple):  # a tuple, not a frozen dataclass: ~1.3 ms less of every start
    agency: str = ""
    director: str = ""
    service_director: str = ""
    default_manager: str = ""
    dayfirst: bool = True
    date_format: str = DAY_FORMAT
    playbooks_dir: str = ""  # default: playbooks/ beside the config file
    store: str = ""  # an SQLite path or a postgresql:// URL; default: ppo.sqlite3 in the data folder
    shared_file_mode: str = ""  # workbooks and reports: "" is owner-only (0600); e.g. "0640"
    language: str = ""  # "ru" or "en"; "" follows the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)
    send_budget: int = 300  # seconds a `ppo send` run may hand messages over; the rest wait
    store_wait: int = 30  # seconds a writer waits for another's write before giving up
    # Calls and visits move off days off: a country's production calendar ("RU"; "" for none)
    # and the office's working week ("mon-fri", "mon-sat", or "mon-sun": open every day).
    holidays: str = "RU"
    working_week: str = "mon-fri"
    # A passport that expires before the return plus this is checked by a call after the sale.
    passport_margin: str = "6m"
    review_url: str = ""  # where a client leaves a review: put into the after-trip letter
    complaint_hours: str = ""  # "2, 4, 8": a complaint taken, answered, resolved within (hours)
    # `ppo report` writes, beside the whole workbook, one per manager with only their trips.
    report_per_manager: bool = False

    @property
    def file_mode(self) -> int:
        """The mode of the files ppo writes for people (checked when the config is loaded)."""
        from ppo_checklist.files import PRIVATE_MODE, parse_mode  # files (~5 ms): off `ppo today`'s path

        return parse_mode(self.shared_file_mode) if self.shared_file_mode else PRIVATE_MODE

    email: Optional[EmailConfig] = None  # ppo sends letters only when [email] is set
    sms: Optional[SmsConfig] = None  # and SMS only when [sms] is set
    imap: Optional[ImapConfig] = None  # replies and bounces are read only when [imap] is set

    @property
    def service_director_name(self) -> str:
        """Who signs the declined chain and takes complaints: the service director, else the director."""
        return self.service_director.strip() or self.director.strip()

    @property
    def complaint_deadlines(self) -> tuple[int, int, int]:
        """Hours after a complaint opens by which it is taken, answered, resolved (the method's 2, 4, 8)."""
        return parse_hours(self.complaint_hours) if self.complaint_hours else (2, 4, 8)

    def sends(self, channel: str) -> bool:
        """ppo sends this channel's steps itself (its server is configured)."""
        return (channel == "email" and self.email is not None) or (channel == "sms" and self.sms is not None)

    def user_playbooks(self, config_path: Path) -> Path:
        if self.playbooks_dir:
            return Path(self.playbooks_dir).expanduser()
        return config_path.parent / "playbooks"


def _xdg(variable: str, fallback: str) -> Path:
    """What platformdirs answers on Linux, without its ~10 ms import on every command."""
    value = os.environ.get(variable, "").strip()
    return Path(value if os.path.isabs(value) else os.path.expanduser(fallback)) / APP


def default_config_path() -> Path:
    if sys.platform.startswith("linux"):
        return _xdg("XDG_CONFIG_HOME", "~/.config") / "config.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP)) / "config.toml"


def default_db_path() -> Path:
    if sys.platform.startswith("linux"):
        return _xdg("XDG_DATA_HOME", "~/.local/share") / "ppo.sqlite3"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP)) / "ppo.sqlite3"


def cache_dir() -> Path:
    """ppo's cache folder: what can be made again (a country's days off, Russia's mobile
    pattern), kept between runs."""
    if sys.platform.startswith("linux"):
        return _xdg("XDG_CACHE_HOME", "~/.cache")
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP))


def package_version(package: str) -> str | None:
    """An installed package's version, from the name of its dist-info folder beside it
    (importing the package, or importlib.metadata, is what a cache saves); None when that
    cannot be told (then nothing is cached)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            return None
        found = [p.name for p in Path(spec.origin).parent.parent.glob(f"{package}-*.dist-info")]
    except (OSError, ImportError, ValueError):
        return None
    if len(found) != 1:  # none, or leftovers of several installs: which one runs is not clear
        return None
    return found[0].removeprefix(f"{package}-").removesuffix(".dist-info")


def config_path(option: str | None) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    named = option or os.environ.get("PPO_CONFIG")
    if named:
        return Path(named).expanduser(), True
    return default_config_path(), False


def load(path: Path, required: bool) -> Config:
    if not path.exists():
        if required:
            raise ConfigError(_("config file not found: {path}").format(path=path))
        return Config()
    return from_mapping(read_toml(path, ConfigError, _("config")), str(path))


def _toml() -> Any:
    """The standard library's TOML reader (tomli before Python 3.11), loaded when first needed."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python < 3.11
        import tomli as tomllib
    return tomllib


def read_toml(
    path: Path, error: type[PpoError], kind: str, known: Mapping[bytes, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A TOML file's content; an unreadable or broken file is `error`, naming `kind` and the file.
    `known`: files already read, by their bytes (the shipped playbooks, `shipped_playbooks`): a
    file with exactly those bytes is not parsed again, and tomllib is not even loaded."""
    try:
        with path.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise error(_("cannot read {kind} {path}: {e}").format(kind=kind, path=path, e=exc.strerror)) from None
    if known is not None and data in known:
        return known[data]
    tomllib = _toml()
    try:
        return tomllib.loads(data.decode())  # as tomllib.load reads a file
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(_("broken {kind} {path}: {e}").format(kind=kind, path=path, e=exc)) from None


# How a setting's expected type is said (each call translates in the run's language).
_TYPE_NAMES = {
    str: lambda: _("text"),
    bool: lambda: _("true or false"),
    int: lambda: _("a whole number"),
    dict: lambda: _("a table"),
}


def from_mapping(data: dict[str, Any], source: str) -> Config:
    known = Config._fields
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(
                _("{src}: unknown setting '{key}' (known: {k})").format(src=source, key=key, k=", ".join(known))
            )
        if key in ("email", "sms", "imap"):
            from ppo_checklist import server_settings  # only a config with these tables defines them

            kinds = {"email": server_settings.EmailConfig, "sms": server_settings.SmsConfig}
            values[key] = _table(kinds.get(key, server_settings.ImapConfig), value, source, key)
            continue
        expected = bool if key in BOOL_SETTINGS else int if key in INT_SETTINGS else str
        if not isinstance(value, expected) or expected is int and isinstance(value, bool):
            raise ConfigError(_("{src}: '{key}' must be {t}").format(src=source, key=key, t=_TYPE_NAMES[expected]()))
        values[key] = value
    config = Config(**values)
    for key in INT_SETTINGS:
        if not 1 <= getattr(config, key) <= 86400:
            raise ConfigError(_("{src}: '{key}' must be from 1 to 86400 seconds").format(src=source, key=key))
    for key in ("agency", "director", "service_director", "default_manager"):
        if any(ord(char) < 32 or ord(char) == 127 for char in getattr(config, key)):
            raise ConfigError(
                _("{src}: '{key}' must be one line of text (it goes into letters' headers)").format(src=source, key=key)
            )
    if config.complaint_hours:
        try:
            parse_hours(config.complaint_hours)
        except ValueError:
            raise ConfigError(
                _("{src}: 'complaint_hours' must be three growing numbers of hours, like \"2, 4, 8\"").format(
                    src=source
                )
            ) from None
    if config.review_url and not review_url_ok(config.review_url):
        raise ConfigError(
            _("{src}: 'review_url' must be a web address (http:// or https://, a host, no spaces): '{v}'").format(
                src=source, v=config.review_url
            )
        )
    if config.language not in ("", *LANGUAGES):
        raise ConfigError(_('{src}: \'language\' must be "ru" or "en"').format(src=source))
    if config.working_week not in WORKING_WEEKS:
        message = _("{src}: 'working_week' must be one of: {k}")
        raise ConfigError(message.format(src=source, k=", ".join(WORKING_WEEKS)))
    if config.holidays and not (len(config.holidays) in (2, 3) and config.holidays.isalpha()):
        message = _('{src}: \'holidays\' must be a country code such as "RU", or "" for none')
        raise ConfigError(message.format(src=source))
    if not _MARGIN.match(config.passport_margin.strip()):
        message = _('{src}: \'passport_margin\' must be a time such as "6m" (months), "180d" or "1y"')
        raise ConfigError(message.format(src=source))
    if config.shared_file_mode:
        from ppo_checklist.files import parse_mode  # as in `file_mode`

        try:
            parse_mode(config.shared_file_mode)  # checked now, not when the first file is written
        except ValueError:
            raise ConfigError(
                _(
                    "{src}: 'shared_file_mode' must be an octal mode like \"0640\": the owner reads and writes,"
                    " nobody executes, others do not write"
                ).format(src=source)
            ) from None
    return config


def _table(kind: type, data: Any, source: str, table: str) -> Any:
    """[email] or [sms], checked: known keys of the right type, what is required present.
    A message names the key, never its value (a password may be there)."""
    if not isinstance(data, dict):
        raise ConfigError(_("{src}: [{t}] must be a table").format(src=source, t=table))
    from dataclasses import MISSING as dataclass_missing
    from dataclasses import fields  # the server settings' dataclasses (server_settings)

    known = {f.name.rstrip("_"): f for f in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            message = _("{src}: unknown setting '{key}' in [{t}] (known: {k})")
            raise ConfigError(message.format(src=source, key=key, t=table, k=", ".join(known)))
        default = known[key].default if known[key].default_factory is dataclass_missing else {}
        expected = type(default)
        if expected is bool and not isinstance(value, bool) or expected is not bool and not isinstance(value, expected):
            name = _TYPE_NAMES[expected]()
            raise ConfigError(_("{src}: [{t}] '{key}' must be {type}").format(src=source, t=table, key=key, type=name))
        if expected is dict and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(
                _("{src}: [{t}] '{key}' must map names to addresses").format(src=source, t=table, key=key)
            )
        values[known[key].name] = value
    config = kind(**values)
    problem = _table_problem(config)
    if problem:
        raise ConfigError(f"{source}: [{table}] {problem}")
    return config


def _table_problem(config: Any) -> str | None:
    from ppo_checklist.server_settings import EmailConfig, ImapConfig, SmsConfig  # as in `from_mapping`

    if isinstance(config, EmailConfig):
        if not config.server:
            return _("needs 'server' (smtp://host:587 or smtps://host:465)")
        if not config.server.startswith(("smtp://", "smtps://")):
            return _("'server' must start with smtp:// (STARTTLS) or smtps:// (TLS)")
        if not config.from_:
            return _("needs 'from' (the address letters come from)")
    if isinstance(config, SmsConfig):
        if config.provider not in SMS_PROVIDERS:
            return _("'provider' must be one of: {k}").format(k=", ".join(SMS_PROVIDERS))
        if config.quiet_hours:
            try:
                parse_quiet_hours(config.quiet_hours)
            except ValueError:
                return _("'quiet_hours' must look like 21:00-09:00")
    if isinstance(config, ImapConfig):
        if not config.server.startswith(("imap://", "imaps://")):
            return _("'server' must start with imaps:// (TLS) or imap:// (STARTTLS)")
        if not config.user:
            return _("needs 'user' (the mailbox's login)")
        if not config.folder:
            return _("'folder' is empty")
    if config.timeout <= 0 or config.timeout > 600:
        return _("'timeout' must be from 1 to 600 seconds")
    return None


def review_url_ok(url: str) -> bool:
    """An http or https address with a host, one line, no spaces: what a letter can link to."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port raises)
    except ValueError:  # a bad port, a bad IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_hours(text: str) -> tuple[int, int, int]:
    """`complaint_hours = "2, 4, 8"`: taken, answered, resolved, growing; ValueError if not."""
    parts = [int(part) for part in text.replace(";", ",").split(",")]
    if len(parts) != 3 or not 0 < parts[0] <= parts[1] <= parts[2] <= 24 * 30:
        raise ValueError(text)
    return parts[0], parts[1], parts[2]


def parse_quiet_hours(text: str) -> tuple[dt.time, dt.time]:
    """ "21:00-09:00" as (start, end); ValueError if it is not that shape."""
    start, end = (part.strip() for part in text.split("-"))
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def in_quiet_hours(text: str, now: dt.time) -> bool:
    if not text:
        return False
    start, end = parse_quiet_hours(text)
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # over midnight


# --- ppo init: writing the settings a person answers --------------------------------------------

# The settings `ppo init` asks for, in its order: (key, option).
INIT_SETTINGS = (
    ("agency", "--agency"),
    ("director", "--director"),
    ("service_director", "--service-director"),
    ("default_manager", "--manager"),
)


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def current_settings(path: Path) -> dict[str, Any]:
    """The file's top-level settings as written (any key, known to this ppo or not)."""
    return read_toml(path, ConfigError, _("config")) if path.exists() else {}


def updated_toml(text: str, values: dict[str, str]) -> str:
    """The config text with these top-level settings set: a setting's line is replaced where it
    is, a new one goes at the end of the top-level part (before the first [table]); comments,
    tables such as [email] or [sms] and settings this ppo does not know stay as they were."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    table = next((i for i, line in enumerate(lines) if re.match(r"\s*\[", line)), len(lines))
    added = []
    for key, value in values.items():
        line = f"{key} = {toml_string(value)}\n"
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        at = next((i for i in range(table) if pattern.match(lines[i])), None)
        if at is None:
            added.append(line)
        else:
            lines[at] = line
    while table > 0 and not lines[table - 1].strip() and added:
        table -= 1  # new settings go before the blank lines that set a table apart
    return "".join(lines[:table] + added + lines[table:])


def write_settings(path: Path, values: dict[str, str]) -> None:
    """Set these top-level settings in the config file (made if missing: folder 0700, file 0600),
    keeping everything else in it; the new text is checked to read back before it replaces the old."""
    tomllib = _toml()
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = updated_toml(old, values)
    try:
        read_back = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # a setting written oddly (a multi-line value): leave the file
        raise ConfigError(_("cannot update {path}: {e}; edit it by hand").format(path=path, e=exc)) from None
    if any(read_back.get(key) != value for key, value in values.items()):
        raise ConfigError(_("cannot update {path}: a setting is written in a way ppo cannot change").format(path=path))
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new)
        os.replace(temporary, path)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise ConfigError(_("cannot write {path}: {e}").format(path=path, e=exc.strerror or exc)) from None
