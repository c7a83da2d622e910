"""«Забыли пароль?»: a reset link by email, and a code by SMS where the phone is confirmed.

The answer is the same whether or not the login exists."""

from __future__ import annotations

import contextlib
import uuid

from tortoise.transactions import in_transaction

from models.cabinet import Cabinet, CabinetState
from services import clock, limits
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.identity import audit, auth, codes, credentials, passwords, ratelimit, sessions, tokens
from services.identity.contacts import login_key
from services.messaging.notices import notify_owner, send_notice
from services.texts import t

CODE_PURPOSE = codes.RESET


async def request_reset(login: str, *, ip: str | None) -> uuid.UUID:
    """Send what the cabinet can receive. Returns a code request either way (one whose code was never sent where no
    SMS can go), so pages and the code step look the same."""
    limits.check_text(login=(login, limits.LOGIN))
    key = login_key(login)
    limits.check_text(login=(key, limits.LOGIN))  # casefolding may lengthen it («ß» → «ss»)
    if not key:
        raise InvalidInput({'login': t('error.required')})
    if await ratelimit.exceeded(ratelimit.RESET_PER_LOGIN_HOUR, key) or (
        ip and await ratelimit.exceeded(ratelimit.RESET_PER_IP_HOUR, ip)
    ):
        await audit.record('reset_limited', login=key, ip=ip)
        raise TooManyAttempts(t('error.too_many_attempts'))
    await ratelimit.record(ratelimit.RESET_PER_LOGIN_HOUR, key)
    if ip:
        await ratelimit.record(ratelimit.RESET_PER_IP_HOUR, ip)
    cabinet = await Cabinet.get_or_none(login_key=key, state=CabinetState.ACTIVE)
    if cabinet is None:
        await audit.record('reset_request', login=key, ip=ip, known=False)
        return await codes.send_decoy(CODE_PURPOSE)
    # an unconfirmed address may be a typo: reset links go only to a confirmed one
    if cabinet.email and cabinet.email_confirmed_at:
        raw = await tokens.issue(tokens.RESET_PASSWORD, cabinet.id, cabinet.email)
        await send_notice(
            cabinet.email, 'reset', link=tokens.url(tokens.RESET_PASSWORD, raw), sensitive=True, login=cabinet.login
        )
    request_id = None
    if cabinet.phone and cabinet.phone_confirmed_at:
        # over the SMS limits the email still goes; saying so would reveal the cabinet
        with contextlib.suppress(TooManyAttempts):
            request_id = await codes.send_code(
                CODE_PURPOSE, cabinet.phone, ip=ip, cabinet_id=cabinet.id, sms_text_key='sms.reset_code'
            )
    await audit.record('reset_request', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, known=True)
    # no code went out: the code step must still answer as if one had
    return request_id or await codes.send_decoy(CODE_PURPOSE)


def _check_new_password(cabinet: Cabinet, password: str, password_confirm: str) -> None:
    errors = {}
    if not password:
        errors['password'] = t('error.required')
    elif reason := passwords.check_policy(password, login=cabinet.login, email=cabinet.email or ''):
        errors['password'] = reason
    if password != password_confirm:
        errors['password_confirm'] = t('error.password_mismatch')
    if errors:
        raise InvalidInput(errors)


async def _set_password(cabinet: Cabinet, password: str, *, ip: str | None, via: str) -> None:
    password_hash = await passwords.hash_password(password)  # slow: outside the transaction
    async with in_transaction():
        cabinet.password_hash = password_hash
        cabinet.password_changed_at = clock.now()
        await cabinet.save(update_fields=['password_hash', 'password_changed_at', 'email_confirmed_at'])
        await sessions.end_all(cabinet.id)
        # the other reset route, an email or phone change someone started with the old password: none survives
        await credentials.revoke_all(cabinet.id, event=f'reset_{via}', ip=ip)
    await auth.clear_failures(cabinet.login_key)
    await audit.record('reset_done', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, via=via)
    await notify_owner(cabinet, 'password_changed')


async def reset_cabinet_by_link(raw_token: str) -> Cabinet | None:
    """The cabinet a live reset link belongs to (the GET page shows the form only then)."""
    token = await tokens.peek(tokens.RESET_PASSWORD, raw_token)
    return await Cabinet.get_or_none(id=token.cabinet_id, state=CabinetState.ACTIVE) if token else None


def _check_text(password: str, password_confirm: str, **fields: tuple[str | None, int]) -> None:
    limits.check_text(
        **fields, password=(password, limits.PASSWORD), password_confirm=(password_confirm, limits.PASSWORD)
    )


async def reset_by_link(raw_token: str, password: str, password_confirm: str, *, ip: str | None) -> Cabinet:
    _check_text(password, password_confirm)
    cabinet = await reset_cabinet_by_link(raw_token)
    if cabinet is None:
        raise AuthenticationFailed(t('error.link_invalid'))
    _check_new_password(cabinet, password, password_confirm)
    token = await tokens.consume(tokens.RESET_PASSWORD, raw_token)
    if token is None:
        raise AuthenticationFailed(t('error.link_invalid'))
    if token.email == cabinet.email:
        cabinet.email_confirmed_at = cabinet.email_confirmed_at or clock.now()
    await _set_password(cabinet, password, ip=ip, via='email')
    return cabinet


async def reset_by_code(
    request_id: uuid.UUID | None, code: str, password: str, password_confirm: str, *, ip: str | None
) -> Cabinet:
    _check_text(password, password_confirm, code=(code, limits.CODE))
    request = await codes.verify_code(request_id, CODE_PURPOSE, code)
    cabinet = await Cabinet.get_or_none(id=request.cabinet_id, state=CabinetState.ACTIVE)
    if cabinet is None:
        raise AuthenticationFailed(t('error.code_dead'), 'code')
    _check_new_password(cabinet, password, password_confirm)
    await codes.take_verified(request.id, CODE_PURPOSE, request.phone)
    await _set_password(cabinet, password, ip=ip, via='sms')
    return cabinet
