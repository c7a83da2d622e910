"""Service rules of the «Настройки» profile block: email, phone and password changes, the password asked again."""

from __future__ import annotations

import pytest

from models.cabinet import Cabinet, Link, Session
from models.security import AuditEvent, LinkToken, OneTimeCode, RateEvent
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed, ReauthRequired, TooManyAttempts
from services.identity import (
    auth,
    email_change,
    password_change,
    phone_change,
    reauth,
    recovery,
    registration,
    sessions,
    tokens,
)
from tests.support.delivery import deliver
from tests.support.factories import GOOD, PHONE, link_accounts, make_cabinet
from tests.support.servers import Mailbox

NEW_PASSWORD = 'Novyj-Parol-77'
OLD_EMAIL = 'ivanov@example.ru'
NEW_EMAIL = 'ivan.new@example.ru'
NEW_PHONE = '+79007654321'


async def signed_in(login: str = 'ivanov', **values: str | None) -> tuple[Cabinet, str]:
    """A cabinet and the token of a session that has just typed the password (a fresh login)."""
    await make_cabinet(login, password=GOOD, **values)
    return await auth.login(login, GOOD, ip='10.0.0.1')


async def email_token(mailbox: Mailbox, email: str = NEW_EMAIL) -> str:
    await deliver()
    link = Mailbox.link(mailbox.wait_for(email)[-1])
    assert link.startswith('http://portal.test/email-change?token=')
    return link.split('token=')[1]


async def events() -> list[str]:
    return await AuditEvent.all().order_by('id').values_list('event', flat=True)


# --- the password typed again -----------------------------------------------------------------------------


async def change_email(cabinet: Cabinet, token: str) -> None:
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)


async def send_phone_code(cabinet: Cabinet, token: str) -> None:
    await phone_change.send_phone_code(cabinet, token, NEW_PHONE, ip=None)


@pytest.mark.parametrize('action', [change_email, send_phone_code])
async def test_email_and_phone_changes_need_the_password_typed_within_5_minutes(db, fake_clock, action):
    cabinet, token = await signed_in()
    fake_clock.advance(minutes=4, seconds=59)
    assert await reauth.password_recent(token)
    await action(cabinet, token)
    fake_clock.advance(seconds=62)  # 5:01 after the login
    assert not await reauth.password_recent(token)
    with pytest.raises(ReauthRequired, match='введите пароль ещё раз'):
        await action(cabinet, token)
    await reauth.confirm_password(cabinet, token, GOOD, ip='10.0.0.1')
    assert await reauth.password_recent(token)
    await action(cabinet, token)
    assert 'reauth' in await events()


async def test_phone_change_code_also_needs_a_recent_password(db, sms, fake_clock):
    cabinet, token = await signed_in()
    request = await phone_change.send_phone_code(cabinet, token, NEW_PHONE, ip=None)
    await deliver()
    fake_clock.advance(minutes=5, seconds=1)
    with pytest.raises(ReauthRequired):
        await phone_change.change_phone(cabinet, token, request, sms.code(NEW_PHONE), ip=None)
    await cabinet.refresh_from_db()
    assert cabinet.phone == PHONE


async def test_wrong_reentry_is_refused_at_the_field_and_audited(db):
    cabinet, token = await signed_in()
    with pytest.raises(AuthenticationFailed) as caught:
        await reauth.confirm_password(cabinet, token, 'not-the-password', ip='10.0.0.9')
    assert (caught.value.message, caught.value.field) == ('Неверный пароль', 'password')
    with pytest.raises(InvalidInput) as empty:
        await reauth.confirm_password(cabinet, token, '', ip=None)
    assert empty.value.errors == {'password': 'Заполните это поле'}
    failure = await AuditEvent.get(event='reauth_failure')
    assert (failure.cabinet_id, failure.ip) == (cabinet.id, '10.0.0.9')


