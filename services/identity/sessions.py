"""Server-side sessions: a fresh random id at every login, idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from models.cabinet import Cabinet, CabinetState, Session
from services import clock

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
#: last_seen is written at most this often, so page loads don't all write
TOUCH_EVERY = timedelta(minutes=1)


def _id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(cabinet: Cabinet, ip: str | None) -> str:
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    # every session starts from a typed password (login, or the registration form)
    await Session.create(
        id=_id(token), cabinet=cabinet, created_at=now, last_seen_at=now, password_checked_at=now, ip=ip
    )
    return token


async def resolve(token: str | None) -> Cabinet | None:
    """The active cabinet behind a session token, or None when the session is gone or timed out."""
    if not token:
        return None
    session = await Session.get_or_none(id=_id(token)).select_related('cabinet')  # one query: every click asks
    if session is None:
        return None
    now = clock.now()
    if now - session.last_seen_at > IDLE or now - session.created_at > ABSOLUTE:
        await session.delete()
        return None
    if session.cabinet.state != CabinetState.ACTIVE:
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        session.last_seen_at = now
        await session.save(update_fields=['last_seen_at'])
    return session.cabinet


async def find(token: str, *, cabinet_id: int | None = None) -> Session | None:
    """The session row behind a token (of that cabinet, when given), timed out or not."""
    if not token:
        return None
    query = Session.filter(id=_id(token))
    if cabinet_id is not None:
        query = query.filter(cabinet_id=cabinet_id)
    return await query.first()


async def end(token: str | None) -> None:
    if token:
        await Session.filter(id=_id(token)).delete()


async def end_all(cabinet_id: int) -> None:
    await Session.filter(cabinet_id=cabinet_id).delete()
