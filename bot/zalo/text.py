"""Zalo takes at most 2,000 characters a message: longer replies go out in several pieces.

Length is counted in UTF-16 code units (an emoji outside the Basic Multilingual Plane counts
two), as Zalo's servers most likely count (Java and JavaScript strings do): never more than
Python's len(), so a piece within the limit here is within it however Zalo counts.
"""

from __future__ import annotations

import unicodedata

MAX_TEXT = 2000

_LINE_BREAKS = "\n\r"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a line break when one is in reach,
    else at a space, else anywhere (never inside a letter and its accents). Pieces carry no
    trailing whitespace and none is empty; the text between pieces loses only the whitespace
    at the cut."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        end = _fitting(rest, limit)
        if end == len(rest):
            pieces.append(rest)
            break
        cut, skip = _cut(rest, end)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[skip:].lstrip()
    return pieces


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """The length of the longest prefix of `text` within `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut(text: str, end: int) -> tuple[int, int]:
    """Where to end the piece (`text[:end]` fits) and where the rest starts: after the last
    line break in reach, else after the last space, else at `end` itself."""
    window = text[: end + 1]  # a separator right at `end` is dropped, so it may be used
    line = max(window.rfind(char) for char in _LINE_BREAKS)
    if line > 0 and window[:line].strip():
        return line, line + 1
    space = _last_space(window)
    if space > 0 and window[:space].strip():
        return space, space + 1
    cut = end
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1  # keep a letter with its combining accents (Vietnamese in NFD)
    return cut, cut


def _last_space(window: str) -> int:
    for index in range(len(window) - 1, -1, -1):
        if window[index].isspace():
            return index
    return -1
