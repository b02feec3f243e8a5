"""Conversations as plain text, for messengers without buttons (next: Zalo).

A question's options become a numbered list ("1. Có họp"), lettered ("a. …") where numbers are
answers of their own (a count, a day); the person answers with the number or letter, or types
the option (bot.prompt.Prompt.match, the same matching as on Telegram). Telegram's HTML is
turned into plain text.
"""

from __future__ import annotations

import html
import re

from bot import i18n
from bot.flows.engine import Out

_TAG = re.compile(r"<[^>]+>")


def plain_text(text: str) -> str:
    """Telegram's HTML (b, i, a, code, escaped characters) as plain text."""
    return html.unescape(_TAG.sub("", text))


def render(out: Out, lang: str) -> str:
    """The message as a person without buttons reads it."""
    text = plain_text(out.text)
    prompt = out.prompt
    if prompt is None or not prompt.options:
        return text
    lines = [f"{prompt.marker(i)}. {plain_text(o.label)}" for i, o in enumerate(prompt.options)]
    hint = i18n.t(lang, "draft.plain_letters" if prompt.lettered else "draft.plain_numbers")
    return "\n".join([text, "", *lines, hint])
