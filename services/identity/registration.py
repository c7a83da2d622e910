"""Registration: by login and first entry by personal account (docs/product.md, flows 1 and 2)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.billing import Account
from models.cabinet import Cabinet, CabinetState, Consent, Link
from services import clock, config, limits
from services.accounts import holders, quota
from services.errors import InvalidInput, NotAllowed, TooManyAttempts
from services.identity import audit, codes, passwords, ratelimit, sessions, tokens
from services.identity.contacts import (
    fold_text,
    login_error,
    login_key,
    mask_email,
    normalize_email,
    normalize_phone,
    normalized,
)
from services.messaging.notices import send_notice
from services.texts import current_language, t

log = logging.getLogger(__name__)

CODE_PURPOSE = codes.REGISTER
CONSENT_KIND = 'personal_data'
#: bump when the consent text in services/texts.py changes; stored with every consent
CONSENT_VERSION = '2026-11'
BY_EMAIL = 'email'
BY_SMS = 'sms'


@dataclass
class RegistrationForm:
    """What the customer typed; `phone_request` is the SMS code request they confirmed with «ОК»."""

    password: str = ''
    password_confirm: str = ''
    email: str = ''
    phone: str = ''
    confirm_by: str = BY_EMAIL
    phone_request: uuid.UUID | None = None
    consent: bool = False
    login: str = ''
    surname: str = ''


@dataclass
class Outcome:
    cabinet: Cabinet
    #: active now (SMS path); otherwise waiting for the emailed link
    active: bool
    #: flow 2 over SMS logs the customer straight in
    session_token: str | None = None


async def send_registration_code(phone: str, *, ip: str | None, request_id: uuid.UUID | None = None) -> uuid.UUID:
    """«Получить код» / «Отправить смс»: a code to the phone being registered."""
    limits.check_text(phone=(phone, limits.PHONE))
    e164 = normalized('phone', phone, normalize_phone)
    return await codes.send_code(CODE_PURPOSE, e164, ip=ip, request_id=request_id)


async def confirm_registration_code(request_id: uuid.UUID | None, code: str) -> None:
    """«ОК»: the code matches → «Подтверждено»."""
    await codes.verify_code(request_id, CODE_PURPOSE, code)


def _check_text(form: RegistrationForm, **fields: tuple[str | None, int]) -> None:
    limits.check_text(
        login=(form.login, limits.LOGIN),
        email=(form.email, limits.EMAIL),
        phone=(form.phone, limits.PHONE),
        password=(form.password, limits.PASSWORD),
        password_confirm=(form.password_confirm, limits.PASSWORD),
        surname=(form.surname, limits.SURNAME),
        **fields,
    )


def _check_form(form: RegistrationForm, *, login: str, sms_required: bool) -> tuple[dict[str, str], str, str | None]:
    """All field errors at once, plus the normalised email and phone."""
    errors: dict[str, str] = {}
    email = phone = None
    try:
        email = normalize_email(form.email)
    except ValueError as error:
        errors['email'] = str(error)
    if form.phone.strip() or sms_required:
        try:
            phone = normalize_phone(form.phone)
        except ValueError as error:
            errors['phone'] = str(error)
    if not form.password:
        errors['password'] = t('error.required')
    elif reason := passwords.check_policy(form.password, login=login, email=email or ''):
        errors['password'] = reason
    if not form.password_confirm:
        errors['password_confirm'] = t('error.required')
    elif form.password != form.password_confirm:
        errors['password_confirm'] = t('error.password_mismatch')
    if not form.consent:
        errors['consent'] = t('error.consent_required')
    return errors, email or '', phone


async def drop_expired_registrations() -> int:
    """An unconfirmed registration dies with its link, freeing its login and email: how many did."""
    expired = Cabinet.filter(state=CabinetState.PENDING, pending_until__lte=clock.now())
    if count := await expired.delete():
        log.info('dropped %d unconfirmed registrations whose link expired', count)
    return count


async def send_confirmation(cabinet: Cabinet) -> None:
    """The email with the link that confirms the cabinet's address (and activates it while pending); the link sent
    before dies. In the current language: the caller sets the cabinet's own when the customer is not the one asking."""
    raw = await tokens.issue(tokens.CONFIRM_EMAIL, cabinet.id, cabinet.email)
    link = tokens.url(tokens.CONFIRM_EMAIL, raw)
    await send_notice(cabinet.email, 'confirm', link=link, sensitive=True, login=cabinet.login)


