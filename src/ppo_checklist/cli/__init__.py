"""The command line: parse, call the part that does the work, print; errors become one line and an exit code."""

from ppo_checklist.cli.app import app, main, run

__all__ = ["app", "main", "run"]
