"""The outbox: every email and SMS is written to the database first, then delivered by a worker with retries.

`send_email` / `send_sms` join the caller's transaction, so a message exists exactly when the change it announces
does. Delivery claims a message with a conditional UPDATE, so two workers (processes) never send the same one;
a worker that dies mid-delivery leaves a lease that expires, and the message is taken back and sent again.

Other services plug in without the outbox knowing them: `register_attachment` renders a named attachment when the
email is built (a bill's PDF is made then, never stored), and `register_outcome` hears when a message of a topic is
sent or has failed for good (the e-bill marks its delivery and counts bounces).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from mimetypes import guess_type
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.outbox import OutboxMessage, OutboxState
from services import clock, config
from services.contacts import mask_email, mask_phone
from services.gateways import PermanentDeliveryError, TemporaryDeliveryError
from services.gateways.mail import Mailer, get_mailer
from services.gateways.sms import SmsGateway, get_sms_gateway

UNFOLDED = default_policy.clone(max_line_length=998)
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
#: a message queued inside a transaction is invisible to other connections until the commit (the poll is the backstop)
AFTER_COMMIT_SECONDS = 0.2

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / 'templates' / 'email'),
    autoescape=select_autoescape(['html']),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# ---- plug-ins -------------------------------------------------------------------------------------------------

#: renders the value of an attachment entry ({kind: value}) to (file name, content)
AttachmentRenderer = Callable[[Any], Awaitable[tuple[str, bytes]]]


@dataclass(frozen=True)
class Outcome:
    """What a topic's owner does when one of its messages reaches its end."""

    on_sent: Callable[[OutboxMessage], Awaitable[None]]
    #: (message, reason, refused): `refused` when the recipient's server or the SMS provider rejected the message
    #: (a 5xx reply), not when the attempts ran out or the message could not be built
    on_failed_permanently: Callable[[OutboxMessage, str, bool], Awaitable[None]]


_renderers: dict[str, AttachmentRenderer] = {}
_outcomes: dict[str, Outcome] = {}


def register_attachment(kind: str, renderer: AttachmentRenderer) -> None:
    """How to render `{kind: value}` in a message's `attachment`. Every process that delivers must have it."""
    _renderers[kind] = renderer


def register_outcome(topic: str, outcome: Outcome) -> None:
    """Hooks for messages queued with this topic. They run inside the transaction that records the outcome, in a
    savepoint of their own: a hook that fails is logged and the message's outcome stays recorded."""
    _outcomes[topic] = outcome


# ---- queueing ------------------------------------------------------------------------------------------------


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
    """Queue an email rendered from templates/email/{template}.txt and .html (both extend base.*), with the files a
    registered renderer makes from `attachment` when the email is built, and the outcome told to `topic`'s hooks.

    A missing context variable raises here, in the caller, not later in the worker."""
    values = {**context, 'brand_name': config.settings.brand_name, 'base_url': config.settings.base_url}
    text = _templates.get_template(f'{template}.txt').render(values)
    html = _templates.get_template(f'{template}.html').render(values)
    return await _enqueue(
        EMAIL, to, text, subject=subject, html=html, sensitive=sensitive, attachment=attachment, topic=topic
    )


async def send_sms(phone: str, text: str, *, sensitive: bool = True) -> OutboxMessage:
    """Queue an SMS to an E.164 number. Sensitive by default: most SMS carry a code."""
    return await _enqueue(SMS, phone, text, sensitive=sensitive)


async def _enqueue(
    channel: str,
    recipient: str,
    text: str,
    *,
    subject: str = '',
    html: str = '',
    sensitive: bool,
    attachment: Mapping[str, Any] | None = None,
    topic: str = '',
) -> OutboxMessage:
    now = clock.now()
    message = await OutboxMessage.create(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html,
        sensitive=sensitive,
        attachment=dict(attachment) if attachment else None,
        topic=topic,
        next_attempt_at=now,
        created_at=now,
    )
    log.info('outbox #%s queued: %s to %s', message.id, channel, _mask(channel, recipient))
    _wake_workers()
    if _workers and isinstance(OutboxMessage._meta.db, TransactionalDBClient):
        # the worker cannot see the message before the caller commits: wake it again shortly after
        asyncio.get_running_loop().call_later(AFTER_COMMIT_SECONDS, _wake_workers)
    return message


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

    async def lane() -> int:
        # each lane holds one claimed message at a time: a crash leaves at most `connections` messages in doubt
        handled = 0
        async with _Gateways() as gateways:
            for message_id in due:  # one iterator shared by the lanes: each message goes to one of them
                if stopping():
                    break
                message = await _claim(message_id)
                if message is None:
                    continue  # another worker was faster
                await _deliver(message, gateways)
                handled += 1
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
        failed += await _finish(message, OutboxState.FAILED, note)
    retried = await expired.update(state=OutboxState.PENDING, lease_until=None, next_attempt_at=now, last_error=note)
    log.warning(
        'outbox: messages %s were abandoned mid-delivery (a worker crashed or was killed): %d queued again, '
        '%d failed for good (out of attempts)',
        ', '.join(f'#{id_}' for id_ in ids), retried, failed,
    )  # fmt: skip


