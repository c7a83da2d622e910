"""The outbox: every email and SMS is written to the database first, then delivered by a worker with retries.

`send_email` / `send_sms` join the caller's transaction, so a message exists exactly when the change it announces
does. Delivery claims a message with a conditional UPDATE, so two workers (processes) never send the same one;
a worker that dies mid-delivery leaves a lease that expires, and the message is taken back and sent again.

Other services plug in without the outbox knowing them: `register_attachment` renders a named attachment when the
email is built (a bill's PDF is made then, never stored), and `register_outcome` hears when a message of a topic is
sent or has failed for good (the e-bill marks its delivery and counts bounces).

Building an email (attachments rendered, MIME flattened) is CPU work done off the event loop: in a thread, or in
worker processes inside `build_in_processes()` — a bulk send such as the monthly bills is CPU-bound otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import multiprocessing
import os
import re
import secrets
import signal
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr, parseaddr
from functools import partial
from mimetypes import guess_type
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet, UpdateQuery
from tortoise.transactions import in_transaction

from models.outbox import OutboxMessage, OutboxState
from services import clock, config
from services.contacts import mask_email, mask_phone
from services.gateways import PermanentDeliveryError, TemporaryDeliveryError
from services.gateways.mail import Mailer, get_mailer
from services.gateways.sms import SmsGateway, get_sms_gateway
from services.texts import current_language, in_language, t

log = logging.getLogger(__name__)

EMAIL = 'email'
SMS = 'sms'

#: a claimed message belongs to its worker this long (far above one SMTP or HTTP exchange); after that it is
#: considered abandoned by a crashed process and delivered again (PORTAL_OUTBOX_LEASE_SECONDS overrides it)
LEASE = timedelta(minutes=5)
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
#: how long `OutboxWorker.stop()` lets the message in hand finish before cancelling
STOP_GRACE_SECONDS = 5.0
#: messages a delivery lane claims and builds ahead while it sends (building runs in parallel with sending); it
#: claims more when half are gone, in one UPDATE, and reads their attachments' data in one go
BUILD_AHEAD = 32
#: emails one job of a worker process builds: each job costs the sending process a round trip between processes
#: (pickling, a wake-up of its event loop), about what a small database query costs it
BUILD_CHUNK = 4
#: a message queued inside a transaction is invisible to other connections until the commit (the poll is the backstop)
AFTER_COMMIT_SECONDS = 0.2

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / 'templates' / 'email'),
    autoescape=select_autoescape(['html']),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# the templates' own words come from the catalogs too, in the language the email is queued in
_templates.globals['t'] = t


# ---- plug-ins -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """How to attach `{kind: value}`: `load` reads what the files of several messages need from the database, in the
    delivering process, as {value: data} (a value missing from it is gone: its message fails); `render` makes
    (file name, content) from one such data alone. `render` must be a module-level function and its input picklable:
    it may run in another process."""

    load: Callable[[list[Any]], Awaitable[dict[Any, Any]]]
    render: Callable[[Any], tuple[str, bytes]]


@dataclass(frozen=True)
class Outcome:
    """What a topic's owner does when one of its messages reaches its end."""

    #: the messages one commit records as sent (the lanes of a bulk send commit together, several at a time)
    on_sent: Callable[[list[OutboxMessage]], Awaitable[None]]
    #: (message, reason, refused): `refused` when the recipient's server or the SMS provider rejected the message
    #: (a 5xx reply), not when the attempts ran out or the message could not be built
    on_failed_permanently: Callable[[OutboxMessage, str, bool], Awaitable[None]]
    #: whether `on_sent` has anything to do for this message; a quick look, no I/O (a message none of whose hooks
    #: has work is recorded without a transaction: a bulk send pays for each)
    hears_sent: Callable[[OutboxMessage], bool] = lambda _: True


_attachments: dict[str, Attachment] = {}
_outcomes: dict[str, Outcome] = {}


def register_attachment(
    kind: str, load: Callable[[list[Any]], Awaitable[dict[Any, Any]]], render: Callable[[Any], tuple[str, bytes]]
) -> None:
    """How to render `{kind: value}` in a message's `attachment` (see `Attachment`). Every process that delivers
    must have it."""
    _attachments[kind] = Attachment(load, render)


