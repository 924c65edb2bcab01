"""The command line: parse, call the part that does the work, print; errors become one line and an exit code."""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["main", "run"]


def main() -> None:
    """The `ppo` console script. The cyclic garbage collector rests while the command line loads
    (typer, click, rich and ppo's modules: ~100 000 objects, none of them garbage), and what
    loaded is then frozen out of its later passes: measured at 13-18 ms of `ppo today`'s ~150 ms
    (CPU time, benchmarks/run.py's store of 100 000 trips). Only here, in a process that lives for
    one command: `run` in a long-lived caller (the tests) leaves the collector alone."""
    gc.disable()
    from ppo_checklist.cli.app import main as app_main

    gc.freeze()
    gc.enable()
    app_main()


def __getattr__(name: str) -> Any:
    # `run` loads typer when first asked for, not on `import ppo_checklist.cli` (see main).
    if name == "run":
        from ppo_checklist.cli.app import run

        return run
    raise AttributeError(name)
