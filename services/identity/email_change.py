"""«Настройки», email: a link to the new address (the change waits for it), a notice to the old one.

Asking needs the password typed again (`reauth`); the new address must stay within the per-email account quota."""

from __future__ import annotations

from datetime import timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.cabinet import Cabinet, CabinetState, Link
from services import clock, config, limits
from services.errors import InvalidInput, TooManyAttempts
from services.identity import audit, credentials, ratelimit, reauth, tokens
from services.identity.contacts import mask_email, normalize_email, normalized
from services.messaging.notices import notify_owner, send_notice
from services.texts import t

#: each request mails a stranger's address too (the new one): a cap against using us to flood it
EMAIL_CHANGE_REQUESTS = ratelimit.Rule('email-change', 5, timedelta(hours=1))


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
    limits.check_text(email=(new_email, limits.EMAIL))
    await reauth.recent_session(cabinet, token)
    email = normalized('email', new_email, normalize_email)
    if email == (cabinet.email or '').lower():
        raise InvalidInput({'email': t('error.email_same')})
    await _check_quota(cabinet, email)
    subject = str(cabinet.id)
    if await ratelimit.exceeded(EMAIL_CHANGE_REQUESTS, subject):
        await audit.record('email_change_limited', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
        raise TooManyAttempts(t('error.email_change_limit'), 'email')
    # the link goes to an address nobody proved yet: it counts with the e-bill links to it (ratelimit.unproven_mail)
    unproven = ratelimit.unproven_mail(cabinet.id, email)
    if scopes := await ratelimit.any_exceeded(unproven):
        await audit.record('email_change_limited', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, limits=scopes)
        raise TooManyAttempts(t('error.unproven_mail_limit'), 'email')
    async with in_transaction():
        await ratelimit.record(EMAIL_CHANGE_REQUESTS, subject)
        await ratelimit.record_all(unproven)
        raw = await tokens.issue(tokens.CHANGE_EMAIL, cabinet.id, email)  # a newer request kills the older link
        link = tokens.url(tokens.CHANGE_EMAIL, raw)
        await send_notice(email, 'email_change', link=link, sensitive=True, login=cabinet.login)
        await notify_owner(cabinet, 'email_change_requested', email=mask_email(email))
    await audit.record_contact_change(
        'email_change_request', cabinet, ip=ip, old=cabinet.email, new=email, mask=mask_email
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
    # the notice goes to the old address only if it was proven (notify_owner's reason)
    old_proven = old if cabinet.email_confirmed_at else None
    async with in_transaction():
        if await tokens.consume(tokens.CHANGE_EMAIL, raw_token) is None:
            return None  # a concurrent click was first
        cabinet.email = token.email
        cabinet.email_confirmed_at = clock.now()
        await cabinet.save(update_fields=['email', 'email_confirmed_at'])
        # a reset link already mailed to the old address, a code sent before: none would still hand over the cabinet
        await credentials.revoke_all(cabinet.id, event='email_change', ip=ip)
        if old_proven:
            await send_notice(old_proven, 'email_changed', login=cabinet.login, email=mask_email(token.email))
    await audit.record_contact_change('email_changed', cabinet, ip=ip, old=old, new=token.email, mask=mask_email)
    return cabinet
