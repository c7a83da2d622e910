"""A clock for tests: time stands still until the test moves it (the `fake_clock` fixture installs one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
