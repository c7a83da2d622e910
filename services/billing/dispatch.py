"""The monthly e-bill dispatch (flow 6), its queueing: each subscribed account's bill of a period becomes an outbox
email that carries the overview's PDF. delivery.py sends a period and tells where it stands, scheduler.py is the
server's monthly run, bounces.py says what a bill email's outcome means for the e-bill.

Exactly once as far as SMTP allows. A bill gets at most one BillDelivery, written in the same transaction as its
outbox message, and dispatches of a period take turns per batch: a second run, a run killed midway and started again,
or the server's monthly run racing the operator's command never queue a bill twice. Delivery is the outbox's: retries
while SMTP is down, and a lease that hands back what a killed sender held. Only those can go out twice: at most one
per SMTP connection.

`python main.py send-bills YYYY-MM [--dry-run]` queues and delivers; `bills-status YYYY-MM` shows where a period is
(cli/bills.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from models.billing import Bill
from models.ebill import BillDelivery, EBill
from services import config
from services.billing.periods import is_period
from services.db import lock_until_commit
from services.messaging import outbox
from services.progress import SILENT, Progress
from services.texts import format_date, format_money, in_language, period_in_sentence, t

log = logging.getLogger(__name__)

TOPIC = 'ebill'
#: the outbox message's attachment is {ATTACHMENT: bill id}: the PDF is rendered when the email is built
ATTACHMENT = 'bill_id'
#: subscriptions per transaction: short, so SQLite's single writer (and the pages waiting on it) is never held long
BATCH = 200


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


def check_period(period: str) -> None:
    if not is_period(period):
        raise ValueError(t('dispatch.bad_period', period=period))


async def dispatch(period: str, *, dry_run: bool = False, progress: Progress = SILENT) -> DispatchSummary:
    """Queue the bill of `period` for every subscription that is on, has a confirmed address and whose account has a
    bill of that period, unless an earlier run queued it. A dry run counts and lists, and writes nothing."""
    check_period(period)
    summary = DispatchSummary(period)
    last_id = 0
    progress.step(t('dispatch.progress.queue'), await EBill.all().count())
    while page := (
        await EBill.filter(id__gt=last_id)
        .order_by('id')
        .limit(BATCH)
        .values('id', 'account_id', 'email', 'enabled', 'email_confirmed_at', 'cabinet__language')
    ):
        last_id = page[-1]['id']
        await _queue_page(period, page, summary, dry_run)
        progress.advance(len(page))
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
            # dispatches of one period (the server's and the operator's) take turns per batch, and each sees what
            # the other committed
            await lock_until_commit(connection, f'dispatch {period}')
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
    number, when = bill['account__number'], period_in_sentence(period)
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
