"""Button payloads: one typed class per kind of button, encoded and decoded here only.

A payload class declares its prefix and its fields; `pack()` makes the callback data
("prefix:field:field", at most 64 bytes, Telegram's limit) and `unpack()` reads it back, or gives
None for anything that is not exactly such a button: wrong prefix or number of parts, a number
that is not plain ASCII digits or does not fit a 64-bit row id, a word outside its allowed
characters, a choice outside its Literal, a month that does not exist. A prefix may have several
parts ("rh:v", "report:start"): kinds of one feature that carry different fields. Handlers are
registered with `Payload.matches` as their pattern, so a malformed press never reaches a
handler; it is answered as an expired button (bot.handlers.fallback). Whether a well-formed id
names a row that exists and belongs to the presser stays the handler's question.

    @dataclass(frozen=True)
    class LanguageButton(Payload, prefix="lang"):
        language: Literal["vi", "en"]

    LanguageButton("vi").pack() == "lang:vi"
    LanguageButton.unpack("lang:fr") is None
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from bot.rules.periods import STORED, Period

MAX_BYTES = 64  # Telegram's limit for callback data
MAX_ID = 2**63 - 1  # the largest id a BIGINT column (and SQLite's INTEGER) holds
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # tokens, steps, values: never ":"
_NONE = "-"


def _encode(value: object) -> str:
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _decoder(annotation: Any) -> typing.Callable[[str], Any]:
    """The function that reads one field of this type back, raising ValueError on bad text."""
    args = get_args(annotation)
    if get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        inner = _decoder(next(a for a in args if a is not type(None)))
        return lambda text: None if text == _NONE else inner(text)
    if get_origin(annotation) is Literal:
        allowed = {str(a): a for a in args}
        return lambda text: allowed[text]
    return _DECODERS[annotation]


def _int(text: str) -> int:
    if not _DIGITS.fullmatch(text) or int(text) > MAX_ID:
        raise ValueError(text)
    return int(text)


def _word(text: str) -> str:
    if not _WORD.fullmatch(text):
        raise ValueError(text)
    return text


def _period(text: str) -> Period:
    if not re.fullmatch(STORED, text, re.ASCII):
        raise ValueError(text)
    return Period.parse(text)


def _bool(text: str) -> bool:
    return {"1": True, "0": False}[text]


_DECODERS: dict[Any, typing.Callable[[str], Any]] = {
    int: _int,
    str: _word,
    Period: _period,
    bool: _bool,
}


@dataclass(frozen=True)
class Payload:
    """The base of every button payload class (a frozen dataclass with a prefix)."""

    prefix: ClassVar[str]
    _decoders: ClassVar[tuple[typing.Callable[[str], Any], ...]]
    _registry: ClassVar[dict[str, type[Payload]]] = {}

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix:
            return
        if prefix in Payload._registry:
            raise ValueError(f"two button kinds with the prefix {prefix!r}")
        if not all(_WORD.fullmatch(part) for part in prefix.split(":")):
            raise ValueError(f"a prefix is words joined by ':': {prefix!r}")
        cls.prefix = prefix
        Payload._registry[prefix] = cls

    @classmethod
    def _field_decoders(cls) -> tuple[typing.Callable[[str], Any], ...]:
        if "_decoders" not in cls.__dict__:
            hints = typing.get_type_hints(cls)
            cls._decoders = tuple(_decoder(hints[f.name]) for f in fields(cls))
        return cls._decoders

    def pack(self) -> str:
        values = [_encode(getattr(self, f.name)) for f in fields(self)]
        data = ":".join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES or any(":" in v for v in values):
            raise ValueError(f"button data cannot be packed: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self | None:
        """The payload of this kind in `data`, or None if `data` is anything else."""
        if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
            return None
        decoders = cls._field_decoders()
        if data == cls.prefix:
            parts = []
        elif data.startswith(cls.prefix + ":"):
            parts = data[len(cls.prefix) + 1 :].split(":")
        else:
            return None
        if len(parts) != len(decoders):
            return None
        try:
            return cls(*(decode(part) for decode, part in zip(decoders, parts, strict=True)))
        except (ValueError, KeyError):
            return None

    @classmethod
    def matches(cls, data: object) -> bool:
        """For `CallbackQueryHandler(pattern=...)`: only well-formed payloads of this kind."""
        return cls.unpack(data) is not None


def decode(data: object) -> Payload | None:
    """Any registered kind of payload, or None."""
    if not isinstance(data, str):
        return None
    parts = data.split(":")
    for end in range(len(parts), 0, -1):  # the longest prefix first: "rh:v" before "rh"
        kind = Payload._registry.get(":".join(parts[:end]))
        if kind is not None:
            return kind.unpack(data)
    return None
