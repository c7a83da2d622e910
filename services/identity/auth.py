"""Login (flow 3) and logout: one generic refusal, lockouts that do not reveal which logins exist."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from models.cabinet import Cabinet, CabinetState
from services import clock, limits, metrics
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.identity import audit, passwords, ratelimit, sessions
from services.identity.contacts import login_key
from services.texts import current_language, t

FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)


def _lock_for(streak: int) -> timedelta:
    if streak < ratelimit.LOGIN_FAILURES.limit:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** (streak - ratelimit.LOGIN_FAILURES.limit), LONGEST_LOCK)


def _login_subject(key: str) -> str:
    # a digest: typed logins are any text, and a fixed-length subject keeps «login, then IP» unambiguous
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _pair_subject(key: str, ip: str | None) -> str:
    return f'{_login_subject(key)}|{ratelimit.client_network(ip) if ip else "-"}'


async def _streak_lock(subject: str, before: int | None) -> timedelta:
    """5 failures in a row lock 1 min; each failure after a lock doubles the next one, up to 15 min. The streak
    ends 15 min (plus the lock) after a failure, or at a successful login."""
    rule = ratelimit.LOGIN_FAILURES
    streak, previous = 0, None
    # past 2 × the lock-starting count the lock is at its cap anyway
    for at in await ratelimit.recent(rule, subject, 4 * rule.limit, before=before):
        if previous is not None and at - previous > rule.window + _lock_for(streak):
            streak = 0
        streak, previous = streak + 1, at
    if previous is None:
        return timedelta(0)
    return max(_lock_for(streak) - (clock.now() - previous), timedelta(0))


async def _ceiling_lock(subject: str, before: int | None) -> timedelta:
    """Until the oldest of the last 100 failures (from any IP) leaves the hour."""
    rule = ratelimit.LOGIN_FAILURES_PER_LOGIN
    times = await ratelimit.recent(rule, subject, rule.limit, before=before)
    if len(times) < rule.limit:
        return timedelta(0)
    return max(times[0] + rule.window - clock.now(), timedelta(0))


async def lockout_left(key: str, ip: str | None = None, *, before: tuple[int, int] | None = None) -> timedelta:
    """How long this login must wait when typed from `ip`.

    Counted per typed login and IP, so an attacker locks out only their own address, and per typed login alone
    (`LOGIN_FAILURES_PER_LOGIN`), which many addresses together must reach; both whether the login exists or not,
    so a lockout tells nothing about which logins exist. `before` (the attempt's reservations) counts only the
    attempts reserved earlier."""
    pair, alone = before or (None, None)
    streak = await _streak_lock(_pair_subject(key, ip), pair)
    return max(streak, await _ceiling_lock(_login_subject(key), alone))


async def longest_lockout(key: str) -> timedelta:
    """The longest wait of this login from any IP it was tried from: what the operator sees."""
    prefix = f'{_login_subject(key)}|'
    waits = [await _streak_lock(pair, None) for pair in await ratelimit.subjects(ratelimit.LOGIN_FAILURES, prefix)]
    return max([await _ceiling_lock(_login_subject(key), None), *waits])


async def clear_failures(key: str) -> None:
    """Forget the login's failures from every IP: a new password, or the operator's `cabinet unlock`."""
    await ratelimit.clear_prefix(ratelimit.LOGIN_FAILURES, f'{_login_subject(key)}|')
    await ratelimit.clear(ratelimit.LOGIN_FAILURES_PER_LOGIN, _login_subject(key))


async def login(login: str, password: str, *, ip: str | None) -> tuple[Cabinet, str]:
    """«Войти»: a login or an account number and the password → the cabinet and a new session token.

    The attempt counts as a failure BEFORE the slow password check and is taken back only when it turns out not to
    be one: parallel guesses each get their own place in the count, so no more than the limit are ever checked."""
    limits.check_text(login=(login, limits.LOGIN), password=(password, limits.PASSWORD))
    key = login_key(login)
    limits.check_text(login=(key, limits.LOGIN))  # casefolding may lengthen it («ß» → «ss»)
    errors = {field: t('error.required') for field, value in (('login', key), ('password', password)) if not value}
    if errors:
        raise InvalidInput(errors)
    if ip and not await ratelimit.take(ratelimit.LOGIN_PER_IP_MINUTE, ip):
        await audit.record('login_limited', login=key, ip=ip)
        metrics.LOGINS.labels('limited').inc()
        raise TooManyAttempts(t('error.too_many_attempts'))
    reserved = (
        await ratelimit.reserve(ratelimit.LOGIN_FAILURES, _pair_subject(key, ip)),
        await ratelimit.reserve(ratelimit.LOGIN_FAILURES_PER_LOGIN, _login_subject(key)),
    )
    if (wait := await lockout_left(key, ip, before=reserved)) > timedelta(0):
        await ratelimit.release(*reserved)  # refused unchecked: no failure, the lock does not grow
        await audit.record('login_locked', login=key, ip=ip)
        metrics.LOGINS.labels('locked').inc()
        raise TooManyAttempts(t('error.too_many_logins', minutes=math.ceil(wait.total_seconds() / 60)))
    cabinet = await Cabinet.get_or_none(login_key=key)
    if not await passwords.verify_password(cabinet.password_hash if cabinet else None, password):
        await _failed(key, cabinet, ip)
        raise AuthenticationFailed(t('error.login_failed'))
    assert cabinet is not None
    if cabinet.state == CabinetState.PENDING:
        await ratelimit.release(*reserved)  # the right password: no failure
        metrics.LOGINS.labels('unconfirmed').inc()
        raise AuthenticationFailed(t('error.not_confirmed'))
    if cabinet.state != CabinetState.ACTIVE:
        await _failed(key, cabinet, ip)
        raise AuthenticationFailed(t('error.login_failed'))
    # a success ends the streak from this IP and the run of failures from anywhere; other IPs' locks stay theirs
    await ratelimit.clear(ratelimit.LOGIN_FAILURES, _pair_subject(key, ip))
    await ratelimit.clear(ratelimit.LOGIN_FAILURES_PER_LOGIN, _login_subject(key))
    if passwords.needs_rehash(cabinet.password_hash):
        cabinet.password_hash = await passwords.hash_password(password)
        await cabinet.save(update_fields=['password_hash'])
    if cabinet.language is None:
        # a cabinet from before languages adopts the one it first signs in with
        cabinet.language = current_language()
        await cabinet.save(update_fields=['language'])
    token = await sessions.start(cabinet, ip)
    await audit.record('login_success', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
    metrics.LOGINS.labels('success').inc()
    return cabinet, token


async def _failed(key: str, cabinet: Cabinet | None, ip: str | None) -> None:
    """The reserved attempt stays as the failure."""
    cabinet_id = cabinet.id if cabinet else None
    await audit.record('login_failure', cabinet_id=cabinet_id, login=key, ip=ip, known=cabinet is not None)
    metrics.LOGINS.labels('failure').inc()
    if (wait := await lockout_left(key, ip)) > timedelta(0):
        await audit.record('lockout', cabinet_id=cabinet_id, login=key, ip=ip, wait=str(wait))
        metrics.LOCKOUTS.inc()


async def logout(token: str | None, cabinet_id: int | None = None) -> None:
    await sessions.end(token)
    if cabinet_id is not None:
        await audit.record('logout', cabinet_id=cabinet_id)
