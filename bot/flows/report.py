"""The monthly report conversation: /report (or the reminders' button), the answers step by step
(bot.rules.report_steps), the review and sending; amending and correcting a sent report open the
same review.

Steps: [cell] → the due month's first question (held, with "another month" → [period]) → the
report's steps (date, type, "as last month", content, ...) → review, where the optional details
are added. The cell is asked only when there is a choice; the month is not asked: the oldest
reportable month without a report opens directly (during the reporting days the previous month,
never the current one above it), and only when every month is sent is the month asked. A
confirmed report is committed before the confirmation is sent (the engine sends after the
transaction); the confirmation carries "✏️ Sửa báo cáo", which opens the review of it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import i18n
from bot.access import Action, can
from bot.clock import now, today
from bot.flows.engine import Answer, Flow, Refusal, Run, Step
from bot.prompt import Prompt
from bot.render import report as render
from bot.rules import report_steps as st
from bot.rules.periods import Period, deadline_day, lock_end
from bot.rules.report import (
    STATUS_RETURNED,
    AnswerError,
    due_first,
    is_overdue,
    reportable_periods,
)
from bot.usecases import reports
from storage.chats import chat_of
from storage.models import Draft, MeetingReport, Unit
from storage.queries.reports import (
    ReportConflict,
    last_held_report,
    person_by_id,
    report_by_id,
    report_for,
    reports_by_period,
    snapshot,
    submit_report,
)

KIND = "report"


class Last(BaseModel):
    """Figures of the cell's last held report, offered as one-tap answers."""

    members: int | None = None
    exempt: int | None = None
    present: int | None = None
    absent_excused: int | None = None
    absent_unexcused: int | None = None
    day: int | None = None


class Data(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict)  # the report's fields so far
    mode: Literal["new", "amend", "correct"] = "new"  # amend: before the lock; correct: returned
    report_id: int | None = None
    comment: str | None = None  # the supervisor's, when returned for correction
    editing: bool = False  # changing one group from the review: back to it when done
    cells: list[int] = Field(default_factory=list)  # to choose from
    periods: list[str] = Field(default_factory=list)  # to choose from
    last: Last = Field(default_factory=Last)


ReportRun = Run[Data]


def reporting_cells(run: ReportRun) -> list[Unit]:
    return reports.reporting_cells(run.context.identity.roles)


def amendable(run: ReportRun, report: MeetingReport) -> bool:
    return reports.amendable(run.context.settings, run.now, report)


async def report_text(run: ReportRun, report: MeetingReport, unit: Unit) -> str:
    settings = run.context.settings
    return await reports.report_text(run.session, settings, run.lang, run.now, report, unit)


# --- beginning ----------------------------------------------------------------------------------


async def begin(run: ReportRun, correct_id: int | None = None) -> None:
    """/report, or the "amend"/"correct" button of a sent report (`correct_id`)."""
    if not reporting_cells(run):
        run.end(run.t("report.not_reporter"))
    elif correct_id is not None:
        await _open_report(run, correct_id)
    else:
        await _choose_cell(run)


async def _choose_cell(run: ReportRun) -> None:
    cells = reporting_cells(run)
    if len(cells) == 1:
        await _choose_period(run, cells[0])
        return
    run.data.cells = [c.id for c in cells]
    run.go(st.CELL)


def _reportable(run: ReportRun) -> list[Period]:
    settings = run.context.settings
    return reportable_periods(
        run.now, settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
    )


async def _choose_period(run: ReportRun, cell: Unit) -> None:
    """Open the month that is due (the oldest reportable one without a report) directly, with
    "another month" offered; when every month is sent, the choice (or the only month's review)."""
    run.draft.unit_id = cell.id
    periods = sorted(_reportable(run))
    run.data.periods = [str(p) for p in periods]
    sent = await reports_by_period(session=run.session, unit_id=cell.id, periods=run.data.periods)
    due = due_first(periods, frozenset(sent))
    if due is not None or len(periods) == 1:
        await _open(run, cell, due or periods[0])
        return
    run.go(st.PERIOD)


