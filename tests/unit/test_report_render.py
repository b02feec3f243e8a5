"""Every prompt of the report renders in both languages, short, with valid buttons."""

from datetime import date

import pytest

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
LAST = {"members": 45, "exempt": 3, "day": 3}
TOKEN = "AbCd-_12"


def callback_data(prompt: Prompt, step: str) -> list[str]:
    """What the buttons of the prompt carry (bot.flows.telegram), checked to decode again."""
    packed = [FlowButton(TOKEN, step, option.value).pack() for option in prompt.options]
    assert all(FlowButton.unpack(data) is not None for data in packed)
    return packed


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("step", [*st.path(DATA), st.REASON])
def test_each_prompt(lang: str, step: str) -> None:
    prompt = render.prompt(
        lang,
        step=step,
        data=DATA,
        last=LAST,
        period=Period(2026, 11),
        unit_name="Chi bộ <thôn> Đồng Tâm",
        today=date(2026, 11, 25),
    )
    number, total = st.stage(step, DATA)
    assert f"{number}/{total}" in prompt.text and len(prompt.text) < 400
    assert "<thôn>" not in prompt.text  # names are escaped for HTML
    assert all(len(data.encode()) <= 64 for data in callback_data(prompt, step))


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
    assert len(prompt.text) < 4096
    assert "Học tập &lt;Nghị quyết&gt;" in prompt.text
    assert all(len(data.encode()) <= 64 for data in callback_data(prompt, st.REVIEW))
