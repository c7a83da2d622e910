"""Building a claimed batch's emails ahead of sending: their attachments' data read in one go per kind, then the
emails built a few per job off the event loop (see processes)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from models.outbox import OutboxMessage
from services import clock, config
from services.messaging.gateways import PermanentDeliveryError, TemporaryDeliveryError
from services.messaging.mime import Envelope, Letter
from services.messaging.outbox import plugins, processes, store

#: emails one job of a worker process builds: each job costs the sending process a round trip between processes
#: (pickling, a wake-up of its event loop), about what a small database query costs it
BUILD_CHUNK = 4


async def start_building(messages: list[OutboxMessage]) -> list[asyncio.Future[Envelope] | None]:
    """Read what the emails' attachments need (one read per kind for all of them), then build the emails, a few per
    job, in a thread or, inside `build_in_processes`, a worker process; SMS need no building (None)."""
    loop = asyncio.get_running_loop()
    failure: Exception | None = None
    try:
        loaded = await _load_attachments([message for message in messages if message.channel == store.EMAIL])
    except Exception as error:  # the database: each email of the batch is retried like after a failed send
        loaded, failure = {}, error
    futures: list[asyncio.Future[Envelope] | None] = []
    letters: list[tuple[Letter, asyncio.Future[Envelope]]] = []
    for message in messages:
        if message.channel != store.EMAIL:
            futures.append(None)
            continue
        future: asyncio.Future[Envelope] = loop.create_future()
        futures.append(future)
        try:
            if failure is not None:
                raise failure
            letters.append((_letter(message, loaded), future))
        except Exception as error:  # `_deliver` meets it as if building had raised it
            future.set_exception(error)
    for start in range(0, len(letters), BUILD_CHUNK):
        chunk = letters[start : start + BUILD_CHUNK]
        job = processes.build_off_loop([letter for letter, _ in chunk])
        job.add_done_callback(partial(_hand_out, [future for _, future in chunk]))
    return futures


async def _load_attachments(emails: list[OutboxMessage]) -> dict[str, dict[Any, Any]]:
    """{kind: {value: data}} for the attachments of `emails` whose plug-in this process has."""
    wanted: dict[str, list[Any]] = {}
    for message in emails:
        for kind, value in (message.attachment or {}).items():
            wanted.setdefault(kind, []).append(value)
    return {
        kind: await attachment.load(values)
        for kind, values in wanted.items()
        if (attachment := plugins.attachment(kind)) is not None
    }


def _hand_out(futures: list[asyncio.Future[Envelope]], job: asyncio.Future[list[Envelope | Exception]]) -> None:
    """Each email of a job to its message's future (a future is done already when its message was released)."""
    for index, future in enumerate(futures):
        if future.done():
            continue
        if job.cancelled():  # the pool shut down
            future.cancel()
            continue
        built = job.exception() or job.result()[index]
        if isinstance(built, BaseException):
            future.set_exception(built)
        else:
            future.set_result(built)


def _letter(message: OutboxMessage, loaded: dict[str, dict[Any, Any]]) -> Letter:
    recipes = []
    for kind, value in (message.attachment or {}).items():
        if (attachment := plugins.attachment(kind)) is None:
            # this process lacks the plug-in (a bug in its start-up): not the message's fault, so not final
            raise TemporaryDeliveryError(f'no renderer for the attachment {kind!r} in this process')
        if value not in loaded[kind]:
            raise PermanentDeliveryError(f'the attachment {kind}={value!r} no longer exists')
        recipes.append((attachment.render, loaded[kind][value]))
    settings = config.settings
    return Letter(
        message_id=message.id,
        created_at=message.created_at,
        date=clock.now(),
        sender=settings.mail_from,
        sender_name=settings.brand_name,
        recipient=message.recipient,
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
        attachments=tuple(recipes),
    )
