"""What a step of a conversation asks, without assuming a messenger: text, the options offered,
and what may be typed or sent instead. Renderers turn it into buttons (bot.flows.telegram) or a
numbered list (bot.flows.plain); typed answers are matched to the options here, whatever the
channel, without regard to case, Vietnamese diacritics or surrounding spaces."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# What a step takes besides its options (Prompt.accepts).
TEXT, NUMBER, PHOTO, LOCATION, VOICE = "text", "number", "photo", "location", "voice"

_D = str.maketrans({"đ": "d", "Đ": "d"})
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def fold(text: str) -> str:
    """Text reduced to what a person means by it: lower case, no diacritics ("Có" and "co",
    "Hôm nay" and "hom nay" are the same), words separated by one space, emoji and punctuation
    dropped."""
    text = unicodedata.normalize("NFD", text.translate(_D))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", text.casefold()))


@dataclass(frozen=True)
class Option:
    """One answer offered: `value` is what the button carries (letters, digits, "._-"),
    `label` what the person sees; `words` are more typed answers that mean it."""

    value: str
    label: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prompt:
    text: str
    rows: tuple[tuple[Option, ...], ...] = ()
    accepts: frozenset[str] = field(default_factory=frozenset)

    @property
    def options(self) -> list[Option]:
        return [option for row in self.rows for option in row]

    @property
    def lettered(self) -> bool:
        """Options are listed a, b, c where something may be typed instead: a number is then an
        answer of its own (a count, a day), and "1" typed as a title must not pick "1. Hủy"."""
        return bool({TEXT, NUMBER} & self.accepts)

    def marker(self, index: int) -> str:
        """How the plain-text list names the option at `index` (0-based): "1" or "a"."""
        return _LETTERS[index] if self.lettered else str(index + 1)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def match(self, text: str) -> Option | None:
        """The option a typed answer means: its label or one of its words, its marker in the
        numbered list ("2", or "b" where numbers are answers), or the first words of its label
        when no other label starts so."""
        key = fold(text)
        if not key:
            return None
        options = self.options
        for option in options:
            if key == fold(option.label) or key in (fold(w) for w in option.words):
                return option
        markers = {self.marker(i): option for i, option in enumerate(options[: len(_LETTERS)])}
        if key in markers:
            return markers[key]
        # The first words of one label only: "co" for "✅ Có họp", "hom nay" for "Hôm nay 25/11".
        starts = [o for o in options if len(key) > 1 and f"{fold(o.label)} ".startswith(key + " ")]
        return starts[0] if len(starts) == 1 else None

    def stored(self) -> dict[str, Any]:
        """What the draft keeps of the prompt (not its text): the options and what it accepts,
        to check presses and match typed answers without asking the step again."""
        return {
            "rows": [[[o.value, o.label, list(o.words)] for o in row] for row in self.rows],
            "accepts": sorted(self.accepts),
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None, text: str = "") -> Prompt:
        stored = stored or {}
        rows = tuple(
            tuple(Option(value, label, tuple(words)) for value, label, words in row)
            for row in stored.get("rows", [])
        )
        return cls(text, rows, frozenset(stored.get("accepts", [])))


def options(*rows: list[Option] | tuple[Option, ...]) -> tuple[tuple[Option, ...], ...]:
    """Rows of options, leaving out empty rows."""
    return tuple(tuple(row) for row in rows if row)
