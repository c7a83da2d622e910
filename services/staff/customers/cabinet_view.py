"""A customer's cabinet as the console shows it (issue 14, item 3): its state and lockout, contacts (masked for
viewers), linked accounts with their proof, sessions, security events, consents, e-bills and the messages sent to it.

Every list is the latest few (a cabinet years old has thousands of events); messages come without their bodies,
which hold codes and links: not even their columns are read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from models.cabinet import Cabinet, CabinetState, Consent, Link, Session
from models.ebill import EBill
from models.outbox import OutboxMessage
from models.security import AuditEvent
from models.staff import StaffRole
from services import clock
from services.identity import auth, sessions
from services.identity.cabinets import CabinetEvent
from services.identity.contacts import mask_detail, mask_email, mask_phone, mask_within
from services.messaging.outbox import SMS
from services.staff import roles
from services.staff.customers.lookup import about, addresses, cabinet_of, sees_contacts, shown_email, shown_phone

if TYPE_CHECKING:
    from models.staff import Staff

log = logging.getLogger('portal.staff')

ACCOUNTS = 100
SESSIONS = 20
EVENTS = 50
CONSENTS = 20
MESSAGES = 30
#: how much of a session's stored id names it to the console: the id is a SHA-256 of the browser's token, and the
#: page needs only to point at one session of the cabinet
SESSION_REF = 16


@dataclass(frozen=True)
class LinkedAccount:
    number: str
    region: str
    #: first_entry, payment or address
    proof: str
    linked_at: datetime


@dataclass(frozen=True)
class SessionRow:
    #: what `help_actions.end_session` takes to end this one
    ref: str
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    #: within the idle and absolute limits: the browser holding it is signed in
    live: bool


@dataclass(frozen=True)
class ConsentRow:
    #: personal_data, ebill or reading_notices
    kind: str
    text_version: str
    given_at: datetime
    ip: str | None


@dataclass(frozen=True)
class EBillRow:
    """The e-bill of one linked account."""

    number: str
    enabled: bool
    #: masked for viewers
    email: str | None
    #: the address is proven (bills go there)
    confirmed: bool
    #: this cabinet manages it (else another holder of the account does)
    managed_here: bool
    #: permanent rejections in a row (3 turn it off)
    bounces: int
    #: the receiving server's last rejection (it names the address): empty for viewers
    last_bounce: str
    consent_version: str | None
    updated_at: datetime


@dataclass(frozen=True)
class MessageRow:
    """An email or SMS sent (or being sent) to the cabinet's contacts: its fate, never its text."""

    id: int
    #: email or sms
    channel: str
    #: masked for viewers
    recipient: str
    subject: str
    #: pending, sending, sent or failed
    state: str
    attempts: int
    #: the gateway's reason of the last failure (the address masked for viewers)
    last_error: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class CabinetView:
    cabinet_id: int
    login: str
    #: active, pending or locked
    state: str
    #: a pending registration is dropped after this moment
    pending_until: datetime | None
    #: how long the login still waits after failed passwords (from the IP it waits longest at); zero when not locked
    lockout_left: timedelta
    #: whole for operators and admins, masked for viewers (`contacts_masked`)
    email: str | None
    email_confirmed: bool
    phone: str | None
    phone_confirmed: bool
    contacts_masked: bool
    surname: str | None
    #: ru, en or None (never chose)
    language: str | None
    created_at: datetime
    password_changed_at: datetime
    accounts: tuple[LinkedAccount, ...]
    #: newest first, each list at most its module constant long
    sessions: tuple[SessionRow, ...]
    events: tuple[CabinetEvent, ...]
    consents: tuple[ConsentRow, ...]
    #: one per linked account that has a subscription, in linking order
    ebills: tuple[EBillRow, ...]
    messages: tuple[MessageRow, ...]

    @property
    def locked(self) -> bool:
        """Locked by state or by failed logins: what «unlock» lifts."""
        return self.state == CabinetState.LOCKED or self.lockout_left > timedelta(0)


def session_ref(session_id: str) -> str:
    return session_id[:SESSION_REF]


