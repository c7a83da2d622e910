"""The monthly e-bill dispatch (flow 6): each subscribed account's bill of a period by email, as the overview's PDF.

Exactly once as far as SMTP allows. A bill gets at most one BillDelivery, written in the same transaction as its
outbox message, and dispatches of a period take turns per batch: a second run, a run killed midway and started again,
or the server's monthly run racing the operator's command never queue a bill twice. Delivery is the outbox's: retries
while SMTP is down, and a lease that hands back what a killed sender held. Only those can go out twice: at most one
per SMTP connection.

`python main.py send-bills YYYY-MM [--dry-run]` queues and delivers; `bills-status YYYY-MM` shows where a period is.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from models.billing import Bill
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage, OutboxState
from services import clock, config, ebill, outbox
from services.contacts import mask_email
from services.overview import BillDocument, bill_data, bill_lines, render_document
from services.texts import format_date, format_money, in_language, period_in_sentence, t

log = logging.getLogger(__name__)

TOPIC = 'ebill'
#: the outbox message's attachment is {ATTACHMENT: bill id}: the PDF is rendered when the email is built
ATTACHMENT = 'bill_id'
#: subscriptions per transaction: short, so SQLite's single writer (and the pages waiting on it) is never held long
BATCH = 200
#: messages per lane in one delivery pass of `send-bills` (an SMTP connection is reused within a pass; the lanes
#: drain unevenly at a pass's end, so passes are long)
PASS_PER_CONNECTION = 1000
#: the longest `send-bills` waits before looking again at messages it cannot send yet (retries, leases)
WAIT_SECONDS = 5.0
PERIOD = re.compile(r'\d{4}-(0[1-9]|1[0-2])')


@dataclass(frozen=True)
class PlannedBill:
    """A bill a dry run would send."""

    number: str
    email: str
    amount_due: Decimal
    due_date: date


@dataclass
class DispatchSummary:
    period: str
    #: bills queued by this run (in a dry run: that would be)
    queued: int = 0
    #: bills an earlier run queued already (sent, waiting or failed): never queued again
    already: int = 0
    #: subscriptions skipped: on and confirmed but no bill of the period, address not confirmed, turned off
    no_bill: int = 0
    unconfirmed: int = 0
    disabled: int = 0
    #: dry run only: what would be sent
    planned: list[PlannedBill] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.no_bill + self.unconfirmed + self.disabled


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


def check_period(period: str) -> None:
    if not PERIOD.fullmatch(period):
        raise ValueError(t('dispatch.bad_period', period=period))


def previous_period(today: date) -> str:
    """'YYYY-MM' of the month before `today`'s."""
    months = today.year * 12 + today.month - 2
    return f'{months // 12:04d}-{months % 12 + 1:02d}'


def _in_period(period: str) -> str:
    """«октябрь 2026», as it reads after «за»."""
    return period_in_sentence(period)


# ---- queueing ------------------------------------------------------------------------------------------------


async def dispatch(period: str, *, dry_run: bool = False, progress: bool = False) -> DispatchSummary:
    """Queue the bill of `period` for every subscription that is on, has a confirmed address and whose account has a
    bill of that period, unless an earlier run queued it. A dry run counts and lists, and writes nothing."""
    check_period(period)
    summary = DispatchSummary(period)
    last_id = 0
    with _Bar(progress, t('dispatch.progress.queue'), await EBill.all().count()) as bar:
        while page := (
            await EBill.filter(id__gt=last_id)
            .order_by('id')
            .limit(BATCH)
            .values('id', 'account_id', 'email', 'enabled', 'email_confirmed_at', 'cabinet__language')
        ):
            last_id = page[-1]['id']
            await _queue_page(period, page, summary, dry_run)
            bar.advance(len(page))
    log.log(
        logging.DEBUG if dry_run else logging.INFO,  # `bills-status` looks with a dry run: that is no event
        'bill dispatch %s%s: queued %d, queued before %d, skipped %d (no bill %d, unconfirmed %d, off %d)',
        period, ' (dry run)' if dry_run else '', summary.queued, summary.already, summary.skipped,
        summary.no_bill, summary.unconfirmed, summary.disabled,
    )  # fmt: skip
    return summary


