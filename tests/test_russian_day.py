"""A manager's whole day and the director's workbook in Russian, and the same day in English.

Russian is asked for two ways: by the locale (`LANG=ru_RU.UTF-8`, a locale this machine
need not have installed) and by the config (`language = "ru"` under `LANG=C.UTF-8`).
The oracle is the catalogue itself: no word of ppo's English messages may appear in a
Russian day, and no word of its Russian translations in an English one. What is data
(step ids, playbook ids, the step texts of the playbooks, names) is set aside first.
json, csv and exit codes are the same in both languages.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pytest
from ppo_runner import Ppo

pytest.importorskip("babel")

from babel.messages.pofile import read_po  # noqa: E402

from ppo_checklist import i18n  # noqa: E402

PO = Path(i18n.__file__).parent / "locale" / "ru" / "LC_MESSAGES" / "ppo.po"
RUSSIAN_LOCALE = {"LANG": "ru_RU.UTF-8"}
TODAY = "30.11.2026"

# Words of the English messages that are not English for a Russian reader: names of
# formats, protocols and files, and what click prints around ppo's help.
TECHNICAL = {
    "ppo", "sms", "mail", "csv", "xlsx", "xls", "json", "table", "toml", "sqlite", "postgresql",
    "url", "smtp", "smtps", "starttls", "tls", "http", "ascii", "utf", "xml", "zip", "cron",
    "tmpdir", "pg_dump", "dump", "defusedxml", "openpyxl", "today", "kpis", "yyyy",
    "markdown", "yes",  # "yes": a tick ppo accepts
    "ics", "icalendar",  # the phone calendars' file format
    "imap", "imaps",  # the mailbox protocol
    # the values a person types after --via, --ads and --consent (the same in any language)
    "office", "form", "call", "reply", "import", "email", "visit", "messenger", "ads",
}  # fmt: skip


# What typer and click print around ppo's own help texts (their words, not ppo's).
CLICK = (
    "Usage:",
    "[OPTIONS]",
    "[ARGS]...",
    "Show this message and exit.",
    "Install completion for the current shell.",
    "Show completion for the current shell, to copy it or customize the installation.",
    "Options:",
    "Commands:",
    "Arguments:",
)


def _messages():
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    for m in catalogue:
        if m.id:
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            strings = [m.string] if isinstance(m.string, str) else list(m.string)
            yield ids, strings


def _words(text: str, alphabet: str, placeholders: bool = True) -> set[str]:
    if placeholders:
        text = re.sub(r"\{[^}]*\}", " ", text)
    return {w.lower() for w in re.findall(alphabet, text) if len(w) >= 3}


LATIN, CYRILLIC = r"[A-Za-z]+", r"[А-Яа-яЁё]+"
ENGLISH_WORDS = {w for ids, _s in _messages() for text in ids for w in _words(text, LATIN)} - TECHNICAL
RUSSIAN_WORDS = {w for _i, strings in _messages() for text in strings for w in _words(text, CYRILLIC)} - {
    w
    for ids, _s in _messages()
    for text in ids
    for w in _words(text, CYRILLIC)  # ППО is in English too
}


def _data_removed(text: str, ppo: Ppo) -> str:
    """The text without what is data, not ppo's words: paths, options, ppo's commands,
    the ids of steps, playbooks and letters."""
    text = re.sub(r"\S*/\S*", " ", text)  # paths and URLs
    text = re.sub(r"--[a-z-]+", " ", text)
    text = re.sub(r"\bppo\s+(?:store\s+)?[a-z]+", " ", text)
    for phrase in CLICK:  # as click wraps it in a help page
        text = re.sub(r"\s+".join(map(re.escape, phrase.split())), " ", text)
    text = re.sub(r"\[(?:default|env var): [^\]]*\]|\[required\]|<[^>]*>", " ", text)
    text = re.sub(r"(?m)^  [a-z]+(?:-[a-z]+)*(?: {2,}|$)", " ", text)  # names of commands in a help page
    text = re.sub(r"\{[a-z_]+\}|`[^`]*`", " ", text)  # an argument in the usage line; a config key
    text = re.sub(r"\b[A-Z]+(?:_[A-Z]+)*\b", " ", text)  # metavars: TRIP, STEP, PATH, PPO_DB
    for word in sorted(_ids(ppo), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", text)
    return text


def _ids(ppo: Ppo) -> set[str]:
    playbooks = json.loads(ppo("playbooks", "--format", "json", env={"LANG": "C.UTF-8"}).out)
    ids = {pb["id"] for pb in playbooks} | {s["id"] for pb in playbooks for s in pb["steps"]}
    return ids | {"SMS", "e-mail"}


def _data_words(ppo: Ppo) -> set[str]:
    """The Russian of the playbooks (titles, texts, letters) and of the test's own data."""
    playbooks = ppo("playbooks", "--format", "json", env={"LANG": "C.UTF-8"}).out
    return _words(playbooks + " ".join(CLIENTS) + " Ольга Игорь виза звонила", CYRILLIC, placeholders=False)


