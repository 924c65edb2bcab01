"""Translation hook for user-facing messages.

Every message a user reads goes through `_()`, so a Russian catalogue (gettext domain
`ppo`, chosen by the locale) can be added without touching the code that speaks.
"""

from __future__ import annotations

import gettext
import os

_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
_translation = gettext.translation("ppo", _LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)
