"""Every prompt of the report renders in both languages, short, with valid buttons."""

import re
from datetime import date
from pathlib import Path

import pytest

from bot import i18n
from bot.flows.engine import FlowButton
from bot.prompt import Prompt
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
}
LAST = {
    "members": 45,
    "exempt": 3,
    "present": 40,
    "absent_excused": 2,
    "absent_unexcused": 0,
    "day": 3,
}
TOKEN = "AbCd-_12"


def callback_data(prompt: Prompt, step: str) -> list[str]:
    """What the buttons of the prompt carry (bot.flows.telegram), checked to decode again."""
    packed = [FlowButton("report", TOKEN, step, option.value).pack() for option in prompt.options]
    assert all(FlowButton.unpack(data) is not None for data in packed)
    return packed


LIMIT = 400  # characters: the longest message a secretary sees


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("step", [*st.path(DATA), st.REASON, st.SAME, st.ABSENT, *st.OPTIONAL])
@pytest.mark.parametrize("photos", [[], ["a", "b"]])
def test_each_prompt(lang: str, step: str, photos: list[str]) -> None:
    prompt = render.prompt(
        lang,
        step=step,
        data={**DATA, "photos": photos},
        last=LAST,
        period=Period(2026, 11),
        unit_name="Chi bộ <thôn> Đồng Tâm " + "x" * 60,
        today=date(2026, 11, 25),
        other_months=True,
        late=True,
    )
    stage = st.stage(step, DATA)
    assert stage is None or f"{stage[0]}/{stage[1]}" in prompt.text
    assert render.visible_length(prompt.text) <= LIMIT
    assert "<thôn>" not in prompt.text  # names are escaped for HTML
    assert all(len(data.encode()) <= 64 for data in callback_data(prompt, step))


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("mode", ["new", "amend", "correct"])
@pytest.mark.parametrize(
    "data",
    [
        DATA,
        {**DATA, "content": "<&>" * 333, "conclusion": "&" * 1000, "topic": "<" * 200},
        {**DATA, "content": None, "conclusion": None},
        {"held": False, "not_held_reason": "&" * 500},
    ],
)
def test_the_review_is_short_with_send_first_and_three_rows_of_edits(
    lang: str, mode: str, data: dict
) -> None:
    prompt = render.review(
        lang,
        data=data,
        mode=mode,
        period=Period(2026, 11),
        unit_name="Chi bộ thôn Đồng Tâm " + "<x>" * 80,
        version=3,
        comment="z" * 500,
    )
    assert render.visible_length(prompt.text) <= LIMIT, prompt.text
    assert prompt.rows[0][0].value == render.SEND
    assert len(prompt.rows) <= 4 and all(len(row) <= 3 for row in prompt.rows)
    assert all(len(data.encode()) <= 64 for data in callback_data(prompt, st.REVIEW))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_longest_review_fits_in_one_message(lang: str) -> None:
    prompt = render.review(
        lang,
        data=DATA,
        mode="correct",
        period=Period(2026, 11),
        unit_name="Chi bộ thôn Đồng Tâm",
        version=3,
        comment="z" * 500,
    )
    assert render.visible_length(prompt.text) <= LIMIT
    assert "<Nghị" not in prompt.text  # typed text is escaped for HTML
    assert all(len(data.encode()) <= 64 for data in callback_data(prompt, st.REVIEW))


ERROR_VALUES = dict(
    maximum=1000, minimum=1, limit=1000, length=1001, month="11/2026", today="25/11/2026",
    members=45, expected=42, left=4, present=38, excused=2, unexcused=3, total=43, exempt=3,
)  # fmt: skip


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_question_with_any_refusal_stays_short(lang: str) -> None:
    """What the engine sends when an answer is refused: the reason, then the question again."""
    catalog = (Path(render.__file__).parents[1] / "locales" / lang / "report.po").read_text()
    errors = re.findall(r'msgid "(report\.error\.[a-z_]+)"', catalog)
    assert "report.error.meaningless" in errors
    last = {**LAST, "present": 40, "absent_excused": 2, "absent_unexcused": 0}
    for step in st.STEPS:
        prompt = render.prompt(
            lang,
            step=step,
            data={**DATA, "topic": "t" * 200, "upper_attendee_name": "n" * 100},
            last=last,
            period=Period(2026, 11),
            unit_name="Chi bộ thôn Đồng Tâm " + "x" * 40,
            today=date(2026, 11, 25),
            other_months=True,
            late=True,
        )
        for key in errors:
            refused = "⚠️ " + i18n.t(lang, key, **ERROR_VALUES) + "\n\n" + prompt.text
            assert render.visible_length(refused) <= LIMIT, (step, key)
