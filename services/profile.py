"""«Настройки», profile block: change email (link to the new address), phone (SMS code) and password.

`token` is the caller's raw session token; the cabinet is the one the page resolved from it. Email and phone
changes need the password typed within `REAUTH_AFTER` in this session (`confirm_password` renews it); a password
change always asks for the current one. Wrong passwords count per cabinet, `REENTRY_FAILURES`: the 5th within
15 min ends the session it was typed in, and until the window passes any further try ends its session unchecked,
so a stolen session gets no more than 5 guesses and cannot walk around the login lockout.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.cabinet import Cabinet, CabinetState, Link, Session
from models.security import LinkToken, OneTimeCode
from services import audit, clock, codes, config, passwords, ratelimit, recovery, sessions, tokens
from services.contacts import mask_email, mask_phone, normalize_email, normalize_phone
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed, ReauthRequired, TooManyAttempts
from services.notices import send_notice
from services.texts import LANGUAGES, t

REAUTH_AFTER = timedelta(minutes=5)
REENTRY_FAILURES = ratelimit.Rule('reentry-fail', 5, timedelta(minutes=15))
#: each request mails a stranger's address too (the new one): a cap against using us to flood it
EMAIL_CHANGE_REQUESTS = ratelimit.Rule('email-change', 5, timedelta(hours=1))
PHONE_CODE_PURPOSE = 'change_phone'


async def set_language(cabinet: Cabinet, language: str) -> None:
    """The language the customer chose in the header: mail and SMS sent while they are away speak it too."""
    if language not in LANGUAGES:
        raise InvalidInput({'language': t('error.unexpected')})
    if cabinet.language != language:
        cabinet.language = language
        await cabinet.save(update_fields=['language'])


# ---- the session and the password typed again ----------------------------------------------------------------


def _recent(session: Session | None) -> bool:
    checked = session.password_checked_at if session else None
    return checked is not None and clock.now() - checked <= REAUTH_AFTER


async def password_recent(token: str) -> bool:
    """Whether this session's password was typed within `REAUTH_AFTER` (the page asks for it first otherwise)."""
    return bool(token) and _recent(await Session.get_or_none(id=sessions._id(token)))


async def _session(cabinet: Cabinet, token: str) -> Session:
    # bound to the cabinet: a token of another cabinet's session must not vouch for this one
    session = await Session.get_or_none(id=sessions._id(token), cabinet_id=cabinet.id) if token else None
    if session is None:
        raise NotAllowed(t('error.session_expired'))
    return session


async def _recent_session(cabinet: Cabinet, token: str) -> Session:
    session = await _session(cabinet, token)
    if not _recent(session):
        raise ReauthRequired(t('error.reauth_required'))
    return session


async def _check_password(cabinet: Cabinet, session: Session, password: str, field: str, ip: str | None) -> None:
    """The cabinet's password, counted against `REENTRY_FAILURES`."""
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
    session = await _session(cabinet, token)
    await _check_password(cabinet, session, password, 'password', ip)
    session.password_checked_at = clock.now()
    await session.save(update_fields=['password_checked_at'])
    await audit.record('reauth', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)


async def _revoke(cabinet_id: int, *, links: tuple[str, ...] = (), code_purposes: tuple[str, ...] = ()) -> None:
    """Kill links and codes in flight: what was sent before a change must not undo it."""
    now = clock.now()
    if links:
        await LinkToken.filter(cabinet_id=cabinet_id, purpose__in=links, used_at=None).update(used_at=now)
    if code_purposes:
        await OneTimeCode.filter(cabinet_id=cabinet_id, purpose__in=code_purposes, used_at=None).update(used_at=now)


# ---- email -----------------------------------------------------------------------------------------------------


async def _accounts_after_change(cabinet: Cabinet, email: str) -> int:
    """Distinct accounts `email` would serve: those of its cabinets now, plus this cabinet's."""
    ids = await Link.filter(Q(cabinet__email=email) | Q(cabinet_id=cabinet.id)).values_list('account_id', flat=True)
    return len(set(ids))


async def _check_quota(cabinet: Cabinet, email: str) -> None:
    limit = config.settings.accounts_per_email
    if await _accounts_after_change(cabinet, email) > limit:
        raise InvalidInput({'email': t('error.email_quota', limit=limit)})