async def _queue_page(period: str, page: list[dict[str, Any]], summary: DispatchSummary, dry_run: bool) -> None:
    eligible: dict[int, dict[str, Any]] = {}
    for row in page:
        if not row['enabled']:
            summary.disabled += 1
        elif row['email_confirmed_at'] is None:
            summary.unconfirmed += 1
        else:
            eligible[row['account_id']] = row
    if not eligible:
        return
    bills = await Bill.filter(period=period, account_id__in=list(eligible)).values(
        'id', 'account_id', 'amount_due', 'due_date', 'account__number'
    )
    summary.no_bill += len(eligible) - len(bills)
    if dry_run:
        new = await _not_queued(bills)
        summary.planned += [
            PlannedBill(bill['account__number'], eligible[bill['account_id']]['email'], bill['amount_due'],
                        bill['due_date'])
            for bill in new
        ]  # fmt: skip
    else:
        # the batch whole or not at all: a kill mid-batch leaves none of its messages without their delivery row
        async with in_transaction() as connection:
            if connection.capabilities.dialect == 'postgres':
                # dispatches of one period (the server's and the operator's) take turns per batch, and each sees
                # what the other committed; SQLite runs one transaction at a time anyway
                await connection.execute_query('SELECT pg_advisory_xact_lock(hashtext($1))', [f'dispatch {period}'])
            new = await _not_queued(bills)
            emails = []
            for bill in new:
                # in the language of the cabinet that manages the subscription, as it chose it last
                with in_language(eligible[bill['account_id']]['cabinet__language']):
                    emails.append(_bill_email(period, bill, eligible[bill['account_id']]['email']))
            messages = await outbox.send_emails(emails)
            await BillDelivery.bulk_create(
                BillDelivery(
                    bill_id=bill['id'],
                    ebill_id=eligible[bill['account_id']]['id'],
                    email=email.to,
                    message=message,
                    created_at=message.created_at,
                )
                for bill, email, message in zip(new, emails, messages, strict=True)
            )
    summary.queued += len(new)
    summary.already += len(bills) - len(new)


async def _not_queued(bills: list[dict[str, Any]]) -> list[dict[str, Any]]:
    queued = set(
        await BillDelivery.filter(bill_id__in=[bill['id'] for bill in bills]).values_list('bill_id', flat=True)
    )
    return [bill for bill in bills if bill['id'] not in queued]


def _bill_email(period: str, bill: dict[str, Any], email: str) -> outbox.Email:
    number, when = bill['account__number'], _in_period(period)
    context = {
        'title': t('dispatch.mail.title', period=when),
        'lines': [
            t('dispatch.mail.account', number=number),
            t('dispatch.mail.amount', amount=format_money(bill['amount_due'])),
            t('dispatch.mail.due', date=format_date(bill['due_date'])),
            t('dispatch.mail.attached'),
        ],
        # the portal's address and nothing more: a bill email must not carry a way into the cabinet
        'action_url': config.settings.base_url,
        'action_label': t('dispatch.mail.action'),
    }
    subject = t('dispatch.mail.subject', period=when, number=number)
    return outbox.Email(email, subject, 'notice', context, attachment={ATTACHMENT: bill['id']}, topic=TOPIC)


# ---- what the outbox calls back ------------------------------------------------------------------------------


#: bills whose subscription counted rejections when the bill was read to be sent: their delivery ends the run of
#: rejections (for all the others, being sent changes nothing but the outbox message, the delivery's state)
_bouncing: set[int] = set()


async def _load_bills(bill_ids: list[int]) -> dict[int, BillDocument]:
    """What the PDFs of these bills show, read in two queries (bills with accounts and regions, then their lines),
    and which of them go to a subscription that counts rejections."""
    bills = await Bill.filter(id__in=bill_ids).select_related('account__region').prefetch_related(bill_lines())
    bouncing = BillDelivery.filter(bill_id__in=bill_ids, ebill__bounces__gt=0)
    _bouncing.update(await bouncing.values_list('bill_id', flat=True))
    return {bill.id: bill_data(bill.account, bill) for bill in bills}


