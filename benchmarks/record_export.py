"""Runs `ppo export` in this process with every XlsxWriter call it makes recorded, so that
`floor_export.py` can make exactly the same calls (same sheets, rows, columns, formulas,
cached values, formats, conditional formats) with no ppo code around them.

    python benchmarks/record_export.py CALLS.pickle -- export OUT.xlsx [ppo options]

The calls are written in chunks of pickled lists: (object, method, args, kwargs, refs, new).
`object` and the Format/Worksheet arguments are numbers: the n-th Workbook, Worksheet or
Format the export created. Calls XlsxWriter makes to itself are not recorded.
"""

from __future__ import annotations

import inspect
import pickle
import sys

from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

TRACKED = (Workbook, Worksheet, Format, Chart)
CHUNK = 50_000


class Recorder:
    def __init__(self, path: str):
        self.handle = open(path, "wb")  # noqa: SIM115 - closed in finish()
        self.calls: list[tuple] = []
        self.tokens: dict[int, int] = {}
        self.keep: list[object] = []  # tracked objects stay alive: their id() stays theirs
        self.depth = 0

    def token(self, obj: object) -> int:
        if id(obj) not in self.tokens:
            self.tokens[id(obj)] = len(self.tokens)
            self.keep.append(obj)
        return self.tokens[id(obj)]

    def encode(self, value, nested: list[bool]):
        if isinstance(value, TRACKED):
            nested[0] = True
            return ("__ppo_ref__", self.token(value))
        if isinstance(value, dict):
            return {k: self.encode(v, nested) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.encode(v, nested) for v in value)
        return value

    def record(self, obj, name, args, kwargs, result) -> None:
        target = self.token(obj)
        refs = tuple((i, self.token(a)) for i, a in enumerate(args) if isinstance(a, TRACKED))
        plain = tuple(None if isinstance(a, TRACKED) else a for a in args)
        nested = [False]
        plain = tuple(self.encode(a, nested) for a in plain)
        kw = {k: self.encode(v, nested) for k, v in kwargs.items()}
        new = isinstance(result, TRACKED) and id(result) not in self.tokens
        if new:
            self.token(result)
        self.calls.append((target, name, plain, kw, refs, nested[0], new))
        if len(self.calls) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.calls:
            pickle.dump(self.calls, self.handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.calls = []

    def finish(self) -> None:
        self.flush()
        self.handle.close()


def wrap(cls, name: str, recorder: Recorder) -> None:
    original = getattr(cls, name)

    def recorded(self, *args, **kwargs):
        if recorder.depth:
            return original(self, *args, **kwargs)
        recorder.depth += 1
        try:
            result = original(self, *args, **kwargs)
        finally:
            recorder.depth -= 1
        recorder.record(self, name, args, kwargs, result)
        return result

    setattr(cls, name, recorded)


def install(recorder: Recorder) -> None:
    original_init = Workbook.__init__

    def init(self, *args, **kwargs):
        recorder.depth += 1
        try:
            original_init(self, *args, **kwargs)
        finally:
            recorder.depth -= 1
        recorder.token(self)
        recorder.calls.append((recorder.token(self), "__init__", args[1:], kwargs, (), False, False))  # not the path

    Workbook.__init__ = init
    for cls in TRACKED:
        for name in dir(cls):
            if not name.startswith("_") and inspect.isfunction(getattr(cls, name)):
                wrap(cls, name, recorder)


def main() -> int:
    calls_path, separator, *argv = sys.argv[1:]
    assert separator == "--", __doc__
    recorder = Recorder(calls_path)
    install(recorder)
    from ppo_checklist.cli import run

    code = run(argv)
    recorder.finish()
    return code


if __name__ == "__main__":
    sys.exit(main())
