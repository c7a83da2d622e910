"""Reading notices (docs/product.md, flow 8): per linked account, what a cabinet wants to hear about its readings —
reminders of the submission window (reminders.py sends them) and «Показания приняты» after each of its submissions —
by email and/or SMS; the settings block's state, saving it, queueing the confirmation, and the one-click unsubscribe
from a reminder email.

Email goes only to the cabinet's confirmed email, SMS only to its confirmed phone: a channel without one cannot be
turned on (InvalidInput at its field), and a contact no longer confirmed when a notice is due gets nothing. Saves of
one account are serialised by a lock on its row, and (cabinet, account) is unique, so two clicks leave one row.

The unsubscribe link is reusable, one per subscription: its token is the row's id and an HMAC-SHA256 of it keyed by
PORTAL_STORAGE_SECRET, so nothing secret is stored and every reminder of the row carries the same working link (mail
scanners only open it: the page's button does the unsubscribing). It dies with the row or a new storage secret; it
only ever turns reminders off, so a leaked one can do no more than that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.billing import Account
from models.cabinet import Cabinet, CabinetState, Consent
from models.readings import Meter, ReadingNotice
from services import clock, config, limits
from services.accounts.linking import linked_accounts
from services.errors import InvalidInput, NotAllowed
from services.identity import audit
from services.messaging import outbox
from services.readings.meters import zones
from services.texts import format_date, format_money, format_number, in_language, t

if TYPE_CHECKING:
    from services.readings.submission import Acknowledgement

NOTICES_CONSENT_VERSION = '2026-12'
CONSENT_KIND = 'reading_notices'
#: the settings' switches, also the fields their errors stand at
CHANNELS = ('remind_email', 'remind_sms', 'confirm_email', 'confirm_sms')
UNSUBSCRIBE_PATH = '/readings/unsubscribe'
_MAC_LABEL = 'reading-unsubscribe'


@dataclass(frozen=True)
class NoticeChoice:
    """The four switches of one account's block."""

    remind_email: bool = False
    remind_sms: bool = False
    confirm_email: bool = False
    confirm_sms: bool = False

    @classmethod
    def of(cls, row: ReadingNotice | None) -> NoticeChoice:
        return cls(**{channel: getattr(row, channel) for channel in CHANNELS}) if row else cls()

    def on(self) -> set[str]:
        return {channel for channel in CHANNELS if getattr(self, channel)}


@dataclass(frozen=True)
class NoticeState:
    """One account's block on the settings page: the choice, and where each channel would go (None: nowhere, the
    cabinet has no confirmed email or phone, and the page says why)."""

    account: Account
    choice: NoticeChoice
    email: str | None
    phone: str | None


def _contacts(cabinet: Cabinet) -> tuple[str | None, str | None]:
    email = cabinet.email if cabinet.email and cabinet.email_confirmed_at else None
    phone = cabinet.phone if cabinet.phone and cabinet.phone_confirmed_at else None
    return email, phone


async def notice_states(cabinet: Cabinet) -> list[NoticeState]:
    """One state per account linked to the cabinet, in linking order (none for a cabinet that is not active)."""
    # the cabinet as stored now: its email or phone may have been confirmed in another tab
    fresh = await Cabinet.get_or_none(id=cabinet.id, state=CabinetState.ACTIVE)
    if fresh is None:
        return []
    rows = {row.account_id: row for row in await ReadingNotice.filter(cabinet_id=fresh.id)}
    email, phone = _contacts(fresh)
    accounts = await linked_accounts(fresh.id)
    return [NoticeState(account, NoticeChoice.of(rows.get(account.id)), email, phone) for account in accounts]


def _unavailable(choice: NoticeChoice, email: str | None, phone: str | None) -> dict[str, str]:
    errors, on = {}, choice.on()
    for channel in CHANNELS:
        if channel not in on:
            continue
        if channel.endswith('_email') and email is None:
            errors[channel] = t('reading_notices.no_email')
        elif channel.endswith('_sms') and phone is None:
            errors[channel] = t('reading_notices.no_phone')
    return errors


