"""Enrolment by the one-time link: the staff member sets a password, adds the portal to an authenticator app (QR code
or the key typed by hand) and proves it with a first code; then they get 10 recovery codes, shown once, and are
signed in. Nothing is saved before the first code checks out: a half-done enrolment leaves the link as it was."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from models.staff import Staff, StaffRecoveryCode
from services import clock, limits
from services.errors import InvalidInput, NotAllowed
from services.identity import audit, passwords, tokens
from services.staff import sessions, totp
from services.texts import t


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows before anything is saved: whose link it is and a new second factor."""

    login: str
    #: base32, kept by the page until the first code checks out
    secret: str
    #: the secret in groups of four, for typing into the app by hand
    key: str
    #: the `otpauth://` link for the app, also shown for typing by hand
    uri: str
    #: the QR code of `uri` (an SVG data: URI for an <img>)
    qr: str


@dataclass(frozen=True)
class Enrolled:
    staff: Staff
    #: shown once: only their SHA-256 is kept
    recovery_codes: list[str]
    #: the session the staff member is signed in with
    session_token: str


async def open_enrolment(raw_token: str) -> Enrolment:
    """A new second factor for the link's staff member; refused when the link was used, replaced or ran out."""
    staff = await _invited(raw_token)
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, staff.login)
    return Enrolment(staff.login, secret, totp.grouped(secret), uri, totp.qr_code(uri))


async def complete_enrolment(
    raw_token: str, secret: str, password: str, password_confirm: str, code: str, *, ip: str | None
) -> Enrolled:
    """The password and the app's first code: both right, the staff member is enrolled and signed in; the link is
    used up (of two clicks at once, one enrols)."""
    limits.check_text(
        password=(password, limits.PASSWORD),
        password_confirm=(password_confirm, limits.PASSWORD),
        code=(code, limits.CODE),
    )
    staff = await _invited(raw_token)
    if not totp.valid_secret(secret):
        raise NotAllowed(t('staff.enrol.link_invalid'))
    step = _check_form(staff, secret, password, password_confirm, code)
    password_hash = await passwords.hash_password(password)  # slow: outside the transaction
    codes = totp.new_recovery_codes()
    now = clock.now()
    async with in_transaction():
        used = Staff.filter(id=staff.id, enrol_token_hash=tokens.digest(raw_token), enrol_expires_at__gt=now)
        enrolled = await used.update(
            enrol_token_hash=None,
            enrol_expires_at=None,
            enrolled_at=now,
            password_hash=password_hash,
            totp_secret=secret,
            # the code just typed opens no login: the first login needs a later one
            totp_last_step=step,
            failures=0,
            locked_until=None,
        )
        if not enrolled:
            raise NotAllowed(t('staff.enrol.link_invalid'))
        await StaffRecoveryCode.filter(staff_id=staff.id).delete()
        await StaffRecoveryCode.bulk_create(
            [StaffRecoveryCode(staff_id=staff.id, code_hash=totp.recovery_digest(code)) for code in codes]
        )
        token = await sessions.start(staff, ip)
    await audit.record('staff_enrolled', staff_id=staff.id, login=staff.login, ip=ip)
    await staff.refresh_from_db()
    return Enrolled(staff, codes, token)


async def _invited(raw_token: str) -> Staff:
    """The staff member whose live enrolment link this is."""
    staff = (
        await Staff.get_or_none(enrol_token_hash=tokens.digest(raw_token)) if tokens.well_formed(raw_token) else None
    )
    if staff is None:
        raise NotAllowed(t('staff.enrol.link_invalid'))
    if staff.enrol_expires_at is None or staff.enrol_expires_at <= clock.now():
        raise NotAllowed(t('staff.enrol.link_expired'))
    return staff


def _check_form(staff: Staff, secret: str, password: str, password_confirm: str, code: str) -> int:
    """Every field's problem at once, or the time step of the app's code."""
    errors = {}
    if not password:
        errors['password'] = t('error.required')
    elif reason := passwords.check_policy(password, login=staff.login):
        errors['password'] = reason
    if password != password_confirm:
        errors['password_confirm'] = t('error.password_mismatch')
    step = totp.matching_step(secret, code, clock.now()) if code else None
    if step is None:
        errors['code'] = t('staff.enrol.code_wrong') if code else t('error.required')
    if errors:
        raise InvalidInput(errors)
    assert step is not None
    return step