async def _claim(message_id: int) -> OutboxMessage | None:
    """PENDING → SENDING only if still PENDING and due: the affected row count says whether we own it."""
    now = clock.now()
    claimed = await OutboxMessage.filter(id=message_id, state=OutboxState.PENDING, next_attempt_at__lte=now).update(
        state=OutboxState.SENDING, lease_until=now + _lease(), attempts=F('attempts') + 1
    )
    if not claimed:
        return None
    return await OutboxMessage.get(id=message_id)


async def _deliver(message: OutboxMessage, gateways: _Gateways) -> None:
    sending = False
    try:
        if message.channel == EMAIL:
            email = _build_email(message, await _render_attachments(message))
            sending = True
            await gateways.mailer().send(email)
        elif message.channel == SMS:
            sending = True
            await gateways.sms().send(message.recipient, message.body_text)
        else:
            raise PermanentDeliveryError(f'unknown channel {message.channel!r}')
    except PermanentDeliveryError as error:
        # only a rejection by the server or provider says something about the recipient (e-bill counts bounces)
        await _finish(message, OutboxState.FAILED, str(error), refused=sending)
    except TemporaryDeliveryError as error:
        await _retry_later(message, str(error))
    except Exception as error:
        # a bug or an error a gateway did not classify: retried like a temporary one, with the traceback logged
        log.exception('outbox #%s: unexpected error delivering %s', message.id, message.channel)
        await _retry_later(message, f'{type(error).__name__}: {error}')
    else:
        await _finish(message, OutboxState.SENT, message.last_error)


async def _retry_later(message: OutboxMessage, error: str) -> None:
    if message.attempts >= config.settings.outbox_max_attempts:
        await _finish(message, OutboxState.FAILED, f'{error} (gave up after {message.attempts} attempts)')
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


async def _finish(message: OutboxMessage, state: OutboxState, error: str, *, refused: bool = False) -> bool:
    """Record the end of a delivery (and tell the topic's hooks, in the same transaction); False: the lease was lost."""
    now = clock.now()
    changes: dict[str, Any] = {'state': state, 'lease_until': None, 'last_error': error}
    if state == OutboxState.SENT:
        changes['sent_at'] = now
    if message.sensitive and not config.settings.demo:
        # codes and links must not outlive their delivery in the database (the demo mailbox page shows them)
        changes |= {'body_text': '', 'body_html': ''}
    async with in_transaction():
        if not await _owned(message).update(**changes):
            _lost_lease(message)
            return False
        if outcome := _outcomes.get(message.topic):
            await _tell(outcome, message, state, error, refused)
    if state == OutboxState.SENT:
        log.info('outbox #%s sent: %s to %s', message.id, message.channel, _mask(message.channel, message.recipient))
    else:
        log.error(
            'outbox #%s FAILED for good: %s to %s after %d attempt(s): %s',
            message.id, message.channel, _mask(message.channel, message.recipient), message.attempts, error,
        )  # fmt: skip
    return True


async def _tell(outcome: Outcome, message: OutboxMessage, state: OutboxState, error: str, refused: bool) -> None:
    try:
        async with in_transaction():  # a savepoint: what a failing hook wrote is undone, the outcome stays
            if state == OutboxState.SENT:
                await outcome.on_sent(message)
            else:
                await outcome.on_failed_permanently(message, error, refused)
    except Exception:
        log.exception('outbox #%s: the %r hook for %s failed', message.id, message.topic, state.value)


def _owned(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    # `attempts` grows with every claim: if it moved, the lease expired and another worker owns the message now
    return OutboxMessage.filter(id=message.id, state=OutboxState.SENDING, attempts=message.attempts)


def _lost_lease(message: OutboxMessage) -> None:
    log.warning('outbox #%s: lease expired during delivery; another worker has taken the message over', message.id)


async def _render_attachments(message: OutboxMessage) -> list[tuple[str, bytes]]:
    files = []
    for kind, value in (message.attachment or {}).items():
        renderer = _renderers.get(kind)
        if renderer is None:
            # this process lacks the plug-in (a bug in its start-up): not the message's fault, so not final
            raise TemporaryDeliveryError(f'no renderer for the attachment {kind!r} in this process')
        files.append(await renderer(value))
    return files


def _build_email(message: OutboxMessage, attachments: list[tuple[str, bytes]]) -> EmailMessage:
    settings = config.settings
    sender = settings.mail_from
    domain = sender.rpartition('@')[2].strip('> ') or 'localhost'
    # unfolded headers: Python 3.11 loses the space where it folds a long Cyrillic subject
    email = EmailMessage(policy=UNFOLDED)
    try:
        email['From'] = sender if '<' in sender else Address(settings.brand_name, addr_spec=sender)
        email['To'] = message.recipient
        email['Subject'] = message.subject
    except (ValueError, IndexError) as error:  # the email package's errors for unparsable addresses
        raise PermanentDeliveryError(f'cannot build the message: {type(error).__name__}: {error}') from error
    email['Date'] = format_datetime(clock.now())
    # stable per message, so a copy re-sent after a crash can be recognised as the same message
    email['Message-ID'] = f'<outbox.{message.id}.{int(message.created_at.timestamp())}@{domain}>'
    email['Auto-Submitted'] = 'auto-generated'
    # base64 keeps bodies 7-bit with short lines whatever line length the header policy allows
    email.set_content(message.body_text, cte='base64')
    if message.body_html:
        email.add_alternative(message.body_html, subtype='html', cte='base64')
    for name, content in attachments:
        maintype, _, subtype = (guess_type(name)[0] or 'application/octet-stream').partition('/')
        email.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return email


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
