"""A message that failed for good, sent again on an operator's word (the console's outbox dashboard): back in the
queue with a fresh set of attempts, due at once.

Only a message that still has its text can go again: a sensitive one (a code, a link) was blanked when it failed
(store.blanked), and its code or link has expired by now anyway; the customer asks for a new one instead."""

from __future__ import annotations

import logging

from tortoise.expressions import Q

from models.outbox import OutboxMessage, OutboxState
from services import clock, config
from services.messaging.outbox import store, worker

log = logging.getLogger(__name__)


def resendable() -> Q:
    """The failed messages that kept their text (demo mode keeps every text, for the demo mailbox)."""
    return Q() if config.settings.demo else Q(sensitive=False)


async def requeue_failed(message_id: int | None = None) -> int:
    """FAILED → PENDING for the message `message_id` (None: every failed message), if it can go again; how many went
    back. One UPDATE, conditional on the state: two operators retrying at once queue each message once."""
    failed = OutboxMessage.filter(resendable(), state=OutboxState.FAILED)
    if message_id is not None:
        failed = failed.filter(id=message_id)
    # the attempts start again (the backoff too): the reason it failed is kept until the next attempt tells anew
    requeued = await failed.update(state=OutboxState.PENDING, attempts=0, next_attempt_at=clock.now(), lease_until=None)
    if requeued:
        which = store.id_list([message_id]) if message_id is not None else 'all failed'
        log.info('outbox: %d failed message(s) queued again (%s)', requeued, which)
        worker.wake_workers()
    return requeued
