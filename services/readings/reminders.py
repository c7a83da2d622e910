"""Reading reminders (docs/product.md, flow 8): on the day a region's submission window opens, and two days before it
closes, each cabinet that turned reminders on for a linked account hears it by the channels it chose (notices.py),
unless every meter of the account that takes manual readings has one in this window already. Smart (ИСУ), removed and
overdue meters take none, so an account of only those gets no reminder. scheduler.py runs this in the server.

Exactly once per (cabinet, account, window, kind), whatever runs it and however often: a ReadingReminder row with that
unique key is inserted in the same transaction as the reminder's outbox messages. Runs take turns per batch (a
PostgreSQL advisory lock per window and kind, SQLite runs one write transaction at a time) and each skips what a row
says was queued, so a second tick, a restart, or another process queues nothing twice; should two runs still meet on
a key, the unique constraint rolls the later batch back whole (no message without its row) and the next tick redoes
it. A run killed mid-batch leaves neither rows nor messages of that batch.

Large bases are read in batches of subscriptions by id, each batch with a few set-based queries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.billing import Region
from models.cabinet import CabinetState, Link
from models.readings import Meter, Reading, ReadingNotice, ReadingReminder, ReadingSource, ReadingStatus
from services import clock, config
from services.db import lock_until_commit
from services.messaging import outbox
from services.readings.notices import portal_url, unsubscribe_url
from services.readings.window import Window, window
from services.texts import format_date, in_language, t

log = logging.getLogger(__name__)

OPENS = 'opens'
CLOSES = 'closes'
#: the second reminder goes this many days before the window's last day
BEFORE_CLOSING = 2
#: subscriptions per transaction: short, so SQLite's single writer (and the pages waiting on it) is never held long
BATCH = 200
#: what a batch reads of each subscription and its cabinet
_FIELDS = (
    'id', 'cabinet_id', 'account_id', 'remind_email', 'remind_sms', 'account__number', 'cabinet__state',
    'cabinet__email', 'cabinet__email_confirmed_at', 'cabinet__phone', 'cabinet__phone_confirmed_at',
    'cabinet__language',
)  # fmt: skip


@dataclass(frozen=True)
class Due:
    """Reminders of one kind due today in one window, for the regions that share it."""

    window: Window
    kind: str
    regions: tuple[int, ...]


def reminder_kind(region_window: Window, today: date) -> str | None:
    """OPENS on the window's first day, CLOSES two days before its last (when that is a later day of the window:
    a short window gets only the first), else None."""
    if today == region_window.opens:
        return OPENS
    if region_window.open and today == region_window.closes - timedelta(days=BEFORE_CLOSING):
        return CLOSES
    return None


async def due_today(today: date) -> list[Due]:
    """What is due today, the regions grouped by window (most share PORTAL_READINGS_WINDOW)."""
    grouped: dict[tuple[Window, str], list[int]] = {}
    for region in await Region.all().order_by('id'):
        region_window = window(region, today)
        if kind := reminder_kind(region_window, today):
            grouped.setdefault((region_window, kind), []).append(region.id)
    return [Due(found, kind, tuple(regions)) for (found, kind), regions in grouped.items()]


async def send_reminders(today: date | None = None) -> int:
    """Queue today's reminders (the customers' today by default); how many (cabinet, account) pairs were reminded."""
    today = today or clock.today()
    queued = 0
    for due in await due_today(today):
        queued += await _remind(due, today)
    if queued:
        log.info('reading reminders %s: %d queued', today.isoformat(), queued)
    return queued


async def _remind(due: Due, today: date) -> int:
    queued, last_id = 0, 0
    subscribed = Q(remind_email=True) | Q(remind_sms=True)
    while page := (
        await ReadingNotice.filter(subscribed, id__gt=last_id, account__region_id__in=list(due.regions))
        .order_by('id')
        .limit(BATCH)
        .values(*_FIELDS)
    ):
        last_id = page[-1]['id']
        queued += await _queue_page(due, await _waiting(page, due.window, today))
    return queued


def _channels(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """Where the reminder goes: only to the cabinet's confirmed contacts, as it stands today."""
    email = row['cabinet__email'] if row['remind_email'] and row['cabinet__email_confirmed_at'] else None
    phone = row['cabinet__phone'] if row['remind_sms'] and row['cabinet__phone_confirmed_at'] else None
    return email, phone