async def cabinet_view(staff: Staff, cabinet_id: int) -> CabinetView:
    """Everything the console shows about one cabinet. CabinetGone when there is none with this id."""
    roles.require(staff, StaffRole.VIEWER, 'view a cabinet')
    cabinet = await cabinet_of(cabinet_id)
    links = Link.filter(cabinet_id=cabinet.id).order_by('linked_at', 'id').limit(ACCOUNTS)
    accounts = await links.values_list('account__number', 'account__region__name', 'proof', 'linked_at')
    log.info('staff %s viewed cabinet %s', staff.id, cabinet.id)
    ebills = await _ebills(staff, cabinet, [number for number, *_ in accounts])
    return CabinetView(
        cabinet_id=cabinet.id,
        login=cabinet.login,
        state=str(cabinet.state),
        pending_until=cabinet.pending_until,
        lockout_left=await auth.longest_lockout(cabinet.login_key),
        email=shown_email(staff, cabinet.email),
        email_confirmed=cabinet.email_confirmed_at is not None,
        phone=shown_phone(staff, cabinet.phone),
        phone_confirmed=cabinet.phone_confirmed_at is not None,
        contacts_masked=not sees_contacts(staff),
        surname=cabinet.surname,
        language=cabinet.language,
        created_at=cabinet.created_at,
        password_changed_at=cabinet.password_changed_at,
        accounts=tuple(LinkedAccount(*row) for row in accounts),
        sessions=await _sessions(cabinet),
        events=await _events(cabinet, masked=not sees_contacts(staff)),
        consents=await _consents(cabinet),
        ebills=ebills,
        messages=await _messages(staff, cabinet),
    )


async def _sessions(cabinet: Cabinet) -> tuple[SessionRow, ...]:
    now = clock.now()
    rows = await Session.filter(cabinet_id=cabinet.id).order_by('-last_seen_at').limit(SESSIONS)
    return tuple(
        SessionRow(
            ref=session_ref(row.id),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            ip=row.ip,
            live=now - row.last_seen_at <= sessions.IDLE and now - row.created_at <= sessions.ABSOLUTE,
        )
        for row in rows
    )


async def _events(cabinet: Cabinet, *, masked: bool) -> tuple[CabinetEvent, ...]:
    rows = await AuditEvent.filter(about(cabinet)).order_by('-at', '-id').limit(EVENTS)
    return tuple(
        CabinetEvent(row.at, row.event, row.ip, mask_detail(row.detail) if masked else row.detail, row.staff_id)
        for row in rows
    )


async def _consents(cabinet: Cabinet) -> tuple[ConsentRow, ...]:
    rows = await Consent.filter(cabinet_id=cabinet.id).order_by('-given_at', '-id').limit(CONSENTS)
    return tuple(ConsentRow(row.kind, row.text_version, row.given_at, row.ip) for row in rows)


async def _ebills(staff: Staff, cabinet: Cabinet, numbers: list[str]) -> tuple[EBillRow, ...]:
    subscriptions = await EBill.filter(account__number__in=numbers).select_related('account')
    rows = {ebill.account.number: ebill for ebill in subscriptions}
    whole = sees_contacts(staff)
    return tuple(
        EBillRow(
            number=number,
            enabled=ebill.enabled,
            email=shown_email(staff, ebill.email),
            confirmed=ebill.email_confirmed_at is not None,
            managed_here=ebill.cabinet_id == cabinet.id,
            bounces=ebill.bounces,
            last_bounce=ebill.last_bounce if whole else '',
            consent_version=ebill.consent_version,
            updated_at=ebill.updated_at,
        )
        for number in numbers
        if (ebill := rows.get(number)) is not None
    )


_MESSAGE_FIELDS = ('id', 'channel', 'recipient', 'subject', 'state', 'attempts', 'last_error', 'created_at', 'sent_at')


async def _messages(staff: Staff, cabinet: Cabinet) -> tuple[MessageRow, ...]:
    rows = (
        await OutboxMessage.filter(recipient__in=await addresses(cabinet))
        .order_by('-id')
        .limit(MESSAGES)
        .values(*_MESSAGE_FIELDS)
    )
    whole = sees_contacts(staff)
    return tuple(MessageRow(**{**(row if whole else _masked(row)), 'state': str(row['state'])}) for row in rows)


def _masked(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its recipient masked, in the gateway's reason too («550 5.1.1 <a@b>: no such user»)."""
    recipient = row['recipient']
    masked = mask_phone(recipient) if row['channel'] == SMS else mask_email(recipient)
    return {**row, 'recipient': masked, 'last_error': mask_within(row['last_error'], recipient, masked)}