async def test_fifth_wrong_reentry_in_15_minutes_ends_the_session(db, fake_clock):
    cabinet, token = await signed_in()
    _, other = await auth.login('ivanov', GOOD, ip=None)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await reauth.confirm_password(cabinet, token, 'wrong-password', ip=None)
    with pytest.raises(AuthenticationFailed, match='Неверный пароль'):  # the current password counts the same
        await password_change.change_password(cabinet, token, 'wrong-password', NEW_PASSWORD, NEW_PASSWORD, ip=None)
    assert await sessions.resolve(token)
    with pytest.raises(TooManyAttempts, match='Сеанс завершён'):
        await reauth.confirm_password(cabinet, token, 'wrong-password', ip=None)
    assert await sessions.resolve(token) is None
    with pytest.raises(NotAllowed):
        await reauth.confirm_password(cabinet, token, GOOD, ip=None)
    # another session of the cabinet gets no more guesses: even the right password ends it, unchecked
    with pytest.raises(TooManyAttempts):
        await reauth.confirm_password(cabinet, other, GOOD, ip=None)
    assert await sessions.resolve(other) is None
    assert 'reauth_lockout' in await events()
    fake_clock.advance(minutes=15, seconds=1)
    _, fresh = await auth.login('ivanov', GOOD, ip=None)  # the login itself was never locked
    await reauth.confirm_password(cabinet, fresh, GOOD, ip=None)


async def test_a_right_reentry_clears_the_wrong_ones(db):
    cabinet, token = await signed_in()
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await reauth.confirm_password(cabinet, token, 'wrong-password', ip=None)
    await reauth.confirm_password(cabinet, token, GOOD, ip=None)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await reauth.confirm_password(cabinet, token, 'wrong-password', ip=None)
    assert await sessions.resolve(token)


async def test_another_cabinets_session_does_not_count(db):
    ivanov, _ = await signed_in()
    _, petrov_token = await signed_in('petrov', email='p@example.ru', phone=None)
    with pytest.raises(NotAllowed, match='Сеанс истёк'):
        await reauth.confirm_password(ivanov, petrov_token, GOOD, ip=None)
    with pytest.raises(NotAllowed):
        await email_change.request_email_change(ivanov, petrov_token, NEW_EMAIL, ip=None)
    with pytest.raises(NotAllowed):
        await password_change.change_password(ivanov, petrov_token, GOOD, NEW_PASSWORD, NEW_PASSWORD, ip=None)
    assert not await reauth.password_recent('')
    assert not await LinkToken.exists(purpose=tokens.CHANGE_EMAIL)


# --- email ------------------------------------------------------------------------------------------------


async def test_email_changes_only_when_the_link_to_the_new_address_is_used(db, mailbox, fake_clock):
    cabinet, token = await signed_in()
    await email_change.request_email_change(cabinet, token, ' Ivan.New@Example.RU ', ip='10.0.0.1')
    raw = await email_token(mailbox)
    to_new = mailbox.to(NEW_EMAIL)[0]
    assert to_new['Subject'] == 'Подтверждение нового адреса почты для личного кабинета'
    assert 'ivanov' in Mailbox.text(to_new) and '24 часа' in Mailbox.text(to_new)
    to_old = mailbox.wait_for(OLD_EMAIL)[0]
    assert to_old['Subject'] == 'Запрос на смену адреса почты личного кабинета'
    assert 'i***@example.ru' in Mailbox.text(to_old) and 'token=' not in Mailbox.text(to_old)
    await cabinet.refresh_from_db()
    assert cabinet.email == OLD_EMAIL  # nothing changes before the link is used
    fake_clock.advance(hours=3)
    assert await email_change.confirm_email_change(raw, ip='10.0.0.2') is not None
    await cabinet.refresh_from_db()
    assert (cabinet.email, cabinet.email_confirmed_at) == (NEW_EMAIL, fake_clock.current)
    await deliver()
    changed = mailbox.wait_for(OLD_EMAIL, count=2)[1]
    assert changed['Subject'] == 'Адрес почты личного кабинета изменён'
    assert 'i***@example.ru' in Mailbox.text(changed)
    assert await email_change.confirm_email_change(raw, ip=None) is None  # single use
    assert {'email_change_request', 'email_changed', 'email_change_failure'} <= set(await events())


async def test_email_change_link_lives_24_hours(db, mailbox, fake_clock):
    cabinet, token = await signed_in()
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    raw = await email_token(mailbox)
    fake_clock.advance(hours=23, minutes=59)
    assert await tokens.peek(tokens.CHANGE_EMAIL, raw)
    fake_clock.advance(minutes=1, seconds=1)
    assert await email_change.confirm_email_change(raw, ip=None) is None
    await cabinet.refresh_from_db()
    assert cabinet.email == OLD_EMAIL