async def _waiting(page: list[dict[str, Any]], region_window: Window, today: date) -> list[dict[str, Any]]:
    """The rows of an active cabinet still holding the account, with a channel to send to, whose account has a meter
    that takes manual readings and has none in this window."""
    rows = [row for row in page if row['cabinet__state'] == CabinetState.ACTIVE and any(_channels(row))]
    if not rows:
        return []
    cabinets, accounts = sorted({row['cabinet_id'] for row in rows}), sorted({row['account_id'] for row in rows})
    linked = set(
        await Link.filter(cabinet_id__in=cabinets, account_id__in=accounts).values_list('cabinet_id', 'account_id')
    )
    rows = [row for row in rows if (row['cabinet_id'], row['account_id']) in linked]
    open_to_readings = await _accounts_without_reading({row['account_id'] for row in rows}, region_window, today)
    return [row for row in rows if row['account_id'] in open_to_readings]


async def _accounts_without_reading(accounts: Iterable[int], region_window: Window, today: date) -> set[int]:
    """The accounts with a meter in place, verified and read by hand, that has no reading in the window yet (the
    customer's own, any holder's, billing's: one that counts, not an estimate or a rejected one)."""
    meters = await (
        Meter.filter(account_id__in=list(accounts), smart=False, removed=None)
        .filter(Q(verify_by=None) | Q(verify_by__gte=today))
        .values_list('id', 'account_id')
    )
    if not meters:
        return set()
    read = set(
        await Reading.filter(
            meter_id__in=[meter for meter, _ in meters], date__gte=region_window.opens, superseded=False
        )
        .exclude(source=ReadingSource.CALCULATED)
        .exclude(status=ReadingStatus.REJECTED)
        .values_list('meter_id', flat=True)
    )
    return {account for meter, account in meters if meter not in read}


async def _queue_page(due: Due, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    opens = due.window.opens
    # the batch whole or not at all: a kill mid-batch leaves no message without its row, no row without its messages
    async with in_transaction() as connection:
        await lock_until_commit(connection, f'reading reminders {opens.isoformat()} {due.kind}')
        sent = set(
            await ReadingReminder.filter(
                window_opens=opens,
                kind=due.kind,
                cabinet_id__in=sorted({row['cabinet_id'] for row in rows}),
                account_id__in=sorted({row['account_id'] for row in rows}),
            ).values_list('cabinet_id', 'account_id')
        )
        new = [row for row in rows if (row['cabinet_id'], row['account_id']) not in sent]
        if not new:
            return 0
        now = clock.now()
        await ReadingReminder.bulk_create(
            ReadingReminder(
                cabinet_id=row['cabinet_id'], account_id=row['account_id'], window_opens=opens, kind=due.kind,
                created_at=now,
            )
            for row in new
        )  # fmt: skip
        emails, texts = _messages(due, new)
        if emails:
            await outbox.send_emails(emails)
        if texts:
            await outbox.send_sms_batch(texts, sensitive=False)
    return len(new)


def _messages(due: Due, rows: list[dict[str, Any]]) -> tuple[list[outbox.Email], list[tuple[str, str]]]:
    emails, texts = [], []
    for row in rows:
        email, phone = _channels(row)
        # in the language the cabinet chose last: the customer is not here to say
        with in_language(row['cabinet__language']):
            values = _values(due.window, row['account__number'])
            if email:
                emails.append(_email(due.kind, email, row['id'], values))
            if phone:
                texts.append((phone, t(f'reading_notices.{due.kind}.sms', **values, brand=config.settings.brand_name)))
    return emails, texts


def _values(region_window: Window, number: str) -> dict[str, object]:
    return {
        'number': number,
        'first': region_window.opens.day,
        'last': region_window.closes.day,
        'closes': format_date(region_window.closes),
    }


def _email(kind: str, address: str, notice_id: int, values: dict[str, object]) -> outbox.Email:
    context = {
        'title': t(f'reading_notices.{kind}.title'),
        'lines': [t(f'reading_notices.{kind}.line1', **values), t('reading_notices.remind.line2')],
        'action_url': portal_url('/readings'),
        'action_label': t('reading_notices.mail.action'),
        'unsubscribe_url': unsubscribe_url(notice_id),
        'unsubscribe_label': t('reading_notices.mail.unsubscribe'),
    }
    # sensitive: the unsubscribe link works without a login, so the stored copy loses it once delivered
    return outbox.Email(address, t(f'reading_notices.{kind}.subject', **values), 'notice', context, sensitive=True)
