"""Russia's mobile pattern from phonenumbers' metadata, kept in ppo's cache folder between runs.

A phone typed as a plain Russian mobile is read without parsing it (`core.model._plain_mobile`)
once that pattern is known; importing phonenumbers to learn it costs ~20 ms of every `ppo add`.
The pattern changes only with the package, so it is kept in one file per package version (read
from the installed package's dist-info, as `days_off` does). The file is the office's own
(0600) and can always be deleted; one that cannot be read or written is passed by, and the
package answers.
"""

from __future__ import annotations

import re

from ppo_checklist.config import cache_dir, package_version
from ppo_checklist.core.model import ru_mobile_pattern
from ppo_checklist.errors import PpoError

FORMAT = 1  # of the cached file: a new layout is a new file name


def cached_mobile_pattern() -> str | None:
    """The pattern from the cache, or phonenumbers' (then kept); None: phonenumbers has none."""
    version = package_version("phonenumbers")
    if version is None:
        return ru_mobile_pattern()
    path = cache_dir() / f"ru-mobile-{FORMAT}-{version}.txt"
    try:
        kept = path.read_text(encoding="utf-8")
        re.compile(kept)
        return kept
    except (OSError, ValueError, re.error):
        pass
    pattern = ru_mobile_pattern()
    if pattern is not None:
        _keep(path, pattern)
    return pattern


def _keep(path, pattern: str) -> None:
    from ppo_checklist import files  # hashlib, socket, tempfile: ~4 ms a read of the cache does not need

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomically(path, lambda temp: temp.write_text(pattern, encoding="utf-8"))
    except (OSError, PpoError):  # a cache that cannot be kept: the package answers again next time
        pass