async def _take_registration(email: str, ip: str | None) -> None:
    """One registration counted per IP and per email address BEFORE the slow hash and the mail it sends: without it
    one client makes the portal hash without end and flood a stranger's mailbox with confirmations."""
    if ip and not await ratelimit.take(ratelimit.REGISTER_PER_IP_HOUR, ip):
        await audit.record('registration_limited', ip=ip, email=mask_email(email), by='ip')
        raise TooManyAttempts(t('error.too_many_attempts'))
    if not await ratelimit.take(ratelimit.REGISTER_PER_EMAIL_DAY, email.lower()):
        await audit.record('registration_limited', ip=ip, email=mask_email(email), by='email')
        raise TooManyAttempts(t('error.registration_email_limit'), 'email')


async def _create_cabinet(
    form: RegistrationForm,
    *,
    login: str,
    email: str,
    phone: str | None,
    active: bool,
    ip: str | None,
    account: Account | None = None,
) -> Cabinet:
    """The cabinet, its consent, its link, its confirmation email: all or nothing (a first entry's replacing the
    account's pending registration too)."""
    await _take_registration(email, ip)
    password_hash = await passwords.hash_password(form.password)  # slow: outside the transaction
    now = clock.now()
    try:
        async with in_transaction():
            if phone and (form.confirm_by == BY_SMS or config.settings.profile_rules.require_sms_and_email):
                await codes.take_verified(form.phone_request, CODE_PURPOSE, phone)
                phone_confirmed_at = now
            else:
                phone_confirmed_at = None
            if account is not None:
                # a pending, unconfirmed registration of the same account is replaced by this one, once it is sure
                await Cabinet.filter(login_key=login_key(login), state=CabinetState.PENDING).delete()
            cabinet = await Cabinet.create(
                login=login,
                login_key=login_key(login),
                password_hash=password_hash,
                email=email,
                phone=phone,
                phone_confirmed_at=phone_confirmed_at,
                surname=form.surname.strip() or None,
                state=CabinetState.ACTIVE if active else CabinetState.PENDING,
                pending_until=None if active else now + tokens.TTL[tokens.CONFIRM_EMAIL],
                created_at=now,
                password_changed_at=now,
                # the language the customer registered in: the later mail to them speaks it too
                language=current_language(),
            )
            await Consent.create(cabinet=cabinet, kind=CONSENT_KIND, text_version=CONSENT_VERSION, given_at=now, ip=ip)
            if account is not None:
                await Link.create(cabinet=cabinet, account=account, proof='first_entry', linked_at=now)
            await send_confirmation(cabinet)
    except IntegrityError as error:
        # the unique login caught a concurrent twin (a double click on «Зарегистрироваться»)
        raise InvalidInput({'login': t('error.login_taken')}) from error
    await audit.record(
        'registration',
        cabinet_id=cabinet.id,
        login=login,
        ip=ip,
        by=form.confirm_by,
        active=active,
        email=mask_email(email),
        account=account.number if account else None,
    )
    await audit.record('consent', cabinet_id=cabinet.id, ip=ip, kind=CONSENT_KIND, version=CONSENT_VERSION)
    return cabinet


async def register_by_login(form: RegistrationForm, *, ip: str | None) -> Outcome:
    """Flow 1. Profile `atom` needs the SMS code AND the email link; otherwise either confirms."""
    _check_text(form)
    rules = config.settings.profile_rules
    if not rules.register_by_login:
        raise NotAllowed(t('error.profile_off'))
    sms_required = rules.require_sms_and_email or form.confirm_by == BY_SMS
    errors, email, phone = _check_form(form, login=form.login.strip(), sms_required=sms_required)
    if reason := login_error(form.login):
        errors['login'] = reason
    if sms_required and form.phone_request is None and 'phone' not in errors:
        errors['code'] = t('error.code_needed')
    if errors:
        raise InvalidInput(errors)
    login = form.login.strip()
    await drop_expired_registrations()
    if await Cabinet.exists(login_key=login_key(login)):
        raise InvalidInput({'login': t('error.login_taken')})
    active = form.confirm_by == BY_SMS and not rules.require_sms_and_email
    cabinet = await _create_cabinet(form, login=login, email=email, phone=phone, active=active, ip=ip)
    return Outcome(cabinet, active)


