"""The Russian catalogue and how a run picks its language.

The catalogue is held to the code: every message the code marks is in the .pot and the .po
(extracted here with Babel's own API, as `.ci/catalogue` does), every one is translated
with the same `{placeholders}`, and the committed .mo is the .po compiled. After changing
a message: `.ci/catalogue`, translate what it lists, `.ci/catalogue` again.
"""

from __future__ import annotations

import ast
import io
import string
from pathlib import Path

import pytest

pytest.importorskip("babel")

from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

from ppo_checklist import i18n  # noqa: E402

PACKAGE = Path(i18n.__file__).parent
LOCALE = PACKAGE / "locale"
PO = LOCALE / "ru" / "LC_MESSAGES" / "ppo.po"
MO = LOCALE / "ru" / "LC_MESSAGES" / "ppo.mo"
POT = LOCALE / "ppo.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}  # as .ci/catalogue passes them
FIX = "run .ci/catalogue, translate what it lists in the .po, run it again, commit the three files"


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalogue) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalogue if m.id}


def _in_code() -> set:
    found = extract_from_dir(str(PACKAGE), [("**.py", "python")], KEYWORDS)
    return {
        (context, message if isinstance(message, str) else tuple(message))
        for _file, _line, message, _comments, context in found
    }


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_the_catalogue_holds_every_message_of_the_code_and_no_other():
    code = _in_code()
    for path in (POT, PO):
        held = _ids(_catalogue(path))
        assert not code - held, f"{path.name} lacks {sorted(map(str, code - held))[:10]}: {FIX}"
        assert not held - code, f"{path.name} holds messages the code lost {sorted(map(str, held - code))[:10]}: {FIX}"


def test_every_message_is_translated_into_russian():
    untranslated = [
        m.id
        for m in _catalogue(PO)
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, (tuple, list)) else m.string))
    ]
    assert not untranslated, f"not translated: {untranslated[:10]}: {FIX}"


# click's and typer's own messages (cli/click_words.py): click fills some placeholders with English
# words (a type's name, "option") and passes a plural's fields to every form; a translation may
# leave such a placeholder out, never add one.
FRAMEWORK = {
    node.value
    for node in ast.walk(ast.parse((Path(i18n.__file__).parent / "cli" / "click_words.py").read_text("utf-8")))
    if isinstance(node, ast.Constant) and isinstance(node.value, str)
}


def test_translations_keep_every_placeholder_and_add_none():
    wrong = []
    for m in _catalogue(PO):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        expected = set().union(*map(_fields, ids))
        if ids[0] in FRAMEWORK:
            wrong += [(ids[0], s) for s in strings if not _fields(s) <= expected]
        else:
            wrong += [(ids[0], s) for s in strings if _fields(s) != expected]
    assert not wrong, f"placeholders differ: {wrong[:5]}"


def test_framework_messages_leave_out_only_what_click_fills_in_english():
    """The exemption above is for click's own words only: ppo's never drop a placeholder."""
    ours = [m for m in _catalogue(PO) if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in FRAMEWORK]
    assert len(ours) > 400 and "No such command {name!r}." in FRAMEWORK


def test_russian_plurals_have_three_forms():
    catalogue = _catalogue(PO)
    assert catalogue.num_plurals == 3
    for m in catalogue:
        if m.id and not isinstance(m.id, str):
            assert len(m.string) == 3, m.id


def test_the_committed_mo_is_the_po_compiled():
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(PO))
    assert MO.read_bytes() == compiled.getvalue(), f"the .mo is stale: {FIX}"


def _import_time_translations(tree: ast.AST) -> list[int]:
    """Lines where `_()` or `ngettext()` runs when the module is imported (a module constant,
    a default value, a decorator): it would be in the first run's language for every run."""
    found: list[int] = []

    def visit(node: ast.AST, runtime: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    visit(default, runtime)
            for decorator in getattr(node, "decorator_list", []):
                visit(decorator, runtime)
            body = node.body if isinstance(node.body, list) else [node.body]
            for statement in body:
                visit(statement, True)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            if not runtime:
                found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, runtime)

    visit(tree, False)
    return found


def test_no_message_is_translated_at_import_time():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _import_time_translations(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, f"use N_() there and _() where the text is used: {offenders}"


# --- the run's language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "environ, language",
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.KOI8-R"}, "ru"),
        ({"LANG": "ru"}, "ru"),
        ({"LANG": "ru_UA.UTF-8@euro"}, "ru"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "C"}, "ru"),
        ({"LANGUAGE": "ru:en", "LANG": "C.UTF-8"}, "ru"),
        ({"LANGUAGE": "de:ru", "LANG": "C.UTF-8"}, "ru"),
        ({"LANGUAGE": "en:ru", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LANGUAGE": "", "LANG": "ru_RU.UTF-8"}, "ru"),
    ],
)
def test_the_locale_variables_choose_the_language_in_gettext_order(environ, language):
    assert i18n.from_environment(environ) == language


@pytest.mark.parametrize(
    "n, text",
    [(1, "1 действие"), (2, "2 действия"), (4, "4 действия"), (5, "5 действий"), (11, "11 действий")]
    + [(12, "12 действий"), (21, "21 действие"), (22, "22 действия"), (25, "25 действий"), (111, "111 действий")],
)
def test_russian_plurals(n, text):
    with i18n.use("ru"):
        assert i18n.ngettext("{n} action", "{n} actions", n).format(n=n) == text


@pytest.mark.parametrize("n, text", [(1, "1 action"), (2, "2 actions"), (21, "21 actions")])
def test_english_plurals(n, text):
    with i18n.use("en"):
        assert i18n.ngettext("{n} action", "{n} actions", n).format(n=n) == text


def test_use_gives_the_run_its_language_back():
    i18n.activate("en")
    with i18n.use("ru"):
        assert i18n._("Trip") == "Тур"
    assert i18n._("Trip") == "Trip"
    with i18n.use(None):
        assert i18n.language() == "en"
