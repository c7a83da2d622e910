"""A message's end, recorded: sent (the lanes of a pass several at a time, in one UPDATE) or failed for good, each
with its topic's hook in the same transaction; a hook that fails is logged and its writes are undone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from tortoise.transactions import in_transaction

from models.outbox import OutboxMessage, OutboxState
from services import clock, metrics
from services.identity.contacts import mask_within
from services.messaging.outbox import plugins, store

log = logging.getLogger(__name__)


class SentRecorder:
    """Records the messages the lanes of a pass have sent, several at a time: whatever went out while one write ran
    goes into the next (one UPDATE for them, in a transaction only when a topic's hook has work). A lane waits for
    its message's write before it sends another, so a crash still leaves at most one message per lane sent but not
    recorded."""

    def __init__(self) -> None:
        self._waiting: list[tuple[OutboxMessage, asyncio.Future[bool]]] = []
        self._writing = asyncio.Lock()

    async def record(self, message: OutboxMessage) -> bool:
        """SENDING → SENT, with the topic's hook; False: the lease was lost (another worker owns the message now)."""
        recorded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((message, recorded))
        async with self._writing:
            # the lane that gets the lock writes all that waits, its own message included unless a lane before did
            if not recorded.done():
                await self._write(recorded)
        return recorded.result()

    async def _write(self, mine: asyncio.Future[bool]) -> None:
        batch, self._waiting = self._waiting, []
        try:
            owned = await _record_sent([sent for sent, _ in batch])
        except BaseException as error:
            for _, other in batch:
                if other is not mine and not other.done():
                    # the lanes of the batch stop with the same error (a cancelled writer: cancelled too)
                    other.cancel() if isinstance(error, asyncio.CancelledError) else other.set_exception(error)
            raise
        for sent, other in batch:
            if not other.done():
                other.set_result(sent.id in owned)


async def _record_sent(messages: list[OutboxMessage]) -> set[int]:
    try:
        owned = await _mark_sent(messages, hooks=True)
    except _HookFailed as failure:
        # what the hook wrote is undone with the whole transaction; the outcomes are recorded again, alone (no
        # savepoint around every hook: a 100,000-bill dispatch pays for each statement)
        ids = store.id_list(sent.id for sent in messages)
        log.exception('outbox: the %r hook for sent failed (messages %s)', failure.topic, ids)
        owned = await _mark_sent(messages, hooks=False)
    for message in messages:
        if message.id in owned:
            channel, recipient = message.channel, store.mask(message.channel, message.recipient)
            metrics.MESSAGES_SENT.labels(channel).inc()
            log.info('outbox #%s sent: %s to %s', message.id, channel, recipient)
        else:
            store.lost_lease(message)
    return owned


async def _mark_sent(messages: list[OutboxMessage], *, hooks: bool) -> set[int]:
    heard: dict[str, tuple[plugins.Outcome, list[OutboxMessage]]] = {}
    for message in messages if hooks else ():
        if (outcome := plugins.outcome(message.topic)) and outcome.hears_sent(message):
            heard.setdefault(message.topic, (outcome, []))[1].append(message)
    if not heard:
        return await _set_sent(messages)  # each UPDATE is atomic on its own
    async with in_transaction():
        owned = await _set_sent(messages)
        for topic, (outcome, sent) in heard.items():
            try:
                await outcome.on_sent([message for message in sent if message.id in owned])
            except Exception as error:
                raise _HookFailed(topic) from error
    return owned


async def _set_sent(messages: list[OutboxMessage]) -> set[int]:
    """SENDING → SENT for those still owned (their ids)."""
    changes: dict[str, Any] = {'state': OutboxState.SENT, 'lease_until': None, 'sent_at': clock.now()}
    owned: set[int] = set()
    for blanked in (False, True):
        if chosen := [message for message in messages if store.blanked(message) == blanked]:
            update = store.owned(*chosen).update(**changes, **(store.BLANK if blanked else {}))
            owned.update(await store.updated_ids(update))
    return owned


async def fail(message: OutboxMessage, error: str, *, refused: bool = False) -> bool:
    """Record that a message failed for good (and tell its topic's hook, in the same transaction); False: the lease
    was lost."""
    changes: dict[str, Any] = {'state': OutboxState.FAILED, 'lease_until': None, 'last_error': error}
    if store.blanked(message):
        changes |= store.BLANK
    hook = None
    if outcome := plugins.outcome(message.topic):
        hook = partial(outcome.on_failed_permanently, message, error, refused)
    try:
        recorded = await _record_failure(message, changes, hook)
    except _HookFailed:
        log.exception('outbox #%s: the %r hook for failed failed', message.id, message.topic)
        recorded = await _record_failure(message, changes, None)
    if not recorded:
        store.lost_lease(message)
        return False
    metrics.MESSAGES_FAILED.labels(message.channel).inc()
    masked = store.mask(message.channel, message.recipient)
    log.error(
        'outbox #%s FAILED for good: %s to %s after %d attempt(s): %s',
        message.id, message.channel, masked, message.attempts, mask_within(error, message.recipient, masked),
    )  # fmt: skip
    return True


class _HookFailed(Exception):
    """An outcome hook raised (the cause)."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic)
        self.topic = topic


async def _record_failure(
    message: OutboxMessage, changes: dict[str, Any], hook: Callable[[], Awaitable[None]] | None
) -> bool:
    async with in_transaction():
        if not await store.owned(message).update(**changes):
            return False
        if hook is not None:
            try:
                await hook()
            except Exception as error:
                raise _HookFailed(message.topic) from error
    return True