async def test_a_new_email_request_kills_the_older_link(db, mailbox):
    cabinet, token = await signed_in()
    await email_change.request_email_change(cabinet, token, 'first@example.ru', ip=None)
    first = await email_token(mailbox, 'first@example.ru')
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    assert await email_change.confirm_email_change(first, ip=None) is None
    assert (await email_change.confirm_email_change(await email_token(mailbox), ip=None)).email == NEW_EMAIL


@pytest.mark.parametrize(
    ('typed', 'message'),
    [
        ('IVANOV@example.ru', 'Этот адрес уже указан в кабинете'),
        ('ivanov@', 'Неверный адрес электронной почты'),
        ('not an email', 'Неверный адрес электронной почты'),
        ('  ', 'Заполните это поле'),
    ],
)
async def test_bad_new_email_is_refused_at_its_field(db, mailbox, typed, message):
    cabinet, token = await signed_in()
    with pytest.raises(InvalidInput) as caught:
        await email_change.request_email_change(cabinet, token, typed, ip=None)
    assert caught.value.errors == {'email': message}
    assert not await LinkToken.exists(purpose=tokens.CHANGE_EMAIL)
    await deliver()
    assert mailbox.messages == []


async def test_email_quota_holds_at_the_request(db, mailbox):
    neighbour = await make_cabinet('petrov', NEW_EMAIL, phone=None, password=GOOD)
    await link_accounts(neighbour, *(f'70000{n}' for n in range(9)))
    cabinet, token = await signed_in()
    await link_accounts(cabinet, '700000', '800001')  # one shared with the neighbour: 10 distinct
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    await link_accounts(cabinet, '800002')  # 11
    with pytest.raises(InvalidInput) as caught:
        await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    assert caught.value.errors == {'email': 'На один адрес электронной почты можно зарегистрировать не более 10 '
                                   'лицевых счетов'}  # fmt: skip


async def test_email_quota_is_checked_again_when_the_link_is_used(db, mailbox):
    neighbour = await make_cabinet('petrov', NEW_EMAIL, phone=None, password=GOOD)
    await link_accounts(neighbour, *(f'70000{n}' for n in range(9)))
    cabinet, token = await signed_in()
    await link_accounts(cabinet, '800001')
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    raw = await email_token(mailbox)
    await link_accounts(neighbour, '700009')  # meanwhile the new address filled up
    with pytest.raises(InvalidInput, match='не более 10'):
        await email_change.confirm_email_change(raw, ip=None)
    await cabinet.refresh_from_db()
    assert cabinet.email == OLD_EMAIL
    await Link.filter(account__number='700009').delete()
    assert (await email_change.confirm_email_change(raw, ip=None)).email == NEW_EMAIL  # the link stayed alive
    assert 'email_change_refused' in await events()


async def test_email_change_requests_are_capped_per_hour(db, mailbox, fake_clock):
    cabinet, token = await signed_in()
    for number in range(5):
        await email_change.request_email_change(cabinet, token, f'new{number}@example.ru', ip=None)
    with pytest.raises(TooManyAttempts) as caught:
        await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    assert caught.value.field == 'email'
    fake_clock.advance(hours=1, seconds=1)
    await reauth.confirm_password(cabinet, token, GOOD, ip=None)
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)


async def test_email_change_kills_reset_links_sent_to_the_old_address(db, mailbox):
    cabinet, token = await signed_in()
    await recovery.request_reset('ivanov', ip=None)
    await deliver()
    reset = Mailbox.token(mailbox.wait_for(OLD_EMAIL)[-1])
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    await email_change.confirm_email_change(await email_token(mailbox), ip=None)
    assert await recovery.reset_cabinet_by_link(reset) is None


async def test_cabinet_without_email_gets_one_without_a_notice(db, mailbox):
    cabinet, token = await signed_in(email=None)
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    assert (await email_change.confirm_email_change(await email_token(mailbox), ip=None)).email == NEW_EMAIL
    await deliver()
    assert [message['To'] for message in mailbox.messages] == [NEW_EMAIL]


# --- phone ------------------------------------------------------------------------------------------------


