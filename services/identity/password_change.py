"""«Настройки», password: the current one always, then other sessions end and every reset or change in flight dies."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models.cabinet import Cabinet, Session
from services import clock, limits
from services.errors import InvalidInput
from services.identity import audit, auth, credentials, passwords, reauth
from services.messaging.notices import notify_owner
from services.texts import t


def _check_form(cabinet: Cabinet, current: str, new: str, confirm: str) -> None:
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


async def change_password(
    cabinet: Cabinet, token: str, current: str, new: str, confirm: str, *, ip: str | None
) -> None:
    """Current password always; other sessions end, this one stays."""
    limits.check_text(
        current_password=(current, limits.PASSWORD),
        new_password=(new, limits.PASSWORD),
        password_confirm=(confirm, limits.PASSWORD),
    )
    session = await reauth.own_session(cabinet, token)
    _check_form(cabinet, current, new, confirm)
    await reauth.check_password(cabinet, session, current, 'current_password', ip)
    password_hash = await passwords.hash_password(new)  # slow: outside the transaction
    now = clock.now()
    async with in_transaction():
        cabinet.password_hash = password_hash
        cabinet.password_changed_at = now
        await cabinet.save(update_fields=['password_hash', 'password_changed_at'])
        await Session.filter(cabinet_id=cabinet.id).exclude(id=session.id).delete()
        session.password_checked_at = now
        await session.save(update_fields=['password_checked_at'])
        await auth.clear_failures(cabinet.login_key)
        # whoever knew the old password may have started a reset or an email/phone change: none of it survives
        await credentials.revoke_all(cabinet.id, event='password_change', ip=ip)
        await notify_owner(cabinet, 'password_changed')
    await audit.record('password_changed', cabinet_id=cabinet.id, login=cabinet.login, ip=ip)
