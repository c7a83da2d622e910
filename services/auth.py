"""Login (flow 3) and logout: one generic refusal, lockouts that do not reveal which logins exist."""

from __future__ import annotations

import math
from datetime import timedelta

from models.cabinet import Cabinet, CabinetState
from services import audit, clock, passwords, ratelimit, sessions
from services.contacts import login_key
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.texts import current_language, t

FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)


def _lock_for(streak: int) -> timedelta:
    if streak < ratelimit.LOGIN_FAILURES.limit:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** (streak - ratelimit.LOGIN_FAILURES.limit), LONGEST_LOCK)


async def lockout_left(key: str) -> timedelta:
    """How long this login must wait. 5 failures in a row lock it 1 min; each failure after a lock doubles the
    next one, up to 15 min. The streak ends 15 min (plus the lock) after a failure, or at a successful login.

    Counted per typed login, existing or not, so a lockout tells nothing about which logins exist."""
    window = ratelimit.LOGIN_FAILURES.window
    streak, previous = 0, None
    # past 2 × the lock-starting count the lock is at its cap anyway
    for at in await ratelimit.recent(ratelimit.LOGIN_FAILURES, key, 4 * ratelimit.LOGIN_FAILURES.limit):
        if previous is not None and at - previous > window + _lock_for(streak):
            streak = 0
        streak, previous = streak + 1, at
    if previous is None:
        return timedelta(0)
    return max(_lock_for(streak) - (clock.now() - previous), timedelta(0))


async def login(login: str, password: str, *, ip: str | None) -> tuple[Cabinet, str]:
    """«Войти»: a login or an account number and the password → the cabinet and a new session token."""
    key = login_key(login)
    errors = {field: t('error.required') for field, value in (('login', key), ('password', password)) if not value}
    if errors:
        raise InvalidInput(errors)
    if ip and await ratelimit.exceeded(ratelimit.LOGIN_PER_IP_MINUTE, ip):
        await audit.record('login_limited', login=key, ip=ip)
        raise TooManyAttempts(t('error.too_many_attempts'))
    if ip:
        await ratelimit.record(ratelimit.LOGIN_PER_IP_MINUTE, ip)
    if (wait := await lockout_left(key)) > timedelta(0):
        await audit.record('login_locked', login=key, ip=ip)
        raise TooManyAttempts(t('error.too_many_logins', minutes=math.ceil(wait.total_seconds() / 60)))
    cabinet = await Cabinet.get_or_none(login_key=key)
    if not await passwords.verify_password(cabinet.password_hash if cabinet else None, password):
        await _failed(key, cabinet, ip)
        raise AuthenticationFailed(t('error.login_failed'))
    assert cabinet is not None
    if cabinet.state == CabinetState.PENDING:
        raise AuthenticationFailed(t('error.not_confirmed'))
    if cabinet.state != CabinetState.ACTIVE:
        await _failed(key, cabinet, ip)
        raise AuthenticationFailed(t('error.login_failed'))
    await ratelimit.clear(ratelimit.LOGIN_FAILURES, key)
    if passwords.needs_rehash(cabinet.password_hash):
        cabinet.password_hash = await passwords.hash_password(password)
        await cabinet.save(update_fields=['password_hash'])
    if cabinet.language is None:
        # a cabinet from before languages adopts the one it first signs in with
        cabinet.language = current_language()
        await cabinet.save(update_fields=['language'])
    token = await sessions.start(cabinet, ip)
    await audit.record('login_success', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
    return cabinet, token


async def _failed(key: str, cabinet: Cabinet | None, ip: str | None) -> None:
    await ratelimit.record(ratelimit.LOGIN_FAILURES, key)
    cabinet_id = cabinet.id if cabinet else None
    await audit.record('login_failure', cabinet_id=cabinet_id, login=key, ip=ip, known=cabinet is not None)
    if (wait := await lockout_left(key)) > timedelta(0):
        await audit.record('lockout', cabinet_id=cabinet_id, login=key, ip=ip, wait=str(wait))


async def logout(token: str | None, cabinet_id: int | None = None) -> None:
    await sessions.end(token)
    if cabinet_id is not None:
        await audit.record('logout', cabinet_id=cabinet_id)
