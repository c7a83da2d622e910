"""A billing period is a month, written 'YYYY-MM' (bills.csv, `send-bills`, `bills-status`)."""

from __future__ import annotations

import re
from datetime import date

_PERIOD = re.compile(r'[0-9]{4}-(0[1-9]|1[0-2])')


def is_period(text: str) -> bool:
    return _PERIOD.fullmatch(text) is not None


def previous_period(today: date) -> str:
    """'YYYY-MM' of the month before `today`'s."""
    months = today.year * 12 + today.month - 2
    return f'{months // 12:04d}-{months % 12 + 1:02d}'