def register_outcome(topic: str, outcome: Outcome) -> None:
    """Hooks for messages queued with this topic. They run inside the transaction that records the outcome: a hook
    that fails is logged, what it wrote is undone, and the message's outcome is recorded without it."""
    _outcomes[topic] = outcome


# ---- queueing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    """An email to queue: rendered from templates/email/{template}.txt and .html (both extend base.*) in `language`,
    with the files a registered renderer makes from `attachment` when the email is built, and its outcome told to
    `topic`'s hooks."""

    to: str
    subject: str
    template: str
    context: Mapping[str, Any]
    sensitive: bool = False
    attachment: Mapping[str, Any] | None = None
    topic: str = ''
    language: str = field(default_factory=current_language)


async def send_email(
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    *,
    sensitive: bool = False,
    attachment: Mapping[str, Any] | None = None,
    topic: str = '',
) -> OutboxMessage:
    """Queue an email (see `Email`). A missing context variable raises here, in the caller, not later in the worker."""
    [message] = await send_emails([Email(to, subject, template, context, sensitive, attachment, topic)])
    return message


async def send_emails(emails: Sequence[Email]) -> list[OutboxMessage]:
    """Queue several emails with one INSERT (the monthly bills are queued hundreds at a time); their messages, in
    order."""
    settings = config.settings
    shared = {'brand_name': settings.brand_name, 'brand_color': settings.brand_color, 'base_url': settings.base_url}
    now = clock.now()
    messages = []
    for email in emails:
        values = {**email.context, **shared, 'lang': email.language}
        with in_language(email.language):  # the templates' own words too
            text = _templates.get_template(f'{email.template}.txt').render(values)
            html = _templates.get_template(f'{email.template}.html').render(values)
        messages.append(
            OutboxMessage(
                channel=EMAIL,
                recipient=email.to,
                subject=email.subject,
                body_text=text,
                body_html=html,
                sensitive=email.sensitive,
                attachment=dict(email.attachment) if email.attachment else None,
                topic=email.topic,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await _enqueue(messages)
    return messages


async def send_sms(phone: str, text: str, *, sensitive: bool = True) -> OutboxMessage:
    """Queue an SMS to an E.164 number. Sensitive by default: most SMS carry a code."""
    now = clock.now()
    message = OutboxMessage(
        channel=SMS, recipient=phone, body_text=text, sensitive=sensitive, next_attempt_at=now, created_at=now
    )
    await _enqueue([message])
    return message


async def _enqueue(messages: list[OutboxMessage]) -> None:
    await _insert(messages)
    for message in messages:
        log.info('outbox #%s queued: %s to %s', message.id, message.channel, _mask(message.channel, message.recipient))
    _wake_workers()
    if _workers and isinstance(OutboxMessage._meta.db, TransactionalDBClient):
        # the worker cannot see the messages before the caller commits: wake it again shortly after
        asyncio.get_running_loop().call_later(AFTER_COMMIT_SECONDS, _wake_workers)


#: rows per INSERT: far below the bound parameters SQLite and PostgreSQL take in one statement (32,766)
INSERT_ROWS = 500


async def _insert(messages: list[OutboxMessage]) -> None:
    """INSERT the messages, many rows per statement, and give each its id. A multi-row INSERT numbers its rows in
    the order they are listed (SQLite and PostgreSQL alike), whatever order RETURNING hands them back in."""
    meta = OutboxMessage._meta
    names = [name for name in meta.fields_db_projection if name != meta.pk_attr]
    for start in range(0, len(messages), INSERT_ROWS):
        chunk = messages[start : start + INSERT_ROWS]
        query = meta.db.query_class.into(meta.basetable).columns(*(meta.fields_db_projection[n] for n in names))
        for message in chunk:
            query = query.insert(*(meta.fields_map[n].to_db_value(getattr(message, n), message) for n in names))
        rows = await meta.db.execute_query_dict(*query.returning(meta.db_pk_column).get_parameterized_sql())
        for message, id_ in zip(chunk, sorted(row[meta.db_pk_column] for row in rows), strict=True):
            message.pk = id_
            message._saved_in_db = True  # Tortoise's own mark of a row it has stored (other rows may refer to it)


def _mask(channel: str, recipient: str) -> str:
    """The recipient as logs and the operator's status show it."""
    return mask_email(recipient) if channel == EMAIL else mask_phone(recipient)


# ---- delivery ------------------------------------------------------------------------------------------------


async def deliver_due(limit: int = 50, *, connections: int = 1) -> int:
    """One delivery pass over at most `limit` due messages, sent over up to `connections` SMTP connections (and SMS
    clients) at once; returns how many this pass handled."""
    return await _deliver_pass(limit, stopping=lambda: False, connections=connections)


async def _deliver_pass(limit: int, stopping: Callable[[], bool], connections: int = 1) -> int:
    await _take_back_abandoned()
    due = iter(
        await OutboxMessage.filter(state=OutboxState.PENDING, next_attempt_at__lte=clock.now())
        .order_by('next_attempt_at', 'id')
        .limit(limit)
        .values_list('id', flat=True)
    )

    recorder = _SentRecorder()

    async def lane() -> int:
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
                        claimed = await _claim(ids)
                        ahead.extend(zip(claimed, await _start_building(claimed), strict=True))
                    if not ahead:
                        if ids:
                            continue  # another worker was faster: the next ones
                        break
                    message, building = ahead.popleft()
                    await _deliver(message, building, gateways, recorder)
                    handled += 1
            finally:
                for message, building in ahead:
                    await _release(message, building)
        return handled

    if connections == 1:
        return await lane()
    async with asyncio.TaskGroup() as lanes:
        tasks = [lanes.create_task(lane()) for _ in range(min(connections, limit))]
    return sum(task.result() for task in tasks)


def _lease() -> timedelta:
    seconds = config.settings.outbox_lease_seconds
    return timedelta(seconds=seconds) if seconds else LEASE


async def _take_back_abandoned() -> None:
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
    for message in await expired.filter(attempts__gte=config.settings.outbox_max_attempts):
        failed += await _fail(message, note)
    retried = await expired.update(state=OutboxState.PENDING, lease_until=None, next_attempt_at=now, last_error=note)
    log.warning(
        'outbox: messages %s were abandoned mid-delivery (a worker crashed or was killed): %d queued again, '
        '%d failed for good (out of attempts)',
        _ids(ids), retried, failed,
    )  # fmt: skip


async def _claim(ids: list[int]) -> list[OutboxMessage]:
    """PENDING → SENDING for those of `ids` still PENDING and due: the rows the UPDATE returns are ours, the others
    went to another worker in the meantime."""
    if not ids:
        return []
    now = clock.now()
    update = OutboxMessage.filter(id__in=ids, state=OutboxState.PENDING, next_attempt_at__lte=now).update(
        state=OutboxState.SENDING, lease_until=now + _lease(), attempts=F('attempts') + 1
    )
    ids = await _updated_ids(update)
    if not ids:
        return []
    return await OutboxMessage.filter(id__in=ids).order_by('next_attempt_at', 'id')


async def _updated_ids(update: UpdateQuery) -> list[int]:
    """Run an UPDATE and return the ids of the rows it changed (SQLite 3.35+ and PostgreSQL have RETURNING)."""
    update.sql()  # builds `update.query`, to which RETURNING is added
    rows = await OutboxMessage._meta.db.execute_query_dict(*update.query.returning('id').get_parameterized_sql())
    return [row['id'] for row in rows]


async def _release(message: OutboxMessage, building: asyncio.Future[Envelope] | None) -> None:
    """A claimed message this worker will not send after all (it is stopping): back to the queue, attempt uncounted."""
    if building is not None:
        building.cancel()
        await asyncio.gather(building, return_exceptions=True)
    try:
        await _owned(message).update(state=OutboxState.PENDING, lease_until=None, attempts=F('attempts') - 1)
    except Exception:  # the lease still brings it back
        log.exception('outbox #%s: could not hand the message back; it is retried when its lease ends', message.id)


async def _start_building(messages: list[OutboxMessage]) -> list[asyncio.Future[Envelope] | None]:
    """Read what the emails' attachments need (one read per kind for all of them), then build the emails, a few per
    job, in a thread or, inside `build_in_processes`, a worker process; SMS need no building (None)."""
    emails = [message for message in messages if message.channel == EMAIL]
    wanted: dict[str, list[Any]] = {}
    for message in emails:
        for kind, value in (message.attachment or {}).items():
            wanted.setdefault(kind, []).append(value)
    loop = asyncio.get_running_loop()
    failure: Exception | None = None
    try:
        loaded = {
            kind: await _attachments[kind].load(values) for kind, values in wanted.items() if kind in _attachments
        }
    except Exception as error:  # the database: each email of the batch is retried like after a failed send
        loaded, failure = {}, error
    futures: list[asyncio.Future[Envelope] | None] = []
    letters: list[tuple[Letter, asyncio.Future[Envelope]]] = []
    for message in messages:
        if message.channel != EMAIL:
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
        job = loop.run_in_executor(_processes, build_emails, [letter for letter, _ in chunk])
        job.add_done_callback(partial(_hand_out, [future for _, future in chunk]))
    return futures


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
        if kind not in _attachments:
            # this process lacks the plug-in (a bug in its start-up): not the message's fault, so not final
            raise TemporaryDeliveryError(f'no renderer for the attachment {kind!r} in this process')
        if value not in loaded[kind]:
            raise PermanentDeliveryError(f'the attachment {kind}={value!r} no longer exists')
        recipes.append((_attachments[kind].render, loaded[kind][value]))
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


async def _deliver(
    message: OutboxMessage,
    building: asyncio.Future[Envelope] | None,
    gateways: _Gateways,
    recorder: _SentRecorder,
) -> None:
    sending = False
    try:
        if message.channel == EMAIL and building is not None:
            envelope = await building
            sending = True
            await gateways.mailer().send(envelope)
        elif message.channel == SMS:
            sending = True
            await gateways.sms().send(message.recipient, message.body_text)
        else:
            raise PermanentDeliveryError(f'unknown channel {message.channel!r}')
    except PermanentDeliveryError as error:
        # only a rejection by the server or provider says something about the recipient (e-bill counts bounces)
        await _fail(message, str(error), refused=sending)
    except TemporaryDeliveryError as error:
        await _retry_later(message, str(error))
    except Exception as error:
        # a bug or an error a gateway did not classify: retried like a temporary one, with the traceback logged
        log.exception('outbox #%s: unexpected error delivering %s', message.id, message.channel)
        await _retry_later(message, f'{type(error).__name__}: {error}')
    else:
        await recorder.record(message)


async def _retry_later(message: OutboxMessage, error: str) -> None:
    if message.attempts >= config.settings.outbox_max_attempts:
        await _fail(message, f'{error} (gave up after {message.attempts} attempts)')
        return
    delay = min(RETRY_FIRST * 2 ** (message.attempts - 1), RETRY_MAX)
    retry_at = clock.now() + delay
    updated = await _owned(message).update(
        state=OutboxState.PENDING, lease_until=None, next_attempt_at=retry_at, last_error=error
    )
    if updated:
        log.warning(
            'outbox #%s %s to %s: attempt %d failed, retrying at %s: %s',
            message.id, message.channel, _mask(message.channel, message.recipient),
            message.attempts, retry_at.isoformat(timespec='seconds'), error,
        )  # fmt: skip
    else:
        _lost_lease(message)


class _SentRecorder:
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
                batch, self._waiting = self._waiting, []
                try:
                    owned = await _record_sent([sent for sent, _ in batch])
                except BaseException as error:
                    for _, other in batch:
                        if other is not recorded and not other.done():
                            # the lanes of the batch stop with the same error (a cancelled writer: cancelled too)
                            other.cancel() if isinstance(error, asyncio.CancelledError) else other.set_exception(error)
                    raise
                for sent, other in batch:
                    if not other.done():
                        other.set_result(sent.id in owned)
        return recorded.result()


async def _record_sent(messages: list[OutboxMessage]) -> set[int]:
    try:
        owned = await _mark_sent(messages, hooks=True)
    except _HookFailed as failure:
        # what the hook wrote is undone with the whole transaction; the outcomes are recorded again, alone (no
        # savepoint around every hook: a 100,000-bill dispatch pays for each statement)
        ids = _ids(sent.id for sent in messages)
        log.exception('outbox: the %r hook for sent failed (messages %s)', failure.topic, ids)
        owned = await _mark_sent(messages, hooks=False)
    for message in messages:
        if message.id in owned:
            channel, recipient = message.channel, _mask(message.channel, message.recipient)
            log.info('outbox #%s sent: %s to %s', message.id, channel, recipient)
        else:
            _lost_lease(message)
    return owned


async def _mark_sent(messages: list[OutboxMessage], *, hooks: bool) -> set[int]:
    heard: dict[str, list[OutboxMessage]] = {}
    for message in messages if hooks else ():
        if (outcome := _outcomes.get(message.topic)) and outcome.hears_sent(message):
            heard.setdefault(message.topic, []).append(message)
    if not heard:
        return await _set_sent(messages)  # each UPDATE is atomic on its own
    async with in_transaction():
        owned = await _set_sent(messages)
        for topic, sent in heard.items():
            try:
                await _outcomes[topic].on_sent([message for message in sent if message.id in owned])
            except Exception as error:
                raise _HookFailed(topic) from error
    return owned


async def _set_sent(messages: list[OutboxMessage]) -> set[int]:
    """SENDING → SENT for those still owned (their ids)."""
    changes: dict[str, Any] = {'state': OutboxState.SENT, 'lease_until': None, 'sent_at': clock.now()}
    owned: set[int] = set()
    for blanked in (False, True):
        if chosen := [message for message in messages if _blanked(message) == blanked]:
            update = _owned(*chosen).update(**changes, **(_BLANK if blanked else {}))
            owned.update(await _updated_ids(update))
    return owned


async def _fail(message: OutboxMessage, error: str, *, refused: bool = False) -> bool:
    """Record that a message failed for good (and tell its topic's hook, in the same transaction); False: the lease
    was lost."""
    changes: dict[str, Any] = {'state': OutboxState.FAILED, 'lease_until': None, 'last_error': error}
    if _blanked(message):
        changes |= _BLANK
    hook = None
    if outcome := _outcomes.get(message.topic):
        hook = partial(outcome.on_failed_permanently, message, error, refused)
    try:
        recorded = await _record_failure(message, changes, hook)
    except _HookFailed:
        log.exception('outbox #%s: the %r hook for failed failed', message.id, message.topic)
        recorded = await _record_failure(message, changes, None)
    if not recorded:
        _lost_lease(message)
        return False
    log.error(
        'outbox #%s FAILED for good: %s to %s after %d attempt(s): %s',
        message.id, message.channel, _mask(message.channel, message.recipient), message.attempts, error,
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
        if not await _owned(message).update(**changes):
            return False
        if hook is not None:
            try:
                await hook()
            except Exception as error:
                raise _HookFailed(message.topic) from error
    return True


#: what a delivered sensitive message keeps of its text
_BLANK = {'body_text': '', 'body_html': ''}


def _blanked(message: OutboxMessage) -> bool:
    # codes and links must not outlive their delivery in the database (the demo mailbox page shows them)
    return message.sensitive and not config.settings.demo


def _ids(ids: Iterable[int]) -> str:
    """'#1, #2' as the log names messages."""
    return ', '.join(f'#{id_}' for id_ in ids)


def _owned(*messages: OutboxMessage) -> QuerySet[OutboxMessage]:
    # `attempts` grows with every claim: if it moved, the lease expired and another worker owns the message now
    mine = Q(*(Q(id=message.id, attempts=message.attempts) for message in messages), join_type=Q.OR)
    return OutboxMessage.filter(mine, state=OutboxState.SENDING)


def _lost_lease(message: OutboxMessage) -> None:
    log.warning('outbox #%s: lease expired during delivery; another worker has taken the message over', message.id)


@dataclass(frozen=True)
class Letter:
    """Everything an email is made of, as plain data: it may be built in another process."""

    message_id: int
    created_at: datetime
    date: datetime
    sender: str
    sender_name: str
    recipient: str
    subject: str
    text: str
    html: str
    #: (render, what it renders from) per attachment
    attachments: tuple[tuple[Callable[[Any], tuple[str, bytes]], Any], ...] = ()


@dataclass(frozen=True)
class Envelope:
    """A built email as SMTP takes it."""

    sender: str
    recipients: list[str]
    data: bytes


def build_emails(letters: list[Letter]) -> list[Envelope | Exception]:
    """Several emails in one job (see BUILD_CHUNK): a letter that cannot be built gets its error, the others go on."""
    built: list[Envelope | Exception] = []
    for letter in letters:
        try:
            built.append(build_email(letter))
        except Exception as error:
            built.append(error)
    return built


def build_email(letter: Letter) -> Envelope:
    """Render the attachments and write the MIME message (CPU work: runs in a thread or a worker process).

    Written out here instead of by the email package's generator, which walks every base64 body line by line: that
    was ~2 ms of a bill email's ~10 ms of CPU. The email package still encodes the headers; each part is base64,
    so every body is 7-bit with short lines, and no boundary (it holds '_', which base64 never does) can occur in it.
    """
    name, sender = parseaddr(letter.sender) if '<' in letter.sender else (letter.sender_name, letter.sender)
    recipient = parseaddr(letter.recipient)[1]
    for address in (sender, recipient):
        if not _ADDRESS.fullmatch(address):
            raise PermanentDeliveryError(f'cannot build the message: {address!r} is not an email address')
    domain = sender.rpartition('@')[2]
    headers = [
        ('From', formataddr((name, sender), charset='utf-8')),
        ('To', recipient),
        ('Subject', Header(letter.subject, 'utf-8', header_name='Subject').encode(linesep=CRLF)),
        ('Date', format_datetime(letter.date)),
        # stable per message, so a copy re-sent after a crash can be recognised as the same message
        ('Message-ID', f'<outbox.{letter.message_id}.{int(letter.created_at.timestamp())}@{domain}>'),
        ('Auto-Submitted', 'auto-generated'),
        ('MIME-Version', '1.0'),
    ]
    body = _part('text/plain; charset="utf-8"', letter.text.encode())
    if letter.html:
        body = _multipart('alternative', [body, _part('text/html; charset="utf-8"', letter.html.encode())])
    files = []
    for render, source in letter.attachments:
        file_name, content = render(source)
        content_type = guess_type(file_name)[0] or 'application/octet-stream'
        disposition = f'attachment; filename="{file_name}"' if file_name.isascii() else (
            f"attachment; filename*={encode_rfc2231(file_name, 'utf-8')}"
        )  # fmt: skip
        files.append(_part(content_type, content, disposition))
    if files:
        body = _multipart('mixed', [body, *files])
    head = ''.join(f'{key}: {value}{CRLF}' for key, value in headers).encode()
    return Envelope(sender, [recipient], head + body)


CRLF = '\r\n'
#: what an envelope address must look like (the address forms check the rest when it is typed)
_ADDRESS = re.compile(r'[^@\s<>"]+@[^@\s<>"]+')


def _part(content_type: str, content: bytes, disposition: str = '') -> bytes:
    """A MIME part with its headers, the content in base64 lines of 76 characters."""
    head = f'Content-Type: {content_type}{CRLF}Content-Transfer-Encoding: base64{CRLF}'
    if disposition:
        head += f'Content-Disposition: {disposition}{CRLF}'
    encoded = base64.encodebytes(content).replace(b'\n', b'\r\n')
    return (head + CRLF).encode() + encoded


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f'=_{secrets.token_hex(12)}'
    delimiter = f'--{boundary}{CRLF}'.encode()
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'.encode()
        + b''.join(delimiter + part + CRLF.encode() for part in parts)
        + f'--{boundary}--{CRLF}'.encode()
    )


# ---- building in worker processes ------------------------------------------------------------------------------


def _start_worker() -> None:
    """In a worker process: give way to the process that sends, and exit when it is gone (killed with SIGKILL, say)
    instead of waiting forever for work that never comes."""
    # every message passes through the sending process, one after the other; the workers build ahead of it, so they
    # take the CPU it leaves
    os.nice(WORKER_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()


#: how much lower than the sending process the workers run (of 19)
WORKER_NICENESS = 10
_processes: ProcessPoolExecutor | None = None


@contextlib.contextmanager
def build_in_processes(workers: int | None = None) -> Iterator[None]:
    """Build emails in `workers` processes (default: one per CPU) while the block runs, e.g. for the monthly bills:
    this process then only reads and writes the database and talks SMTP."""
    global _processes
    # spawned, not forked: a fork of a process with threads (aiosqlite, the event loop's executor) can deadlock
    pool = ProcessPoolExecutor(
        workers or os.cpu_count() or 1, mp_context=multiprocessing.get_context('spawn'), initializer=_start_worker
    )
    _processes = pool
    try:
        yield
    finally:
        _processes = None
        pool.shutdown(wait=False, cancel_futures=True)


class _Gateways:
    """The mailer and SMS gateway of one pass, made on first use and closed after the pass."""

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


# ---- the worker ----------------------------------------------------------------------------------------------

_workers: set[OutboxWorker] = set()


def _wake_workers() -> None:
    for worker in _workers:
        worker.wake()


class OutboxWorker:
    """Delivers in the background of this process: at once when a message is queued here, else every
    `outbox_poll_seconds` (messages queued by other processes, retries that came due)."""

    def __init__(self, batch: int = 50) -> None:
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name='outbox-worker')
        _workers.add(self)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Let the message in hand finish (a few seconds at most), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        _, pending = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if pending:
            # a message cut off here stays SENDING until its lease expires, then it is delivered again
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        log.info('outbox worker started')
        try:
            await self._loop()
        finally:
            # also when the task is cancelled with its event loop: nobody may wake an event of a closed loop
            _workers.discard(self)
        log.info('outbox worker stopped')

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            handled = 0
            try:
                handled = await _deliver_pass(self.batch, stopping=lambda: self._stopping)
            except Exception:
                log.exception('outbox: delivery pass failed; trying again in %s s', config.settings.outbox_poll_seconds)
            if handled >= self.batch:
                continue  # a backlog: the next batch at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), config.settings.outbox_poll_seconds)


# ---- command line --------------------------------------------------------------------------------------------

_STATE_NAMES = {
    OutboxState.PENDING: 'ожидают',
    OutboxState.SENDING: 'отправляются',
    OutboxState.SENT: 'отправлены',
    OutboxState.FAILED: 'не доставлены',
}


async def cli_outbox(action: str) -> int:
    """`python main.py outbox status | deliver | work`; returns the exit code."""
    if action == 'status':
        await _print_status()
    elif action == 'deliver':
        total = 0
        while handled := await deliver_due():
            total += handled
        print(f'Обработано сообщений: {total}.')
        await _print_status()
    elif action == 'work':
        await _work_until_signal()
    else:
        print(f'Неизвестное действие: {action}')
        return 2
    return 0


async def _work_until_signal() -> None:
    """The worker in the foreground until Ctrl+C or SIGTERM (systemd stop), then a clean stop."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    worker = OutboxWorker()
    worker.start()
    print('Отправка сообщений запущена; остановка — Ctrl+C.', flush=True)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await worker.stop()
    print('Отправка сообщений остановлена.')


async def _print_status() -> None:
    rows = (
        await OutboxMessage.annotate(count=Count('id'))
        .group_by('channel', 'state')
        .values_list('channel', 'state', 'count')
    )
    counts = {(channel, OutboxState(state)): count for channel, state, count in rows}
    print('Сообщения по каналам:')
    print(f'  {"канал":<6}' + ''.join(f'{name:>15}' for name in _STATE_NAMES.values()))
    for channel in (EMAIL, SMS):
        print(f'  {channel:<6}' + ''.join(f'{counts.get((channel, state), 0):>15}' for state in _STATE_NAMES))
    oldest = await OutboxMessage.filter(state=OutboxState.PENDING).order_by('created_at', 'id').first()
    if oldest is None:
        print('Ожидающих отправки нет.')
    else:
        print(
            f'Самое старое ожидающее: #{oldest.id} {oldest.channel} {_mask(oldest.channel, oldest.recipient)}, '
            f'создано {oldest.created_at:%Y-%m-%d %H:%M} UTC, попыток {oldest.attempts}, '
            f'следующая {oldest.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC'
            + (f', последняя ошибка: {oldest.last_error}' if oldest.last_error else '')
        )
    failed = await OutboxMessage.filter(state=OutboxState.FAILED).order_by('-id').limit(5)
    if failed:
        print('Последние недоставленные:')
        for message in failed:
            recipient = _mask(message.channel, message.recipient)
            print(f'  #{message.id} {message.channel} {recipient}: {message.last_error}')
