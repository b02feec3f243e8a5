"""Typed answers find the option a person means: no diacritics, any case, spaces around."""

from __future__ import annotations

import pytest

from bot.prompt import NUMBER, TEXT, Option, Prompt, fold

HELD = Prompt(
    "Tháng này chi bộ có họp không?",
    ((Option("yes", "✅ Có họp", ("da hop",)), Option("no", "❌ Không họp")),),
)
DATES = Prompt(
    "Ngày họp?",
    ((Option("25.11.2026", "Hôm nay 25/11"), Option("24.11.2026", "Hôm qua 24/11")),),
    frozenset({TEXT, NUMBER}),
)


def test_fold() -> None:
    assert fold("  Hôm NAY  ") == "hom nay"
    assert fold("Đủ cả 18 👍") == "du ca 18"
    assert fold("🙏 !!") == ""


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("Có họp", "yes"),
        ("co hop", "yes"),
        ("CO", "yes"),  # the first word of one label
        ("khong", "no"),
        (" Không  họp ", "no"),
        ("da hop", "yes"),  # a word of the option
        ("1", "yes"),  # its number in the plain-text list
        ("2", "no"),
        ("3", None),
        ("họp", None),
        ("👍", None),
        ("", None),
    ],
)
def test_typed_answers_match_options(typed: str, value: str | None) -> None:
    option = HELD.match(typed)
    assert (option.value if option else None) == value


def test_where_numbers_are_answers_options_are_lettered() -> None:
    assert DATES.lettered and DATES.marker(0) == "a"
    assert DATES.match("a").value == "25.11.2026"
    assert DATES.match("hom qua").value == "24.11.2026"
    assert DATES.match("1") is None  # the 1st of the month, for the step to judge
    assert DATES.match("hom") is None  # the first word of both labels: no choice


def test_what_a_draft_keeps_of_a_prompt_comes_back_the_same() -> None:
    again = Prompt.from_stored(DATES.stored(), DATES.text)
    assert again == DATES
