"""Button payloads decode only from exactly what they encode: anything else is no button."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import pytest

from bot.buttons import MAX_ID, Payload
from bot.rules.periods import Period


@dataclass(frozen=True)
class Sample(Payload, prefix="test:s"):
    item_id: int
    action: Literal["ack", "res"]
    period: Period
    token: str
    page: int | None = None


def test_a_payload_packs_and_unpacks() -> None:
    sample = Sample(12, "ack", Period(2026, 11), "AbC-_9", None)
    assert sample.pack() == "test:s:12:ack:2026-11:AbC-_9:-"
    assert Sample.unpack(sample.pack()) == sample
    assert Sample.unpack("test:s:12:res:2026-11:AbC-_9:3") == Sample(12, "res", Period(2026, 11),
                                                                     "AbC-_9", 3)  # fmt: skip


@pytest.mark.parametrize(
    "data",
    [
        "test:s:²:ack:2026-11:t:-",  # a digit that is not ASCII
        "test:s:١٢:ack:2026-11:t:-",  # Arabic-Indic digits
        f"test:s:{MAX_ID + 1}:ack:2026-11:t:-",  # past a 64-bit row id
        "test:s:99999999999999999999:ack:2026-11:t:-",
        "test:s:-1:ack:2026-11:t:-",
        "test:s:+1:ack:2026-11:t:-",
        "test:s:1:fwd:2026-11:t:-",  # not an allowed action
        "test:s:1:ack:2025-13:t:-",  # no such month
        "test:s:1:ack:2026-11:t:é",  # a token outside its characters
        "test:s:1:ack:2026-11:t",  # a part missing
        "test:s:1:ack:2026-11:t:-:x",  # a part too many
        "test:x:1:ack:2026-11:t:-",  # another prefix
        "",
        None,
        "test:s:1:ack:2026-11:" + "t" * 60 + ":-",  # longer than Telegram's 64 bytes
    ],
)
def test_anything_else_is_no_payload(data: object) -> None:
    assert Sample.unpack(data) is None
    assert not Sample.matches(data)


def test_random_data_never_decodes_to_a_bad_value() -> None:
    rng = random.Random(11)
    alphabet = "test:s0123456789-²é_ackres" + "abcdefghijklmnopqrstuvwxyz"
    for _ in range(2000):
        data = "test:s:" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50)))
        sample = Sample.unpack(data)
        if sample is not None:
            assert 0 <= sample.item_id <= MAX_ID and sample.action in ("ack", "res")


def test_a_prefix_is_one_kind_only() -> None:
    with pytest.raises(ValueError):

        @dataclass(frozen=True)
        class Again(Payload, prefix="test:s"):
            item_id: int
