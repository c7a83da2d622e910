"""Personal-data requests (issue 14, item 7; 152-FZ, arts. 14 and 21): export everything stored about a cabinet, and
erase a cabinet on request. Admins only: an export hands out a customer's whole file and an erasure cannot be undone.

The export is plain JSON values: the cabinet's row and everything hanging off it, the audit events about it and the
messages sent to it, without what works as a credential or holds one (the password hash, session ids, the hashes
of links and codes, message bodies).

Erasure, in one transaction: the cabinet goes and with it (the database's cascades) its links, sessions, consents,
links and codes in flight, e-bills and their deliveries, reading notices and reminders; readings it submitted stay
as the account's, without it. Messages to addresses only it used lose their recipient and text (sent ones) or go
(the rest: nothing more goes out to it); rate-limit counts naming its login or contacts go. The audit log keeps what
happened under a pseudonym, an HMAC of the cabinet id keyed by PORTAL_STORAGE_SECRET, in place of the login, the IP
and the contacts, and records `cabinet_erased` with the staff member and the reason. The personal accounts, bills and
payments are the utility's billing data and stay."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.cabinet import Cabinet, Consent, Link, Session
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage, OutboxState
from models.readings import Reading, ReadingNotice, ReadingReminder
from models.security import AuditEvent, LinkToken, OneTimeCode, RateEvent
from models.staff import StaffRole
from services import clock, config, limits
from services.errors import InvalidInput
from services.identity import audit, auth
from services.staff import roles
from services.staff.customers.lookup import REASON, about, addresses, cabinet_of
from services.texts import t

if TYPE_CHECKING:
    from models.staff import Staff

log = logging.getLogger('portal.staff')

#: audit detail keys whose values are a contact (masked or whole): replaced by the pseudonym on erasure
CONTACT_DETAILS = frozenset({'email', 'old', 'new', 'phone'})


def pseudonym(cabinet_id: int) -> str:
    """What the audit log calls an erased cabinet: the same for all its rows, and nobody without the storage secret
    can tell which cabinet id it stands for."""
    key = config.settings.storage_secret.encode()
    digest = hmac.new(key, f'erased-cabinet:{cabinet_id}'.encode(), hashlib.sha256).hexdigest()
    return f'erased-{digest[:16]}'


def _plain(value: Any) -> Any:
    """A value as JSON holds it: moments and days in ISO 8601, sums as exact text, states by name."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


async def _rows(query: Any, *fields: str, **named: str) -> list[dict[str, Any]]:
    """The query's rows with only these columns (`named`: output name → column through relations)."""
    rows = await query.values(*fields, **named)
    return [_plain(row) for row in rows]


_CABINET = (
    'id',
    'login',
    'email',
    'email_confirmed_at',
    'phone',
    'phone_confirmed_at',
    'surname',
    'state',
    'pending_until',
    'created_at',
    'password_changed_at',
    'language',
)
_EBILL = (
    'email',
    'enabled',
    'email_confirmed_at',
    'consent_version',
    'consent_at',
    'consent_ip',
    'bounces',
    'last_bounce',
    'updated_at',
)
_NOTICE = (
    'remind_email',
    'remind_sms',
    'confirm_email',
    'confirm_sms',
    'consent_version',
    'consent_at',
    'consent_ip',
    'created_at',
    'updated_at',
)
_READING = ('date', 't1', 't2', 't3', 'source', 'status', 'reason', 'submitted_at', 'channel', 'superseded')
_MESSAGE = ('channel', 'recipient', 'subject', 'state', 'attempts', 'last_error', 'created_at', 'sent_at')


async def export_cabinet(staff: Staff, cabinet_id: int) -> dict[str, Any]:
    """Everything stored about the cabinet, as JSON values (json.dumps takes it as it is). Audited."""
    roles.require(staff, StaffRole.ADMIN, 'export personal data')
    cabinet = await cabinet_of(cabinet_id)
    mine = {'cabinet_id': cabinet.id}
    account = {'account': 'account__number'}
    export = {
        'exported_at': _plain(clock.now()),
        'cabinet': (await _rows(Cabinet.filter(id=cabinet.id), *_CABINET))[0],
        'accounts': await _rows(
            Link.filter(**mine).order_by('linked_at', 'id'),
            'proof',
            'linked_at',
            number='account__number',
            region='account__region__name',
        ),
        'sessions': await _rows(
            Session.filter(**mine).order_by('created_at'), 'created_at', 'last_seen_at', 'password_checked_at', 'ip'
        ),
        'consents': await _rows(
            Consent.filter(**mine).order_by('given_at', 'id'), 'kind', 'text_version', 'given_at', 'ip'
        ),
        'ebills': await _rows(EBill.filter(**mine).order_by('id'), *_EBILL, **account),
        'bill_deliveries': await _rows(
            BillDelivery.filter(ebill__cabinet_id=cabinet.id).order_by('id'),
            'email',
            'created_at',
            period='bill__period',
            state='message__state',
            account='bill__account__number',
        ),
        'reading_notices': await _rows(ReadingNotice.filter(**mine).order_by('id'), *_NOTICE, **account),
        'reading_reminders': await _rows(
            ReadingReminder.filter(**mine).order_by('id'), 'window_opens', 'kind', 'created_at', **account
        ),
        'readings': await _rows(
            Reading.filter(**mine).order_by('date', 'id'),
            *_READING,
            account='meter__account__number',
            meter='meter__serial',
        ),
        'links_sent': await _rows(
            LinkToken.filter(**mine).order_by('id'), 'purpose', 'email', 'created_at', 'expires_at', 'used_at'
        ),
        'codes_sent': await _rows(
            OneTimeCode.filter(**mine).order_by('created_at'),
            'purpose',
            'phone',
            'created_at',
            'expires_at',
            'verified_at',
            'used_at',
        ),
        'audit_events': await _rows(
            AuditEvent.filter(about(cabinet)).order_by('at', 'id'), 'at', 'event', 'ip', 'detail', 'staff_id'
        ),
        'messages': await _rows(OutboxMessage.filter(recipient__in=await addresses(cabinet)).order_by('id'), *_MESSAGE),
    }
    await audit.record('cabinet_exported', cabinet_id=cabinet.id, login=cabinet.login, staff_id=staff.id)
    log.info('staff %s exported the personal data of cabinet %s', staff.id, cabinet.id)
    return export


