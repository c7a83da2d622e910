"""The password typed again before a profile change, and the limit on wrong ones.

`token` is the caller's raw session token; the cabinet is the one the page resolved from it. Email and phone
changes need the password typed within `REAUTH_AFTER` in this session (`confirm_password` renews it); a password
change always asks for the current one. Wrong passwords count per cabinet, `REENTRY_FAILURES`: the 5th within
15 min ends the session it was typed in, and until the window passes any further try ends its session unchecked,
so a stolen session gets no more than 5 guesses and cannot walk around the login lockout.
"""

from __future__ import annotations

from datetime import timedelta

from models.cabinet import Cabinet, Session
from services import clock, limits
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed, ReauthRequired, TooManyAttempts
from services.identity import audit, passwords, ratelimit, sessions
from services.texts import t

REAUTH_AFTER = timedelta(minutes=5)
REENTRY_FAILURES = ratelimit.Rule('reentry-fail', 5, timedelta(minutes=15))


def _recent(session: Session | None) -> bool:
    checked = session.password_checked_at if session else None
    return checked is not None and clock.now() - checked <= REAUTH_AFTER


async def password_recent(token: str) -> bool:
    """Whether this session's password was typed within `REAUTH_AFTER` (the page asks for it first otherwise)."""
    return _recent(await sessions.find(token))


async def own_session(cabinet: Cabinet, token: str) -> Session:
    """The session behind `token`, which must be this cabinet's."""
    # bound to the cabinet: a token of another cabinet's session must not vouch for this one
    session = await sessions.find(token, cabinet_id=cabinet.id)
    if session is None:
        raise NotAllowed(t('error.session_expired'))
    return session


async def recent_session(cabinet: Cabinet, token: str) -> Session:
    """`own_session`, and its password typed within `REAUTH_AFTER`: what an email or phone change needs."""
    session = await own_session(cabinet, token)
    if not _recent(session):
        raise ReauthRequired(t('error.reauth_required'))
    return session


async def check_password(cabinet: Cabinet, session: Session, password: str, field: str, ip: str | None) -> None:
    """The cabinet's password, counted against `REENTRY_FAILURES`; `field` names the input a mistake belongs to."""
    limits.check_text(**{field: (password, limits.PASSWORD)})
    if not password:
        raise InvalidInput({field: t('error.required')})
    subject = str(cabinet.id)
    # counted before the slow verify, so a burst of parallel guesses cannot all slip under the limit
    await ratelimit.record(REENTRY_FAILURES, subject)
    if await ratelimit.count(REENTRY_FAILURES, subject) > REENTRY_FAILURES.limit:
        await _end_for_guessing(cabinet, session, ip)
    if await passwords.verify_password(cabinet.password_hash, password):
        await ratelimit.clear(REENTRY_FAILURES, subject)
        return
    await audit.record('reauth_failure', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, field=field)
    if await ratelimit.exceeded(REENTRY_FAILURES, subject):
        await _end_for_guessing(cabinet, session, ip)
    raise AuthenticationFailed(t('error.password_wrong'), field)


async def _end_for_guessing(cabinet: Cabinet, session: Session, ip: str | None) -> None:
    await session.delete()
    await audit.record('reauth_lockout', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
    raise TooManyAttempts(t('error.reentry_limit'))


async def confirm_password(cabinet: Cabinet, token: str, password: str, *, ip: str | None) -> None:
    """The password typed again: email and phone changes are open for `REAUTH_AFTER` from now."""
    limits.check_text(password=(password, limits.PASSWORD))
    session = await own_session(cabinet, token)
    await check_password(cabinet, session, password, 'password', ip)
    session.password_checked_at = clock.now()
    await session.save(update_fields=['password_checked_at'])
    await audit.record('reauth', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
