"""The payload classes of bot.payloads: each packs and unpacks to itself, prefixes of several
parts are told apart, and nothing malformed decodes."""

from __future__ import annotations

import pytest

from bot import payloads as p
from bot.buttons import decode
from bot.rules.periods import Period

JUNE = Period.parse("2025-06")
EXAMPLES = [
    p.ReportStart(),
    p.CorrectReport(12),
    p.HistoryCell(3),
    p.HistoryReport(12),
    p.ReportPhotos(12),
    p.ReviewPage(JUNE, 2),
    p.ReviewView(12),
    p.ReviewReturn(12, 4),
    p.ProblemAction.of(5, 2, "acknowledge"),
    p.ProblemView(5),
    p.ProblemMedia(5),
    p.ProblemList("open", None, 0),
    p.ProblemList("all", "moi_truong", 3),
    p.FilterStatus(None),
    p.FilterCategory("resolved"),
    p.MyProblems(1),
    p.Reopen(5, 2),
    p.ShowMissing(1, JUNE, 0),
    p.MissingPage(1, JUNE, 10),
    p.Nudge(7, JUNE),
]


@pytest.mark.parametrize("button", EXAMPLES, ids=lambda b: b.pack())
def test_round_trip(button) -> None:
    data = button.pack()
    assert len(data.encode()) <= 64
    assert type(button).unpack(data) == button
    assert decode(data) == button


def test_the_data_stays_what_old_messages_carry() -> None:
    assert p.ReportStart().pack() == "report:start"
    assert p.HistoryReport(12).pack() == "rh:v:12"
    assert p.ReviewPage(JUNE, 2).pack() == "rs:p:2025-06:2"
    assert p.ProblemAction.of(5, 2, "resolve").pack() == "ph:5:2:res"
    assert p.ProblemList("open", None, 0).pack() == "pl:open:-:0"
    assert p.Nudge(7, JUNE).pack() == "sup:nudge:7:2025-06"


@pytest.mark.parametrize(
    "data",
    [
        "rh:v:99999999999999999999",
        "rh:c:²",
        "rc:9223372036854775808",
        "report:start:x",
        "ph:1:1:xyz",
        "pl:open:-:²",
        "pf:s:nothing",
        "sup:nudge:1:2025-13",
        "dx:a:b:yes",
        "rs:p:2025-06",
    ],
)
def test_malformed_data_decodes_as_nothing(data: str) -> None:
    assert decode(data) is None
