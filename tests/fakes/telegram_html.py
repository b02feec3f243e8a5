"""Telegram's HTML parse mode, as strict as the real Bot API: text in, (plain text, entities) out.

The real server rejects a message whose HTML it cannot parse ("can't parse entities"); a bot that
forgets `html.escape` on a user's "<" or "&" fails in production, so the fake must fail too.
Rules (https://core.telegram.org/bots/api#html-style): only the tags below; tags balanced and
properly nested; "<" and "&" only as markup or as an entity (&lt; &gt; &amp; &quot; or numeric).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Tag name -> MessageEntity type.
TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_TAG = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)"
    r"(?P<attrs>(?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class HtmlError(ValueError):
    """Not valid Telegram HTML; str() is what Telegram says after "can't parse entities: "."""


@dataclass
class _Open:
    name: str
    attrs: dict[str, str]
    offset: int  # in UTF-16 code units of the plain text
    at_byte: int


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict]]:
    """The plain text a user sees and its entities (as Bot API dicts); raises HtmlError."""
    out: list[str] = []
    length = 0  # UTF-16 length of "".join(out)
    stack: list[_Open] = []
    entities: list[dict] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if match is None:
                raise HtmlError(f"Unsupported start tag at byte offset {_byte(source, i)}")
            name = match["name"].lower()
            if name not in TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {_byte(source, i)}')
            if match["close"]:
                if not stack:
                    raise HtmlError(
                        f'Unexpected end tag "{name}" at byte offset {_byte(source, i)}'
                    )
                top = stack.pop()
                if top.name != name:
                    raise HtmlError(
                        f"Unmatched end tag at byte offset {_byte(source, i)}, "
                        f'expected "</{top.name}>", found "</{name}>"'
                    )
                entity = _entity(top, length)
                if entity is not None:
                    entities.append(entity)
            else:
                attrs = _attributes(match["attrs"])
                _check_attributes(name, attrs, _byte(source, i))
                stack.append(_Open(name, attrs, length, _byte(source, i)))
            i = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                raise HtmlError(
                    f"Unsupported entity or unescaped '&' at byte offset {_byte(source, i)}"
                )
            piece = html.unescape(match.group())
            i = match.end()
        else:
            piece = char
            i += 1
        out.append(piece)
        length += utf16_len(piece)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _byte(source: str, index: int) -> int:
    return len(source[:index].encode())


def _attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for name, value in _ATTR.findall(text):
        attrs[name.lower()] = html.unescape(value.strip("\"'")) if value else ""
    return attrs


def _check_attributes(name: str, attrs: dict[str, str], at_byte: int) -> None:
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'Unsupported start tag "span" at byte offset {at_byte}')
    if name == "tg-emoji" and "emoji-id" not in attrs:
        raise HtmlError(f'Custom emoji without "emoji-id" at byte offset {at_byte}')


def _entity(tag: _Open, end: int) -> dict | None:
    if end == tag.offset:
        return None  # Telegram drops empty entities
    entity: dict = {"type": TAGS[tag.name], "offset": tag.offset, "length": end - tag.offset}
    if tag.name == "a":
        entity["url"] = tag.attrs.get("href", "")
    elif tag.name == "pre" and tag.attrs.get("class", "").startswith("language-"):
        entity["language"] = tag.attrs["class"].removeprefix("language-")
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    return entity