def _ends_bounces(message: OutboxMessage) -> bool:
    return (message.attachment or {}).get(ATTACHMENT) in _bouncing


async def _on_sent(messages: list[OutboxMessage]) -> None:
    bills = [message.attachment[ATTACHMENT] for message in messages]
    _bouncing.difference_update(bills)
    await ebill.record_delivery(Subquery(BillDelivery.filter(bill_id__in=bills).values('ebill_id')))


async def _on_failed(message: OutboxMessage, reason: str, refused: bool) -> None:
    if not refused:  # attempts running out (SMTP down for hours) says nothing about the address
        return
    delivery = await BillDelivery.get_or_none(message_id=message.id)
    if delivery is not None:
        await ebill.record_bounce(delivery.ebill_id, reason, email=delivery.email)


outbox.register_attachment(ATTACHMENT, _load_bills, render_document)
outbox.register_outcome(
    TOPIC, outbox.Outcome(on_sent=_on_sent, on_failed_permanently=_on_failed, hears_sent=_ends_bounces)
)


# ---- delivering and watching ---------------------------------------------------------------------------------


async def delivery_status(period: str) -> DeliveryStatus:
    rows = (
        await BillDelivery.filter(bill__period=period)
        .annotate(count=Count('id'))
        .group_by('message__state')
        .values_list('message__state', 'count')
    )
    return DeliveryStatus(period, {OutboxState(state): count for state, count in rows})


async def delivery_failures(period: str) -> list[tuple[str, str, str]]:
    """(account number, masked address, reason) of the period's bills that failed for good."""
    rows = (
        await BillDelivery.filter(bill__period=period, message__state=OutboxState.FAILED)
        .order_by('id')
        .values_list('bill__account__number', 'email', 'message__last_error')
    )
    return [(number, mask_email(email), error) for number, email, error in rows]


async def deliver(period: str, *, connections: int, progress: bool = False) -> DeliveryStatus:
    """Deliver the outbox until every bill of `period` is sent or has failed for good. Retries wait for their time
    (SMTP down), and messages a killed run left SENDING come back when their lease ends."""
    status = await delivery_status(period)
    with _Bar(progress, t('dispatch.progress.send'), status.total) as bar:
        bar.show(status.total - status.open)
        while status.open:
            if handled := await outbox.deliver_due(connections * PASS_PER_CONNECTION, connections=connections):
                # the period's status joins all its deliveries (100,000 rows at a big utility): counted only when a
                # pass finds nothing to do, the bar meanwhile counts what the passes handled
                bar.advance(handled)
                continue
            status = await delivery_status(period)
            bar.show(status.total - status.open)
            if status.open:
                await asyncio.sleep(await _until_due(period))
    return status


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


class _Bar:
    """A rich progress bar while a terminal watches; nothing otherwise (a pipe, a test, the server's monthly run)."""

    def __init__(self, show: bool, description: str, total: int) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._handlers: list[logging.StreamHandler] = []
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
            )
            self._task = self._progress.add_task(description, total=total)

    def __enter__(self) -> _Bar:
        if self._progress:
            self._progress.start()
            # log lines go through rich's stand-in for stderr, above the bar, instead of tearing it
            self._handlers = [
                handler
                for handler in logging.getLogger().handlers
                if type(handler) is logging.StreamHandler and handler.stream is sys.__stderr__
            ]
            for handler in self._handlers:
                handler.setStream(sys.stderr)
        return self

    def __exit__(self, *_: object) -> None:
        if self._progress:
            for handler in self._handlers:
                handler.setStream(sys.__stderr__)
            self._progress.stop()

    def advance(self, steps: int) -> None:
        if self._progress:
            self._progress.advance(self._task, steps)

    def show(self, completed: int) -> None:
        if self._progress:
            self._progress.update(self._task, completed=completed)


# ---- the monthly run in the server ---------------------------------------------------------------------------


