"""The monthly report's rules and its conversation's state machine, on their edge cases."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules import report_steps as st
from bot.rules.periods import Period
from bot.rules.report import (
    LATE,
    MISSING,
    NOT_HELD,
    ON_TIME,
    RETURNED,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    AnswerError,
    attendance_rate,
    can_amend,
    check_total,
    due_first,
    first_expected,
    history_periods,
    history_status,
    is_meaningless,
    parse_absences,
    parse_count,
    parse_development,
    parse_meeting_date,
    parse_text,
    quality,
    quick_dates,
    reference_number,
    reportable_periods,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOV = Period(2026, 11)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HCM)


def error_key(call) -> str:
    with pytest.raises(AnswerError) as caught:
        call()
    return caught.value.key


# --- typed answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number"), [("45", 45), (" 7 ", 7), ("0", 0), ("1000", 1000)])
def test_counts_are_whole_numbers(text: str, number: int) -> None:
    assert parse_count(text) == number


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-3", "report.error.negative"),
        ("- 3", "report.error.negative"),
        ("abc", "report.error.not_number"),
        ("4.5", "report.error.not_number"),
        ("4 5", "report.error.not_number"),
        ("", "report.error.not_number"),
        ("1001", "report.error.too_large"),
    ],
)
def test_bad_counts_are_refused_with_the_reason(text: str, key: str) -> None:
    assert error_key(lambda: parse_count(text)) == key


def test_members_must_be_at_least_one() -> None:
    assert error_key(lambda: parse_count("0", minimum=1)) == "report.error.too_small"


def test_text_is_trimmed_and_limited() -> None:
    assert parse_text("  họp bàn  ", limit=10) == "họp bàn"
    assert error_key(lambda: parse_text("   ", limit=10)) == "report.error.empty"
    with pytest.raises(AnswerError) as caught:
        parse_text("x" * 11, limit=10)
    assert caught.value.values == {"limit": 10, "length": 11}


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("3/11", date(2026, 11, 3)),
        ("03/11/2026", date(2026, 11, 3)),
        ("5-11", date(2026, 11, 5)),
        ("5.11", date(2026, 11, 5)),
        (" 25/11 ", date(2026, 11, 25)),  # today is allowed
    ],
)
def test_meeting_dates_typed_in_several_ways(text: str, day: date) -> None:
    assert parse_meeting_date(text, period=NOV, today=date(2026, 11, 25)) == day


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("31/11", "report.error.not_date"),  # November has 30 days
        ("hôm qua", "report.error.not_date"),
        ("05/10", "report.error.date_outside"),
        ("05/11/2025", "report.error.date_outside"),
        ("26/11", "report.error.date_future"),
    ],
)
def test_bad_meeting_dates_are_refused(text: str, key: str) -> None:
    assert error_key(lambda: parse_meeting_date(text, period=NOV, today=date(2026, 11, 25))) == key


def test_leap_day() -> None:
    feb_2028, feb_2027 = Period(2028, 2), Period(2027, 2)
    assert parse_meeting_date("29/02", period=feb_2028, today=date(2028, 3, 1)) == date(2028, 2, 29)
    key = error_key(lambda: parse_meeting_date("29/02", period=feb_2027, today=date(2027, 3, 1)))
    assert key == "report.error.not_date"


def test_december_reported_in_january_takes_the_period_year() -> None:
    dec = Period(2026, 12)
    assert parse_meeting_date("31/12", period=dec, today=date(2027, 1, 3)) == date(2026, 12, 31)
    key = error_key(lambda: parse_meeting_date("02/01", period=dec, today=date(2027, 1, 3)))
    assert key == "report.error.date_outside"


def test_member_development_is_three_numbers() -> None:
    assert parse_development("2 0 1") == (2, 0, 1)
    assert parse_development("2, 0, 1") == (2, 0, 1)
    assert error_key(lambda: parse_development("2 0")) == "report.error.development"
    assert error_key(lambda: parse_development("2 -1 0")) == "report.error.negative"
    assert error_key(lambda: parse_development("a b c")) == "report.error.development"


# --- attendance and quality -------------------------------------------------------------------


def test_present_and_absent_must_add_up_to_those_who_must_attend() -> None:
    check_total(present=38, excused=2, unexcused=2, members=45, exempt=3)
    with pytest.raises(AnswerError) as caught:
        check_total(present=38, excused=2, unexcused=3, members=45, exempt=3)
    assert caught.value.key == "report.error.total_mismatch"
    assert caught.value.values["total"] == 43 and caught.value.values["expected"] == 42


def test_attendance_rate_excludes_the_exempt() -> None:
    assert attendance_rate(38, 45, 3) == pytest.approx(38 / 42)
    assert attendance_rate(0, 3, 3) is None


@pytest.mark.parametrize(
    ("present", "members", "unexcused", "above", "good"),
    [
        (36, 42, 0, True, True),  # 85.7%
        (17, 20, 0, False, False),  # exactly 85% is not above 85%
        (40, 42, 1, True, False),  # an unexcused absence spoils a full room
        (10, 42, 0, False, False),
    ],
)
def test_quality_flags(present: int, members: int, unexcused: int, above: bool, good: bool) -> None:
    flags = quality(present=present, members=members, exempt=0, unexcused=unexcused)
    assert flags is not None
    assert (flags.above_threshold, flags.good, flags.unexcused) == (above, good, unexcused)


def test_quality_needs_the_figures() -> None:
    assert quality(present=None, members=10, exempt=0, unexcused=0) is None


# --- periods, locks, statuses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "periods"),
    [
        (local(2026, 12, 3, 9), ["2026-12", "2026-11"]),  # before the deadline (the 5th)
        (local(2026, 12, 5, 23, 30), ["2026-12", "2026-11"]),  # still the deadline day
        (local(2026, 12, 6, 0, 0), ["2026-12", "2026-11"]),  # late until the lock (grace 5)
        (local(2026, 12, 10, 23, 59), ["2026-12", "2026-11"]),
        (local(2026, 12, 11, 0, 0), ["2026-12"]),  # locked
        (local(2027, 1, 2), ["2027-01", "2026-12"]),  # across the year
    ],
)
def test_reportable_periods(moment: datetime, periods: list[str]) -> None:
    assert [str(p) for p in reportable_periods(moment, 5, 5, HCM)] == periods


def test_reportable_periods_use_local_time() -> None:
    utc = datetime(2026, 12, 10, 17, 30, tzinfo=UTC)  # 00:30 on 11 Dec in Vietnam: locked
    assert [str(p) for p in reportable_periods(utc, 5, 5, HCM)] == ["2026-12"]


DEC_1 = local(2026, 12, 1)


@dataclass
class R:
    status: str = STATUS_SUBMITTED
    held: bool = True
    first_submitted_at: datetime = DEC_1


@pytest.mark.parametrize(
    ("report", "status"),
    [
        (None, MISSING),
        (R(first_submitted_at=local(2026, 12, 5, 23, 30)), ON_TIME),  # 23:30 on the deadline day
        (R(first_submitted_at=local(2026, 12, 6, 0, 0)), LATE),
        (R(first_submitted_at=datetime(2026, 12, 5, 16, 30, tzinfo=UTC)), ON_TIME),  # 23:30 local
        (R(held=False), NOT_HELD),
        (R(status=STATUS_RETURNED), RETURNED),
    ],
)
def test_history_status(report: R | None, status: str) -> None:
    assert history_status(report, NOV, 5, HCM) == status


@pytest.mark.parametrize(
    ("status", "moment", "allowed"),
    [
        (STATUS_SUBMITTED, local(2026, 12, 10, 23, 59), True),
        (STATUS_SUBMITTED, local(2026, 12, 11, 0, 0), False),
        (STATUS_RETURNED, local(2027, 3, 1), True),  # returned: reopened after the lock
    ],
)
def test_amend_until_the_lock(status: str, moment: datetime, allowed: bool) -> None:
    assert can_amend(status, NOV, moment, 5, 5, HCM) is allowed


def test_reference_number() -> None:
    assert reference_number(NOV, 42) == "BC-2611-0042"
    assert reference_number(Period(2030, 1), 123456) == "BC-3001-123456"


@pytest.mark.parametrize(
    ("period", "today", "usual", "expected"),
    [
        (NOV, date(2026, 11, 25), 3, [date(2026, 11, 25), date(2026, 11, 24), date(2026, 11, 3)]),
        (NOV, date(2026, 11, 1), None, [date(2026, 11, 1)]),  # yesterday is in October
        (NOV, date(2026, 12, 2), 5, [date(2026, 11, 5)]),  # the previous month: its usual day
        (Period(2027, 2), date(2027, 3, 1), 30, [date(2027, 2, 28)]),  # clamped to February
        (NOV, date(2026, 11, 2), 20, [date(2026, 11, 2), date(2026, 11, 1)]),  # 20th: future
    ],
)
def test_quick_dates(period: Period, today: date, usual: int | None, expected: list[date]) -> None:
    assert quick_dates(period, today, usual) == expected


# --- free text that says nothing, absences in one answer -----------------------------------------


@pytest.mark.parametrize(
    "text", ["👍", "🙏", "...", "aaaa", "AAaa", "x", "!!!", "👍 👍", "1111", "-_-"]
)
def test_text_with_no_letters_or_one_repeated_character_is_refused(text: str) -> None:
    assert is_meaningless(text)
    assert error_key(lambda: parse_text(text, limit=100)) == "report.error.meaningless"


@pytest.mark.parametrize("text", ["Bão", "ok", "Họp bàn kế hoạch 👍", "12/2026", "aab"])
def test_short_real_text_is_accepted(text: str) -> None:
    assert not is_meaningless(text) and parse_text(text, limit=100) == text


@pytest.mark.parametrize(("text", "numbers"), [("2 1", (2, 1)), ("2", (2, 0)), ("0", (0, 0)),
                                                ("1, 2", (1, 2)), (" 3  0 ", (3, 0))])  # fmt: skip
def test_absences_in_one_answer(text: str, numbers: tuple[int, int]) -> None:
    assert parse_absences(text) == numbers


@pytest.mark.parametrize(
    ("text", "key"),
    [("hai", "report.error.absences"), ("1 2 3", "report.error.absences"),
     ("-1", "report.error.negative"), ("2 -1", "report.error.negative")],
)  # fmt: skip
def test_bad_absences(text: str, key: str) -> None:
    assert error_key(lambda: parse_absences(text)) == key


def test_the_month_opened_is_the_oldest_without_a_report() -> None:
    nov, dec = Period(2026, 11), Period(2026, 12)
    assert due_first([dec, nov], set()) == nov  # 1-5 December: November, never December above
    assert due_first([dec, nov], {"2026-11"}) == dec
    assert due_first([dec, nov], {"2026-11", "2026-12"}) is None
    assert due_first([nov], set()) == nov


def test_history_shows_the_months_owed_up_to_the_due_month() -> None:
    today = date(2026, 12, 3)
    nov, dec = Period(2026, 11), Period(2026, 12)
    assert history_periods(today, dec, frozenset(), 12) == [nov]  # joined this month
    assert history_periods(today, Period(2026, 9), frozenset(), 12) == [
        nov, Period(2026, 10), Period(2026, 9)
    ]  # fmt: skip
    assert history_periods(today, nov, frozenset({"2026-12"}), 12) == [dec, nov]
    assert len(history_periods(today, Period(2020, 1), frozenset(), 12)) == 12
    assert first_expected(date(2026, 9, 1), None) == Period(2026, 9)
    assert first_expected(date(2026, 9, 15), None) == Period(2026, 10)  # the first whole month
    assert first_expected(None, date(2026, 12, 1)) == dec
    assert first_expected(None, None) is None


# --- the conversation's state machine ------------------------------------------------------------

TODAY = date(2026, 11, 25)
LAST = {"members": 45, "exempt": 3}


def answer(
    step: str, data: dict, *, text: str | None = None, choice: str | None = None, last=None
) -> dict:
    outcome = st.apply_answer(
        step, st.Answer(text=text, choice=choice), data, period=NOV, today=TODAY, last=last
    )
    assert outcome.advance
    return outcome.data


def walk(answers: list[tuple[str, dict]], last=None) -> tuple[str, dict]:
    """Answer step by step from "held"; return the step reached and the data."""
    step, data = st.HELD, {}
    for expected_step, given in answers:
        assert step == expected_step
        data = answer(step, data, last=last, **given)
        step = st.next_step(step, data, last)
    return step, data


FULL = [
    (st.HELD, {"choice": st.YES}),
    (st.DATE, {"text": "3/11"}),
    (st.TYPE, {"choice": "thematic"}),
    (st.TOPIC, {"text": "Học tập Nghị quyết"}),
    (st.MEMBERS, {"text": "45"}),
    (st.EXEMPT, {"choice": "3"}),
    (st.PRESENT, {"text": "38"}),
    (st.EXCUSED, {"text": "2"}),
    (st.UNEXCUSED, {"text": "2"}),
    (st.CONTENT, {"text": "Bàn kế hoạch tháng 12"}),
    (st.CONCLUSION, {"text": "Thống nhất kế hoạch"}),
]


def test_a_first_report_asks_the_figures_one_by_one_and_no_optional_detail() -> None:
    step, data = walk(FULL)
    assert step == st.REVIEW and st.is_complete(data)
    values = st.report_values(data)
    assert values["meeting_date"] == date(2026, 11, 3)
    assert (values["present"], values["absent_excused"], values["absent_unexcused"]) == (38, 2, 2)
    assert values["upper_attendee_name"] is None and values["candidates"] is None
    assert values["photos"] == []


def test_a_usual_month_as_last_month_everyone_present() -> None:
    step, data = walk(
        [
            (st.HELD, {"choice": st.YES}),
            (st.DATE, {"choice": "03.11.2026"}),
            (st.TYPE, {"choice": "regular"}),
            (st.SAME, {"choice": st.SAME_ALL}),
            (st.CONTENT, {"text": "Nội dung"}),
            (st.CONCLUSION, {"text": "Kết luận"}),
        ],
        LAST,
    )
    assert step == st.REVIEW and st.is_complete(data, LAST)
    values = st.report_values(data)
    assert (values["members"], values["exempt"], values["present"]) == (45, 3, 42)
    assert values["absent_excused"] == values["absent_unexcused"] == 0


def test_as_last_month_with_absences_asks_only_the_absences() -> None:
    start = [(st.HELD, {"choice": st.YES}), (st.DATE, {"text": "3/11"}),
             (st.TYPE, {"choice": "regular"}), (st.SAME, {"choice": st.SAME_ABSENT})]  # fmt: skip
    step, data = walk(start, LAST)
    assert step == st.ABSENT
    with pytest.raises(AnswerError) as caught:
        answer(st.ABSENT, data, text="40 3", last=LAST)
    assert caught.value.key == "report.error.absent_too_many"
    data = answer(st.ABSENT, data, text="2 1", last=LAST)
    assert (data["present"], data["absent_excused"], data["absent_unexcused"]) == (39, 2, 1)
    assert st.next_step(st.ABSENT, data, LAST) == st.CONTENT


def test_changed_asks_the_figures_one_by_one() -> None:
    start = [(st.HELD, {"choice": st.YES}), (st.DATE, {"text": "3/11"}),
             (st.TYPE, {"choice": "regular"}), (st.SAME, {"choice": st.CHANGED})]  # fmt: skip
    step, data = walk(start, LAST)
    assert step == st.MEMBERS and "members" not in data


def test_photos_of_the_minutes_stand_for_the_content_and_conclusion() -> None:
    data = {"held": True}
    with pytest.raises(AnswerError) as caught:
        st.apply_answer(st.CONTENT, st.Answer(choice=st.DONE), data, period=NOV, today=TODAY)
    assert caught.value.key == "report.error.content_expected"
    for number in (1, 2):
        outcome = st.apply_answer(
            st.CONTENT, st.Answer(photo=f"p{number}"), data, period=NOV, today=TODAY
        )
        assert not outcome.advance
        data = outcome.data
    data = answer(st.CONTENT, data, choice=st.DONE)
    assert data["photos"] == ["p1", "p2"] and data["content"] is None
    assert st.minutes_only(data) and st.CONCLUSION not in st.path(data)
    assert st.next_step(st.CONTENT, data) != st.CONCLUSION


def test_not_held_asks_only_the_reason() -> None:
    step, data = walk([(st.HELD, {"choice": st.NO}), (st.REASON, {"text": "Mưa bão"})])
    assert step == st.REVIEW
    assert st.stage(st.REASON, data) == (2, 2)
    values = st.report_values(data)
    assert values["held"] is False and values["not_held_reason"] == "Mưa bão"
    assert values["members"] is None and values["photos"] == []


def test_stage_numbers_are_stable() -> None:
    assert st.stage(st.HELD, {}) == (1, 6)
    assert st.stage(st.TOPIC, {"held": True}) == (3, 6)
    assert st.stage(st.SAME, {"held": True}) == st.stage(st.UNEXCUSED, {}) == (4, 6)
    assert st.stage(st.CONCLUSION, {"held": True}) == (6, 6)
    assert st.stage(st.PHOTOS, {"held": True}) is None  # from the review, not numbered


@pytest.mark.parametrize(
    ("step", "given", "key"),
    [
        (st.HELD, {"text": "có"}, "report.error.press_button"),
        (st.TYPE, {"text": "thường kỳ"}, "report.error.press_button"),
        (st.MEMBERS, {"text": "bốn lăm"}, "report.error.not_number"),
        (st.EXEMPT, {"text": "45"}, "report.error.exempt_too_many"),
        (st.PRESENT, {"text": "43"}, "report.error.present_too_many"),
        (st.EXCUSED, {"text": "5"}, "report.error.excused_too_many"),
        (st.UNEXCUSED, {"text": "3"}, "report.error.total_mismatch"),
        (st.CONTENT, {"text": "x" * 1001}, "report.error.too_long"),
        (st.CONTENT, {"text": "👍"}, "report.error.meaningless"),
        (st.CONCLUSION, {"text": "🙏"}, "report.error.meaningless"),
        (st.REASON, {"text": "..."}, "report.error.meaningless"),
        (st.TOPIC, {"text": "aaaa"}, "report.error.meaningless"),
        (st.UPPER_NAME, {"text": "???"}, "report.error.meaningless"),
        (st.CONTENT, {"choice": st.DONE}, "report.error.content_expected"),
    ],
)
def test_invalid_answers_stay_at_the_step(step: str, given: dict, key: str) -> None:
    data = {"held": True, "members": 45, "exempt": 3, "present": 38, "absent_excused": 2}
    with pytest.raises(AnswerError) as caught:
        st.apply_answer(step, st.Answer(**given), data, period=NOV, today=TODAY)
    assert caught.value.key == key


def test_photos_accumulate_and_files_are_refused() -> None:
    data: dict = {"held": True}
    for number in (1, 2):
        outcome = st.apply_answer(
            st.PHOTOS, st.Answer(photo=f"file-{number}"), data, period=NOV, today=TODAY
        )
        assert not outcome.advance
        data = outcome.data
    assert data["photos"] == ["file-1", "file-2"]
    for given, key in [
        (st.Answer(document=True), "report.error.photo_document"),
        (st.Answer(text="ảnh đây"), "report.error.photo_expected"),
    ]:
        with pytest.raises(AnswerError) as caught:
            st.apply_answer(st.PHOTOS, given, data, period=NOV, today=TODAY)
        assert caught.value.key == key
    done = st.apply_answer(st.PHOTOS, st.Answer(choice=st.DONE), data, period=NOV, today=TODAY)
    assert done.advance and done.data["photos"] == ["file-1", "file-2"]


def test_a_photo_where_text_is_expected_is_refused() -> None:
    with pytest.raises(AnswerError) as caught:
        st.apply_answer(st.CONCLUSION, st.Answer(photo="f"), {}, period=NOV, today=TODAY)
    assert caught.value.key == "report.error.text_expected"


def test_editing_a_field_returns_to_the_review() -> None:
    _, data = walk(FULL)
    step, data = st.begin_edit("when", data)
    assert step == st.DATE
    data = answer(st.DATE, data, text="4/11")
    assert st.next_step(st.DATE, data, editing=True) == st.TYPE  # the group: date and kind
    data = answer(st.TYPE, data, choice="regular")
    assert st.next_step(st.TYPE, data, editing=True) == st.REVIEW


def test_changing_the_absences_asks_only_them() -> None:
    _, data = walk(FULL)
    step, data = st.begin_edit("absent", data)
    assert step == st.ABSENT
    data = answer(st.ABSENT, data, text="2 0")
    assert (data["present"], data["absent_excused"], data["absent_unexcused"]) == (40, 2, 0)
    assert st.next_step(st.ABSENT, data, LAST, editing=True) == st.REVIEW


def test_optional_details_from_the_review() -> None:
    _, data = walk(FULL)
    step, data = st.begin_edit("upper", data)
    data = answer(step, data, text="Nguyễn Văn Bình")
    assert st.next_step(step, data, editing=True) == st.UPPER_POSITION
    data = answer(st.UPPER_POSITION, data, text="Phó Bí thư Đảng ủy xã")
    assert st.next_step(st.UPPER_POSITION, data, editing=True) == st.REVIEW
    data = answer(st.DEVELOPMENT, data, text="2 0 1")
    assert st.next_step(st.DEVELOPMENT, data, editing=True) == st.REVIEW
    data = answer(st.UPPER_NAME, data, choice=st.SKIP)
    assert st.next_step(st.UPPER_NAME, data, editing=True) == st.REVIEW


def test_editing_the_membership_asks_the_whole_group() -> None:
    _, data = walk([*FULL[:4], (st.SAME, {"choice": st.SAME_ALL}), *FULL[9:]], LAST)
    step, data = st.begin_edit("members", data)
    assert step == st.MEMBERS
    data = answer(st.MEMBERS, data, text="46")
    assert st.next_step(st.MEMBERS, data, LAST, editing=True) == st.EXEMPT
    data = answer(st.EXEMPT, data, text="3")
    data = answer(st.PRESENT, data, text="43")  # everyone: absences set to 0
    assert st.next_step(st.PRESENT, data, LAST, editing=True) == st.REVIEW
    assert data["absent_unexcused"] == 0


def test_switching_not_held_to_held_asks_what_is_missing() -> None:
    _, data = walk([(st.HELD, {"choice": st.NO}), (st.REASON, {"text": "Mưa bão"})])
    data = answer(st.HELD, data, choice=st.YES)
    assert st.next_step(st.HELD, data, LAST, editing=True) == st.DATE
    data = answer(st.DATE, data, text="3/11")
    assert st.next_step(st.DATE, data, LAST, editing=True) == st.TYPE
    data = answer(st.TYPE, data, choice="regular")
    assert st.next_step(st.TYPE, data, LAST, editing=True) == st.SAME


def test_switching_to_thematic_asks_the_topic() -> None:
    _, data = walk(FULL)
    data = answer(st.TYPE, data, choice="regular")
    assert data["topic"] is None and st.next_step(st.TYPE, data, editing=True) == st.REVIEW
    data = answer(st.TYPE, data, choice="thematic")
    assert st.next_step(st.TYPE, data, editing=True) == st.TOPIC


def test_a_stored_report_prefills_a_complete_draft() -> None:
    _, data = walk(FULL)
    again = st.draft_data(st.report_values(data))
    assert st.is_complete(again, LAST)
    assert again["meeting_date"] == "2026-11-03"
    not_held = st.draft_data(st.report_values({"held": False, "not_held_reason": "Bão"}))
    assert not_held == {"held": False, "not_held_reason": "Bão"}
    minutes = st.draft_data(st.report_values({**data, "content": None, "conclusion": None,
                                              "photos": ["p"]}))  # fmt: skip
    assert st.is_complete(minutes, LAST)


def test_the_same_absences_as_last_month_in_one_answer() -> None:
    last = {**LAST, "present": 40, "absent_excused": 2, "absent_unexcused": 0}
    assert st.same_absences(last) and not st.same_absences(LAST)
    assert not st.same_absences({**last, "present": 42, "absent_excused": 0})  # nobody absent
    start = [(st.HELD, {"choice": st.YES}), (st.DATE, {"text": "3/11"}),
             (st.TYPE, {"choice": "regular"}), (st.SAME, {"choice": st.SAME_LAST})]  # fmt: skip
    step, data = walk(start, last)
    assert step == st.CONTENT
    assert (data["present"], data["absent_excused"], data["absent_unexcused"]) == (40, 2, 0)
    with pytest.raises(AnswerError):
        answer(st.SAME, {}, choice=st.SAME_LAST, last=LAST)  # not offered without them