def english_of_ppo(text: str, ppo: Ppo) -> set[str]:
    return _words(_data_removed(text, ppo), LATIN) & ENGLISH_WORDS


def russian_of_ppo(text: str, ppo: Ppo) -> set[str]:
    return (_words(text, CYRILLIC) - _data_words(ppo)) & RUSSIAN_WORDS


CLIENTS = ("Анна Иванова", "Борис Орлов", "Пётр Сидоров")


def manager_day(ppo: Ppo, folder: Path, env: dict | None = None) -> list[str]:
    """Every command of a manager's day (and a few mistakes); what ppo printed, each."""
    said: list[str] = []

    def run(*args: str, code: int = 0) -> str:
        result = ppo(*args, check=False, env={"PPO_TODAY": TODAY, **(env or {})})
        assert result.code == code, (args, result)
        said.append(result.out + result.err)
        return result.out + result.err

    run("add", CLIENTS[0], "--purchase", "20.11.2026", "--departure", "01.12.2026", "--return", "10.12.2026",
        "--phone", "+7 912 345-67-89", "--manager", "Ольга")  # fmt: skip
    run("add", CLIENTS[1], "--purchase", "27.11.2026", "--departure", "05.12.2026", "--return", "15.12.2026",
        "--email", "boris@example.ru", "--manager", "Игорь")  # fmt: skip
    run("today")
    run("today", "--text")
    run("today", "--format", "md")
    run("done", "1", "reminder", "--note", "звонила")
    run("done", "1", "reminder")  # again: already done
    run("undo", "1", "reminder")
    run("undo", "1", "reminder")  # again: not done
    run("done", "1", "1")
    run("show", "1")
    run("list")
    run("list", "--all")
    run("upcoming", "--days", "14")
    run("edit", "2", "--departure", "06.12.2026")
    run("cancel", "2", "--reason", "виза")
    run("cancel", "2")  # again
    run("show", "2")
    run("decline", CLIENTS[2], "--phone", "+7 903 111-22-33", "--date", "25.11.2026")
    run("stats")
    run("stats", "--format", "md")
    run("playbooks")
    run("store", "info")
    bad = folder / "clients.csv"
    bad.write_text(
        "Клиент,Телефон,Email,Менеджер,Дата покупки,Дата вылета,Дата возвращения\n"
        "Вера Зайцева,+7 916 000-00-01,,Ольга,31.02.2026,05.03.2026,10.03.2026\n"
        "Глеб Петров,,,Ольга,01.12.2026,05.12.2026,01.12.2026\n"
        "Дина Козлова,+7 916 000-00-02,,Ольга,01.12.2026,05.12.2026,12.12.2026\n",
        encoding="utf-8",
    )
    run("import", str(bad), code=2)
    run("import", str(bad), "--skip-bad", "--dry-run")
    run("show", "99", code=2)
    run("done", "1", "9", code=2)
    run("add", "Ирина", "--purchase", "31.02.2026", "--departure", "01.03.2026", "--return", "02.03.2026", code=2)
    run("report", "--out", str(folder / "reports"))
    said.append((folder / "reports" / "ppo-2026-11-30.md").read_text(encoding="utf-8"))
    run("export", str(folder / "book.xlsx"))
    run("--help")
    run("today", "--help")
    run("export", "--help")
    return said


