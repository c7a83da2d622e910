"""When a message whose attempt failed is tried again, and when the outbox gives up on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services import config


@dataclass(frozen=True)
class RetryStrategy:
    """Exponential backoff: `first` after the first failed attempt, twice as long after each further one, never
    longer than `longest`; after `max_attempts` attempts the message has failed for good."""

    max_attempts: int
    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` attempts, the last of which failed at `now`; None: never again."""
        if self.gives_up(attempts):
            return None
        return now + min(self.first * 2 ** (attempts - 1), self.longest)


def retry_strategy() -> RetryStrategy:
    """The rule as the settings have it now (PORTAL_OUTBOX_MAX_ATTEMPTS)."""
    return RetryStrategy(config.settings.outbox_max_attempts)
