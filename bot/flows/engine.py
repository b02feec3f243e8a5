"""The conversation engine: every multi-step conversation is a `Flow` run here.

A flow declares its steps; each step asks (`ask` returns a `Prompt`) and takes an answer
(`answer` validates it with the pure rules, changes the flow's typed data and says where to go:
`run.go(step)`, `run.end(...)`). The engine owns the rest, the same for every flow:

- the draft (bot.storage `drafts`: one per person and kind) holds the step, the flow's data (a
  pydantic model), and the options the last question offered; a restart or a second process
  carries on from it;
- a press is applied only when it carries the draft's token and step and a value that was
  offered (`FlowButton`); anything else is expired, so a forged press cannot choose what was
  not offered. A typed answer is matched to the offered options (bot.prompt.fold), or
  taken as typed input when the step accepts it;
- resuming (starting a flow that is half done offers "continue" or "start again"), cancelling
  (/cancel, or a flow's own cancel option), and dropping a draft left too long;
- what to say: a list of `Out` messages, rendered by the channel (bot.flows.telegram,
  bot.flows.plain) only after the transaction is committed.

Adding a flow: see docs/ARCHITECTURE.md ("Conversations").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import Payload
from bot.clock import now
from bot.prompt import Option, Prompt
from storage.models import Draft
from storage.queries.drafts import delete_draft, save_draft, start_draft

D = TypeVar("D", bound=BaseModel)

# Control answers the engine itself offers (resume offer, cancel question), at any step.
RESUME, RESTART, CANCEL, DISCARD, KEEP = "resume", "restart", "cancel", "discard", "keep"
CONTROL_VALUES = frozenset({RESUME, RESTART, DISCARD, KEEP})


@dataclass(frozen=True)
class FlowButton(Payload, prefix="f"):
    """An answer to the current question of a draft: `f:<kind>:<token>:<step>:<value>`; the
    flow's kind tells a stale press what conversation it belonged to."""

    kind: str
    token: str
    step: str
    value: str


@dataclass(frozen=True)
class Answer:
    """One input at a step: an option chosen (pressed or typed), typed text, or media."""

    choice: str | None = None
    text: str | None = None
    photo: str | None = None  # the messenger's file reference of the largest size
    location: tuple[float, float] | None = None
    voice: str | None = None
    document: bool = False  # a file that is not a photo: refused where photos are asked


Rows = Sequence[Sequence[tuple[str, Payload]]]


@dataclass(frozen=True)
class Out:
    """A message to send once the step is committed: to the speaker (chat_id None) or, as a
    notification, to someone else. `prompt` marks the flow's question, whose options become
    buttons answering the draft; `links` are buttons of other features."""

    text: str
    prompt: Prompt | None = None
    links: Rows = ()
    chat_id: int | None = None
    menu: bool = False  # with the person's menu (refreshed: their roles or language changed)
    reply_to: int | None = None  # a notification as a reply to this message of its chat


class Refusal(Exception):
    """An answer a step does not take: the question is asked again with this message first."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


class Run(Generic[D]):
    """One step being taken: the flow's data, where it goes next, and what to say."""

    def __init__(self, context: Any, session: AsyncSession, draft: Draft, data: D) -> None:
        self.context, self.session, self.draft, self.data = context, session, draft, data
        self.step = draft.step
        self.outs: list[Out] = []
        self.ended = False
        self.cancelling = False
        self.error: str | None = None

    def t(self, key: str, /, **values: object) -> str:
        return self.context.t(key, **values)

    @property
    def lang(self) -> str:
        return self.context.lang

    @property
    def now(self) -> datetime:
        return now(self.context)

    def go(self, step: str) -> None:
        self.step = step

    def say(self, text: str, links: Rows = ()) -> None:
        self.outs.append(Out(text, links=links))

    def notify(
        self, chat_id: int | None, text: str, links: Rows = (), reply_to: int | None = None
    ) -> None:
        """A message to someone else's chat (storage.chats.chat_of a person); None: they
        have no chat, nothing to send."""
        if chat_id is not None:
            self.outs.append(Out(text, links=links, chat_id=chat_id, reply_to=reply_to))

    def ask_cancel(self) -> None:
        """The flow's own "cancel" option: ask whether to throw the conversation away."""
        self.cancelling = True

    def end(self, text: str | None = None, links: Rows = (), *, menu: bool = False) -> None:
        """The conversation is over: the draft goes; `text` is the last word."""
        self.ended = True
        if text is not None:
            self.outs.append(Out(text, links=links, menu=menu))


