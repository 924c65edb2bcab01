"""The floor for `ppo export`: the very XlsxWriter calls `ppo export` made (recorded by
`record_export.py`), made again in a bare script, with XlsxWriter in constant_memory mode
as ppo uses it. No store, no ppo code: what writing those cells costs by itself.

    python benchmarks/floor_export.py CALLS.pickle OUT.xlsx [--load-only]

`--load-only` reads the recorded calls without writing anything: the part of the floor's
time that is not XlsxWriter's (reported next to the floor, so nobody is flattered by it).
"""

import pickle
import sys

import xlsxwriter

REF = "__ppo_ref__"


def decode(value, objects):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == REF:
        return objects[value[1]]
    if isinstance(value, dict):
        return {k: decode(v, objects) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(decode(v, objects) for v in value)
    return value


def chunks(path):
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def main(calls_path, out, load_only=False):
    objects = []
    for chunk in chunks(calls_path):
        if load_only:
            continue
        for target, name, args, kwargs, refs, nested, new in chunk:
            if name == "__init__":
                options = dict(args[0]) if args else {}
                options["tmpdir"] = None  # the export's own temporary folder is gone by now
                objects.append(xlsxwriter.Workbook(out, options, *args[1:], **kwargs))
                continue
            if refs:
                args = list(args)
                for i, token in refs:
                    args[i] = objects[token]
            if nested:
                args, kwargs = decode(tuple(args), objects), decode(kwargs, objects)
            result = getattr(objects[target], name)(*args, **kwargs)
            if new:
                objects.append(result)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--load-only" in sys.argv[3:])
