"""Every prompt of the report renders in both languages, short, with valid buttons."""

from datetime import date

import pytest

from bot.render import report as render
from bot.rules import report_steps as st
from bot.rules.periods import Period

DATA = {
    "held": True,
    "meeting_date": "2026-11-20",
    "meeting_type": "thematic",
    "topic": "Học tập <Nghị quyết>",
    "members": 45,
    "exempt": 3,
    "present": 38,
    "absent_excused": 2,
    "absent_unexcused": 2,
    "upper_attendee_name": "Nguyễn Văn Bình",
    "upper_attendee_position": "Phó Bí thư",
    "content": "x" * 1000,
    "conclusion": "y" * 1000,
    "candidates": 2,
    "admissions": 0,
    "full_memberships": 1,
    "photos": ["a", "b"],
    "_last": {"members": 45, "exempt": 3, "day": 3},
}
TOKEN = "AbCd-_12"


def callback_data(markup) -> list[str]:
    if markup is None:
        return []
    return [button.callback_data for row in markup.inline_keyboard for button in row]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("step", [*st.path(DATA), st.REASON])
def test_each_prompt(lang: str, step: str) -> None:
    text, markup = render.prompt(
        lang,
        token=TOKEN,
        step=step,
        data=DATA,
        period=Period(2026, 11),
        unit_name="Chi bộ <thôn> Đồng Tâm",
        today=date(2026, 11, 25),
    )
    number, total = st.stage(step, DATA)
    assert f"{number}/{total}" in text and len(text) < 400
    assert "<thôn>" not in text  # names are escaped for HTML
    assert all(len(data.encode()) <= 64 and data.startswith(f"r:{TOKEN}:{step}:")
               for data in callback_data(markup))  # fmt: skip


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_longest_review_fits_in_one_message(lang: str) -> None:
    data = {**DATA, "_mode": "correct"}
    text, markup = render.review(
        lang,
        token=TOKEN,
        data=data,
        period=Period(2026, 11),
        unit_name="Chi bộ thôn Đồng Tâm",
        version=3,
        comment="z" * 500,
    )
    assert len(text) < 4096
    assert "Học tập &lt;Nghị quyết&gt;" in text
    assert all(len(data.encode()) <= 64 for data in callback_data(markup))
