"""The one seam for side effects: email (SMTP) and SMS (HTTP providers).

Gateways raise exactly two errors, so the outbox knows whether to retry: a temporary one (the server is down,
slow or busy; 4xx) is retried with backoff, a permanent one (5xx reply, bad number) fails the message at once.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class DeliveryError(Exception):
    """A message was not delivered; the text is for the operator (logs, `outbox status`)."""


class TemporaryDeliveryError(DeliveryError):
    """Worth trying again later: connection refused, timeout, 4xx, provider busy or misconfigured."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: the recipient or the message itself was refused."""


class Gateway:
    """Use as `async with`: what a batch opened (an SMTP connection, an HTTP client) is closed after it."""

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