@dataclass(frozen=True)
class Step(Generic[D]):
    ask: Callable[[Run[D]], Awaitable[Prompt]]
    answer: Callable[[Run[D], Answer], Awaitable[None]]


@dataclass(frozen=True)
class Flow(Generic[D]):
    """One kind of conversation. `begin(run, **args)` picks the first step (or ends at once);
    `describe(run)` names it in the cancel question ("báo cáo tháng 11/2026"); `resumable(draft)`
    says whether starting again should offer to continue it (with `resume_text`, or a generic
    text); `lifetime` overrides the settings' draft expiry, and `expired` the message that says a
    draft left longer was dropped."""

    kind: str
    data: type[D]
    steps: Mapping[str, Step[D]]
    begin: Callable[..., Awaitable[None]]
    describe: Callable[[Run[D]], str]
    resumable: Callable[[Draft], bool] = lambda draft: False
    resume_text: Callable[[Run[D]], str] | None = None  # the offer to continue, if not generic
    lifetime: timedelta | None = None
    expired: str = "draft.expired"  # its message key, given the settings' `days`
    # Asked in a group chat (linking a group): its buttons may be pressed there, by the one who
    # started it only; typed messages and /cancel in the private chat leave it alone.
    in_groups: bool = False
    # What to say to a press of an old button of this flow when no draft of it is alive (the
    # report: the reference of the report saved); None: the expired alert says enough.
    stale_hint: Callable[[Any, AsyncSession], Awaitable[str | None]] | None = None


@dataclass
class Result:
    """What a call into the engine produced, for the channel to render and send."""

    outs: list[Out] = field(default_factory=list)
    draft: Draft | None = None  # the live draft after the step (None: ended or none)
    previous_message: int | None = None  # the question answered, to take its buttons away


def takes(prompt: Prompt, answer: Answer) -> bool:
    """Whether to hand the answer to the step: a question of options only takes one of them
    (anything else is refused here, the same way everywhere); a question that takes typed
    input or media judges every answer itself, with its own messages."""
    return answer.choice is not None or bool(prompt.accepts)


