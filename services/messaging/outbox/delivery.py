"""Delivery passes: due messages are claimed, built ahead and sent over one or more lanes (an SMTP connection and
an SMS client each); a temporary failure is retried later, a permanent one fails the message for good."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterator

from models.outbox import OutboxMessage, OutboxState
from services import clock, metrics
from services.messaging.gateways import PermanentDeliveryError, TemporaryDeliveryError
from services.messaging.gateways.mail import Mailer, get_mailer
from services.messaging.gateways.sms import SmsGateway, get_sms_gateway
from services.messaging.mime import Envelope
from services.messaging.outbox import leases, store
from services.messaging.outbox.building import start_building
from services.messaging.outbox.recorder import SentRecorder, fail
from services.messaging.outbox.retry import retry_strategy

log = logging.getLogger(__name__)

#: messages a delivery lane claims and builds ahead while it sends (building runs in parallel with sending); it
#: claims more when half are gone, in one UPDATE, and reads their attachments' data in one go
BUILD_AHEAD = 32


async def deliver_due(limit: int = 50, *, connections: int = 1) -> int:
    """One delivery pass over at most `limit` due messages, sent over up to `connections` SMTP connections (and SMS
    clients) at once; returns how many this pass handled."""
    return await deliver_pass(limit, stopping=lambda: False, connections=connections)


async def deliver_all_due() -> int:
    """Passes until nothing is due (`outbox deliver`); how many messages they handled."""
    total = 0
    while handled := await deliver_due():
        total += handled
    return total


async def deliver_pass(limit: int, stopping: Callable[[], bool], connections: int = 1) -> int:
    await leases.take_back_abandoned()
    due = iter(
        await OutboxMessage.filter(state=OutboxState.PENDING, next_attempt_at__lte=clock.now())
        .order_by('next_attempt_at', 'id')
        .limit(limit)
        .values_list('id', flat=True)
    )
    recorder = SentRecorder()
    if connections == 1:
        return await _lane(due, stopping, recorder)
    async with asyncio.TaskGroup() as lanes:
        tasks = [lanes.create_task(_lane(due, stopping, recorder)) for _ in range(min(connections, limit))]
    return sum(task.result() for task in tasks)


async def _lane(due: Iterator[int], stopping: Callable[[], bool], recorder: SentRecorder) -> int:
    # a lane sends one message at a time, so a crash leaves at most `connections` messages sent but not recorded;
    # the ones it claimed and builds ahead meanwhile were never sent, and come back when their lease ends
    handled = 0
    ahead: deque[tuple[OutboxMessage, asyncio.Future[Envelope] | None]] = deque()
    async with _Gateways() as gateways:
        try:
            while not stopping():
                ids: list[int] = []
                if len(ahead) <= BUILD_AHEAD // 2:
                    # one iterator shared by the lanes: each message goes to one of them
                    ids = list(itertools.islice(due, BUILD_AHEAD - len(ahead)))
                    claimed = await leases.claim(ids)
                    ahead.extend(zip(claimed, await start_building(claimed), strict=True))
                if not ahead:
                    if ids:
                        continue  # another worker was faster: the next ones
                    break
                message, building = ahead.popleft()
                await _deliver(message, building, gateways, recorder)
                handled += 1
        finally:
            for message, building in ahead:
                await leases.release(message, building)
    return handled


async def _deliver(
    message: OutboxMessage,
    building: asyncio.Future[Envelope] | None,
    gateways: _Gateways,
    recorder: SentRecorder,
) -> None:
    sending = False
    try:
        if message.channel == store.EMAIL and building is not None:
            envelope = await building
            sending = True
            await gateways.mailer().send(envelope)
        elif message.channel == store.SMS:
            sending = True
            await gateways.sms().send(message.recipient, message.body_text)
        else:
            raise PermanentDeliveryError(f'unknown channel {message.channel!r}')
    except PermanentDeliveryError as error:
        # only a rejection by the server or provider says something about the recipient (e-bill counts bounces)
        await fail(message, str(error), refused=sending)
    except TemporaryDeliveryError as error:
        await _retry_later(message, str(error))
    except Exception as error:
        # a bug or an error a gateway did not classify: retried like a temporary one, with the traceback logged
        log.exception('outbox #%s: unexpected error delivering %s', message.id, message.channel)
        await _retry_later(message, f'{type(error).__name__}: {error}')
    else:
        await recorder.record(message)


async def _retry_later(message: OutboxMessage, error: str) -> None:
    retry_at = retry_strategy().retry_at(message.attempts, clock.now())
    if retry_at is None:
        await fail(message, f'{error} (gave up after {message.attempts} attempts)')
        return
    updated = await store.owned(message).update(
        state=OutboxState.PENDING, lease_until=None, next_attempt_at=retry_at, last_error=error
    )
    if updated:
        metrics.MESSAGES_RETRIED.labels(message.channel).inc()
        log.warning(
            'outbox #%s %s to %s: attempt %d failed, retrying at %s: %s',
            message.id, message.channel, store.mask(message.channel, message.recipient),
            message.attempts, retry_at.isoformat(timespec='seconds'), error,
        )  # fmt: skip
    else:
        store.lost_lease(message)


class _Gateways:
    """The mailer and SMS gateway of one lane, made on first use and closed when the lane ends."""

    def __init__(self) -> None:
        self._mailer: Mailer | None = None
        self._sms: SmsGateway | None = None

    def mailer(self) -> Mailer:
        if self._mailer is None:
            self._mailer = get_mailer()
        return self._mailer

    def sms(self) -> SmsGateway:
        if self._sms is None:
            self._sms = get_sms_gateway()
        return self._sms

    async def __aenter__(self) -> _Gateways:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for gateway in (self._mailer, self._sms):
            if gateway is not None:
                try:
                    await gateway.close()
                except Exception:
                    log.exception('outbox: closing %s failed', type(gateway).__name__)
