"""The conversation engine as people meet it: the smallest flow (/language), typed answers
without diacritics, old buttons taken away, double presses, /cancel and resuming."""

from __future__ import annotations

from bot import i18n
from e2e.harness import TelegramDriver
from e2e.reporting import SECRETARY_ID, make_org


def vi(key: str, **values: object) -> str:
    return i18n.t("vi", key, **values)


def test_language_by_button_then_by_typing_without_diacritics(tg: TelegramDriver, bot, run_db):
    make_org(run_db)
    an = tg.user(SECRETARY_ID, "An")

    an.send("/language")
    question = an.wait_reply()
    assert question.text == vi("language.ask")
    assert question.buttons == ["Tiếng Việt", "English"]
    an.press("English")
    done = an.wait_for_text(i18n.t("en", "language.done"))
    assert i18n.t("en", "menu.language") in done.buttons  # the menu, now in English
    assert question.buttons == []  # the answered question keeps no buttons

    an.send("/language")
    an.wait_reply()
    an.send("  tieng viet ")  # typed, without diacritics, with spaces
    assert an.wait_for_text(vi("language.done"))


def test_a_double_press_or_an_old_button_changes_nothing(tg: TelegramDriver, bot, run_db):
    make_org(run_db)
    an = tg.user(SECRETARY_ID, "An")
    an.send("/language")
    question = an.wait_reply()
    data = question.button_data("English")

    an.press("English")
    an.wait_for_text(i18n.t("en", "language.done"))
    an.press_data(data, question)  # the same press again (a double tap)
    assert an.wait_answer().text == i18n.t("en", "button.expired")
    an.assert_no_reply()
    bot.assert_no_errors()


def test_a_typed_answer_that_is_no_option_is_asked_again(tg: TelegramDriver, bot, run_db):
    make_org(run_db)
    an = tg.user(SECRETARY_ID, "An")
    an.send("/language")
    first = an.wait_reply()

    an.send("tiếng Pháp")

    again = an.wait_for_text(vi("draft.choose_option"))
    assert vi("language.ask") in again.text
    assert again.buttons == ["Tiếng Việt", "English"]
    assert first.buttons == []  # only the newest question has buttons
    an.send("/cancel")
    an.wait_for_text(vi("draft.cancel_ask", what=vi("language.describe")))
    an.send("huy")
    an.wait_for_text(vi("draft.cancelled"))