def _russian_config(folder: Path) -> Path:
    config = folder / "ru.toml"
    config.write_text('language = "ru"\n', encoding="utf-8")
    return config


@pytest.fixture(params=["LANG=ru_RU.UTF-8", 'language = "ru"'])
def russian(request, ppo: Ppo, tmp_path: Path):
    """ppo in Russian: by the locale, or by the config under LANG=C.UTF-8."""
    if request.param.startswith("LANG"):
        ppo.env.update(RUSSIAN_LOCALE)
        return ppo
    return Ppo(tmp_path, _russian_config(tmp_path), store=ppo.store)


def test_a_russian_managers_day_has_no_english_word_of_ppo(russian: Ppo, tmp_path: Path):
    said = manager_day(russian, tmp_path)
    for text in said:
        assert not english_of_ppo(text, russian), text
    everything = "\n".join(said)
    assert "Тур 1 добавлен: Анна Иванова (клиент 1)." in everything
    assert "ppo: дела на 30.11.2026" in everything
    assert "просрочено 10 дн." in everything
    assert "тур 1, шаг «1. Напомнить о вылете завтра» уже выполнен 30.11.2026; ничего не изменено" in everything
    assert "2 ошибочные строки; ничего не загружено" in everything
    assert "звонок" in everything and "встреча" in everything
    assert "Постпродажное обслуживание (ППО)" in everything  # the help


def test_an_english_day_has_no_russian_word_of_ppo(ppo: Ppo, tmp_path: Path):
    said = manager_day(ppo, tmp_path)
    for text in said:
        assert not russian_of_ppo(text, ppo), text
    everything = "\n".join(said)
    assert "Trip 1 added for Анна Иванова (client 1)." in everything
    assert "overdue 10 d" in everything and "1 action: 1 due today" not in everything
    assert "trip 1 step «1. Напомнить о вылете завтра» was already done on 30.11.2026; nothing changed" in everything


def test_the_oracle_catches_a_word_left_in_english(ppo: Ppo):
    assert english_of_ppo("2 действия: просрочено 1, on time 1", ppo) == {"time"}
    assert russian_of_ppo("4 actions: 2 overdue, просрочено", ppo) == {"просрочено"}


@pytest.mark.parametrize("n, text", [(1, "1 действие:"), (2, "2 действия:"), (5, "5 действий:")])
def test_the_day_counts_actions_in_russian_plurals(ppo: Ppo, n: int, text: str):
    for i in range(n):
        ppo.add(f"Клиент {i}", "20.11.2026", "01.12.2026", "10.12.2026")
    out = ppo("today", "--date", "20.11.2026", env=RUSSIAN_LOCALE).out
    assert text in out


def test_json_csv_and_exit_codes_do_not_change_with_the_language(ppo: Ppo, tmp_path: Path):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026", "--phone", "+7 912 345-67-89")
    english, russian = {"LANG": "C.UTF-8"}, RUSSIAN_LOCALE
    for args in (
        ("today", "--date", TODAY, "--format", "json"),
        ("today", "--date", TODAY, "--format", "csv"),
        ("show", "1", "--date", TODAY, "--format", "json"),
        ("show", "1", "--date", TODAY, "--format", "csv"),
        ("list", "--format", "csv"),
        ("stats", "--date", TODAY, "--format", "json"),
        ("stats", "--date", TODAY, "--format", "csv"),
        ("playbooks", "--format", "csv"),
    ):
        assert ppo(*args, env=english).out == ppo(*args, env=russian).out, args
    for args, code in ((("show", "9"), 2), (("today", "--date", "31.02.2026"), 2), (("nosuch",), 2)):
        assert ppo(*args, check=False, env=english).code == ppo(*args, check=False, env=russian).code == code


