"""`done`, `skip`, `undo` and `sync` name a step as the workbook's header does, by its number and
title («1. Напомнить о вылете завтра»), never by the playbook's id for it."""

from __future__ import annotations

from director import tick

TODAY = "2026-11-30"
STEP_IDS = ("ppo-do", "reminder", "sms-departure", "sms-return", "ppo-posle", "invite-call", "office-visit")


def no_step_id(text: str) -> bool:
    return not any(f"({sid})" in text or f" {sid} " in text for sid in STEP_IDS)


def test_done_skip_and_undo_name_the_step_by_its_title(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    said = [
        ppo("done", str(trip), "1", "--date", TODAY).out,
        ppo("done", str(trip), "1", "--date", TODAY).out,
        ppo("undo", str(trip), "1").out,
        ppo("skip", str(trip), "sms-departure").out,
        ppo("undo", str(trip), "2").out,
    ]
    assert said[0] == f"trip {trip} step «1. Напомнить о вылете завтра» done on 30.11.2026\n"
    assert said[3] == f"trip {trip} step «2. SMS „Счастливого пути“» skipped; ppo will not send it\n"
    assert all(no_step_id(text) for text in said), said
    russian = ppo("done", str(trip), "1", "--date", TODAY, env={"LANG": "ru_RU.UTF-8"}).out
    assert russian == f"тур {trip}, шаг «1. Напомнить о вылете завтра» выполнен 30.11.2026\n"


def test_sync_names_the_steps_it_took_and_kept_by_their_titles(ppo):
    trip = ppo.add("Анна", "20.11.2026", "01.12.2026", "10.12.2026")
    ppo("done", str(trip), "0", "--date", TODAY)
    book = ppo.home / "book.xlsx"
    ppo("export", str(book), "--date", TODAY)
    tick(book, trip, 0, None)  # done in ppo, not ticked in the file: kept
    tick(book, trip, 1, "✓")
    out = ppo("sync", str(book), "--date", TODAY).out
    assert f"trip {trip} step «1. Напомнить о вылете завтра» done on 30.11.2026" in out
    assert f"kept: trip {trip} step «0. Подписать на серию ППО-ДО»" in out
    assert no_step_id(out), out
