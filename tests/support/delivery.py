"""The outbox run by hand: service tests start no worker, so a test delivers what is due itself."""

from __future__ import annotations

from services.messaging import outbox


async def deliver() -> None:
    """Every message that is due, delivered (or failed) before the test goes on."""
    while await outbox.deliver_due():
        pass
