"""What an operator (or an admin) does for a customer on the phone (issue 14, items 2 and 3): lift a lockout, end one
session or all, send the confirmation email again, unlink a personal account (with a reason), turn an e-bill off.

Each checks the role itself, works on the cabinet's row locked in one transaction (a double click waits for the first
and finds its work done), reuses what the customer's own flows do, and audits with the staff member's id."""

from __future__ import annotations

import logging
import string
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from models.billing import Account
from models.cabinet import Link, Session
from models.ebill import EBill
from models.readings import ReadingNotice
from models.staff import StaffRole
from services import clock, limits
from services.billing import ebill
from services.errors import InvalidInput, NotAllowed, TooManyAttempts
from services.identity import audit, cabinets, credentials, ratelimit, registration, sessions, tokens
from services.identity.contacts import mask_email
from services.staff import roles
from services.staff.customers.cabinet_view import SESSION_REF
from services.staff.customers.lookup import REASON, cabinet_of
from services.texts import in_language, t

if TYPE_CHECKING:
    from models.staff import Staff

log = logging.getLogger('portal.staff')


async def unlock(staff: Staff, cabinet_id: int) -> None:
    """Lift the login lockout and a locked state, as `python main.py cabinet unlock` does."""
    roles.require(staff, StaffRole.OPERATOR, 'unlock a cabinet')
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        await cabinets.unlock(cabinet.login, staff_id=staff.id)


def _is_ref(ref: object) -> bool:
    return isinstance(ref, str) and len(ref) == SESSION_REF and all(char in string.hexdigits for char in ref)


async def end_session(staff: Staff, cabinet_id: int, ref: str) -> bool:
    """End the session `ref` (`SessionRow.ref`) of the cabinet: its browser is signed out at its next click. False
    when it had ended already (timed out, logged out, or the other click of a double click)."""
    roles.require(staff, StaffRole.OPERATOR, 'end a session')
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        ended = _is_ref(ref) and await Session.filter(cabinet_id=cabinet.id, id__startswith=ref.lower()).delete()
        if ended:
            await audit.record('session_ended', cabinet_id=cabinet.id, login=cabinet.login, staff_id=staff.id)
    return bool(ended)


async def end_all_sessions(staff: Staff, cabinet_id: int) -> None:
    """Sign the cabinet out everywhere, and kill every link and code in flight that grants control over it (a reset,
    an email or phone change someone started in a session of theirs), as a credential event does."""
    roles.require(staff, StaffRole.OPERATOR, 'end all sessions')
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        await sessions.end_all(cabinet.id)
        await credentials.revoke_all(cabinet.id, event='sessions_ended')
        await audit.record('sessions_ended', cabinet_id=cabinet.id, login=cabinet.login, staff_id=staff.id)


async def resend_confirmation(staff: Staff, cabinet_id: int) -> None:
    """The registration's confirmation email again, with a new link (the one sent before dies), in the cabinet's
    language; a pending registration gets the new link's full time to be confirmed. Refused when the email is
    confirmed already or there is none, and past the caps on mail to an address nobody has proven."""
    roles.require(staff, StaffRole.OPERATOR, 'resend the confirmation')
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        if not cabinet.email or cabinet.email_confirmed_at:
            raise NotAllowed(t('staff.customers.error.nothing_to_confirm'))
        caps = ratelimit.unproven_mail(cabinet.id, cabinet.email)
        if await ratelimit.any_exceeded(caps):
            raise TooManyAttempts(t('error.unproven_mail_limit'))
        await ratelimit.record_all(caps)
        if cabinet.pending_until is not None:
            cabinet.pending_until = clock.now() + tokens.TTL[tokens.CONFIRM_EMAIL]
            await cabinet.save(update_fields=['pending_until'])
        with in_language(cabinet.language):
            await registration.send_confirmation(cabinet)
        await audit.record(
            'confirmation_resent',
            cabinet_id=cabinet.id,
            login=cabinet.login,
            staff_id=staff.id,
            email=mask_email(cabinet.email),
        )


async def unlink_account(staff: Staff, cabinet_id: int, number: str, reason: str) -> None:
    """Remove the link to the personal account `number`, for `reason` (required, kept in the audit log). A first-entry
    cabinet's own account (its login) stays, as in the customer's settings.

    Unlike the customer's own unlink, what the cabinet set up for the account goes with the link: the e-bill it
    manages is turned off (its proven address told, as when the customer turns it off), so the account's bills stop
    going to an address chosen by a cabinet that no longer holds it, and its reading notices are dropped. A
    co-holder's subscription stays. Errors at the fields 'account' and 'reason'."""
    roles.require(staff, StaffRole.OPERATOR, 'unlink an account')
    limits.check_text(account=(number, limits.ACCOUNT), reason=(reason, REASON))
    number, reason, errors = (number or '').strip(), (reason or '').strip(), {}
    if not number:
        errors['account'] = t('error.required')
    if not reason:
        errors['reason'] = t('error.required')
    if errors:
        raise InvalidInput(errors)
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        if number == cabinet.login:
            raise NotAllowed(t('staff.customers.error.own_account'))
        account = await Account.get_or_none(number=number)
        if account is None or not await Link.filter(cabinet_id=cabinet.id, account_id=account.id).delete():
            raise InvalidInput({'account': t('staff.customers.error.not_linked')})
        switched_off = await ebill.switch_off_managed(cabinet, account)
        notices = await ReadingNotice.filter(cabinet_id=cabinet.id, account_id=account.id).delete()
        await audit.record(
            'unlink',
            cabinet_id=cabinet.id,
            login=cabinet.login,
            staff_id=staff.id,
            account=number,
            reason=reason,
            ebill_off=switched_off is not None,
            reading_notices_dropped=bool(notices),
        )
    log.info('staff %s unlinked account %s from cabinet %s', staff.id, number, cabinet.id)


async def turn_off_ebill(staff: Staff, cabinet_id: int, number: str) -> bool:
    """Turn off the e-bill of the linked account `number` that this cabinet manages (a bouncing address, or the
    customer asks on the phone), as when the customer turns it off. False when it was off already; NotAllowed when
    another holder of the account manages it (turn it off from that cabinet). Errors at the field 'account'."""
    roles.require(staff, StaffRole.OPERATOR, 'turn off an e-bill')
    limits.check_text(account=(number, limits.ACCOUNT))
    number = (number or '').strip()
    if not number:
        raise InvalidInput({'account': t('error.required')})
    async with in_transaction():
        cabinet = await cabinet_of(cabinet_id, for_update=True)
        account = await Account.filter(number=number, links__cabinet_id=cabinet.id).first()
        if account is None:
            raise InvalidInput({'account': t('staff.customers.error.not_linked')})
        switched_off = await ebill.switch_off_managed(cabinet, account)
        if switched_off is None:
            if await EBill.exists(account_id=account.id, enabled=True):
                raise NotAllowed(t('staff.customers.error.ebill_elsewhere'))
            return False
        await audit.record(
            'ebill_off',
            cabinet_id=cabinet.id,
            login=cabinet.login,
            staff_id=staff.id,
            account=number,
            email=mask_email(switched_off.email),
            bounces=switched_off.bounces,
        )
    return True
