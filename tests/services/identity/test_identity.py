"""Service rules of flows 1–3: registration, confirmation, codes, links, login, lockout, recovery, sessions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from models.cabinet import Cabinet, CabinetState, Consent, Link, Session
from models.security import AuditEvent, LinkToken, OneTimeCode, RateEvent
from services import config
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed, TooManyAttempts
from services.identity import auth, cabinets, contacts, passwords, recovery, registration, sessions
from services.identity.registration import BY_SMS
from tests.support.delivery import deliver
from tests.support.factories import GOOD, PHONE, make_account, registration_form
from tests.support.servers import Mailbox
from tests.support.settings import configure

#: the personal account of the first-entry tests
FIRST_ENTRY = '100200300'


async def confirmed_phone(sms, phone: str = PHONE) -> uuid.UUID:
    request = await registration.send_registration_code(phone, ip='10.0.0.1')
    await deliver()
    await registration.confirm_registration_code(request, sms.code(phone))
    return request


async def token_from_mail(mailbox: Mailbox, email: str) -> str:
    await deliver()
    return Mailbox.token(mailbox.wait_for(email)[-1])


# --- flow 1: registration by login ---------------------------------------------------------------


async def test_register_by_email_link_activates(db, mailbox):
    outcome = await registration.register_by_login(registration_form(), ip='10.0.0.1')
    assert not outcome.active
    cabinet = await Cabinet.get(login_key='ivanov')
    assert cabinet.state == CabinetState.PENDING
    consent = await Consent.get(cabinet=cabinet)
    assert (consent.text_version, consent.ip) == (registration.CONSENT_VERSION, '10.0.0.1')
    message = (await deliver(), mailbox.wait_for('ivanov@example.ru'))[1][0]
    assert 'ТестЭнергоСбыт' in Mailbox.text(message)
    link = Mailbox.link(message)
    assert link.startswith('http://portal.test/confirm?token=')
    with pytest.raises(AuthenticationFailed):
        await auth.login('ivanov', GOOD, ip='10.0.0.1')  # not confirmed yet
    confirmed = await registration.confirm_email(link.split('token=')[1], ip='10.0.0.2')
    assert confirmed is not None and confirmed.state == CabinetState.ACTIVE
    assert confirmed.email_confirmed_at is not None
    cabinet, token = await auth.login('IVANOV', GOOD, ip='10.0.0.1')  # logins are case-insensitive
    assert cabinet.id == confirmed.id and await sessions.resolve(token)
    events = set(await AuditEvent.all().values_list('event', flat=True))
    assert {'registration', 'consent', 'confirmation', 'login_success'} <= events


async def test_register_by_sms_is_active_at_once(db, sms):
    request = await confirmed_phone(sms)
    outcome = await registration.register_by_login(
        registration_form(phone='8 900 123-45-67', confirm_by=BY_SMS, phone_request=request), ip='10.0.0.1'
    )
    assert outcome.active
    cabinet = await Cabinet.get(login_key='ivanov')
    assert cabinet.phone == PHONE and cabinet.phone_confirmed_at is not None and cabinet.email_confirmed_at is None
    await auth.login('ivanov', GOOD, ip='10.0.0.1')


async def test_sms_path_needs_a_confirmed_code(db, sms):
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_login(registration_form(phone=PHONE, confirm_by=BY_SMS), ip=None)
    assert caught.value.errors == {'code': 'Подтвердите телефон кодом из SMS'}
    unverified = await registration.send_registration_code(PHONE, ip=None)
    with pytest.raises(InvalidInput):
        await registration.register_by_login(
            registration_form(phone=PHONE, confirm_by=BY_SMS, phone_request=unverified), ip=None
        )
    request = await confirmed_phone(sms, '+79001112233')
    with pytest.raises(InvalidInput):  # confirmed for another phone
        await registration.register_by_login(
            registration_form(phone=PHONE, confirm_by=BY_SMS, phone_request=request), ip=None
        )
    assert await Cabinet.all().count() == 0


async def test_atom_needs_sms_and_email(db, sms, mailbox, monkeypatch):
    configure(monkeypatch, profile='atom')
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_login(registration_form(phone=PHONE), ip=None)
    assert 'code' in caught.value.errors
    request = await confirmed_phone(sms)
    outcome = await registration.register_by_login(registration_form(phone=PHONE, phone_request=request), ip=None)
    assert not outcome.active  # the email link is still needed
    with pytest.raises(AuthenticationFailed):
        await auth.login('ivanov', GOOD, ip=None)
    assert await registration.confirm_email(await token_from_mail(mailbox, 'ivanov@example.ru'), ip=None)
    await auth.login('ivanov', GOOD, ip=None)


async def test_volga_has_no_registration_by_login(db, monkeypatch):
    configure(monkeypatch, profile='volga')
    with pytest.raises(NotAllowed):
        await registration.register_by_login(registration_form(), ip=None)


@pytest.mark.parametrize(
    ('values', 'field', 'message'),
    [
        ({'login': ''}, 'login', 'Заполните это поле'),
        ({'login': '1ivan'}, 'login', 'первый символ — буква'),
        ({'login': 'iv'}, 'login', 'от 3 до 32'),
        ({'password': 'short1', 'password_confirm': 'short1'}, 'password', 'не короче 8'),
        ({'password': 'x' * 65, 'password_confirm': 'x' * 65}, 'password', 'не длиннее 64'),
        ({'password': 'password1', 'password_confirm': 'password1'}, 'password', 'слишком распространён'),
        (
            {'password': 'Ivanov-ivanov', 'login': 'Ivanov-ivanov', 'password_confirm': 'Ivanov-ivanov'},
            'password',
            'не должен совпадать',
        ),
        ({'password_confirm': GOOD + '!'}, 'password_confirm', 'Пароли не совпадают'),
        ({'email': 'ivanov@'}, 'email', 'Неверный адрес'),
        ({'email': ''}, 'email', 'Заполните это поле'),
        ({'phone': '12'}, 'phone', 'Неверный номер'),
        ({'phone': '+380 44 123 4567'}, 'phone', 'только на номера с кодом +7'),
        ({'consent': False}, 'consent', 'Без согласия'),
    ],
)
async def test_bad_registration_input_is_refused_at_its_field(db, values, field, message):
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_login(registration_form(**values), ip=None)
    assert message in caught.value.errors[field]
    assert await Cabinet.all().count() == 0 and await Consent.all().count() == 0


async def test_password_length_counts_characters_after_nfkc(db, monkeypatch):
    configure(monkeypatch, profile='volga')
    # 'ﬀ' (one ligature character) becomes 'ff' under NFKC: 19 + 2 = 21 characters, over volga's 20
    assert 'не длиннее 20' in passwords.check_policy('ﬀ' + 'Slon-zelenyj-42abcd')
    assert passwords.check_policy('Слон-зелёный-42') is None  # 15 Cyrillic characters, not bytes


async def test_login_taken_case_insensitively(db):
    await registration.register_by_login(registration_form(), ip=None)
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_login(registration_form(login='IvAnOv', email='other@example.ru'), ip=None)
    assert caught.value.errors == {'login': 'Этот логин уже занят'}


async def test_double_submit_creates_one_cabinet(db, mailbox):
    results = await asyncio.gather(
        registration.register_by_login(registration_form(), ip=None),
        registration.register_by_login(registration_form(), ip=None),
        return_exceptions=True,
    )
    assert sum(isinstance(result, registration.Outcome) for result in results) == 1
    assert await Cabinet.all().count() == 1
    await deliver()
    assert len(mailbox.to('ivanov@example.ru')) == 1


async def test_unconfirmed_registration_expires_and_frees_the_login(db, mailbox, fake_clock):
    await registration.register_by_login(registration_form(), ip=None)
    token = await token_from_mail(mailbox, 'ivanov@example.ru')
    fake_clock.advance(hours=24, seconds=1)
    assert await registration.confirm_email(token, ip=None) is None  # the link expired
    await registration.register_by_login(registration_form(email='new@example.ru'), ip=None)
    cabinet = await Cabinet.get(login_key='ivanov')
    assert cabinet.email == 'new@example.ru'


# --- links ------------------------------------------------------------------------------------------


async def test_confirmation_link_is_single_use_and_a_new_one_kills_the_old(db, mailbox):
    outcome = await registration.register_by_login(registration_form(), ip=None)
    old = await token_from_mail(mailbox, 'ivanov@example.ru')
    from services.identity import tokens

    new = await tokens.issue(tokens.CONFIRM_EMAIL, outcome.cabinet.id, 'ivanov@example.ru')
    assert await registration.confirm_email(old, ip=None) is None
    assert await registration.confirm_email(new, ip=None) is not None
    assert await registration.confirm_email(new, ip=None) is None
    stored = await LinkToken.filter(cabinet_id=outcome.cabinet.id).values_list('token_hash', flat=True)
    assert new not in stored and len(stored[0]) == 64  # only SHA-256 is kept


# --- codes ------------------------------------------------------------------------------------------


async def test_code_dies_after_five_wrong_tries_and_resend_keeps_the_count(db, sms, fake_clock):
    request = await registration.send_registration_code(PHONE, ip=None)
    await deliver()
    code = sms.code(PHONE)
    wrong = '000000' if code != '000000' else '111111'
    for left in (4, 3, 2):
        with pytest.raises(AuthenticationFailed, match=f'Осталось попыток: {left}'):
            await registration.confirm_registration_code(request, wrong)
    fake_clock.advance(seconds=61)
    assert await registration.send_registration_code(PHONE, ip=None, request_id=request) == request
    with pytest.raises(AuthenticationFailed, match='Осталось попыток: 1'):
        await registration.confirm_registration_code(request, wrong)
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await registration.confirm_registration_code(request, wrong)
    await deliver()
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await registration.confirm_registration_code(request, sms.code(PHONE))


async def test_code_expires_after_ten_minutes(db, sms, fake_clock):
    request = await registration.send_registration_code(PHONE, ip=None)
    await deliver()
    fake_clock.advance(minutes=10, seconds=1)
    with pytest.raises(AuthenticationFailed, match='больше не действует'):
        await registration.confirm_registration_code(request, sms.code(PHONE))


async def test_code_is_bound_to_its_purpose_and_stored_hashed(db, sms):
    request = await registration.send_registration_code(PHONE, ip=None)
    await deliver()
    code = sms.code(PHONE)
    stored = await OneTimeCode.get(id=request)
    assert code not in stored.code_hash
    with pytest.raises(AuthenticationFailed):
        await recovery.reset_by_code(request, code, GOOD, GOOD, ip=None)


async def test_resend_waits_60_seconds_and_stops_after_three(db, sms, fake_clock):
    request = await registration.send_registration_code(PHONE, ip=None)
    with pytest.raises(TooManyAttempts, match='через'):
        await registration.send_registration_code(PHONE, ip=None, request_id=request)
    for _ in range(3):
        fake_clock.advance(seconds=60)
        await registration.send_registration_code(PHONE, ip=None, request_id=request)
    fake_clock.advance(seconds=60)
    with pytest.raises(TooManyAttempts, match='слишком много раз'):
        await registration.send_registration_code(PHONE, ip=None, request_id=request)


async def test_sms_limits_per_phone_and_per_ip(db, sms, fake_clock):
    for _ in range(5):
        await registration.send_registration_code(PHONE, ip=None)
    with pytest.raises(TooManyAttempts, match='на этот номер'):
        await registration.send_registration_code(PHONE, ip=None)
    fake_clock.advance(hours=1, seconds=1)
    for _ in range(5):
        await registration.send_registration_code(PHONE, ip=None)
    fake_clock.advance(hours=1, seconds=1)
    with pytest.raises(TooManyAttempts):  # 10 a day
        await registration.send_registration_code(PHONE, ip=None)
    for number in range(10):
        await registration.send_registration_code(f'+7900555{number:04d}', ip='10.9.9.9')
    with pytest.raises(TooManyAttempts, match='Слишком много запросов'):
        await registration.send_registration_code('+79005559999', ip='10.9.9.9')
    await deliver()
    assert len(sms.to(PHONE)) == 10


# --- flow 2: first entry by personal account --------------------------------------------------------


async def test_first_entry_by_email(db, mailbox):
    await make_account(FIRST_ENTRY)
    account = await registration.find_first_entry_account(' 100200300 ', 'СЕМЕНОВ', ip='10.0.0.1')
    outcome = await registration.register_by_account(
        account.number, registration_form(login='', surname='семёнов', email='s@example.ru'), ip='10.0.0.1'
    )
    assert not outcome.active and outcome.session_token is None
    assert await Link.filter(cabinet=outcome.cabinet, account=account).exists()
    assert await registration.confirm_email(await token_from_mail(mailbox, 's@example.ru'), ip=None)
    cabinet, _ = await auth.login('100200300', GOOD, ip=None)  # the login IS the account number
    assert cabinet.id == outcome.cabinet.id


async def test_first_entry_by_sms_logs_straight_in(db, sms):
    account = await make_account(FIRST_ENTRY)
    request = await confirmed_phone(sms)
    outcome = await registration.register_by_account(
        account.number,
        registration_form(surname='Семенов', phone=PHONE, confirm_by=BY_SMS, phone_request=request),
        ip=None,
    )
    assert outcome.active and await sessions.resolve(outcome.session_token)


async def test_first_entry_refusals(db, mailbox):
    account = await make_account(FIRST_ENTRY)
    with pytest.raises(InvalidInput, match='не найден'):
        await registration.find_first_entry_account('999', 'Семёнов', ip=None)
    with pytest.raises(InvalidInput, match='не найден'):
        await registration.find_first_entry_account(account.number, 'Петров', ip=None)
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_account(account.number, registration_form(surname='Петров'), ip=None)
    assert caught.value.errors['surname'] == 'Фамилия не совпадает с владельцем лицевого счёта'
    outcome = await registration.register_by_account(account.number, registration_form(surname='Семёнов'), ip=None)
    await registration.confirm_email(await token_from_mail(mailbox, 'ivanov@example.ru'), ip=None)
    with pytest.raises(InvalidInput, match='уже зарегистрирован'):
        await registration.find_first_entry_account(account.number, 'Семёнов', ip=None)
    assert await Cabinet.all().count() == 1 and outcome.cabinet.login == account.number


async def test_volga_passwords_are_8_to_20(db, monkeypatch):
    configure(monkeypatch, profile='volga')
    account = await make_account(FIRST_ENTRY)
    with pytest.raises(InvalidInput, match='не длиннее 20'):
        await registration.register_by_account(
            account.number, registration_form(surname='Семёнов', password='z' * 21, password_confirm='z' * 21), ip=None
        )
    with pytest.raises(NotAllowed):
        await registration.register_by_login(registration_form(), ip=None)


async def test_one_email_serves_at_most_ten_accounts(db, monkeypatch):
    for number in range(10):
        account = await make_account(f'55500{number}', surname='Орлова')
        await registration.register_by_account(
            account.number, registration_form(surname='Орлова', email='o@example.ru'), ip=None
        )
    eleventh = await make_account('555010', surname='Орлова')
    with pytest.raises(InvalidInput) as caught:
        await registration.register_by_account(
            eleventh.number, registration_form(surname='Орлова', email='O@Example.ru'), ip=None
        )
    assert 'не более 10' in caught.value.errors['email']
    assert not await Cabinet.exists(login_key='555010')


# --- flow 3: login, lockout, sessions, recovery -----------------------------------------------------


async def active_cabinet(mailbox, login: str = 'ivanov', email: str = 'ivanov@example.ru') -> Cabinet:
    await registration.register_by_login(registration_form(login=login, email=email), ip=None)
    return await registration.confirm_email(await token_from_mail(mailbox, email), ip=None)


async def test_login_refusals_are_generic(db, mailbox):
    await active_cabinet(mailbox)
    with pytest.raises(AuthenticationFailed) as wrong_password:
        await auth.login('ivanov', 'not-the-password', ip=None)
    with pytest.raises(AuthenticationFailed) as unknown_login:
        await auth.login('nobody', 'not-the-password', ip=None)
    assert wrong_password.value.message == unknown_login.value.message == 'Неверный логин или пароль'
    with pytest.raises(InvalidInput) as empty:
        await auth.login(' ', '', ip=None)
    assert set(empty.value.errors) == {'login', 'password'}


async def test_lockout_after_five_failures_doubles_up_to_15_minutes(db, mailbox, fake_clock):
    await active_cabinet(mailbox)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip=None)
    with pytest.raises(TooManyAttempts, match='через 1 мин'):
        await auth.login('ivanov', GOOD, ip=None)  # even the right password waits
    for expected in (1, 2, 4, 8, 15, 15):
        assert await auth.lockout_left('ivanov') == timedelta(minutes=expected)
        fake_clock.advance(minutes=expected, seconds=1)
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip=None)
    assert await AuditEvent.filter(event='lockout').exists()
    fake_clock.advance(minutes=15 + 15, seconds=1)  # the streak ends
    await auth.login('ivanov', GOOD, ip=None)
    # an unknown login locks the same way, so a lockout reveals nothing
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ghost', 'wrong-password', ip=None)
    with pytest.raises(TooManyAttempts):
        await auth.login('ghost', 'wrong-password', ip=None)


async def test_login_per_ip_limit(db, mailbox):
    await active_cabinet(mailbox)
    for _ in range(10):
        with pytest.raises(AuthenticationFailed):
            await auth.login(f'user{_}', 'wrong-password', ip='10.1.1.1')
    with pytest.raises(TooManyAttempts):
        await auth.login('ivanov', GOOD, ip='10.1.1.1')
    await auth.login('ivanov', GOOD, ip='10.1.1.2')


async def test_the_operator_sees_a_cabinet_as_data_and_lifts_its_lockout(db, mailbox, fake_clock):
    await active_cabinet(mailbox)
    assert await cabinets.cabinet_report('nobody') is None
    for _ in range(5):
        fake_clock.advance(seconds=1)
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='10.0.0.9')
    report = await cabinets.cabinet_report('IVANOV')
    assert (report.login, report.state, report.email, report.email_confirmed) == (
        'ivanov',
        CabinetState.ACTIVE,
        'ivanov@example.ru',
        True,
    )
    assert (report.phone, report.phone_confirmed, report.accounts) == (None, False, ())
    assert report.lockout_left == timedelta(minutes=1)
    lockout = next(event for event in report.events if event.event == 'lockout')
    assert lockout.ip == '10.0.0.9' and lockout.detail == {'wait': '0:01:00'}
    assert 'registration' in {event.event for event in report.events}
    await cabinets.unlock('Ivanov')
    assert await AuditEvent.filter(event='unlock', login='ivanov').exists()
    fake_clock.advance(seconds=1)
    await auth.login('ivanov', GOOD, ip='10.0.0.9')
    report = await cabinets.cabinet_report('ivanov')
    assert report.lockout_left == timedelta(0)
    assert len(report.events) == cabinets.RECENT_EVENTS  # the newest only
    assert report.events[0].event == 'login_success'
    assert [event.at for event in report.events] == sorted((event.at for event in report.events), reverse=True)


async def test_sessions_rotate_and_time_out(db, mailbox, fake_clock):
    await active_cabinet(mailbox)
    _, first = await auth.login('ivanov', GOOD, ip=None)
    _, second = await auth.login('ivanov', GOOD, ip=None)
    assert first != second and len(first) >= 22  # ≥128 bits, url-safe
    assert not await Session.filter(id=first).exists()  # only the hash is stored
    fake_clock.advance(minutes=29)
    assert await sessions.resolve(first)
    fake_clock.advance(minutes=31)
    assert await sessions.resolve(first) is None  # idle 30 min
    for _ in range(25):  # active all along, but 12 h is the limit
        fake_clock.advance(minutes=29)
        await sessions.resolve(second)
    assert await sessions.resolve(second) is None
    _, third = await auth.login('ivanov', GOOD, ip=None)
    await auth.logout(third)
    assert await sessions.resolve(third) is None


async def test_rehash_when_parameters_change(db, mailbox):
    cabinet = await active_cabinet(mailbox)
    from argon2 import PasswordHasher

    cabinet.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    await cabinet.save()
    await auth.login('ivanov', GOOD, ip=None)
    await cabinet.refresh_from_db()
    assert not passwords.needs_rehash(cabinet.password_hash)


async def test_reset_by_email_link(db, mailbox):
    cabinet = await active_cabinet(mailbox)
    _, old_session = await auth.login('ivanov', GOOD, ip=None)
    await recovery.request_reset('Ivanov', ip='10.0.0.1')
    token = await token_from_mail(mailbox, 'ivanov@example.ru')
    assert (await recovery.reset_cabinet_by_link(token)).id == cabinet.id
    with pytest.raises(InvalidInput, match='не совпадают'):
        await recovery.reset_by_link(token, 'Novyj-Parol-7', 'Novyj-Parol-8', ip=None)
    await recovery.reset_by_link(token, 'Novyj-Parol-7', 'Novyj-Parol-7', ip=None)
    assert await sessions.resolve(old_session) is None  # password change ends sessions
    with pytest.raises(AuthenticationFailed, match='недействительна'):
        await recovery.reset_by_link(token, 'Tretij-Parol-9', 'Tretij-Parol-9', ip=None)
    await auth.login('ivanov', 'Novyj-Parol-7', ip=None)
    assert {'reset_request', 'reset_done'} <= set(await AuditEvent.all().values_list('event', flat=True))


async def test_reset_link_lives_60_minutes(db, mailbox, fake_clock):
    await active_cabinet(mailbox)
    mailbox.clear()
    await recovery.request_reset('ivanov', ip=None)
    token = await token_from_mail(mailbox, 'ivanov@example.ru')
    fake_clock.advance(minutes=60, seconds=1)
    with pytest.raises(AuthenticationFailed):
        await recovery.reset_by_link(token, 'Novyj-Parol-7', 'Novyj-Parol-7', ip=None)


async def test_reset_by_sms_code_when_the_phone_is_confirmed(db, sms, mailbox):
    request = await confirmed_phone(sms)
    await registration.register_by_login(
        registration_form(phone=PHONE, confirm_by=BY_SMS, phone_request=request), ip=None
    )
    reset_request = await recovery.request_reset('ivanov', ip=None)
    await deliver()
    assert len(sms.to(PHONE)) == 2
    await recovery.reset_by_code(reset_request, sms.code(PHONE), 'Novyj-Parol-7', 'Novyj-Parol-7', ip=None)
    await auth.login('ivanov', 'Novyj-Parol-7', ip=None)
    # the unconfirmed email got no reset link
    assert not [m for m in mailbox.to('ivanov@example.ru') if 'Восстановление' in m['Subject']]


async def test_reset_answers_the_same_for_unknown_logins(db, mailbox, sms):
    await active_cabinet(mailbox)
    known = await recovery.request_reset('ivanov', ip=None)
    unknown = await recovery.request_reset('nobody', ip=None)
    assert type(known) is type(unknown)
    with pytest.raises(AuthenticationFailed):
        await recovery.reset_by_code(unknown, '123456', 'Novyj-Parol-7', 'Novyj-Parol-7', ip=None)


async def test_settings_refuse_placeholder_secret_outside_demo(monkeypatch):
    monkeypatch.setenv('PORTAL_STORAGE_SECRET', 'change-me')
    with pytest.raises(ValueError, match='PORTAL_STORAGE_SECRET'):
        config.load()
    monkeypatch.setenv('PORTAL_DEMO', 'true')
    assert config.load().demo


async def test_housekeeping_removes_only_what_is_spent(db, mailbox, fake_clock):
    from services.identity import housekeeping

    await active_cabinet(mailbox)
    await registration.register_by_login(registration_form(login='petrov', email='p@example.ru'), ip=None)
    await auth.login('ivanov', GOOD, ip=None)
    with pytest.raises(AuthenticationFailed):
        await auth.login('ivanov', 'wrong-password', ip=None)
    assert (await housekeeping.sweep())['sessions'] == 0
    fake_clock.advance(days=3)
    await housekeeping.sweep()
    assert await Session.all().count() == 0 and await RateEvent.all().count() == 0
    assert await Cabinet.all().values_list('login', flat=True) == ['ivanov']  # the unconfirmed one is gone


def test_a_contact_in_a_gateways_reply_is_masked_in_whatever_case_it_was_echoed():
    reply = '550 5.1.1 <IVANOV@Example.ru>: no such user; ivanov@example.ru unknown'
    masked = contacts.mask_within(reply, 'ivanov@example.ru', 'i***@example.ru')
    assert masked == '550 5.1.1 <i***@example.ru>: no such user; i***@example.ru unknown'
    assert contacts.mask_within(reply, '', 'x') == reply
