"""Who owns a message while it is delivered: a claim (a conditional UPDATE) makes it one worker's for a lease, so two
workers never send the same one; a worker that dies mid-delivery leaves a lease that expires, and the message is
taken back and sent again."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from tortoise.expressions import F

from models.outbox import OutboxMessage, OutboxState
from services import clock, config
from services.messaging.mime import Envelope
from services.messaging.outbox import recorder, store
from services.messaging.outbox.retry import retry_strategy

log = logging.getLogger(__name__)

#: a claimed message belongs to its worker this long (far above one SMTP or HTTP exchange); after that it is
#: considered abandoned by a crashed process and delivered again (PORTAL_OUTBOX_LEASE_SECONDS overrides it)
LEASE = timedelta(minutes=5)


def lease() -> timedelta:
    seconds = config.settings.outbox_lease_seconds
    return timedelta(seconds=seconds) if seconds else LEASE


async def claim(ids: list[int]) -> list[OutboxMessage]:
    """PENDING → SENDING for those of `ids` still PENDING and due: the rows the UPDATE returns are ours, the others
    went to another worker in the meantime."""
    if not ids:
        return []
    now = clock.now()
    update = OutboxMessage.filter(id__in=ids, state=OutboxState.PENDING, next_attempt_at__lte=now).update(
        state=OutboxState.SENDING, lease_until=now + lease(), attempts=F('attempts') + 1
    )
    ids = await store.updated_ids(update)
    if not ids:
        return []
    return await OutboxMessage.filter(id__in=ids).order_by('next_attempt_at', 'id')


async def release(message: OutboxMessage, building: asyncio.Future[Envelope] | None) -> None:
    """A claimed message this worker will not send after all (it is stopping): back to the queue, attempt uncounted."""
    if building is not None:
        building.cancel()
        await asyncio.gather(building, return_exceptions=True)
    try:
        await store.owned(message).update(state=OutboxState.PENDING, lease_until=None, attempts=F('attempts') - 1)
    except Exception:  # the lease still brings it back
        log.exception('outbox #%s: could not hand the message back; it is retried when its lease ends', message.id)


async def take_back_abandoned() -> None:
    """SENDING past its lease: the worker died mid-delivery. Retry it, unless it has used up its attempts."""
    now = clock.now()
    ids = await OutboxMessage.filter(state=OutboxState.SENDING, lease_until__lt=now).values_list('id', flat=True)
    if not ids:
        return
    # the conditions again: a message may have moved on since it was listed
    expired = OutboxMessage.filter(id__in=ids, state=OutboxState.SENDING, lease_until__lt=now)
    note = 'delivery interrupted: the worker stopped before it finished (the message may have gone out)'
    failed = 0
    # one by one, so each one's topic hears of it (rare: a message that crashed its workers again and again)
    for message in await expired.filter(attempts__gte=retry_strategy().max_attempts):
        failed += await recorder.fail(message, note)
    retried = await expired.update(state=OutboxState.PENDING, lease_until=None, next_attempt_at=now, last_error=note)
    log.warning(
        'outbox: messages %s were abandoned mid-delivery (a worker crashed or was killed): %d queued again, '
        '%d failed for good (out of attempts)',
        store.id_list(ids), retried, failed,
    )  # fmt: skip
