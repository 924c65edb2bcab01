"""Work done aside: a second thread that runs jobs one at a time, in the order given, while the
process's own thread goes on. An import writes a part to the server while it decides the next;
the export compresses a batch of rows while it writes the next (zlib and a server's answer let
go of the interpreter, so the two overlap).

    with Aside("ppo-deflate", ahead=4) as aside:
        aside.run(job, data)   # queued; a job that failed before raises here
        aside.wait()           # every job done
    # leaving: every job done (their error raised, unless the block itself failed)

While it runs, the interpreter's switch interval is 1 ms: with the default 5 ms the thread
waits out each slice of the busy main thread between two of its jobs' steps.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

SWITCH_INTERVAL = 0.001  # seconds: the interpreter's slice while a job runs aside


class Aside:
    """Jobs run in a second thread named `name`, at most `ahead` of them waiting (then `run`
    waits: memory stays flat); `inline`: each run at once in this thread (where nothing would
    overlap)."""

    def __init__(self, name: str, ahead: int = 1, inline: bool = False):
        self.pool = None if inline else ThreadPoolExecutor(1, thread_name_prefix=name)
        self.ahead = ahead
        self.waiting: deque[Future[None]] = deque()
        self.interval = sys.getswitchinterval()

    def __enter__(self) -> Aside:
        if self.pool is not None:
            sys.setswitchinterval(SWITCH_INTERVAL)
        return self

    def run(self, job: Callable[..., None], *args: Any) -> None:
        if self.pool is None:
            job(*args)
            return
        while self.waiting and (self.waiting[0].done() or len(self.waiting) >= self.ahead):
            self.waiting.popleft().result()
        self.waiting.append(self.pool.submit(job, *args))

    def wait(self) -> None:
        """Every job done; the first that failed raises."""
        while self.waiting:
            self.waiting.popleft().result()

    def __exit__(self, failed: type[BaseException] | None, *rest: object) -> None:
        """Every job done, their error raised unless the block failed (its own error goes on);
        the thread gone and the switch interval as it was, whatever happened."""
        try:
            if failed is None:
                self.wait()
            else:
                futures.wait(self.waiting)
        finally:
            for left in self.waiting:
                left.cancel()
            self.waiting.clear()
            if self.pool is not None:
                self.pool.shutdown(wait=True)
                sys.setswitchinterval(self.interval)