async def _linked(cabinet_id: int, number: str) -> Account | None:
    return await Account.filter(
        number=number, links__cabinet_id=cabinet_id, links__cabinet__state=CabinetState.ACTIVE
    ).first()


async def save_reading_notices(cabinet: Cabinet, number: str, choice: NoticeChoice, *, ip: str | None) -> NoticeState:
    """«Сохранить» of one account's block. NotAllowed for an account not linked to this (active) cabinet; a channel
    without a confirmed contact is refused at its switch. Turning a channel on records the consent."""
    if not isinstance(number, str) or not isinstance(choice, NoticeChoice):
        raise NotAllowed(t('linking.error.not_linked'))
    limits.check_text(account=(number, limits.ACCOUNT))
    # anything but a real True (a forged event's 'false', 1, None) leaves a switch off
    choice = NoticeChoice(**{channel: getattr(choice, channel) is True for channel in CHANNELS})
    number = number.strip()
    who = {'cabinet_id': cabinet.id, 'login': cabinet.login, 'ip': ip, 'account': number}
    account = await _linked(cabinet.id, number)
    if account is None:
        await audit.record('reading_notices_refused', outcome='not_linked', **who)
        raise NotAllowed(t('linking.error.not_linked'))
    async with in_transaction():
        await Account.select_for_update().get(id=account.id)
        fresh = await Cabinet.get(id=cabinet.id)
        email, phone = _contacts(fresh)
        if errors := _unavailable(choice, email, phone):
            raise InvalidInput(errors)
        row = await ReadingNotice.get_or_none(cabinet_id=cabinet.id, account_id=account.id)
        before = NoticeChoice.of(row)
        if choice != before:
            await _store(row, fresh, account, choice, before, ip)
            await audit.record('reading_notices_saved', **who, **{channel: True for channel in choice.on()})
    return NoticeState(account, choice, email, phone)


async def _store(
    row: ReadingNotice | None,
    cabinet: Cabinet,
    account: Account,
    choice: NoticeChoice,
    before: NoticeChoice,
    ip: str | None,
) -> None:
    now = clock.now()
    if row is None:
        row = ReadingNotice(cabinet_id=cabinet.id, account_id=account.id, created_at=now)
    for channel in CHANNELS:
        setattr(row, channel, getattr(choice, channel))
    row.updated_at = now
    if choice.on() - before.on():
        # a channel turned on: the customer agreed to these messages now, with this text
        row.consent_version, row.consent_at, row.consent_ip = NOTICES_CONSENT_VERSION, now, ip
        await Consent.create(
            cabinet=cabinet, kind=CONSENT_KIND, text_version=NOTICES_CONSENT_VERSION, given_at=now, ip=ip
        )
    await row.save()


# ---- «Показания приняты» ------------------------------------------------------------------------------------------


async def queue_confirmation(cabinet_id: int, meter: Meter, number: str, ack: Acknowledgement) -> None:
    """Inside the submission's transaction: the confirmation to the channels the submitting cabinet turned on for the
    account, in the cabinet's language, so it is queued exactly when the reading is stored."""
    row = await (
        ReadingNotice.filter(cabinet_id=cabinet_id, account_id=meter.account_id)
        .filter(Q(confirm_email=True) | Q(confirm_sms=True))
        .select_related('cabinet')
        .first()
    )
    if row is None:
        return
    email, phone = _contacts(row.cabinet)
    with in_language(row.cabinet.language):
        if row.confirm_email and email:
            await outbox.send_email(
                email,
                t('reading_notices.ack.subject', number=number),
                'notice',
                _confirmation_context(meter, number, ack),
            )
        if row.confirm_sms and phone:
            await outbox.send_sms(phone, _confirmation_sms(meter, number, ack), sensitive=False)


