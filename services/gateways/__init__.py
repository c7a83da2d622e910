"""The one seam for side effects: email (SMTP) and SMS (HTTP providers).

Gateways raise exactly two errors, so the outbox knows whether to retry: a temporary one (the server is down,
slow or busy; 4xx) is retried with backoff, a permanent one (5xx reply, bad number) fails the message at once.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A message was not delivered; the text is for the operator (logs, `outbox status`)."""


class TemporaryDeliveryError(DeliveryError):
    """Worth trying again later: connection refused, timeout, 4xx, provider busy or misconfigured."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: the recipient or the message itself was refused."""