def test_the_config_language_wins_over_the_locale(ppo: Ppo, tmp_path: Path):
    config = tmp_path / "en.toml"
    config.write_text('language = "en"\n', encoding="utf-8")
    english = Ppo(tmp_path, config, store=ppo.store)
    assert "Nothing to do." in english("today", env=RUSSIAN_LOCALE).out
    assert "Show the version." in english("--help", env=RUSSIAN_LOCALE).out
    russian = Ppo(tmp_path, _russian_config(tmp_path), store=ppo.store)
    assert "Дел нет." in russian("today", env={"LANG": "C.UTF-8"}).out
    assert "Показать версию." in russian("--help").out
    assert "--config" in russian("--config", str(config), "--help").out  # --config names the file


def test_a_bad_language_in_the_config_is_bad_input(ppo: Ppo, tmp_path: Path):
    config = tmp_path / "de.toml"
    config.write_text('language = "de"\n', encoding="utf-8")
    result = Ppo(tmp_path, config, store=ppo.store)("today", check=False)
    assert result.code == 2 and '\'language\' must be "ru" or "en"' in result.err


def test_runs_in_one_process_each_speak_their_own_language(ppo: Ppo):
    for _round in range(2):
        assert "Дел нет." in ppo("today", env=RUSSIAN_LOCALE).out
        assert "Nothing to do." in ppo("today").out
        assert "Показать версию." in ppo("--help", env=RUSSIAN_LOCALE).out
        assert "Show the version." in ppo("--help").out


# --- the director's workbook ----------------------------------------------------------------


def _texts_of(path: Path) -> tuple[list[str], str]:
    """The sheet names, and every text a director reads: cells (cached values of formulas),
    the dropdown's hint and warning, the title."""
    book = openpyxl.load_workbook(path, data_only=True)
    texts = [book.properties.title or ""]
    for ws in book.worksheets:
        if ws.title == "_ppo":
            continue
        texts.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            texts += [v for v in row if isinstance(v, str)]
        for rule in ws.data_validations.dataValidation:
            texts += [rule.promptTitle or "", rule.prompt or "", rule.errorTitle or "", rule.error or ""]
    return book.sheetnames, "\n".join(texts)


def _tick(path: Path, trip: int, no: int, value: str) -> None:
    book = openpyxl.load_workbook(path)
    ws = next(ws for ws in book.worksheets if ws.title.endswith(" Туры"))  # Checklist / Чек-лист · Туры
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == trip)
    row[header.index(f"✓ {no}")].value = value
    book.save(path)


def test_the_directors_workbook_in_russian_opens_and_syncs_back(russian: Ppo, tmp_path: Path):
    manager_day(russian, tmp_path)
    book = tmp_path / "book.xlsx"
    names, texts = _texts_of(book)
    assert sorted(names) == sorted(
        ["Чек-лист · Туры", "Чек-лист · Отказники", "Действия", "Сводка", "Пояснения", "_ppo"]
    )
    assert not english_of_ppo(texts, russian), english_of_ppo(texts, russian)
    assert not ids_shown(names, texts, russian), ids_shown(names, texts, russian)
    header = [c.value for c in openpyxl.load_workbook(book)["Чек-лист · Туры"][1]]
    assert header[:7] == ["Тур", "Клиент", "Телефон", "Менеджер", "Покупка", "Вылет", "Возвращение"]
    assert header[7] == "0. Подписать на серию ППО-ДО\nв день покупки"
    assert header[9] == "1. Напомнить о вылете завтра\nза 1 день до вылета"  # the moment in words
    assert "через 1 день после возвращения" in texts
    assert "Чек-лист ППО: что означают цвета" in texts and "просрочено" in texts
    assert "Выберите ✓, когда шаг выполнен" in texts  # the dropdown's hint
    _tick(book, 1, 3, "да")
    synced = russian("sync", str(book), "--date", "10.12.2026")
    assert "тур 1, шаг «3. SMS „Добро пожаловать домой“» выполнен 10.12.2026" in synced.out
    assert "взято отметок из" in synced.out
    assert russian.show(1)["steps"][3]["done_on"] == "2026-12-10"


