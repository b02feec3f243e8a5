"""The current time for handlers: UTC now, or a fixed clock tests put in the application.

Tests set ``application.bot_data["clock"]`` to a callable returning an aware datetime, so that
deadlines and locks can be crossed without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from telegram.ext import CallbackContext

from storage.models import utcnow

CLOCK = "clock"


def now(context: CallbackContext) -> datetime:
    clock: Callable[[], datetime] = context.application.bot_data.get(CLOCK, utcnow)
    return clock()


def today(context: CallbackContext) -> date:
    """Today's date where the cells are (the configured time zone)."""
    return now(context).astimezone(context.application.bot_data["settings"].tz).date()
