"""The sender: takes recorded messages from the outbox one at a time and sends them.

Jobs (and a supervisor's nudge) record first (storage/queries/deliveries.py), then call
`Sender.drain`; a repeating job
drains too, so rows left by a crash or put off by Telegram (RetryAfter, network failures) go
out later. Sending goes through bot/notify.py: a person who blocked the bot is marked
unreachable (and listed in the summaries for a phone call), the row is settled "unreachable" and
never retried. Pacing under Telegram's limits is bot.notify's work (one message per 1/30 s) and
RetryAfter the bot's AIORateLimiter's; a RetryAfter that outlasts its retries puts the row off
for the time Telegram asked.

Payload of a row (JSON):
    {"text": str, "buttons": [[[label, callback_data], ...], ...]}   a message, or
    {"photo": base64 PNG, "caption": str}                            a picture,
    plus, optionally, "expires_at": ISO instant (too late after it: settled "expired") and
    "unless_report": [unit_id, "YYYY-MM"] (the cell reported meanwhile: settled "cancelled").
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot import notify
from bot.messengers import Bots
from bot.render.keyboard import markup
from storage.chats import chat_of
from storage.db import Database
from storage.models import Delivery, Person, utcnow
from storage.queries import deliveries as outbox
from storage.queries.audience import reported_among

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # network failures before a row is given up as failed
RETRY_DELAY = timedelta(seconds=30)  # times the attempt number, after a network failure

Payload = dict[str, Any]


def message(text: str, buttons: Sequence[Sequence[tuple[str, str]]] = ()) -> Payload:
    """The payload of a text message with inline buttons given as (label, callback_data), the
    renderer's (bot.render); the keyboard is built by bot.render.keyboard when it is sent."""
    return {"text": text, "buttons": [[list(button) for button in row] for row in buttons]}


def picture(png: bytes, caption: str = "") -> Payload:
    return {"photo": base64.b64encode(png).decode("ascii"), "caption": caption}


async def _unwanted(session: AsyncSession, payload: Payload) -> bool:
    """The message waits for a report that has arrived meanwhile."""
    if "unless_report" not in payload:
        return False
    unit_id, period = payload["unless_report"]
    return bool(await reported_among(session=session, pairs=[(unit_id, period)]))


class Sender:
    """Drains the outbox; `clock` gives the real time (leases), whatever instant a job acts as."""

    def __init__(
        self,
        bots: Bot | Bots,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease: timedelta = outbox.LEASE,
    ) -> None:
        self.bots, self.db, self.clock, self.lease = Bots.of(bots), db, clock, lease

    async def drain(self, only: Sequence[int] | None = None) -> Counter[str]:
        """Send every claimable row (or only the rows `only`); returns how each one ended."""
        tally: Counter[str] = Counter()
        while True:  # a settled or put-off row is no longer claimable: this ends
            async with self.db.session() as session:  # one transaction per message before it
                row = await outbox.claim_next(
                    session=session, now=self.clock(), lease=self.lease, only=only
                )
                unwanted = row is not None and await _unwanted(session, row.payload or {})
                if row is None:
                    return tally
                chat = await self._chat(session, row)
            tally[await self._deliver(row, chat, unwanted)] += 1

    @staticmethod
    async def _chat(session: AsyncSession, row: Delivery) -> int:
        """Where the row goes now: a person's chat by the messenger they use now (chosen when
        sent, not when recorded), else the recorded chat."""
        person = await session.get(Person, row.person_id) if row.person_id else None
        return (chat_of(person) if person else None) or row.chat_id

    async def _deliver(self, row: Delivery, chat: int, unwanted: bool) -> str:
        payload = row.payload or {}
        if unwanted:
            return await self._settle(row, outbox.CANCELLED)
        if "expires_at" in payload and self.clock() >= datetime.fromisoformat(
            payload["expires_at"]
        ):
            return await self._settle(row, outbox.EXPIRED)
        try:
            sent = await self._send(chat, payload)
        except notify.Unreachable:
            return await self._settle(row, outbox.UNREACHABLE, error="unreachable")
        except RetryAfter as exc:
            wait = exc.retry_after
            wait = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            return await self._later(row, wait, str(exc))
        except BadRequest as exc:  # the message itself is wrong: sending again will not help
            log.warning("Delivery %s refused: %s", row.id, exc.message)
            return await self._settle(row, outbox.FAILED, error=exc.message)
        except NetworkError as exc:
            if row.attempts >= MAX_ATTEMPTS:
                return await self._settle(row, outbox.FAILED, error=str(exc))
            return await self._later(row, RETRY_DELAY * row.attempts, str(exc))
        except (TelegramError, ValueError) as exc:
            log.warning("Delivery %s failed: %s", row.id, exc)
            return await self._settle(row, outbox.FAILED, error=str(exc))
        return await self._settle(
            row, outbox.SENT, message_id=sent.message_id, chat_id=sent.chat_id
        )

    async def _send(self, chat_id: int, payload: Payload) -> Message:
        if "photo" in payload:
            return await notify.send_photo(
                self.bots,
                self.db,
                chat_id,
                base64.b64decode(payload["photo"]),
                caption=payload.get("caption") or None,
            )
        return await notify.send(
            self.bots,
            self.db,
            chat_id,
            payload["text"],
            reply_markup=markup(payload.get("buttons") or ()),
            disable_web_page_preview=True,
        )

    async def _settle(
        self,
        row: Delivery,
        status: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        error: str | None = None,
    ) -> str:
        async with self.db.session() as session:
            await outbox.settle(
                session=session,
                delivery_id=row.id,
                status=status,
                now=self.clock(),
                message_id=message_id,
                chat_id=chat_id,
                error=error,
            )
        return status

    async def _later(self, row: Delivery, wait: timedelta, error: str) -> str:
        wait = max(wait, timedelta(seconds=1))  # never claimable again within this drain
        async with self.db.session() as session:
            await outbox.retry_later(
                session=session, delivery_id=row.id, until=self.clock() + wait, error=error
            )
        return "retry"