def test_a_workbook_syncs_back_whatever_language_wrote_it(ppo: Ppo, tmp_path: Path):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026")
    book = tmp_path / "book.xlsx"
    ppo("export", str(book), "--date", TODAY, env=RUSSIAN_LOCALE)
    _tick(book, 1, 1, "✓")
    assert (
        "trip 1 step «1. Напомнить о вылете завтра» done on 30.11.2026" in ppo("sync", str(book), "--date", TODAY).out
    )
    ppo("export", str(book), "--date", TODAY, "--language", "en", env=RUSSIAN_LOCALE)  # over it: takes ticks first
    assert {"Checklist Туры", "Actions", "Summary", "Legend"} <= set(openpyxl.load_workbook(book).sheetnames)
    _tick(book, 1, 2, "yes")
    out = ppo("sync", str(book), "--date", "01.12.2026", env=RUSSIAN_LOCALE).out
    assert "тур 1, шаг «2. SMS „Счастливого пути“» выполнен 01.12.2026" in out


def ids_shown(names: list[str], texts: str, ppo: Ppo) -> set[str]:
    """The step and playbook ids found in what a director reads (sheet names, cells)."""
    visible = " ".join(name for name in names if name != "_ppo") + "\n" + texts
    words = set(re.findall(r"[\w-]+", visible))
    return {word for word in _ids(ppo) - {"SMS", "e-mail"} if word in words}


def test_export_language_russian_under_an_english_locale(ppo: Ppo, tmp_path: Path):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026")
    book = tmp_path / "book.xlsx"
    said = ppo("export", str(book), "--date", TODAY, "--language", "ru").out
    assert said.startswith("wrote ")  # the run's language; the workbook's is asked for
    assert {"Чек-лист · Туры", "Действия", "Сводка", "Пояснения"} <= set(openpyxl.load_workbook(book).sheetnames)


# --- every mistake a manager makes, in Russian: click's words, typer's, ours, the libraries' ---

MISTAKES = [
    (("tody",), "Нет такой команды 'tody'."),
    (("add", "Анна"), "Не указан параметр '--purchase' / '-p'."),
    (("show", "Попов"), "Неверное значение 'TRIP': 'Попов' — не число."),
    (("today", "--bogus"), "Нет такого параметра '--bogus'."),
    (("show", "1", "2"), "Лишний аргумент (2)"),
    (("today", "--format", "xml"), "— не одно из: 'table', 'json', 'csv', 'md'."),
    (("show",), "Не указан аргумент 'TRIP'."),
    (("done", "1"), "какой шаг?"),
    (("done", "1", "9"), ""),
    (("today", "--date", "31.02.2026"), ""),
    (("add", "Анна", "-p", "01.12.2026", "-d", "05.12.2026", "-r", "10.12.2026", "--email", "a@@b"), "символы"),
    (("add", "Анна", "-p", "01.12.2026", "-d", "05.12.2026", "-r", "10.12.2026", "--email", "anna@example"), "точки"),
    (("add", "Анна", "-p", "01.12.2026", "-d", "05.12.2026", "-r", "10.12.2026", "--email", "anna"), "нет @"),
    (("add", "Анна", "-p", "01.12.2026", "-d", "05.12.2026", "-r", "10.12.2026", "--phone", "123"), ""),
    (("export", "book.csv"), ""),
    (("sync", "nosuch.xlsx"), ""),
    (("store", "copy"), "Не указан аргумент"),
]
HELP_PAGES = [("--help",), ("add", "--help"), ("store", "--help"), ("store", "copy", "--help"), ("store",)]


