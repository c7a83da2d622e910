"""6-digit SMS codes: bound to a purpose and a request, hashed, short-lived, few tries, few resends."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models.security import OneTimeCode
from services import clock, config, limits
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.identity import audit, ratelimit
from services.messaging import outbox
from services.texts import t

CODE_TTL = timedelta(minutes=10)
MAX_FAILURES = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_RESENDS = 3
#: how long a verified code may wait for the form that uses it (e.g. «Зарегистрироваться»)
VERIFIED_TTL = timedelta(minutes=30)
#: what a code is for, one constant per purpose, so `credentials` can decide about each of them
REGISTER = 'register'
RESET = 'reset'
CHANGE_PHONE = 'change_phone'
PURPOSES = (REGISTER, RESET, CHANGE_PHONE)


def _hash(request_id: uuid.UUID, code: str) -> str:
    # keyed, so a leaked table does not give the 10^6 codes away by a plain hash search
    key = config.settings.storage_secret.encode()
    return hmac.new(key, f'{request_id}:{code}'.encode(), hashlib.sha256).hexdigest()


async def _check_sms_limits(phone: str, ip: str | None) -> None:
    if await ratelimit.exceeded(ratelimit.SMS_PER_PHONE_HOUR, phone) or await ratelimit.exceeded(
        ratelimit.SMS_PER_PHONE_DAY, phone
    ):
        await audit.record('sms_limit', ip=ip, phone=phone)
        raise TooManyAttempts(t('error.sms_limit'), 'phone')
    if ip and await ratelimit.exceeded(ratelimit.SMS_PER_IP_HOUR, ip):
        await audit.record('sms_limit', ip=ip, phone=phone)
        raise TooManyAttempts(t('error.sms_ip_limit'), 'phone')


async def send_code(
    purpose: str,
    phone: str,
    *,
    ip: str | None,
    request_id: uuid.UUID | None = None,
    cabinet_id: int | None = None,
    sms_text_key: str = 'sms.code',
) -> uuid.UUID:
    """Send a code; with the `request_id` of an earlier request to the same phone, resend under it.

    A resend keeps the request's failure count, so asking again never buys more guesses."""
    now = clock.now()
    request = None
    if request_id is not None:
        request = await OneTimeCode.get_or_none(id=request_id, purpose=purpose, phone=phone, used_at=None)
    if request is not None:
        wait = request.sent_at + RESEND_AFTER - now
        if wait > timedelta(0):
            raise TooManyAttempts(t('error.code_resend_wait', seconds=int(wait.total_seconds()) + 1), 'code')
        if request.resends >= MAX_RESENDS or request.failures >= MAX_FAILURES:
            raise TooManyAttempts(t('error.code_resend_limit'), 'code')
    await _check_sms_limits(phone, ip)
    code = f'{secrets.randbelow(10**6):06d}'
    text = t(sms_text_key, code=code, brand=config.settings.brand_name)
    async with in_transaction():
        if request is None:
            request = await OneTimeCode.create(
                id=uuid.uuid4(),
                purpose=purpose,
                phone=phone,
                cabinet_id=cabinet_id,
                code_hash='',
                created_at=now,
                sent_at=now,
                expires_at=now + CODE_TTL,
            )
        else:
            request.resends += 1
        request.code_hash = _hash(request.id, code)
        request.sent_at = now
        request.expires_at = now + CODE_TTL
        request.verified_at = None
        await request.save()
        await ratelimit.record(ratelimit.SMS_PER_PHONE_HOUR, phone)
        if ip:
            await ratelimit.record(ratelimit.SMS_PER_IP_HOUR, ip)
        await outbox.send_sms(phone, text)
    await audit.record('code_sent', cabinet_id=cabinet_id, ip=ip, purpose=purpose, request=str(request.id))
    return request.id


async def send_decoy(purpose: str) -> uuid.UUID:
    """A request whose code is never sent (to nobody: an unknown login, a cabinet without a confirmed phone). Its
    code step counts and answers exactly like a real one, so it tells nothing about which logins exist."""
    now = clock.now()
    request_id = uuid.uuid4()
    await OneTimeCode.create(
        id=request_id,
        purpose=purpose,
        phone='',
        code_hash=_hash(request_id, f'{secrets.randbelow(10**6):06d}'),
        created_at=now,
        sent_at=now,
        expires_at=now + CODE_TTL,
    )
    return request_id


async def revoke(cabinet_id: int, *purposes: str) -> int:
    """Kill the cabinet's unused codes of these purposes: what was sent before a change must not undo it."""
    return await OneTimeCode.filter(cabinet_id=cabinet_id, purpose__in=purposes, used_at=None).update(
        used_at=clock.now()
    )


async def verify_code(request_id: uuid.UUID | None, purpose: str, code: str) -> OneTimeCode:
    """Mark the request verified when the code matches; wrong codes count against the request."""
    limits.check_text(code=(code, limits.CODE))
    value = code.strip()
    if not value.isdigit() or len(value) != 6:
        raise InvalidInput({'code': t('error.code_format')})
    request = None
    if request_id is not None:
        request = await OneTimeCode.get_or_none(id=request_id, purpose=purpose, used_at=None)
    if request is None or request.failures >= MAX_FAILURES or request.expires_at <= clock.now():
        raise AuthenticationFailed(t('error.code_dead'), 'code')
    if not hmac.compare_digest(request.code_hash, _hash(request.id, value)):
        await OneTimeCode.filter(id=request.id).update(failures=F('failures') + 1)
        left = MAX_FAILURES - request.failures - 1
        await audit.record('code_failure', cabinet_id=request.cabinet_id, purpose=purpose, left=left)
        if left <= 0:
            raise AuthenticationFailed(t('error.code_dead'), 'code')
        raise AuthenticationFailed(t('error.code_wrong', left=left), 'code')
    request.verified_at = clock.now()
    await request.save(update_fields=['verified_at'])
    await audit.record('code_verified', cabinet_id=request.cabinet_id, purpose=purpose)
    return request


async def take_verified(request_id: uuid.UUID | None, purpose: str, phone: str) -> OneTimeCode:
    """Use up a verified request for this phone (inside the caller's transaction); single use."""
    now = clock.now()
    if request_id is None:
        raise InvalidInput({'code': t('error.code_needed')})
    updated = await OneTimeCode.filter(
        id=request_id,
        purpose=purpose,
        phone=phone,
        used_at=None,
        verified_at__gt=now - VERIFIED_TTL,
    ).update(used_at=now)
    if not updated:
        raise InvalidInput({'code': t('error.code_needed')})
    return await OneTimeCode.get(id=request_id)
