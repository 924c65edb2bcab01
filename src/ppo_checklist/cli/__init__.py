"""The command line: parse, call the part that does the work, print; errors become one line and an exit code."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import Any, NoReturn

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
    end(app_main())


def end(code: int) -> NoReturn:
    """The process ends with the command's exit code. The command has closed what it opened
    (its store, its files) and its output is flushed (`app.main`); what the interpreter would
    still do is free every module and object one by one (~8-15 ms: typer, click, rich and ppo),
    which nobody waits for. So the process leaves at once, unless something was registered to
    run at exit or another thread still runs: then it ends the usual way."""
    if _nothing_left_to_run():
        os._exit(code)
    sys.exit(code)


def _nothing_left_to_run() -> bool:
    # atexit's count of registered functions: CPython's, not documented; unknown means "some".
    registered = getattr(atexit, "_ncallbacks", lambda: 1)()
    threading = sys.modules.get("threading")
    return registered == 0 and (threading is None or threading.active_count() == 1)


def __getattr__(name: str) -> Any:
    # `run` loads typer when first asked for, not on `import ppo_checklist.cli` (see main).
    if name == "run":
        from ppo_checklist.cli.app import run

        return run
    raise AttributeError(name)