async def _theirs_alone(cabinet: Cabinet) -> set[str]:
    """The cabinet's addresses that no other cabinet or subscription uses: a household may share one email, and
    what is another customer's stays theirs."""
    used = await addresses(cabinet)
    emails, phones = _emails(used), used - _emails(used)
    others = Cabinet.exclude(id=cabinet.id)
    shared = set(await others.filter(email__in=emails).values_list('email', flat=True))
    shared |= set(await others.filter(phone__in=phones).values_list('phone', flat=True))
    shared |= set(await EBill.exclude(cabinet_id=cabinet.id).filter(email__in=emails).values_list('email', flat=True))
    return used - shared


def _emails(addresses: set[str]) -> set[str]:
    return {address for address in addresses if '@' in address}


async def erase_cabinet(staff: Staff, cabinet_id: int, reason: str) -> str:
    """Erase the cabinet's personal data on the customer's request (`reason`, required: e.g. the request's number);
    the pseudonym the audit log keeps for it. All or nothing; a second click finds it gone (CabinetGone)."""
    roles.require(staff, StaffRole.ADMIN, 'erase a cabinet')
    limits.check_text(reason=(reason, REASON))
    reason = (reason or '').strip()
    if not reason:
        raise InvalidInput({'reason': t('error.required')})
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        alias = pseudonym(cabinet.id)
        addresses = await _theirs_alone(cabinet)
        events = await _pseudonymise_audit(cabinet, addresses, alias)
        messages = await _forget_messages(addresses, alias)
        await auth.clear_failures(cabinet.login_key)
        for subject in {cabinet.login_key, *addresses}:
            await RateEvent.filter(key__endswith=f':{subject}').delete()
        # codes asked for before the cabinet existed (registration) name the phone only
        await OneTimeCode.filter(phone__in=addresses - _emails(addresses)).delete()
        await Cabinet.filter(id=cabinet.id).delete()
        await audit.record(
            'cabinet_erased',
            cabinet_id=cabinet.id,
            login=alias,
            staff_id=staff.id,
            reason=reason,
            audit_events=events,
            messages=messages,
        )
    log.warning('staff %s erased cabinet %s on request; the audit log calls it %s', staff.id, cabinet.id, alias)
    return alias


async def _pseudonymise_audit(cabinet: Cabinet, addresses: set[str], alias: str) -> int:
    """The cabinet's audit rows (and SMS-limit rows naming its phone) keep the event, the time and the details, with
    the pseudonym for the login, no IP and the pseudonym for each contact; how many rows."""
    phones = Q(event='sms_limit', cabinet_id=None)
    rows = [
        *await AuditEvent.filter(about(cabinet)).values('id', 'detail'),
        *[
            row
            for row in await AuditEvent.filter(phones).values('id', 'detail')
            if row['detail'].get('phone') in addresses
        ],
    ]
    await AuditEvent.filter(id__in=[row['id'] for row in rows]).update(login=alias, ip=None)
    for row in rows:
        if CONTACT_DETAILS & row['detail'].keys():
            detail = {key: alias if key in CONTACT_DETAILS else value for key, value in row['detail'].items()}
            await AuditEvent.filter(id=row['id']).update(detail=detail)
    return len(rows)


async def _forget_messages(addresses: set[str], alias: str) -> int:
    """Messages to these addresses: sent ones keep their fate under the pseudonym without recipient or text (a
    bill's delivery stays recorded, so it is never sent again); the others go, so nothing more is sent. How many."""
    to_them = OutboxMessage.filter(recipient__in=addresses)
    sent = await to_them.filter(state=OutboxState.SENT).update(
        recipient=alias, subject='', body_text='', body_html='', last_error=''
    )
    # the sent ones carry the pseudonym now: what is left to them was not sent
    return sent + await OutboxMessage.filter(recipient__in=addresses).delete()