async def request_email_change(cabinet: Cabinet, token: str, new_email: str, *, ip: str | None) -> None:
    """A link to the new address, a notice to the old one; the cabinet's email changes only when the link is used."""
    await _recent_session(cabinet, token)
    try:
        email = normalize_email(new_email)
    except ValueError as error:
        raise InvalidInput({'email': str(error)}) from error
    if email == (cabinet.email or '').lower():
        raise InvalidInput({'email': t('error.email_same')})
    await _check_quota(cabinet, email)
    subject = str(cabinet.id)
    if await ratelimit.exceeded(EMAIL_CHANGE_REQUESTS, subject):
        await audit.record('email_change_limited', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
        raise TooManyAttempts(t('error.email_change_limit'), 'email')
    async with in_transaction():
        await ratelimit.record(EMAIL_CHANGE_REQUESTS, subject)
        raw = await tokens.issue(tokens.CHANGE_EMAIL, cabinet.id, email)  # a newer request kills the older link
        link = tokens.url(tokens.CHANGE_EMAIL, raw)
        await send_notice(email, 'email_change', link=link, sensitive=True, login=cabinet.login)
        if cabinet.email:
            await send_notice(cabinet.email, 'email_change_requested', login=cabinet.login, email=mask_email(email))
    await audit.record(
        'email_change_request',
        cabinet_id=cabinet.id,
        login=cabinet.login,
        ip=ip,
        old=mask_email(cabinet.email) if cabinet.email else None,
        new=mask_email(email),
    )


async def confirm_email_change(raw_token: str, *, ip: str | None) -> Cabinet | None:
    """The button on the link's page. None when the link is dead; over the quota the link stays alive for a retry."""
    token = await tokens.peek(tokens.CHANGE_EMAIL, raw_token)
    cabinet = await Cabinet.get_or_none(id=token.cabinet_id, state=CabinetState.ACTIVE) if token else None
    if token is None or cabinet is None:
        await audit.record('email_change_failure', ip=ip)
        return None
    try:
        # accounts may have been linked since the request
        await _check_quota(cabinet, token.email)
    except InvalidInput:
        await audit.record('email_change_refused', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, reason='quota')
        raise
    old = cabinet.email
    async with in_transaction():
        if await tokens.consume(tokens.CHANGE_EMAIL, raw_token) is None:
            return None  # a concurrent click was first
        cabinet.email = token.email
        cabinet.email_confirmed_at = clock.now()
        await cabinet.save(update_fields=['email', 'email_confirmed_at'])
        # a reset link already mailed to the old address would still hand over the cabinet
        await _revoke(cabinet.id, links=(tokens.RESET_PASSWORD,))
        if old:
            await send_notice(old, 'email_changed', login=cabinet.login, email=mask_email(token.email))
    await audit.record(
        'email_changed',
        cabinet_id=cabinet.id,
        login=cabinet.login,
        ip=ip,
        old=mask_email(old) if old else None,
        new=mask_email(token.email),
    )
    return cabinet


# ---- phone -----------------------------------------------------------------------------------------------------


async def send_phone_code(
    cabinet: Cabinet, token: str, new_phone: str, *, ip: str | None, request_id: uuid.UUID | None = None
) -> uuid.UUID:
    """«Получить код» for the new phone; with the earlier `request_id` a resend under the same request."""
    await _recent_session(cabinet, token)
    try:
        phone = normalize_phone(new_phone)
    except ValueError as error:
        raise InvalidInput({'phone': str(error)}) from error
    if phone == cabinet.phone and cabinet.phone_confirmed_at:
        raise InvalidInput({'phone': t('error.phone_same')})
    return await codes.send_code(
        PHONE_CODE_PURPOSE, phone, ip=ip, request_id=request_id, cabinet_id=cabinet.id, sms_text_key='sms.phone_code'
    )


async def change_phone(
    cabinet: Cabinet, token: str, request_id: uuid.UUID | None, code: str, *, ip: str | None
) -> None:
    """The code from the SMS sets the phone it was sent to, confirmed."""
    await _recent_session(cabinet, token)
    request = await codes.verify_code(request_id, PHONE_CODE_PURPOSE, code)
    if request.cabinet_id != cabinet.id:
        raise AuthenticationFailed(t('error.code_dead'), 'code')
    old = cabinet.phone
    async with in_transaction():
        await codes.take_verified(request.id, PHONE_CODE_PURPOSE, request.phone)
        cabinet.phone = request.phone
        cabinet.phone_confirmed_at = clock.now()
        await cabinet.save(update_fields=['phone', 'phone_confirmed_at'])
        # a reset code already sent to the old phone would still hand over the cabinet
        await _revoke(cabinet.id, code_purposes=(recovery.CODE_PURPOSE,))
        if cabinet.email:
            await send_notice(cabinet.email, 'phone_changed', login=cabinet.login, phone=mask_phone(request.phone))
    await audit.record(
        'phone_changed',
        cabinet_id=cabinet.id,
        login=cabinet.login,
        ip=ip,
        old=mask_phone(old) if old else None,
        new=mask_phone(request.phone),
    )


# ---- password --------------------------------------------------------------------------------------------------


async def change_password(
    cabinet: Cabinet, token: str, current: str, new: str, confirm: str, *, ip: str | None
) -> None:
    """Current password always; other sessions end, this one stays."""
    session = await _session(cabinet, token)
    errors = {}
    if not current:
        errors['current_password'] = t('error.required')
    if not new:
        errors['new_password'] = t('error.required')
    elif reason := passwords.check_policy(new, login=cabinet.login, email=cabinet.email or ''):
        errors['new_password'] = reason
    elif passwords.normalize(new) == passwords.normalize(current):
        errors['new_password'] = t('error.password_same')
    if not confirm:
        errors['password_confirm'] = t('error.required')
    elif new != confirm:
        errors['password_confirm'] = t('error.password_mismatch')
    if errors:
        raise InvalidInput(errors)
    await _check_password(cabinet, session, current, 'current_password', ip)
    password_hash = await passwords.hash_password(new)  # slow: outside the transaction
    now = clock.now()
    async with in_transaction():
        cabinet.password_hash = password_hash
        cabinet.password_changed_at = now
        await cabinet.save(update_fields=['password_hash', 'password_changed_at'])
        await Session.filter(cabinet_id=cabinet.id).exclude(id=session.id).delete()
        session.password_checked_at = now
        await session.save(update_fields=['password_checked_at'])
        await ratelimit.clear(ratelimit.LOGIN_FAILURES, cabinet.login_key)
        # whoever knew the old password may have started a reset or an email/phone change: none of it survives
        await _revoke(
            cabinet.id,
            links=(tokens.RESET_PASSWORD, tokens.CHANGE_EMAIL),
            code_purposes=(recovery.CODE_PURPOSE, PHONE_CODE_PURPOSE),
        )
        if cabinet.email:
            await send_notice(cabinet.email, 'password_changed', login=cabinet.login)
    await audit.record('password_changed', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