async def _open_report(run: ReportRun, report_id: int) -> None:
    report = await report_by_id(session=run.session, report_id=report_id)
    unit = await run.context.unit(run.session, report.unit_id) if report else None
    if unit is None or not can(run.context.identity.roles, Action.REPORT_SUBMIT, unit):
        run.end(run.t("report.not_reporter"))
        return
    await _open(run, unit, Period.parse(report.period))


async def _open(run: ReportRun, cell: Unit, period: Period) -> None:
    """Begin the month: a new report from the first step, or the review of the sent one."""
    run.draft.unit_id, run.draft.period = cell.id, str(period)
    report = await report_for(session=run.session, unit_id=cell.id, period=str(period))
    if report is None:
        if period not in _reportable(run):
            run.end(run.t("report.period_closed", month=period.label))
            return
        last = await last_held_report(session=run.session, unit_id=cell.id, before=str(period))
        run.data = Data(last=_usual_figures(last), periods=run.data.periods)
        run.go(st.HELD)
        return
    if not amendable(run, report):
        await _locked(run, report, cell)
        return
    run.data = Data(
        answers=st.draft_data(snapshot(report)),
        mode="correct" if report.status == STATUS_RETURNED else "amend",
        report_id=report.id,
        comment=report.return_comment,
        last=_usual_figures(report),
    )
    run.draft.base_version = report.version
    run.go(st.REVIEW)


async def _locked(run: ReportRun, report: MeetingReport, cell: Unit) -> None:
    settings, period = run.context.settings, Period.parse(report.period)
    end = lock_end(
        period, settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
    )
    run.say(run.t("report.locked", month=period.label, date=render.day(end.date())))
    view = await report_text(run, report, cell)
    run.end(view, render.report_links(run.lang, report_id=report.id, photos=len(report.photos)))


def _usual_figures(report: MeetingReport | None) -> Last:
    if report is None or not report.held:
        return Last()
    day = report.meeting_date.day if report.meeting_date else None
    return Last(
        members=report.members,
        exempt=report.exempt,
        present=report.present,
        absent_excused=report.absent_excused,
        absent_unexcused=report.absent_unexcused,
        day=day,
    )


# --- the steps ----------------------------------------------------------------------------------


async def ask_cell(run: ReportRun) -> Prompt:
    cells = [c for c in reporting_cells(run) if c.id in run.data.cells]
    return render.cell_choice(run.lang, [(c.id, c.name) for c in cells])


async def answer_cell(run: ReportRun, answer: Answer) -> None:
    cell = next((c for c in reporting_cells(run) if str(c.id) == answer.choice), None)
    if cell is None:  # no longer theirs since the question
        run.end(run.t("report.not_reporter"))
        return
    await _choose_period(run, cell)


async def ask_period(run: ReportRun) -> Prompt:
    sent = await reports_by_period(
        session=run.session, unit_id=run.draft.unit_id, periods=run.data.periods
    )
    settings = run.context.settings
    notes = []
    for period in sorted(map(Period.parse, run.data.periods)):
        late = is_overdue(period, run.now, settings.report_deadline_day, settings.tz)
        notes.append((period, "sent" if str(period) in sent else "late" if late else None))
    return render.period_choice(run.lang, notes)


async def answer_period(run: ReportRun, answer: Answer) -> None:
    cell = await run.context.unit(run.session, run.draft.unit_id)
    await _open(run, cell, Period.parse(answer.choice))


async def ask_step(run: ReportRun) -> Prompt:
    unit = await run.context.unit(run.session, run.draft.unit_id)
    period, settings = Period.parse(run.draft.period), run.context.settings
    return render.prompt(
        run.lang,
        step=run.step,
        data=run.data.answers,
        last=run.data.last.model_dump(),
        period=period,
        unit_name=unit.name,
        today=today(run.context),
        other_months=run.data.mode == "new" and not run.data.editing and len(run.data.periods) > 1,
        late=is_overdue(period, run.now, settings.report_deadline_day, settings.tz),
    )


