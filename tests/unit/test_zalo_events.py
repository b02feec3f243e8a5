"""Every shape of Zalo event the shared notes mention is read; what is not is dropped, and said
once per shape, without the person's words."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.zalo.events import IMAGE, STICKER, TEXT, UNSUPPORTED, parse_event, reset_shape_warnings

CHAT = "e4ea2cd5189df1c3a88c"
PHOTO = "https://photo-stal.zadn.vn/abc/1.jpg"
SECRET_WORDS = "mật khẩu là 1234"


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    reset_shape_warnings()
    yield
    reset_shape_warnings()


def event(name: str = TEXT, **message: Any) -> dict[str, Any]:
    """The documented shape, with `message` fields added or replaced (None removes one)."""
    body: dict[str, Any] = {
        "message_id": "16f6366b3f02645a3d15",
        "date": 1766619597466,
        "chat": {"id": CHAT, "chat_type": "PRIVATE"},
        "from": {"id": CHAT, "display_name": "Nguyen Van A", "is_bot": False},
    }
    body.update(message)
    return {"event_name": name, "message": {k: v for k, v in body.items() if v is not None}}


def test_a_text_event_as_documented():
    parsed = parse_event(event(text="Xin chào"))
    assert parsed is not None
    assert parsed.name == TEXT
    assert (parsed.chat_id, parsed.chat_type, parsed.user_id) == (CHAT, "PRIVATE", CHAT)
    assert parsed.display_name == "Nguyen Van A"
    assert parsed.message_id == "16f6366b3f02645a3d15"
    assert parsed.date == datetime(2025, 12, 24, 23, 39, 57, 466000, tzinfo=UTC)
    assert parsed.text == "Xin chào"
    assert (parsed.photo_url, parsed.caption, parsed.sticker) == (None, None, None)
    assert parsed.is_private


def test_the_webhooks_wrapped_form_reads_the_same():
    bare = event(text="Xin chào")
    assert parse_event({"ok": True, "result": bare}) == parse_event(bare)


@pytest.mark.parametrize(
    "nothing", [None, {}, {"ok": True, "result": {}}, {"ok": True, "result": None}]
)
def test_an_empty_answer_is_nothing_and_no_warning(nothing: object, caplog):
    assert parse_event(nothing) is None
    assert caplog.records == []


@pytest.mark.parametrize(
    "fields",
    [
        {"photo_url": PHOTO, "caption": "Biên bản"},
        {"photo": PHOTO, "caption": "Biên bản"},
        {"attachments": [{"type": "image", "payload": {"url": PHOTO}}], "caption": "Biên bản"},
        # Official Account style: the caption in `text`, a thumbnail besides the url.
        {"attachments": [{"type": "image", "payload": {"thumbnail": "t", "url": PHOTO}}]}
        | {"text": "Biên bản"},
        {"attachments": [{"payload": {"url": PHOTO}}], "text": "Biên bản"},  # no type
        {"attachments": [{"type": "image", "url": PHOTO}], "caption": "Biên bản"},
    ],
)
def test_a_photo_in_every_variant(fields: dict[str, Any]):
    parsed = parse_event(event(IMAGE, **fields))
    assert parsed is not None
    assert (parsed.name, parsed.photo_url, parsed.caption, parsed.text) == (
        IMAGE,
        PHOTO,
        "Biên bản",
        None,
    )


def test_a_photo_known_only_by_its_thumbnail_and_without_caption():
    attachments = [
        {"type": "link", "payload": {"url": "x"}},
        {"type": "image", "payload": {"thumbnail": PHOTO}},
    ]
    parsed = parse_event(event(IMAGE, attachments=attachments))
    assert parsed is not None
    assert (parsed.photo_url, parsed.caption) == (PHOTO, None)


def test_a_sticker_and_an_unsupported_message():
    sticker = parse_event(event(STICKER, sticker="bfe458bf64fa8da4d4eb"))
    unsupported = parse_event(event(UNSUPPORTED))
    assert sticker is not None and sticker.sticker == "bfe458bf64fa8da4d4eb"
    assert unsupported is not None and unsupported.name == UNSUPPORTED
    assert unsupported.text is None


def test_an_unknown_event_name_is_passed_on():
    parsed = parse_event(event("message.location.received", location={"lat": 21.0}))
    assert parsed is not None and parsed.name == "message.location.received"


def test_without_an_event_name_the_content_tells():
    bare = event(text="Xin chào")
    del bare["event_name"]
    photo = event(IMAGE, photo_url=PHOTO)
    del photo["event_name"]
    assert [parse_event(bare).name, parse_event(photo).name] == [TEXT, IMAGE]  # type: ignore[union-attr]


def test_a_group_chat_keeps_its_type_upper_cased():
    parsed = parse_event(event(chat={"id": "g1", "chat_type": "group"}, text="chào cả nhà"))
    assert parsed is not None
    assert (parsed.chat_id, parsed.chat_type, parsed.user_id) == ("g1", "GROUP", CHAT)
    assert not parsed.is_private


def test_a_chat_without_a_type_is_private_and_without_from_is_its_own_user():
    data = event(chat={"id": CHAT}, text="x")
    del data["message"]["from"]
    parsed = parse_event(data)
    assert parsed is not None
    assert (parsed.chat_type, parsed.user_id, parsed.display_name) == ("PRIVATE", CHAT, "")


def test_lenient_ids_and_dates():
    parsed = parse_event(
        event(
            chat={"id": 42, "type": "private"},
            message_id=None,
            msg_id="m1",
            date=1766619597,
            text="x",
        )
    )
    assert parsed is not None
    assert (parsed.chat_id, parsed.chat_type, parsed.message_id) == ("42", "PRIVATE", "m1")
    assert parsed.date == datetime(2025, 12, 24, 23, 39, 57, tzinfo=UTC)  # seconds, read as such
    string_ms = parse_event(event(date="1766619597466", text="x"))
    assert string_ms is not None and string_ms.date.year == 2025


@pytest.mark.parametrize("date", [None, "hôm qua", -5, float("nan"), 10**30, True])
def test_a_missing_or_absurd_date_is_now(date: object):
    parsed = parse_event(event(date=date, text="x"))  # None: no date at all
    assert parsed is not None
    assert abs((datetime.now(UTC) - parsed.date).total_seconds()) < 60
    assert parsed.date.tzinfo is UTC


@pytest.mark.parametrize(
    "data",
    [
        "message.text.received",
        [event(text=SECRET_WORDS)],
        {"event_name": TEXT},
        {"event_name": TEXT, "message": SECRET_WORDS},
        event(chat=None, text=SECRET_WORDS),
        event(chat={"chat_type": "PRIVATE"}, text=SECRET_WORDS),
        event(chat={"id": ["x"]}, text=SECRET_WORDS),
        {"ok": False, "error_code": 408, "description": "Request timeout"},
        {"ok": True, "result": {"ok": True, "result": event(text=SECRET_WORDS)}},
    ],
)
def test_what_cannot_be_read_is_none_with_one_warning(data: object, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.zalo.events")
    assert parse_event(data) is None
    assert parse_event(data) is None  # the same shape again: no second warning
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert SECRET_WORDS not in caplog.text and CHAT not in caplog.text


def test_the_warning_names_the_keys_not_the_values(caplog):
    parse_event({"event_name": TEXT, "message": {"text": SECRET_WORDS, "date": 1}})
    assert "chat" in caplog.text and "text" in caplog.text  # what is there, and what is missing
    assert SECRET_WORDS not in caplog.text


def test_distinct_shapes_warn_each_but_not_forever(caplog):
    for n in range(150):
        parse_event({f"key{n}": SECRET_WORDS})
    assert 90 <= len(caplog.records) <= 102
    assert "no more" in caplog.records[-1].getMessage()


def test_a_hostile_shape_never_raises():
    class Weird(dict):
        def get(self, *args: object) -> object:
            raise RuntimeError("boom")

    assert parse_event(Weird(message=1)) is None
    deep: dict[str, Any] = {}
    for _ in range(500):
        deep = {"ok": True, "result": deep}
    assert parse_event(deep) is None
