"""The delivery of a period's e-bills, queued by dispatch.py, and where it stands: how many of its bill emails wait,
went out or failed for good, and why those failed. It is the truth `send-bills` and `bills-status` report."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from tortoise.functions import Count

from models.ebill import BillDelivery
from models.outbox import OutboxMessage, OutboxState
from services import clock
from services.identity.contacts import mask_email, mask_within
from services.messaging import outbox
from services.progress import SILENT, Progress
from services.texts import t

#: messages per lane in one delivery pass of `send-bills` (an SMTP connection is reused within a pass; the lanes
#: drain unevenly at a pass's end, so passes are long)
PASS_PER_CONNECTION = 1000
#: the longest `send-bills` waits before looking again at messages it cannot send yet (retries, leases)
WAIT_SECONDS = 5.0


@dataclass
class DeliveryStatus:
    """A period's bill deliveries by the state of their outbox message (it is the truth of what went out)."""

    period: str
    counts: dict[OutboxState, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return self.counts.get(OutboxState.SENT, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(OutboxState.FAILED, 0)

    @property
    def open(self) -> int:
        return self.total - self.sent - self.failed


@dataclass(frozen=True)
class DeliveryRun:
    """What one `deliver` did: the period's status at its end, and how many of its bills this run settled in how long
    (sent or failed for good; another process may have settled others meanwhile)."""

    status: DeliveryStatus
    delivered: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.delivered / max(self.seconds, 0.001)


async def delivery_status(period: str) -> DeliveryStatus:
    rows = (
        await BillDelivery.filter(bill__period=period)
        .annotate(count=Count('id'))
        .group_by('message__state')
        .values_list('message__state', 'count')
    )
    return DeliveryStatus(period, {OutboxState(state): count for state, count in rows})


async def delivery_failures(period: str, limit: int | None = None) -> list[tuple[str, str, str]]:
    """(account number, masked address, reason with the address masked in it too) of the period's bills that failed
    for good, the first `limit` of them (None: all)."""
    failed = BillDelivery.filter(bill__period=period, message__state=OutboxState.FAILED).order_by('id')
    if limit is not None:
        failed = failed.limit(limit)
    rows = await failed.values_list('bill__account__number', 'email', 'message__last_error')
    return [(number, mask_email(email), mask_within(error, email, mask_email(email))) for number, email, error in rows]


async def deliver(period: str, *, connections: int, progress: Progress = SILENT) -> DeliveryRun:
    """Deliver the outbox until every bill of `period` is sent or has failed for good. Retries wait for their time
    (SMTP down), and messages a killed run left SENDING come back when their lease ends."""
    status = before = await delivery_status(period)
    started = time.monotonic()
    progress.step(t('dispatch.progress.send'), status.total)
    progress.show(status.total - status.open)
    while status.open:
        if handled := await outbox.deliver_due(connections * PASS_PER_CONNECTION, connections=connections):
            # the period's status joins all its deliveries (100,000 rows at a big utility): counted only when a
            # pass finds nothing to do, the bar meanwhile counts what the passes handled
            progress.advance(handled)
            continue
        status = await delivery_status(period)
        progress.show(status.total - status.open)
        if status.open:
            await asyncio.sleep(await _until_due(period))
    return DeliveryRun(status, before.open - status.open, time.monotonic() - started)


async def _until_due(period: str) -> float:
    """Seconds until a retry of the period comes due or a lease runs out; capped, as another process may act first."""
    waiting = OutboxMessage.filter(deliveries__bill__period=period)
    moments = [
        await waiting.filter(state=OutboxState.PENDING).order_by('next_attempt_at').first().values_list(
            'next_attempt_at', flat=True
        ),
        await waiting.filter(state=OutboxState.SENDING).order_by('lease_until').first().values_list(
            'lease_until', flat=True
        ),
    ]  # fmt: skip
    due = [moment for moment in moments if moment is not None]
    if not due:
        return WAIT_SECONDS
    return min(max((min(due) - clock.now()).total_seconds(), 0.05), WAIT_SECONDS)