async def test_phone_changes_by_the_sms_code(db, sms, mailbox):
    cabinet, token = await signed_in()
    request = await phone_change.send_phone_code(cabinet, token, '8 (900) 765-43-21', ip='10.0.0.1')
    await deliver()
    assert 'смены телефона' in sms.wait_for(NEW_PHONE)[0]
    await phone_change.change_phone(cabinet, token, request, sms.code(NEW_PHONE), ip='10.0.0.1')
    stored = await Cabinet.get(id=cabinet.id)
    assert stored.phone == NEW_PHONE and stored.phone_confirmed_at is not None
    await deliver()
    notice = mailbox.wait_for(OLD_EMAIL)[0]
    assert notice['Subject'] == 'Телефон личного кабинета изменён' and '+7900***4321' in Mailbox.text(notice)
    with pytest.raises(AuthenticationFailed):  # the code is used up
        await phone_change.change_phone(cabinet, token, request, sms.code(NEW_PHONE), ip=None)
    assert 'phone_changed' in await events()


async def test_wrong_phone_codes_count_and_the_fifth_kills_the_code(db, sms):
    cabinet, token = await signed_in()
    request = await phone_change.send_phone_code(cabinet, token, NEW_PHONE, ip=None)
    await deliver()
    code = sms.code(NEW_PHONE)
    wrong = '000000' if code != '000000' else '111111'
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed, match=f'Осталось попыток: {left}') as caught:
            await phone_change.change_phone(cabinet, token, request, wrong, ip=None)
        assert caught.value.field == 'code'
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await phone_change.change_phone(cabinet, token, request, wrong, ip=None)
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await phone_change.change_phone(cabinet, token, request, code, ip=None)
    with pytest.raises(InvalidInput) as malformed:
        await phone_change.change_phone(cabinet, token, request, '12ab', ip=None)
    assert malformed.value.errors == {'code': 'Код — 6 цифр из SMS'}
    assert (await Cabinet.get(id=cabinet.id)).phone == PHONE


async def test_a_code_of_another_purpose_or_cabinet_is_refused(db, sms):
    cabinet, token = await signed_in()
    registering = await registration.send_registration_code(NEW_PHONE, ip=None)
    await deliver()
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await phone_change.change_phone(cabinet, token, registering, sms.code(NEW_PHONE), ip=None)
    petrov, petrov_token = await signed_in('petrov', email='p@example.ru', phone=None)
    theirs = await phone_change.send_phone_code(petrov, petrov_token, '+79005554433', ip=None)
    await deliver()
    with pytest.raises(AuthenticationFailed) as caught:
        await phone_change.change_phone(cabinet, token, theirs, sms.code('+79005554433'), ip=None)
    assert caught.value.field == 'code'
    assert (await Cabinet.get(id=cabinet.id)).phone == PHONE
    assert (await Cabinet.get(id=petrov.id)).phone is None


@pytest.mark.parametrize(
    ('typed', 'message'),
    [
        ('12', 'Неверный номер телефона'),
        ('+380 44 123 4567', 'только на номера с кодом +7'),
        ('', 'Заполните это поле'),
        ('8 900 123-45-67', 'Этот номер уже подтверждён в кабинете'),
    ],
)
async def test_bad_new_phone_is_refused_at_its_field(db, sms, typed, message):
    cabinet, token = await signed_in()
    with pytest.raises(InvalidInput) as caught:
        await phone_change.send_phone_code(cabinet, token, typed, ip=None)
    assert message in caught.value.errors['phone']
    assert not await OneTimeCode.exists()


async def test_an_unconfirmed_phone_can_be_confirmed_by_a_code(db, sms):
    cabinet, token = await signed_in()
    await Cabinet.filter(id=cabinet.id).update(phone_confirmed_at=None)
    await cabinet.refresh_from_db()
    request = await phone_change.send_phone_code(cabinet, token, PHONE, ip=None)
    await deliver()
    await phone_change.change_phone(cabinet, token, request, sms.code(PHONE), ip=None)
    assert (await Cabinet.get(id=cabinet.id)).phone_confirmed_at is not None


async def test_phone_change_kills_reset_codes_sent_to_the_old_phone(db, sms):
    cabinet, token = await signed_in()
    reset = await recovery.request_reset('ivanov', ip=None)
    await deliver()
    reset_code = sms.code(PHONE)
    request = await phone_change.send_phone_code(cabinet, token, NEW_PHONE, ip=None)
    await deliver()
    await phone_change.change_phone(cabinet, token, request, sms.code(NEW_PHONE), ip=None)
    with pytest.raises(AuthenticationFailed):
        await recovery.reset_by_code(reset, reset_code, NEW_PASSWORD, NEW_PASSWORD, ip=None)


