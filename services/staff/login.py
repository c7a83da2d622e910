"""Staff login: login, password and a code from the authenticator app, or a recovery code in its place (then used
up). A code of a time step already used is refused (a code seen over someone's shoulder opens nothing), 5 failures
in a row lock the login for 15 minutes, and one IP gets a limited number of tries a minute. The refusal never says
which part was wrong; every success, failure and lockout is in the audit log with the staff member's id."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from tortoise.expressions import F, Q

from models.staff import Staff, StaffRecoveryCode
from services import clock, limits
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.identity import audit, passwords, ratelimit, tokens
from services.staff import sessions, totp
from services.staff.accounts import login_key
from services.texts import t

log = logging.getLogger('portal.staff')

#: failures in a row (since the last login or lockout) that lock the login; the customers' limit too
MAX_FAILURES = 5
#: how long: the customers' longest lock. A guess needs password AND code, so 5 per 15 minutes leaves an attacker
#: with the password about 1 chance in 200,000 a day of hitting a code
LOCK = timedelta(minutes=15)
#: A call centre signs in from one office address: 30 a minute there is the whole shift logging in at once, and
#: still far too few for guessing
PER_IP_MINUTE = ratelimit.Rule('staff-login-ip', 30, timedelta(minutes=1), per_ip=True)
#: a login no staff member has locks the same way, so a lockout does not tell which logins exist
UNKNOWN_FAILURES = ratelimit.Rule('staff-login-unknown', MAX_FAILURES, LOCK)
#: a recovery code with its dashes, and room for spaces around it
CODE = 32


async def login(login: str, password: str, code: str, *, ip: str | None) -> tuple[Staff, str]:
    """«Войти» on /staff/login → the staff member and a new session token.

    The attempt counts as a failure BEFORE its slow password check and is taken back by a success: parallel
    guesses each take their own place in the count, so no more than `MAX_FAILURES` are ever checked."""
    limits.check_text(login=(login, limits.LOGIN), password=(password, limits.PASSWORD), code=(code, CODE))
    key = login_key(login or '')
    fields = (('login', key), ('password', password), ('code', totp.compact(code or '')))
    if errors := {field: t('error.required') for field, value in fields if not value}:
        raise InvalidInput(errors)
    if ip and not await ratelimit.take(PER_IP_MINUTE, ip):
        await audit.record('staff_login_limited', login=key, ip=ip)
        raise TooManyAttempts(t('error.too_many_attempts'))
    staff = await Staff.get_or_none(login=key)
    await _take_attempt(staff, key, ip)
    if reason := await _refusal(staff, password, code):
        await _failed(staff, key, ip, reason)
        raise AuthenticationFailed(t('staff.error.login_failed'))
    assert staff is not None
    now = clock.now()
    await Staff.filter(id=staff.id).update(failures=0, locked_until=None, last_login_at=now)
    if passwords.needs_rehash(staff.password_hash or ''):
        await Staff.filter(id=staff.id).update(password_hash=await passwords.hash_password(password))
    token = await sessions.start(staff, ip)
    factor = 'app' if totp.is_app_code(code) else 'recovery_code'
    await audit.record('staff_login_success', staff_id=staff.id, login=key, ip=ip, factor=factor)
    return staff, token


async def logout(token: str | None, *, ip: str | None) -> None:
    """End this session; the next response clears its cookie."""
    staff = await sessions.end(token)
    if staff is not None:
        await audit.record('staff_logout', staff_id=staff.id, login=staff.login, ip=ip)


async def _take_attempt(staff: Staff | None, key: str, ip: str | None) -> None:
    """Count the attempt, or refuse it unchecked while the login is locked (the lock does not grow then)."""
    now = clock.now()
    if staff is None:
        subject = _unknown_subject(key)
        reserved = await ratelimit.reserve(UNKNOWN_FAILURES, subject)
        if await ratelimit.count(UNKNOWN_FAILURES, subject, before=reserved) < MAX_FAILURES:
            return
        await ratelimit.release(reserved)
        earlier = await ratelimit.recent(UNKNOWN_FAILURES, subject, MAX_FAILURES)
        wait = earlier[0] + LOCK - now  # until the oldest of them leaves the window
    else:
        open_now = Q(locked_until=None) | Q(locked_until__lte=now)
        counted = Staff.filter(open_now, id=staff.id, failures__lt=MAX_FAILURES)
        if await counted.update(failures=F('failures') + 1):
            return
        locked_until = (await Staff.get(id=staff.id)).locked_until
        # no lock yet: the attempts that reached the limit are still being checked, and will set it
        wait = locked_until - now if locked_until and locked_until > now else LOCK
    await audit.record('staff_login_locked', staff_id=staff.id if staff else None, login=key, ip=ip)
    raise TooManyAttempts(t('error.too_many_logins', minutes=math.ceil(wait.total_seconds() / 60)))


async def _refusal(staff: Staff | None, password: str, code: str) -> str | None:
    """Why the login fails (for the audit, never for the page), or None when it may go ahead."""
    # an unknown login still costs one password check: the answer's timing does not tell which logins exist
    if not await passwords.verify_password(staff.password_hash if staff else None, password):
        return 'password' if staff else 'unknown_login'
    assert staff is not None
    if staff.disabled_at is not None:
        return 'disabled'
    if staff.totp_secret is None or staff.enrolled_at is None:
        return 'not_enrolled'
    if totp.is_app_code(code):
        return await _app_code(staff, code)
    used = StaffRecoveryCode.filter(staff_id=staff.id, code_hash=totp.recovery_digest(code), used_at=None)
    if not await used.update(used_at=clock.now()):
        return 'code'
    left = await StaffRecoveryCode.filter(staff_id=staff.id, used_at=None).count()
    await audit.record('staff_recovery_code_used', staff_id=staff.id, login=staff.login, left=left)
    return None


async def _app_code(staff: Staff, code: str) -> str | None:
    assert staff.totp_secret is not None
    step = totp.matching_step(staff.totp_secret, code, clock.now())
    if step is None:
        return 'code'
    # taken atomically: of two logins with the same code at once, one gets it
    newer = Q(totp_last_step=None) | Q(totp_last_step__lt=step)
    taken = await Staff.filter(newer, id=staff.id).update(totp_last_step=step)
    return None if taken else 'code_replayed'


async def _failed(staff: Staff | None, key: str, ip: str | None, reason: str) -> None:
    """The counted attempt stays a failure; the one that reaches the limit locks the login."""
    staff_id = staff.id if staff else None
    await audit.record('staff_login_failure', staff_id=staff_id, login=key, ip=ip, reason=reason)
    if staff is None:
        return
    until = clock.now() + LOCK
    if await Staff.filter(id=staff.id, failures__gte=MAX_FAILURES).update(locked_until=until, failures=0):
        log.warning('staff login %s locked until %s after %d failures', key, until, MAX_FAILURES)
        await audit.record('staff_lockout', staff_id=staff_id, login=key, ip=ip, until=until.isoformat())


def _unknown_subject(key: str) -> str:
    # a digest: the typed login is any text
    return tokens.digest(key)[:32]
