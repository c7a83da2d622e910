"""The one source of 'now' for services, so tests move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(func: Callable[[], datetime] | None) -> None:
    """Install a replacement clock (tests); None restores the wall clock."""
    global _now
    _now = func or (lambda: datetime.now(UTC))
