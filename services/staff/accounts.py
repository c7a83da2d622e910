"""Staff accounts: an admin (or `staff add` on the server) adds one, which gives a one-time enrolment link to hand
over; the list of staff; a new role; disabling one (their sessions end); a new enrolment link, which starts the
enrolment over (password, second factor and recovery codes are set again).

An admin never disables, demotes or resets themselves: someone else must do it, so the console always keeps an admin
who can act, and nobody locks themselves out by a slip."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.staff import Staff, StaffRecoveryCode, StaffRole
from services import clock, limits
from services.errors import InvalidInput, NotAllowed
from services.identity import audit, tokens
from services.staff import roles, sessions
from services.staff.roles import StaffForbidden
from services.texts import t

log = logging.getLogger('portal.staff')

#: Three days: a link handed over on a Friday still works on the Monday; one forgotten dies soon. A link works once.
ENROL_TTL = timedelta(hours=72)
ENROL_PATH = '/staff/enrol'
#: 2–32 characters: Latin letters (kept lower case), digits, dot, dash and underscore, a letter or digit first
LOGIN_FORMAT = re.compile(r'[a-z0-9][a-z0-9._-]{1,31}')


class StaffState(StrEnum):
    #: the enrolment link is out and still works
    INVITED = 'invited'
    #: the enrolment link ran out before it was used: a new one is needed
    LINK_EXPIRED = 'link_expired'
    ACTIVE = 'active'
    DISABLED = 'disabled'


@dataclass(frozen=True)
class StaffMember:
    """A row of the staff list."""

    login: str
    role: StaffRole
    state: StaffState
    created_at: datetime
    last_login_at: datetime | None


def login_key(login: str) -> str:
    """A staff login as stored: without the spaces around it, lower case."""
    return login.strip().lower()


async def add_staff(login: str, role: str, *, by: Staff | None) -> tuple[Staff, str]:
    """A new staff member of `role` and their one-time enrolment link. `by`: the admin adding them; None: the command
    line on the server, whoever may run it may do this."""
    if by is not None:
        roles.require(by, StaffRole.ADMIN, 'add staff')
    limits.check_text(login=(login, limits.LOGIN), role=(role, limits.LOGIN))
    key, role = _valid_login(login), _valid_role(role)
    if await Staff.exists(login=key):
        raise InvalidInput({'login': t('staff.error.login_taken', login=key)})
    raw, link = _new_link()
    try:
        staff = await Staff.create(login=key, role=role, created_at=clock.now(), **link)
    except IntegrityError:  # the same login added at the same moment by someone else
        raise InvalidInput({'login': t('staff.error.login_taken', login=key)}) from None
    await audit.record('staff_added', staff_id=_id(by), target=key, role=role.value, by=_by(by))
    return staff, tokens.page_url(ENROL_PATH, raw)


async def list_staff(*, by: Staff | None) -> list[StaffMember]:
    """Every staff member, by login. `by`: the admin asking; None: the command line."""
    if by is not None:
        roles.require(by, StaffRole.ADMIN, 'list staff')
    now = clock.now()
    return [
        StaffMember(staff.login, StaffRole(staff.role), _state(staff, now), staff.created_at, staff.last_login_at)
        for staff in await Staff.all().order_by('login')
    ]


async def change_role(by: Staff, login: str, role: str) -> None:
    roles.require(by, StaffRole.ADMIN, 'change a role')
    limits.check_text(login=(login, limits.LOGIN), role=(role, limits.LOGIN))
    role = _valid_role(role)
    async with in_transaction():
        staff = await _other_staff(by, login)
        if staff.role == role:
            return
        await Staff.filter(id=staff.id).update(role=role)
    await audit.record(
        'staff_role_changed', staff_id=by.id, target=staff.login, role=role.value, before=staff.role.value
    )


async def disable(by: Staff, login: str) -> None:
    """They can no longer log in, and the sessions they have end now. A new enrolment link brings them back."""
    roles.require(by, StaffRole.ADMIN, 'disable staff')
    limits.check_text(login=(login, limits.LOGIN))
    async with in_transaction():
        staff = await _other_staff(by, login)
        if staff.disabled_at is not None:
            return
        await Staff.filter(id=staff.id).update(disabled_at=clock.now())
        ended = await sessions.end_all(staff.id)
    await audit.record('staff_disabled', staff_id=by.id, target=staff.login, sessions_ended=ended)


async def reissue_link(by: Staff | None, login: str) -> str:
    """A new enrolment link for someone who lost their phone or recovery codes, or was disabled: their password,
    second factor, recovery codes and sessions go, and the link sets them again. `by`: the admin; None: the command
    line (how the last admin gets back in)."""
    if by is not None:
        roles.require(by, StaffRole.ADMIN, 'reissue an enrolment link')
    limits.check_text(login=(login, limits.LOGIN))
    raw, link = _new_link()
    async with in_transaction():
        staff = await (_other_staff(by, login) if by is not None else _staff(login))
        await Staff.filter(id=staff.id).update(**link, **_NOT_ENROLLED)
        await StaffRecoveryCode.filter(staff_id=staff.id).delete()
        ended = await sessions.end_all(staff.id)
    await audit.record('staff_link_reissued', staff_id=_id(by), target=staff.login, sessions_ended=ended, by=_by(by))
    return tokens.page_url(ENROL_PATH, raw)


#: what a new enrolment link undoes: the staff member is as if just added
_NOT_ENROLLED: dict[str, Any] = {
    'enrolled_at': None,
    'password_hash': None,
    'totp_secret': None,
    'totp_last_step': None,
    'failures': 0,
    'locked_until': None,
    'disabled_at': None,
}


def _new_link() -> tuple[str, dict[str, Any]]:
    """A token for the link, and what the staff row keeps of it: its SHA-256 and when it runs out."""
    raw = secrets.token_urlsafe(32)
    return raw, {'enrol_token_hash': tokens.digest(raw), 'enrol_expires_at': clock.now() + ENROL_TTL}


def _valid_login(login: str) -> str:
    key = login_key(login)
    if not key:
        raise InvalidInput({'login': t('error.required')})
    if not LOGIN_FORMAT.fullmatch(key):
        raise InvalidInput({'login': t('staff.error.login_format')})
    return key


def _valid_role(role: str) -> StaffRole:
    # a crafted event may send any text as the role
    if role not in {known.value for known in StaffRole}:
        raise InvalidInput({'role': t('staff.error.role')})
    return StaffRole(role)


async def _staff(login: str) -> Staff:
    staff = await Staff.get_or_none(login=login_key(login))
    if staff is None:
        raise InvalidInput({'login': t('staff.error.not_found', login=login_key(login))})
    return staff


async def _other_staff(by: Staff, login: str) -> Staff:
    """The staff member an admin acts on, inside the action's transaction. The admins' rows are locked first and the
    acting one must still be among them: two admins demoting each other at once leave one admin, not none."""
    admins = await Staff.filter(role=StaffRole.ADMIN, disabled_at=None).select_for_update()
    if by.id not in {admin.id for admin in admins}:
        log.warning('staff %s refused: no longer an admin', by.login)
        raise StaffForbidden(t('staff.error.forbidden'))
    staff = await _staff(login)
    if staff.id == by.id:
        raise NotAllowed(t('staff.error.not_yourself'))
    return staff


def _state(staff: Staff, now: datetime) -> StaffState:
    if staff.disabled_at is not None:
        return StaffState.DISABLED
    if staff.enrolled_at is not None:
        return StaffState.ACTIVE
    expired = staff.enrol_expires_at is None or staff.enrol_expires_at <= now
    return StaffState.LINK_EXPIRED if expired else StaffState.INVITED


def _id(by: Staff | None) -> int | None:
    return by.id if by is not None else None


def _by(by: Staff | None) -> str:
    """Who acted, for the audit: an admin's login, or the server's command line."""
    return by.login if by is not None else 'command line'
