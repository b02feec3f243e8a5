"""The organisation's vocabulary: unit kinds, roles, and when a unit is active."""

from __future__ import annotations

from datetime import date

from bot.rules.periods import Period

# Generic tree: depth varies by province and changed in the 2025 reform, so no fixed levels.
UNIT_KINDS = (
    "province",  # tỉnh ủy / thành ủy trực thuộc trung ương
    "district",  # huyện ủy / thị ủy (abolished 1 July 2025, kept for history)
    "commune",  # đảng ủy xã
    "ward",  # đảng ủy phường
    "special_zone",  # đảng ủy đặc khu
    "base",  # đảng ủy cơ sở (agencies, enterprises)
    "partial",  # đảng bộ bộ phận
    "cell",  # chi bộ: the unit that reports every month
)
CELL = "cell"

SECRETARY, DEPUTY, VILLAGE_HEAD, SUPERVISOR, ADMIN = (
    "secretary",
    "deputy",
    "village_head",
    "supervisor",
    "admin",
)
ROLES = (SECRETARY, DEPUTY, VILLAGE_HEAD, SUPERVISOR, ADMIN)
CELL_ROLES = (SECRETARY, DEPUTY, VILLAGE_HEAD)
REPORTING_ROLES = (SECRETARY, DEPUTY)


def is_active_in(valid_from: date | None, valid_to: date | None, period: Period) -> bool:
    """A unit is expected to report for a month only if it existed for the whole month.

    A cell created mid-month reports from the next month on; a cell merged away mid-month owes
    nothing for that month (its members meet in the successor). Reforms take effect on the 1st,
    so in practice a merged cell's last month is the one before the merger.
    """
    starts_in_time = valid_from is None or valid_from <= period.first_day
    lasts_long_enough = valid_to is None or valid_to >= period.last_day
    return starts_in_time and lasts_long_enough
