"""Configuration: an optional TOML file, a declared set of keys checked on load."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ppo_checklist.errors import ConfigError, PpoError
from ppo_checklist.i18n import _

APP = "ppo"


@dataclass(frozen=True)
class Config:
    agency: str = ""
    director: str = ""
    service_director: str = ""
    default_manager: str = ""
    dayfirst: bool = True
    date_format: str = "%d.%m.%Y"
    playbooks_dir: str = ""  # default: playbooks/ beside the config file
    store: str = ""  # an SQLite path or a postgresql:// URL; default: ppo.sqlite3 in the data folder
    shared_file_mode: str = ""  # workbooks and reports: "" is owner-only (0600); e.g. "0640"

    @property
    def file_mode(self) -> int:
        """The mode of the files ppo writes for people (checked when the config is loaded)."""
        from ppo_checklist.files import PRIVATE_MODE, parse_mode

        return parse_mode(self.shared_file_mode) if self.shared_file_mode else PRIVATE_MODE

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


def read_toml(path: Path, error: type[PpoError], kind: str) -> dict[str, Any]:
    """A TOML file's content; an unreadable or broken file is `error`, naming `kind` and the file."""
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(_("broken {kind} {path}: {e}").format(kind=kind, path=path, e=exc)) from None
    except OSError as exc:
        raise error(_("cannot read {kind} {path}: {e}").format(kind=kind, path=path, e=exc.strerror)) from None


def from_mapping(data: dict[str, Any], source: str) -> Config:
    known = {f.name: f for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(
                _("{src}: unknown setting '{key}' (known: {k})").format(src=source, key=key, k=", ".join(known))
            )
        expected = bool if key == "dayfirst" else str
        if not isinstance(value, expected):
            raise ConfigError(_("{src}: '{key}' must be {t}").format(src=source, key=key, t=expected.__name__))
        values[key] = value
    config = Config(**values)
    if config.shared_file_mode:
        from ppo_checklist.files import parse_mode

        try:
            parse_mode(config.shared_file_mode)  # checked now, not when the first file is written
        except ValueError:
            raise ConfigError(
                _("{src}: 'shared_file_mode' must be an octal mode the owner can read and write, like \"0640\"").format(
                    src=source
                )
            ) from None
    return config