# --- password ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('current', 'new', 'confirm', 'errors'),
    [
        ('', NEW_PASSWORD, NEW_PASSWORD, {'current_password': 'Заполните это поле'}),
        (GOOD, '', '', {'new_password': 'Заполните это поле', 'password_confirm': 'Заполните это поле'}),
        (GOOD, 'short1', 'short1', {'new_password': 'Пароль должен быть не короче 8 символов'}),
        (GOOD, 'password1', 'password1', {'new_password': 'Этот пароль слишком распространён — придумайте другой'}),
        (GOOD, OLD_EMAIL, OLD_EMAIL, {'new_password': 'Пароль не должен совпадать с логином или email'}),
        (GOOD, GOOD, GOOD, {'new_password': 'Новый пароль совпадает с текущим'}),
        (GOOD, NEW_PASSWORD, NEW_PASSWORD + '!', {'password_confirm': 'Пароли не совпадают'}),
    ],
)  # fmt: skip
async def test_bad_new_password_is_refused_at_its_field(db, current, new, confirm, errors):
    cabinet, token = await signed_in()
    before = cabinet.password_hash
    with pytest.raises(InvalidInput) as caught:
        await password_change.change_password(cabinet, token, current, new, confirm, ip=None)
    assert caught.value.errors == errors
    assert (await Cabinet.get(id=cabinet.id)).password_hash == before


async def test_wrong_current_password_changes_nothing(db, mailbox):
    cabinet, token = await signed_in()
    _, other = await auth.login('ivanov', GOOD, ip=None)
    with pytest.raises(AuthenticationFailed) as caught:
        await password_change.change_password(cabinet, token, 'not-the-password', NEW_PASSWORD, NEW_PASSWORD, ip=None)
    assert (caught.value.message, caught.value.field) == ('Неверный пароль', 'current_password')
    await auth.login('ivanov', GOOD, ip=None)
    assert await sessions.resolve(other)
    await deliver()
    assert mailbox.messages == []


async def test_password_change_ends_other_sessions_and_keeps_this_one(db, mailbox, fake_clock):
    cabinet, token = await signed_in()
    _, other = await auth.login('ivanov', GOOD, ip='10.0.0.2')
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip=None)
    fake_clock.advance(minutes=10)  # the current password is the re-entry: no recent one needed
    await sessions.resolve(token)
    await password_change.change_password(cabinet, token, GOOD, NEW_PASSWORD, NEW_PASSWORD, ip='10.0.0.1')
    assert await sessions.resolve(other) is None
    assert await sessions.resolve(token) is not None
    assert await Session.filter(cabinet_id=cabinet.id).count() == 1
    fake_clock.advance(minutes=4)
    assert await reauth.password_recent(token)  # typing the current password counts as typing it again
    assert not await RateEvent.filter(key__startswith='login-fail:').exists()
    with pytest.raises(AuthenticationFailed):
        await auth.login('ivanov', GOOD, ip=None)
    await auth.login('ivanov', NEW_PASSWORD, ip=None)
    await deliver()
    notice = mailbox.wait_for(OLD_EMAIL)[0]
    assert notice['Subject'] == 'Пароль личного кабинета изменён' and 'ivanov' in Mailbox.text(notice)
    assert 'password_changed' in await events()


async def test_password_change_kills_pending_resets_and_contact_changes(db, mailbox, sms):
    cabinet, token = await signed_in()
    await recovery.request_reset('ivanov', ip=None)
    await deliver()
    reset = Mailbox.token(mailbox.wait_for(OLD_EMAIL)[-1])
    await email_change.request_email_change(cabinet, token, NEW_EMAIL, ip=None)
    email_link = await email_token(mailbox)
    phone_request = await phone_change.send_phone_code(cabinet, token, NEW_PHONE, ip=None)
    await deliver()
    phone_code = sms.code(NEW_PHONE)
    await password_change.change_password(cabinet, token, GOOD, NEW_PASSWORD, NEW_PASSWORD, ip=None)
    assert await recovery.reset_cabinet_by_link(reset) is None
    assert await email_change.confirm_email_change(email_link, ip=None) is None
    with pytest.raises(AuthenticationFailed):
        await phone_change.change_phone(cabinet, token, phone_request, phone_code, ip=None)
    stored = await Cabinet.get(id=cabinet.id)
    assert (stored.email, stored.phone) == (OLD_EMAIL, PHONE)
