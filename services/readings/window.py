"""The submission window: the days of the month a region's customers submit readings on (Region.readings_from,
readings_to; else PORTAL_READINGS_WINDOW), both days included, on the customers' clock (PORTAL_TIMEZONE).

A day past a month's end means its last day: a window of 20-31 closes on 30 April and 28 February, and 29-31 opens on
28 February — a month never goes without a window."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from models.billing import Region
from services import clock, config


@dataclass(frozen=True)
class Window:
    """The window that is open today, else the next one: the dates the page shows."""

    opens: date
    closes: date
    #: today (the customers' date) is one of its days
    open: bool


def _days(region: Region) -> tuple[int, int]:
    if region.readings_from is not None and region.readings_to is not None:
        return region.readings_from, region.readings_to
    return config.settings.readings_days


def _in_month(year: int, month: int, first: int, last: int) -> tuple[date, date]:
    length = calendar.monthrange(year, month)[1]
    return date(year, month, min(first, length)), date(year, month, min(last, length))


def window(region: Region, today: date | None = None) -> Window:
    """The window of `region` holding `today` (default: the customers' today), else the next one."""
    today = today or clock.today()
    first, last = _days(region)
    opens, closes = _in_month(today.year, today.month, first, last)
    if today > closes:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        opens, closes = _in_month(year, month, first, last)
    return Window(opens, closes, opens <= today <= closes)
