"""The problem state machine, notes, due dates and typed input, on their edge cases."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import SettingsError, load_settings
from bot.rules import problems as rules
from bot.rules.problems import (
    ACKNOWLEDGE,
    ACKNOWLEDGED,
    CATEGORIES,
    DUPLICATE,
    FORWARD,
    IN_PROGRESS,
    MARK_DUPLICATE,
    NEW,
    NOT_OURS,
    REJECT,
    REJECTED,
    REOPEN,
    RESOLVE,
    RESOLVED,
    START,
    STATUSES,
    Refused,
    transition,
)

NOW = datetime(2025, 8, 10, 9, 0, tzinfo=UTC)

# (status, action) -> the status it leads to; every pair not listed is refused.
ALLOWED = {
    (NEW, ACKNOWLEDGE): ACKNOWLEDGED,
    (NEW, START): IN_PROGRESS,
    (ACKNOWLEDGED, START): IN_PROGRESS,
    **{(s, FORWARD): NEW for s in rules.OPEN_STATUSES},
    **{(s, RESOLVE): RESOLVED for s in rules.OPEN_STATUSES},
    **{(s, REJECT): REJECTED for s in rules.OPEN_STATUSES},
    **{(s, NOT_OURS): REJECTED for s in rules.OPEN_STATUSES},
    **{(s, MARK_DUPLICATE): DUPLICATE for s in rules.OPEN_STATUSES},
    (RESOLVED, REOPEN): IN_PROGRESS,
}
ACTIONS = (*rules.HANDLER_ACTIONS, REOPEN)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table(status: str, action: str) -> None:
    kwargs = {"now": NOW, "resolved_at": NOW - timedelta(days=1), "reopen_days": 14}
    if (status, action) in ALLOWED:
        change = transition(status, action, **kwargs)
        assert (change.from_status, change.to_status) == (status, ALLOWED[status, action])
    else:
        with pytest.raises(Refused):
            transition(status, action, **kwargs)


def test_refusal_reasons() -> None:
    with pytest.raises(Refused) as closed:
        transition(REJECTED, RESOLVE)
    assert closed.value.reason == "closed"
    with pytest.raises(Refused) as already:
        transition(ACKNOWLEDGED, ACKNOWLEDGE)
    assert already.value.reason == "already"
    with pytest.raises(Refused) as not_resolved:
        transition(IN_PROGRESS, REOPEN, now=NOW, resolved_at=NOW, reopen_days=14)
    assert not_resolved.value.reason == "not_resolved"
    with pytest.raises(Refused) as unknown:
        transition(NEW, "explode")
    assert unknown.value.reason == "unknown"


def test_in_progress_cannot_go_back_to_acknowledged() -> None:
    with pytest.raises(Refused):
        transition(IN_PROGRESS, ACKNOWLEDGE)


@pytest.mark.parametrize(
    ("age", "allowed"),
    [
        (timedelta(0), True),
        (timedelta(days=14) - timedelta(seconds=1), True),
        (timedelta(days=14), False),
        (timedelta(days=30), False),
    ],
)
def test_reopen_window(age: timedelta, allowed: bool) -> None:
    kwargs = {"now": NOW, "resolved_at": NOW - age, "reopen_days": 14}
    if allowed:
        assert transition(RESOLVED, REOPEN, **kwargs).to_status == IN_PROGRESS
    else:
        with pytest.raises(Refused) as refused:
            transition(RESOLVED, REOPEN, **kwargs)
        assert refused.value.reason == "too_late"


def test_reopen_without_resolution_time_is_refused() -> None:
    with pytest.raises(Refused):
        transition(RESOLVED, REOPEN, now=NOW, resolved_at=None, reopen_days=14)


def test_allowed_actions_are_the_buttons() -> None:
    assert rules.allowed_actions(NEW) == rules.HANDLER_ACTIONS
    assert ACKNOWLEDGE not in rules.allowed_actions(IN_PROGRESS)
    assert START in rules.allowed_actions(ACKNOWLEDGED)
    for status in rules.CLOSED_STATUSES:
        assert rules.allowed_actions(status) == ()


def test_which_actions_need_a_note() -> None:
    assert {a for a in ACTIONS if rules.needs_note(a)} == {
        FORWARD,
        RESOLVE,
        REJECT,
        NOT_OURS,
        REOPEN,
    }


def test_overdue_only_while_open() -> None:
    due = NOW
    assert not rules.is_overdue(NEW, due, NOW - timedelta(seconds=1))
    assert rules.is_overdue(NEW, due, NOW)
    assert rules.is_overdue(IN_PROGRESS, due, NOW + timedelta(days=3))
    for status in rules.CLOSED_STATUSES:
        assert not rules.is_overdue(status, due, NOW + timedelta(days=3))


def test_due_days_default_and_overrides() -> None:
    days = rules.parse_due_days("dat_dai=30, moi_truong=10 ,default=15")
    assert days["dat_dai"] == 30
    assert days["moi_truong"] == 10
    assert days["khac"] == 15
    assert set(days) == set(CATEGORIES)
    assert rules.due_at(NOW, "moi_truong", days) == NOW + timedelta(days=10)


@pytest.mark.parametrize(
    "spec", ["", "dat_dai=30", "default=0", "default=x", "nowhere=3,default=5", "default"]
)
def test_bad_due_days(spec: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_due_days(spec)


def test_due_days_setting_is_validated() -> None:
    assert load_settings(_env_file=None).problem_due_map["an_ninh_trat_tu"] == 7
    with pytest.raises(SettingsError, match="PROBLEM_DUE_DAYS"):
        load_settings(_env_file=None, problem_due_days="dat_dai=30")


def test_clean_text() -> None:
    assert rules.clean_text("  Đường   hỏng  ", low=3, high=20) == "Đường hỏng"
    assert rules.clean_text("ab", low=3, high=20) is None
    assert rules.clean_text("x" * 21, low=3, high=20) is None
    assert rules.clean_text(None, low=1, high=20) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("#12", 12), (" # 7 ", 7), ("số 3", 3), ("Số 3", 3), ("abc", None), ("", None)],
)
def test_parse_ticket(text: str, number: int | None) -> None:
    assert rules.parse_ticket(text) == number


def test_duplicate_target() -> None:
    assert rules.duplicate_refusal(5, 3, NEW) is None
    assert rules.duplicate_refusal(5, 3, RESOLVED) is None
    assert rules.duplicate_refusal(5, 3, None) == "missing"
    assert rules.duplicate_refusal(5, 5, NEW) == "itself"
    assert rules.duplicate_refusal(5, 3, DUPLICATE) == "chain"


def test_raise_steps() -> None:
    steps, step = [], "unit"
    while step != "review":
        step = rules.next_raise_step(step, has_report=False, has_similar=False)
        steps.append(step)
    assert steps == [
        "category",
        "place",
        "title",
        "description",
        "raised_by",
        "urgency",
        "media",
        "review",
    ]
    # the same problem is looked for right after the category, the place and the title
    assert rules.next_raise_step("title", has_report=True, has_similar=True) == "similar"
    assert rules.next_raise_step("similar", has_report=True, has_similar=True) == "description"
    assert rules.next_raise_step("media", has_report=True, has_similar=True) == "report"
    assert rules.next_raise_step("report", has_report=True, has_similar=False) == "review"
    assert rules.next_raise_step("media", has_report=False, has_similar=True) == "review"


# --- the same problem again? --------------------------------------------------------------------

MARKET = (21.0500, 107.3100)


def sketch(title: str, place: str = "", **kwargs: object) -> rules.Sketch:
    values: dict[str, object] = {"unit_id": 1, "category": "moi_truong", "status": NEW}
    values.update(kwargs)
    return rules.Sketch(title=title, place=place, **values)  # type: ignore[arg-type]


def test_meaningful_words_ignore_diacritics_case_and_common_words() -> None:
    assert rules.meaningful_words("Đường liên thôn XÓM 3") == {"duong", "lien", "3"}
    assert rules.meaningful_words("duong lien thon xom 3") == {"duong", "lien", "3"}
    assert rules.meaningful_words("Cổng chợ") == {"cong", "cho"}  # chợ is not "cho" (for)
    assert rules.meaningful_words("ở tại và của") == set()


@pytest.mark.parametrize(
    ("old", "same"),
    [
        # the same place, typed without diacritics or capitals
        (sketch("Rác thải bốc mùi", "duong lien thon xom 3"), True),
        # the same words in the title, whatever the place
        (sketch("Đổ rác tự phát đầu làng"), True),
        # a place named in the other's title (problems raised before places were asked)
        (sketch("Ổ gà đường liên thôn xóm 3"), True),
        # same category, another place, other words
        (sketch("Khói đốt rơm rạ", "cổng chợ"), False),
        # one common word only ("đường", after thôn/xóm are dropped)
        (sketch("Cây đổ chắn lối", "đường trục xã"), False),
        # another hamlet: the number tells it apart
        (sketch("Khói bụi", "đường liên thôn xóm 5"), False),
    ],
)
def test_similar_by_place_and_words(old: rules.Sketch, same: bool) -> None:
    new = sketch("Đổ rác tự phát", "Đường liên thôn xóm 3")
    assert rules.is_similar(new, old) is same


def test_similar_needs_the_same_cell_category_and_an_open_problem() -> None:
    new = sketch("Đổ rác tự phát", "cổng chợ")
    assert rules.is_similar(new, sketch("Đổ rác tự phát", "cổng chợ"))
    assert rules.is_similar(new, sketch("Đèn hỏng", "Chợ"))  # a short place in a longer one
    assert not rules.is_similar(new, sketch("Đổ rác tự phát", "cổng chợ", unit_id=2))
    assert not rules.is_similar(new, sketch("Đổ rác tự phát", "cổng chợ", category="dat_dai"))
    for status in rules.CLOSED_STATUSES:
        assert not rules.is_similar(new, sketch("Đổ rác tự phát", "cổng chợ", status=status))
    for status in rules.OPEN_STATUSES:
        assert rules.is_similar(new, sketch("Đổ rác tự phát", "cổng chợ", status=status))


def test_similar_by_location_within_300_metres() -> None:
    new = sketch("Nước thải chảy tràn", location=MARKET)
    near = (MARKET[0] + 0.0025, MARKET[1])  # about 280 m north
    far = (MARKET[0] + 0.0030, MARKET[1])  # about 330 m north
    assert 270 < rules.distance_metres(MARKET, near) < 290
    assert rules.is_similar(new, sketch("Khói bụi", location=near))
    assert not rules.is_similar(new, sketch("Khói bụi", location=far))
    assert not rules.is_similar(new, sketch("Khói bụi"))  # no spot to compare
    assert not rules.is_similar(sketch("Nước thải chảy tràn"), sketch("Khói bụi", location=near))