async def find_first_entry_account(number: str, surname: str, *, ip: str | None) -> Account:
    """Flow 2, step 1: the account exists, the surname is its holder's and it has no cabinet yet."""
    limits.check_text(account=(number, limits.ACCOUNT), surname=(surname, limits.SURNAME))
    if not config.settings.profile_rules.first_entry_by_account:
        raise NotAllowed(t('error.profile_off'))
    number, errors = number.strip(), {}
    if not number:
        errors['account'] = t('error.required')
    if not surname.strip():
        errors['surname'] = t('error.required')
    if errors:
        raise InvalidInput(errors)
    if (ip and await ratelimit.exceeded(ratelimit.FIRST_ENTRY_PER_IP_MINUTE, ip)) or await ratelimit.exceeded(
        ratelimit.FIRST_ENTRY_FAILURES, number
    ):
        await audit.record('first_entry_limited', ip=ip, account=number)
        raise TooManyAttempts(t('error.too_many_attempts'))
    if ip:
        await ratelimit.record(ratelimit.FIRST_ENTRY_PER_IP_MINUTE, ip)
    account = await Account.get_or_none(number=number)
    if account is None or fold_text(account.surname) != fold_text(surname):
        await ratelimit.record(ratelimit.FIRST_ENTRY_FAILURES, number)
        await audit.record('first_entry_failure', ip=ip, account=number)
        raise InvalidInput({'account': t('error.account_or_surname')})
    await drop_expired_registrations()
    if await Cabinet.exists(login_key=login_key(number), state=CabinetState.ACTIVE):
        raise InvalidInput({'account': t('error.account_registered')})
    return account


async def register_by_account(number: str, form: RegistrationForm, *, ip: str | None) -> Outcome:
    """Flow 2, step 2: the cabinet's login IS the account number, linked at once."""
    _check_text(form, account=(number, limits.ACCOUNT))
    if not config.settings.profile_rules.first_entry_by_account:
        raise NotAllowed(t('error.profile_off'))
    account = await Account.get_or_none(number=number.strip())
    if account is None:
        raise InvalidInput({'account': t('error.account_or_surname')})
    errors, email, phone = _check_form(form, login=account.number, sms_required=form.confirm_by == BY_SMS)
    if not form.surname.strip():
        errors['surname'] = t('error.required')
    elif fold_text(form.surname) != fold_text(account.surname):
        await ratelimit.record(ratelimit.FIRST_ENTRY_FAILURES, account.number)
        errors['surname'] = t('error.surname_mismatch')
    if form.confirm_by == BY_SMS and form.phone_request is None and 'phone' not in errors:
        errors['code'] = t('error.code_needed')
    if email and 'email' not in errors and await quota.email_quota_left(email) < 1:
        errors['email'] = t('error.email_quota', limit=config.settings.accounts_per_email)
    if errors:
        raise InvalidInput(errors)
    if await ratelimit.exceeded(ratelimit.FIRST_ENTRY_FAILURES, account.number):
        raise TooManyAttempts(t('error.too_many_attempts'))
    await drop_expired_registrations()
    if await Cabinet.exists(login_key=login_key(account.number), state=CabinetState.ACTIVE):
        raise InvalidInput({'account': t('error.account_registered')})
    active = form.confirm_by == BY_SMS
    cabinet = await _create_cabinet(
        form, login=account.number, email=email, phone=phone, active=active, ip=ip, account=account
    )
    token = await sessions.start(cabinet, ip) if active else None
    if active:
        # number and surname are printed on every bill: whoever already holds the account hears of the newcomer
        await holders.tell_holders(account, cabinet, via='first_entry')
    if token:
        await audit.record('login_success', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, via='registration')
    return Outcome(cabinet, active, token)


async def confirm_email(raw_token: str, *, ip: str | None) -> Cabinet | None:
    """The button on the emailed link's page: activates a pending cabinet, marks the email confirmed."""
    token = await tokens.consume(tokens.CONFIRM_EMAIL, raw_token)
    if token is None:
        await audit.record('confirmation_failure', ip=ip)
        return None
    cabinet = await Cabinet.get(id=token.cabinet_id)
    now = clock.now()
    if cabinet.email == token.email:
        cabinet.email_confirmed_at = now
    activated = cabinet.state == CabinetState.PENDING
    if activated:
        cabinet.state = CabinetState.ACTIVE
        cabinet.pending_until = None
    await cabinet.save()
    if activated and (first := await Link.filter(cabinet_id=cabinet.id, proof='first_entry').first()):
        # the first entry activated by its emailed link: whoever already holds the account hears of the newcomer
        await holders.tell_holders(await first.account, cabinet, via='first_entry')
    await audit.record('confirmation', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, email=mask_email(token.email))
    return cabinet