async def answer_step(run: ReportRun, answer: Answer) -> None:
    """Validate the answer at the step (the pure rules); stay there with the reason, or go on."""
    if run.step == st.HELD and answer.choice == st.OTHER and len(run.data.periods) > 1:
        run.go(st.PERIOD)
        return
    last = run.data.last.model_dump()
    try:
        outcome = st.apply_answer(
            run.step,
            _rules_answer(answer),
            run.data.answers,
            period=Period.parse(run.draft.period),
            today=today(run.context),
            last=last,
        )
    except AnswerError as error:
        raise Refusal(error.key, **error.values) from error
    run.data.answers = outcome.data
    if outcome.advance:
        run.go(st.next_step(run.step, outcome.data, last, editing=run.data.editing))
        if run.step == st.REVIEW:
            run.data.editing = False


def _rules_answer(answer: Answer) -> st.Answer:
    if answer.photo is not None:
        return st.Answer(photo=answer.photo)
    if answer.choice is not None or answer.text is not None:
        return st.Answer(text=answer.text, choice=answer.choice)
    return st.Answer(document=True)


async def ask_review(run: ReportRun) -> Prompt:
    unit = await run.context.unit(run.session, run.draft.unit_id)
    return render.review(
        run.lang,
        data=run.data.answers,
        mode=run.data.mode,
        period=Period.parse(run.draft.period),
        unit_name=unit.name,
        version=run.draft.base_version,
        comment=run.data.comment,
    )


async def answer_review(run: ReportRun, answer: Answer) -> None:
    if answer.choice == render.SEND:
        await _send(run)
    elif answer.choice == render.CANCEL:
        run.ask_cancel()
    else:
        run.data.editing = True
        step, run.data.answers = st.begin_edit(answer.choice.removeprefix("e."), run.data.answers)
        run.go(step)


# --- sending ------------------------------------------------------------------------------------


async def _send(run: ReportRun) -> None:
    """Store the report (a new one, or a new version), then confirm with its reference."""
    session, context = run.session, run.context
    unit = await context.unit(session, run.draft.unit_id)
    if not can(context.identity.roles, Action.REPORT_SUBMIT, unit):
        run.end(run.t("report.not_reporter"))
        return
    missing = st.first_missing(run.data.answers, run.data.last.model_dump())
    if missing is not None:  # cannot happen through the options; never send a gap
        run.go(missing)
        return
    period = Period.parse(run.draft.period)
    current = await report_for(session=session, unit_id=unit.id, period=run.draft.period)
    if current is not None and not amendable(run, current):
        await _locked(run, current, unit)
        return
    if current is None and period not in _reportable(run):
        run.end(run.t("report.period_closed", month=period.label))
        return
    was_returned = current is not None and current.status == STATUS_RETURNED
    try:
        report = await submit_report(
            session=session,
            unit_id=unit.id,
            period=run.draft.period,
            values=st.report_values(run.data.answers),
            person_id=context.identity.person.id,
            role=reports.submitter_role(context.identity.roles, unit),
            base_version=run.draft.base_version,
            now=run.now,
            actor=context.actor["actor"],
        )
    except ReportConflict as conflict:
        await _conflict(run, unit, conflict.current)
        return
    run.end(_confirmation(run, report, unit), render.amend_link(run.lang, report.id))
    if was_returned and report.returned_by_id is not None:
        supervisor = await person_by_id(session=session, person_id=report.returned_by_id)
        if supervisor is not None:
            _resubmitted_notice(run, chat_of(supervisor), supervisor.language, report, unit)