@pytest.mark.parametrize("args, shown", MISTAKES)
def test_a_managers_mistakes_are_told_in_russian_with_no_english_word(ppo: Ppo, args, shown):
    ppo.add("Анна Иванова", "20.11.2026", "01.12.2026", "10.12.2026")
    result = ppo(*args, check=False, env=RUSSIAN_LOCALE)
    assert result.code == 2, result
    assert result.err.startswith("ppo: ") and result.err.count("\n") == 1 and shown in result.err
    said = _typed_removed(result.err, args)
    assert not english_of_ppo(said, ppo), result.err
    assert not set(re.findall(r"[A-Za-z]{3,}", _data_removed(said, ppo))) - TECHNICAL, result.err


def _typed_removed(text: str, args: tuple[str, ...]) -> str:
    """What ppo said without what the manager typed: the command's path ("ppo: store copy: ")
    and the values quoted back."""
    text = re.sub(r"^ppo: (?:(?:[a-z]+ )*[a-z]+: )?", "", text)
    for arg in sorted(args, key=len, reverse=True):
        text = text.replace(arg, " ")
    return re.sub(r"\S*\.[a-z]{2,4}\b", " ", text)  # a file's or a domain's name given as an example


@pytest.mark.parametrize("args", HELP_PAGES)
def test_click_s_and_typer_s_words_in_the_help_are_russian(ppo: Ppo, args):
    result = ppo(*args, check=False, env=RUSSIAN_LOCALE)
    text = result.out + result.err
    assert "Использование:" in text and ("Параметры:" in text or "Команды:" in text)
    assert not english_of_ppo(text, ppo), text
    for word in ("Usage", "Options", "Commands", "Arguments", "Show this message", "Install completion"):
        assert word not in text, (word, text)


def test_a_store_that_refuses_the_connection_is_told_in_russian(ppo: Ppo):
    result = ppo("today", check=False, env={**RUSSIAN_LOCALE, "PPO_DB": "postgresql://ppo:x@127.0.0.1:1/ppo"})
    assert result.code == 1
    assert "в подключении отказано (сервер запущен, на этом ли порту?)" in result.err
    assert "Connection refused" not in result.err and not english_of_ppo(result.err, ppo)


def test_a_wrong_database_password_is_told_in_russian(ppo: Ppo):
    url = os.environ.get("PPO_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server for the tests: set PPO_TEST_POSTGRES")
    user, rest = url.split("://", 1)[1].split(":", 1)
    wrong = f"postgresql://{user}:not-the-password@{rest.split('@', 1)[1]}"
    result = ppo("today", check=False, env={**RUSSIAN_LOCALE, "PPO_DB": wrong})
    assert result.code == 1 and "неверное имя пользователя или пароль" in result.err
    assert "password authentication" not in result.err and "not-the-password" not in result.err


def test_a_mail_server_and_gateway_that_refuse_are_told_in_russian(ppo: Ppo, tmp_path: Path):
    config = tmp_path / "send.toml"
    config.write_text(
        'agency = "Солнце"\ndirector = "Ирина"\n'
        '[email]\nserver = "smtp://127.0.0.1:1"\nfrom = "office@example.ru"\n'
        '[sms]\nprovider = "smsru"\napi_id = "x"\nurl = "http://127.0.0.1:1"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)  # it holds a password: ppo send refuses one others may read
    sender = Ppo(tmp_path, config, store=ppo.store)
    env = {**RUSSIAN_LOCALE, "PPO_TODAY": "2026-12-05"}
    sender("add", "Анна Иванова", "-p", "05.12.2026", "-d", "05.12.2026", "-r", "10.12.2026",
           "--email", "anna@yandex.ru", "--phone", "+7 912 345-67-89", "-m", "Ольга", env=env)  # fmt: skip
    result = sender("send", check=False, env=env)
    assert result.code == 1
    text = result.out + result.err
    assert text.count("в подключении отказано (сервер запущен, на этом ли порту?)") == 2
    assert "Errno" not in text and "Connection refused" not in text
    assert not english_of_ppo(text.replace("anna@yandex.ru", " "), sender), text
