"""The one source of 'now' for services, so tests move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from services import config

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime) -> datetime:
    """A moment on the customers' clock (PORTAL_TIMEZONE, Moscow by default): it decides dates and months."""
    return moment.astimezone(_zone(config.settings.timezone))


def today() -> date:
    return local(now()).date()


def set_clock(func: Callable[[], datetime] | None) -> None:
    """Install a replacement clock (tests); None restores the wall clock."""
    global _now
    _now = func or (lambda: datetime.now(UTC))