class BillScheduler:
    """On PORTAL_BILL_DAY of each month (the customers' date) the previous month's bills are queued, once per process
    (a second trigger after a restart queues nothing new); the server's outbox worker delivers them."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        #: the period this process has dispatched
        self.dispatched: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name='bill-scheduler')

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task:
            # a dispatch cut off here rolls its batch back; the next start on the bill day queues the rest
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def tick(self) -> DispatchSummary | None:
        """Dispatch if today is the bill day and this process has not done it yet this month."""
        today = clock.today()
        # day 31 in a 30-day month (or February): the month's last day
        if today.day != min(config.settings.bill_day, calendar.monthrange(today.year, today.month)[1]):
            return None
        period = previous_period(today)
        if period == self.dispatched:
            return None
        log.info('bill day %s: dispatching the bills of %s', today.isoformat(), period)
        summary = await dispatch(period)
        self.dispatched = period
        return summary

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception('bill dispatch failed; trying again in %s s', self.every)
            await asyncio.sleep(self.every)


# ---- command line --------------------------------------------------------------------------------------------

_STATE_NAMES = {
    OutboxState.PENDING: 'dispatch.state.pending',
    OutboxState.SENDING: 'dispatch.state.sending',
    OutboxState.SENT: 'dispatch.state.sent',
    OutboxState.FAILED: 'dispatch.state.failed',
}


async def cli_send_bills(period: str, *, dry_run: bool) -> int:
    """`python main.py send-bills YYYY-MM [--dry-run]`: 0 when none of the period's bills failed."""
    try:
        check_period(period)
    except ValueError as error:
        print(error)
        return 2
    terminal = sys.stdout.isatty()
    summary = await dispatch(period, dry_run=dry_run, progress=terminal)
    if dry_run:
        print(t('dispatch.dry_run.title', period=_in_period(period), count=summary.queued))
        for bill in summary.planned:
            amount, due = format_money(bill.amount_due), format_date(bill.due_date)
            print(f'  {bill.number:<16} {mask_email(bill.email):<32} {amount:>16}  {due}')
        print(t('dispatch.queued', queued=summary.queued, already=summary.already))
        print(_skipped(summary))
        print(t('dispatch.dry_run.nothing_written'))
        return 0
    print(t('dispatch.queued', queued=summary.queued, already=summary.already))
    # a line per message drowns what matters in a bulk run; warnings and errors still show
    logging.getLogger(outbox.__name__).setLevel(logging.WARNING)
    before = await delivery_status(period)
    started = time.monotonic()
    with outbox.build_in_processes():  # PDFs and emails on every core: one process would be CPU-bound
        status = await deliver(period, connections=config.settings.bill_connections, progress=terminal)
    seconds = time.monotonic() - started
    delivered = before.open - status.open
    print(t('dispatch.summary', period=_in_period(period), sent=status.sent, skipped=summary.skipped,
            failed=status.failed))  # fmt: skip
    print(_skipped(summary))
    print(t('dispatch.rate', count=delivered, seconds=f'{seconds:.1f}', rate=f'{delivered / max(seconds, 0.001):.0f}'))
    log.info(
        'send-bills %s: sent %d, skipped %d, failed %d; this run delivered %d in %.1f s',
        period, status.sent, summary.skipped, status.failed, delivered, seconds,
    )  # fmt: skip
    await _print_failures(period)
    return 1 if status.failed else 0


async def cli_bills_status(period: str) -> int:
    """`python main.py bills-status YYYY-MM`."""
    try:
        check_period(period)
    except ValueError as error:
        print(error)
        return 2
    status = await delivery_status(period)
    print(t('dispatch.status.title', period=_in_period(period), code=period, total=status.total))
    for state, key in _STATE_NAMES.items():
        print(f'  {t(key):<20}{status.counts.get(state, 0):>8}')
    plan = await dispatch(period, dry_run=True)
    if plan.queued:
        print(t('dispatch.status.unqueued', count=plan.queued, period=period))
    print(_skipped(plan))
    await _print_failures(period)
    return 0


def _skipped(summary: DispatchSummary) -> str:
    return t(
        'dispatch.skipped',
        no_bill=summary.no_bill, unconfirmed=summary.unconfirmed, disabled=summary.disabled,
    )  # fmt: skip


async def _print_failures(period: str) -> None:
    failures = await delivery_failures(period)
    if failures:
        print(t('dispatch.status.failures'))
        for number, email, error in failures:
            print(f'  {number} {email}: {error}')
