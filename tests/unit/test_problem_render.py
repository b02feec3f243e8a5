"""Problem texts: both languages complete, typed text escaped, within Telegram's limits."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import i18n
from bot.render import problems as render
from bot.rules import problems as rules
from storage.models import Person, Problem, ProblemEvent, Unit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 8, 10, 2, 0, tzinfo=UTC)
MAX_TEXT = 4096
LANGS = ("vi", "en")


def visible(text: str) -> str:
    """The text as shown (Telegram's 4096 limit counts it after parsing the HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _ids(lang: str) -> set[str]:
    return {key for key in i18n.catalog(lang) if key.startswith("problem.")}


def test_both_languages_have_the_same_messages() -> None:
    assert _ids("vi") == _ids("en")


def test_every_generated_message_id_exists() -> None:
    generated = {
        *(f"problem.category.{c}" for c in rules.CATEGORIES),
        *(f"problem.status.{s}" for s in rules.STATUSES),
        *(f"problem.raised_by.{r}" for r in rules.RAISED_BY),
        *(f"problem.urgency.{u}" for u in rules.URGENCIES),
        *(f"problem.action.{a}" for a in rules.HANDLER_ACTIONS),
        *(f"problem.update.{a}" for a in rules.HANDLER_ACTIONS),
        *(f"problem.event.{a}" for a in (*rules.HANDLER_ACTIONS, rules.REOPEN)),
        *(f"problem.event.{a}" for a in (rules.RAISE, rules.SUPPLEMENT)),
        *(f"problem.ask_note.{a}" for a in rules.HANDLER_ACTIONS if rules.needs_note(a)),
        "problem.ask_note.reopen",
        *(f"problem.done.{a}" for a in (rules.RESOLVE, rules.REJECT, rules.NOT_OURS)),
        "problem.done.duplicate",
        "problem.done.reopen",
        *(f"problem.filter.{f}" for f in render.STATUS_FILTERS),
        *(f"problem.notify.{k}" for k in ("new", "urgent", "forwarded", "supplement", "reopen")),
        *(f"problem.bad_{step}" for step in ("title", "description")),
    }
    assert generated <= _ids("vi")


def _card(text: str) -> render.Card:
    long = text * (rules.DESCRIPTION_MAX // len(text))
    problem = Problem(
        id=12,
        unit_id=3,
        handling_unit_id=2,
        category="dat_dai",
        title=(text * 40)[: rules.TITLE_MAX],
        description=long[: rules.DESCRIPTION_MAX],
        urgency=rules.URGENT,
        photos=["a", "b"],
        latitude=21.0,
        longitude=107.0,
        due_at=NOW - timedelta(days=1),
        created_at=NOW - timedelta(days=31),
    )
    person = Person(id=1, telegram_id=1, full_name=text)
    events = [
        (
            ProblemEvent(
                problem_id=12, action=rules.SUPPLEMENT, note=long[: rules.NOTE_MAX], created_at=NOW
            ),
            person,
        )
    ] * 5
    return render.Card(
        problem=problem,
        unit=Unit(id=3, code="c", name=text, kind="cell", path="1/2/3/"),
        handling_unit=Unit(id=2, code="x", name=text, kind="commune", path="1/2/"),
        reporter=person,
        version=4,
        events=events,
    )


@pytest.mark.parametrize("lang", LANGS)
def test_card_escapes_typed_text_and_fits(lang: str) -> None:
    card = _card("<b>A & B</b>")
    header = render.handler_header(lang, "reopen", id=12, note="<i>x</i>" * 100)
    text = render.card_text(lang, card, NOW, TZ, header)
    assert "<b>A &amp; B</b>" not in text.replace("&lt;b&gt;A &amp; B&lt;/b&gt;", "")
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in text
    assert "&lt;i&gt;x" in text
    assert i18n.t(lang, "problem.overdue") in text
    assert len(visible(text)) < MAX_TEXT


@pytest.mark.parametrize("lang", LANGS)
def test_card_buttons_fit_callback_data(lang: str) -> None:
    card = _card("x")
    markup = render.card_keyboard(lang, card, rules.HANDLER_ACTIONS, reopen=True)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert "ph:12:4:res" in data and "pr:12:4" in data and "pm:12" in data
    assert all(len(d.encode()) <= 64 for d in data)


def test_closed_card_without_media_has_no_buttons() -> None:
    card = _card("x")
    card.problem.photos, card.problem.latitude = [], None
    assert render.card_keyboard("vi", card, (), reopen=False) is None


def test_list_buttons_fit_callback_data() -> None:
    card = _card("x")
    rows = [(card.problem, card.unit)] * 8
    text, markup = render.problem_list(
        "vi", rows, 30, 1, 8, "in_progress", "giai_phong_mat_bang", NOW, TZ
    )
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert "pl:in_progress:giai_phong_mat_bang:0" in data  # previous page
    assert "pl:in_progress:giai_phong_mat_bang:2" in data  # next page
    assert all(len(d.encode()) <= 64 for d in data)
    assert "Trang 2/4" in text and len(visible(text)) < MAX_TEXT


@pytest.mark.parametrize("lang", LANGS)
def test_similar_question_fits_400(lang: str) -> None:
    """Up to three problems, their titles and places shortened: within 400 characters."""
    problems = [
        Problem(
            id=123456 + i,
            unit_id=3,
            handling_unit_id=2,
            category="chinh_sach_xa_hoi",
            title="Ư" * rules.TITLE_MAX,
            place="<" * rules.PLACE_MAX,
            status=rules.ACKNOWLEDGED,
            due_at=NOW,
            created_at=NOW,
        )
        for i in range(5)
    ]
    text = render.ask_similar(lang, "chinh_sach_xa_hoi", problems, TZ)
    assert text.count("#") == 3 and "&lt;" in text
    assert len(visible(text)) <= 400, len(visible(text))


def test_review_escapes_and_fits() -> None:
    review = render.Review(
        unit="Chi bộ <1>",
        category="moi_truong",
        title="<script>",
        description="&" * rules.DESCRIPTION_MAX,
        raised_by="residents",
        urgency="normal",
        photos=1,
        has_location=True,
        report_period="08/2025",
    )
    text = render.review_text("vi", review)
    assert "&lt;script&gt;" in text and "Chi bộ &lt;1&gt;" in text
    assert "08/2025" in text
    assert len(visible(text)) < MAX_TEXT
