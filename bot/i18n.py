"""Message catalogs (gettext .po files read with Babel): every text a user sees lives there.

Each language is a folder of .po files, one per feature (``locales/vi/report.po``), merged.
Message ids are stable keys such as ``start.stranger``; Vietnamese must translate every one of
them, English may lag behind (Vietnamese is then shown).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@cache
def catalog(language: str) -> dict[str, str]:
    """The translations of one language, message id to text."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        messages.update({str(m.id): str(m.string) for m in po if m.id and m.string})
    return messages


def normalise(language: str | None) -> str:
    """A supported language for a Telegram `language_code` or a stored choice."""
    code = (language or "").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# The messenger of the update being handled, set once per update (bot.context.load_identity):
# a message id may have a variant for it, "<id>@zalo", used there instead (on Zalo one types a
# choice instead of pressing a button, and cannot send a location).
VARIANT: ContextVar[str | None] = ContextVar("chibo_text_variant", default=None)


def t(language: str | None, key: str, /, **values: object) -> str:
    """The text of `key` in `language` (falling back to Vietnamese), with `values` filled in;
    the messenger's variant of it where there is one."""
    lang = normalise(language)
    variant = VARIANT.get()
    if variant is not None and f"{key}@{variant}" in catalog(DEFAULT_LANGUAGE):
        key = f"{key}@{variant}"
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"message id {key!r} has no Vietnamese text")
    return text.format(**values) if values else text
