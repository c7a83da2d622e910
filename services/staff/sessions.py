"""Staff sessions, apart from the customers': a fresh random token at every login (the table keeps its SHA-256),
shorter limits than a customer's, since a console left open acts on every customer."""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.expressions import Q

from models.staff import Staff, StaffSession
from services import clock
from services.identity import tokens

#: a console nobody touched for 15 minutes asks for the login again
IDLE = timedelta(minutes=15)
#: a shift at most: after 8 hours the login is asked again, however busy the console was
ABSOLUTE = timedelta(hours=8)
#: last_seen_at is written at most this often, so page loads don't all write
TOUCH_EVERY = timedelta(minutes=1)


async def start(staff: Staff, ip: str | None) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    await StaffSession.create(id=tokens.digest(token), staff=staff, created_at=now, last_seen_at=now, ip=ip)
    return token


async def resolve(token: str | None, *, touch: bool = True) -> Staff | None:
    """The staff member behind a session token while the session is live and they may still work: not disabled,
    enrolled (a new enrolment link ends their sessions anyway). Re-read at every call, role included. `touch=False`:
    a look that is no activity (a page's own polling), so it keeps no idle session alive."""
    session = await _open_session(token)
    if session is None:
        return None
    now = clock.now()
    if now - session.last_seen_at > IDLE or now - session.created_at > ABSOLUTE:
        await StaffSession.filter(id=session.id).update(ended_at=now)
        return None
    staff = session.staff
    if staff.disabled_at is not None or staff.enrolled_at is None:
        return None
    if touch and now - session.last_seen_at > TOUCH_EVERY:
        await StaffSession.filter(id=session.id).update(last_seen_at=now)
    return staff


async def end(token: str | None) -> Staff | None:
    """End this session (a logout); the staff member it was of, or None when it was not live."""
    session = await _open_session(token)
    if session is None:
        return None
    await StaffSession.filter(id=session.id, ended_at=None).update(ended_at=clock.now())
    return session.staff


async def _open_session(token: str | None) -> StaffSession | None:
    """The session of a well-formed token, not ended, with its staff member."""
    if not tokens.well_formed(token):
        return None
    assert token is not None
    return await StaffSession.get_or_none(id=tokens.digest(token), ended_at=None).select_related('staff')


async def end_all(staff_id: int) -> int:
    """End every live session of the staff member (disabled, or a new enrolment link): how many there were."""
    return await StaffSession.filter(staff_id=staff_id, ended_at=None).update(ended_at=clock.now())


async def purge(older_than: timedelta) -> int:
    """Housekeeping: sessions that ended, idled out or reached their limit more than `older_than` ago."""
    before = clock.now() - older_than
    dead = Q(ended_at__lt=before) | Q(last_seen_at__lt=before - IDLE) | Q(created_at__lt=before - ABSOLUTE)
    return await StaffSession.filter(dead).delete()