class Engine:
    def __init__(self, flows: Iterable[Flow[Any]]) -> None:
        self.flows = {flow.kind: flow for flow in flows}

    # --- reading the speaker's drafts (no query: the identity holds them) -------------------

    def latest(self, context: Any) -> Draft | None:
        """The speaker's latest draft that a private message answers: not one of a flow asked in
        a group chat (answered by its buttons only, in that chat)."""
        return context.identity.draft(self.private_kinds)

    @property
    def private_kinds(self) -> list[str]:
        return [kind for kind, flow in self.flows.items() if not flow.in_groups]

    def pressed(self, context: Any, button: FlowButton) -> tuple[Draft, Option] | None:
        """The draft and option a press answers, or None when it is stale or forged."""
        draft = next((d for d in context.identity.drafts if d.token == button.token), None)
        if draft is None or draft.kind not in self.flows or draft.step != button.step:
            return None
        if button.value == RESUME:  # "continue" after a stale press: the question again
            return draft, Option(RESUME, "")
        option = Prompt.from_stored(draft.prompt).option(button.value)
        return (draft, option) if option is not None else None

    async def stale_press(self, context: Any, button: FlowButton) -> Result:
        """After an old press was answered as expired: say what to do now. With a live draft
        of that flow, what it is and "continue" (which asks its current question again, and
        changes nothing else); without, the flow's hint (if any)."""
        flow = self.flows.get(button.kind)
        if flow is None:
            return Result()
        draft = context.identity.draft([flow.kind])
        async with context.db.session() as session:
            if draft is not None and not self.stale(context, draft):
                run = self._run(context, session, draft)
                text = context.t("draft.stale_press", what=flow.describe(run))
                resume = FlowButton(flow.kind, draft.token, draft.step, RESUME)
                return Result([Out(text, links=[[(context.t("draft.btn.resume"), resume)]])])
            hint = await flow.stale_hint(context, session) if flow.stale_hint else None
        return Result([Out(hint)] if hint else [])

    def stale(self, context: Any, draft: Draft) -> bool:
        lifetime = self.flows[draft.kind].lifetime or timedelta(
            days=context.settings.draft_expiry_days
        )
        return now(context) - draft.updated_at >= lifetime

    # --- entry points ------------------------------------------------------------------------

    async def start(self, context: Any, kind: str, **args: Any) -> Result:
        """Begin a flow, or offer to continue the one of this kind that is half done."""
        flow = self.flows[kind]
        async with context.db.session() as session:
            current = context.identity.draft([kind])
            if current is not None:
                if self.stale(context, current):
                    await delete_draft(session=session, draft=current)
                elif flow.resumable(current):
                    return await self._offer_resume(context, session, current, args)
            return await self._begin(context, session, flow, args)

    async def press(self, context: Any, draft: Draft, option: Option) -> Result:
        """Apply a press that `pressed` accepted."""
        return await self._answer(context, draft, Answer(choice=option.value))

    async def typed(self, context: Any, answer: Answer) -> Result | None:
        """Typed text or media for the speaker's latest draft; None when there is none."""
        draft = self.latest(context)
        if draft is None:
            return None
        if answer.text is not None:
            option = Prompt.from_stored(draft.prompt).match(answer.text)
            if option is not None:
                answer = Answer(choice=option.value)
        return await self._answer(context, draft, answer)

    async def cancel(self, context: Any) -> Result:
        """/cancel: ask whether to throw the latest conversation away."""
        draft = self.latest(context)
        if draft is None:
            return Result([Out(context.t("draft.nothing"))])
        async with context.db.session() as session:
            if self.stale(context, draft):
                await delete_draft(session=session, draft=draft)
                return Result([Out(context.t("draft.nothing"))])
            run = self._run(context, session, draft)
            return await self._control_prompt(run, self._cancel_prompt(run))

    # --- the steps ---------------------------------------------------------------------------

    def _run(self, context: Any, session: AsyncSession, draft: Draft) -> Run[Any]:
        flow = self.flows[draft.kind]
        try:
            data = flow.data.model_validate(draft.data)
        except ValidationError:  # written by an older version: start afresh
            data = flow.data()
        return Run(context, session, draft, data)

    async def _begin(
        self, context: Any, session: AsyncSession, flow: Flow[Any], args: dict[str, Any]
    ) -> Result:
        draft = Draft(person_id=context.identity.person.id, kind=flow.kind)
        run = Run(context, session, draft, flow.data())
        await flow.begin(run, **args)
        if run.ended:
            return Result(run.outs)
        draft = await start_draft(
            session=session,
            person_id=draft.person_id,
            kind=flow.kind,
            step=run.step,
            now=run.now,
            unit_id=draft.unit_id,
            period=draft.period,
            base_version=draft.base_version,
        )
        run.draft = draft
        return await self._finish(run)

    async def _answer(self, context: Any, draft: Draft, answer: Answer) -> Result:
        flow = self.flows[draft.kind]
        async with context.db.session() as session:
            previous = draft.message_id
            if self.stale(context, draft):
                await delete_draft(session=session, draft=draft)
                days = context.settings.draft_expiry_days
                return Result([Out(context.t(flow.expired, days=days))], None, previous)
            run = self._run(context, session, draft)
            if answer.choice == RESUME and not self._is_control(draft):
                result = await self._finish(run)  # asked again, nothing changed
            elif answer.choice in CONTROL_VALUES and self._is_control(draft):
                result = await self._control(run, flow, answer.choice)
            elif self._is_control(draft):
                result = await self._control_prompt(run, self._stored_control(run))
            else:
                try:
                    if not takes(Prompt.from_stored(draft.prompt), answer):
                        raise Refusal("draft.choose_option")
                    await flow.steps[draft.step].answer(run, answer)
                except Refusal as refusal:
                    run.step, run.error = draft.step, run.t(refusal.key, **refusal.values)
                if run.cancelling:
                    result = await self._control_prompt(run, self._cancel_prompt(run))
                else:
                    result = await self._finish(run)
        result.previous_message = previous
        return result

    async def _finish(self, run: Run[Any]) -> Result:
        """Save where the conversation is and ask its question (or drop it when it ended)."""
        if run.ended:
            if run.draft.id is not None:
                await delete_draft(session=run.session, draft=run.draft)
            return Result(run.outs)
        flow = self.flows[run.draft.kind]
        prompt = await flow.steps[run.step].ask(run)
        if run.error:
            prompt = Prompt("⚠️ " + run.error + "\n\n" + prompt.text, prompt.rows, prompt.accepts)
        await self._save(run, prompt)
        return Result([*run.outs, Out(prompt.text, prompt)], run.draft)

    async def _save(self, run: Run[Any], prompt: Prompt) -> None:
        draft = run.draft
        draft.step = run.step
        draft.data = run.data.model_dump(mode="json")
        draft.prompt = prompt.stored()
        draft.message_id = None  # the channel tells which message asks it, if it has buttons
        await save_draft(session=run.session, draft=draft, now=run.now)

    # --- resuming and cancelling --------------------------------------------------------------

    @staticmethod
    def _is_control(draft: Draft) -> bool:
        return bool((draft.prompt or {}).get("control"))

    async def _offer_resume(
        self, context: Any, session: AsyncSession, draft: Draft, args: dict[str, Any]
    ) -> Result:
        run = self._run(context, session, draft)
        flow = self.flows[draft.kind]
        if flow.resume_text is not None:
            text = flow.resume_text(run)
        else:
            text = context.t("draft.resume_offer", what=flow.describe(run))
        prompt = Prompt(
            text,
            (
                (Option(RESUME, context.t("draft.btn.resume"), ("tiep tuc", "co")),),
                (Option(RESTART, context.t("draft.btn.restart"), ("lam moi",)),),
            ),
        )
        return await self._control_prompt(run, prompt, restart=args)

    def _cancel_prompt(self, run: Run[Any]) -> Prompt:
        flow = self.flows[run.draft.kind]
        return Prompt(
            run.t("draft.cancel_ask", what=flow.describe(run)),
            (
                (
                    Option(DISCARD, run.t("draft.btn.discard"), ("huy", "co")),
                    Option(KEEP, run.t("draft.btn.keep"), ("tiep tuc", "khong")),
                ),
            ),
        )

    def _stored_control(self, run: Run[Any]) -> Prompt:
        """The control question again, for an answer that is none of its options."""
        stored = run.draft.prompt or {}
        text = run.t("draft.choose_option")
        return Prompt.from_stored(stored, text)

    async def _control_prompt(
        self, run: Run[Any], prompt: Prompt, restart: dict[str, Any] | None = None
    ) -> Result:
        """Ask an engine question (continue? cancel?) at the draft's step, keeping the step."""
        extra: dict[str, Any] = {"control": True}
        if restart is not None:
            extra["restart"] = restart
        elif "restart" in (run.draft.prompt or {}):
            extra["restart"] = run.draft.prompt["restart"]
        run.draft.prompt = {**prompt.stored(), **extra}
        run.draft.message_id = None
        await save_draft(session=run.session, draft=run.draft, now=run.now)
        return Result([Out(prompt.text, prompt)], run.draft)

    async def _control(self, run: Run[Any], flow: Flow[Any], value: str) -> Result:
        if value == DISCARD:
            await delete_draft(session=run.session, draft=run.draft)
            return Result([Out(run.t("draft.cancelled"))])
        if value == RESTART:
            args = (run.draft.prompt or {}).get("restart") or {}
            await delete_draft(session=run.session, draft=run.draft)
            return await self._begin(run.context, run.session, flow, args)
        return await self._finish(run)  # resume, keep: the step's question again