def _zone_lines(meter: Meter, ack: Acknowledgement) -> list[str]:
    """As the page's acknowledgement: value, consumption and its cost per zone (names in the mail's language)."""
    lines = []
    for zone in zones(meter):
        line = t('readings.ack.zone', zone=zone.name, value=format_number(ack.values[zone.field].normalize()))
        kwh, cost = ack.consumption[zone.field], ack.cost[zone.field]
        if kwh is not None:
            line += ' ' + t('readings.ack.used', kwh=format_number(kwh.normalize()))
        if cost is not None:
            line += ' ' + t('readings.ack.cost', amount=format_money(cost))
        lines.append(line)
    return lines


def _confirmation_context(meter: Meter, number: str, ack: Acknowledgement) -> dict[str, object]:
    lines = [
        t('reading_notices.ack.meter', number=number, serial=ack.serial),
        t('reading_notices.ack.date', date=format_date(ack.date)),
        *_zone_lines(meter, ack),
    ]
    if ack.total_cost is not None:
        lines += [t('readings.ack.total', amount=format_money(ack.total_cost)), ack.note]
    if ack.replaced:
        lines.append(t('readings.ack.replaced'))
    return {
        'title': t('readings.ack.title'),
        'lines': lines,
        'action_url': portal_url('/readings'),
        'action_label': t('reading_notices.mail.action'),
    }


def _confirmation_sms(meter: Meter, number: str, ack: Acknowledgement) -> str:
    values = ', '.join(
        t('readings.ack.zone', zone=zone.name, value=format_number(ack.values[zone.field].normalize()))
        for zone in zones(meter)
    )
    when, brand = format_date(ack.date), config.settings.brand_name
    return t('reading_notices.ack.sms', number=number, serial=ack.serial, values=values, date=when, brand=brand)


def portal_url(path: str) -> str:
    return f'{config.settings.base_url.rstrip("/")}{path}'


# ---- the unsubscribe link ------------------------------------------------------------------------------------------


def _mac(notice_id: int) -> str:
    key = config.settings.storage_secret.encode()
    digest = hmac.new(key, f'{_MAC_LABEL}:{notice_id}'.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def unsubscribe_token(notice_id: int) -> str:
    return f'{notice_id}.{_mac(notice_id)}'


def unsubscribe_url(notice_id: int) -> str:
    return portal_url(f'{UNSUBSCRIBE_PATH}?token={unsubscribe_token(notice_id)}')


def _notice_id(raw: object) -> int | None:
    """The row a token names if its MAC checks out; any other text (forged, cut, too long) is None."""
    if not isinstance(raw, str) or not raw or len(raw) > limits.TOKEN or not raw.isascii():
        return None
    number, _, mac = raw.partition('.')
    if not number.isdigit() or len(number) > 12:
        return None
    return int(number) if hmac.compare_digest(mac.encode(), _mac(int(number)).encode()) else None


async def unsubscribe_target(raw: object) -> str | None:
    """The account number an unsubscribe link is about (the page names it), None for a dead link."""
    notice_id = _notice_id(raw)
    if notice_id is None:
        return None
    row = await ReadingNotice.get_or_none(id=notice_id).select_related('account')
    return row.account.number if row else None


async def unsubscribe(raw: object, *, ip: str | None) -> str | None:
    """«Отписаться»: the row's reminders off, by email and SMS (confirmations stay as they are). The account's
    number, also when they were off already (a second click, or two at once, ends in the same row); None for a dead
    link, with nothing changed."""
    notice_id = _notice_id(raw)
    row = await ReadingNotice.get_or_none(id=notice_id).select_related('account') if notice_id else None
    if row is None:
        await audit.record('reading_unsubscribe_failure', ip=ip, outcome='dead_link')
        return None
    changed = (
        await ReadingNotice.filter(id=row.id)
        .filter(Q(remind_email=True) | Q(remind_sms=True))
        .update(remind_email=False, remind_sms=False, updated_at=clock.now())
    )
    if changed:
        await audit.record(
            'reading_reminders_unsubscribed', cabinet_id=row.cabinet_id, ip=ip, account=row.account.number
        )
    return row.account.number
