"""«Настройки», phone: an SMS code to the new number; the code sets it, confirmed.

Both steps need the password typed again (`reauth`)."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from models.cabinet import Cabinet
from services import clock, limits
from services.errors import AuthenticationFailed, InvalidInput
from services.identity import audit, codes, credentials, reauth
from services.identity.contacts import mask_phone, normalize_phone, normalized
from services.messaging.notices import notify_owner
from services.texts import t

CODE_PURPOSE = codes.CHANGE_PHONE


async def send_phone_code(
    cabinet: Cabinet, token: str, new_phone: str, *, ip: str | None, request_id: uuid.UUID | None = None
) -> uuid.UUID:
    """«Получить код» for the new phone; with the earlier `request_id` a resend under the same request."""
    limits.check_text(phone=(new_phone, limits.PHONE))
    await reauth.recent_session(cabinet, token)
    phone = normalized('phone', new_phone, normalize_phone)
    if phone == cabinet.phone and cabinet.phone_confirmed_at:
        raise InvalidInput({'phone': t('error.phone_same')})
    return await codes.send_code(
        CODE_PURPOSE, phone, ip=ip, request_id=request_id, cabinet_id=cabinet.id, sms_text_key='sms.phone_code'
    )


async def change_phone(
    cabinet: Cabinet, token: str, request_id: uuid.UUID | None, code: str, *, ip: str | None
) -> None:
    """The code from the SMS sets the phone it was sent to, confirmed."""
    limits.check_text(code=(code, limits.CODE))
    await reauth.recent_session(cabinet, token)
    request = await codes.verify_code(request_id, CODE_PURPOSE, code)
    if request.cabinet_id != cabinet.id:
        raise AuthenticationFailed(t('error.code_dead'), 'code')
    old = cabinet.phone
    async with in_transaction():
        await codes.take_verified(request.id, CODE_PURPOSE, request.phone)
        cabinet.phone = request.phone
        cabinet.phone_confirmed_at = clock.now()
        await cabinet.save(update_fields=['phone', 'phone_confirmed_at'])
        # a reset code already sent to the old phone, a link mailed before: none would still hand over the cabinet
        await credentials.revoke_all(cabinet.id, event='phone_change', ip=ip)
        await notify_owner(cabinet, 'phone_changed', phone=mask_phone(request.phone))
    await audit.record_contact_change('phone_changed', cabinet, ip=ip, old=old, new=request.phone, mask=mask_phone)
