"""The one family of errors ppo raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class PpoError(Exception):
    """Any failure the user should read about; `exit_code` follows CLI.md."""

    exit_code = EXIT_FAILURE


class BadInput(PpoError):
    """Invalid or impossible input: a value, a file's content, a usage mistake."""

    exit_code = EXIT_BAD_INPUT


class DateError(BadInput):
    """A date that cannot be read, or dates in an impossible order."""


class NotFound(BadInput):
    """An unknown trip, step or playbook."""


class PlaybookError(BadInput):
    """A playbook file that cannot be used; the message names the file and the step."""


class ConfigError(BadInput):
    """A configuration file that cannot be used."""


class StoreError(PpoError):
    """The store cannot be opened, read or written (locked, unreadable, too new)."""


class Busy(PpoError):
    """Another run holds what this one needs (the sender's lease, the write lock) too long."""


class WorkbookError(PpoError):
    """A workbook cannot be written or read."""


class BadWorkbook(BadInput):
    """A file that is not a ppo workbook, or whose content is broken or hostile."""