async def _conflict(run: ReportRun, unit: Unit, current: MeetingReport) -> None:
    """Someone sent or changed the report meanwhile: keep the draft, based on the current
    version, show what is stored now and let the person decide to send theirs over it."""
    run.draft.base_version = current.version
    run.data.mode = "correct" if current.status == STATUS_RETURNED else "amend"
    run.data.report_id, run.data.comment = current.id, current.return_comment
    sender = await person_by_id(session=run.session, person_id=current.submitted_by_id)
    run.say(
        run.t(
            "report.conflict",
            month=Period.parse(current.period).label,
            name=render.esc(sender.full_name if sender else ""),
            time=render.moment(current.submitted_at, run.context.settings.tz),
        )
    )
    run.say(await report_text(run, current, unit))
    run.go(st.REVIEW)


def _confirmation(run: ReportRun, report: MeetingReport, unit: Unit) -> str:
    settings, period = run.context.settings, Period.parse(report.period)
    key = "report.sent" if report.version == 1 else "report.amended"
    text = run.t(
        key,
        month=period.label,
        unit=render.esc(unit.name),
        reference=reports.reference(report),
        version=report.version,
    )
    if is_overdue(period, report.first_submitted_at, settings.report_deadline_day, settings.tz):
        deadline = deadline_day(period, settings.report_deadline_day)
        text += "\n" + run.t("report.sent_late", deadline=render.day(deadline))
    return text


def _resubmitted_notice(
    run: ReportRun, chat_id: int, language: str | None, report: MeetingReport, unit: Unit
) -> None:
    lang = i18n.normalise(language or run.context.settings.default_language)
    text = i18n.t(
        lang,
        "report.resubmitted_notice",
        reference=reports.reference(report),
        unit=render.esc(unit.name),
        month=Period.parse(report.period).label,
        version=report.version,
    )
    run.notify(chat_id, text, render.view_link(lang, report.id))


def describe(run: ReportRun) -> str:
    if not run.draft.period:
        return run.t("report.describe_new")
    month = Period.parse(run.draft.period).label
    if run.data.mode in ("amend", "correct"):  # the sent report itself stays
        return run.t("report.describe_amend", month=month)
    return run.t("report.describe", month=month)


def resume_text(run: ReportRun) -> str:
    month = Period.parse(run.draft.period).label
    stage = render.stage_label(run.lang, run.draft.step, run.data.answers)
    return run.t("report.resume_offer", month=month, stage=stage)


async def stale_hint(context: Any, session: AsyncSession) -> str | None:
    """What to say to a press of an old report button when no report is being made: the report
    last saved for the presser's cells this reporting round (it was saved), or how to begin."""
    settings = context.settings
    periods = reportable_periods(
        now(context), settings.report_deadline_day, settings.report_lock_grace_days, settings.tz
    )
    saved: list[MeetingReport] = []
    for cell in reports.reporting_cells(context.identity.roles):
        found = await reports_by_period(
            session=session, unit_id=cell.id, periods=[str(p) for p in periods]
        )
        saved += found.values()
    if not saved:
        return context.t("report.stale_none")
    report = max(saved, key=lambda r: r.submitted_at)
    month = Period.parse(report.period).label
    return context.t("report.stale_saved", month=month, reference=reports.reference(report))


def resumable(draft: Draft) -> bool:
    """A month already begun is offered to continue; choosing the cell or month is not."""
    return draft.step not in (st.CELL, st.PERIOD)


_ANSWERED = Step(ask_step, answer_step)
FLOW = Flow(
    kind=KIND,
    data=Data,
    steps={
        st.CELL: Step(ask_cell, answer_cell),
        st.PERIOD: Step(ask_period, answer_period),
        **dict.fromkeys(st.STEPS, _ANSWERED),
        st.REVIEW: Step(ask_review, answer_review),
    },
    begin=begin,
    describe=describe,
    resumable=resumable,
    resume_text=resume_text,
    stale_hint=stale_hint,
)
