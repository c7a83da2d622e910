"""Enrolment by the one-time link: the password and the app's first code, checked before anything is saved; then 10
recovery codes, kept as their SHA-256, and a session."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from models.security import AuditEvent
from models.staff import Staff, StaffRecoveryCode
from services.errors import InvalidInput, NotAllowed
from services.staff import accounts, enrolment, sessions
from tests.support.factories import GOOD
from tests.support.staff import app_code, token_of

#: on the fake clock (20 November 2026, 10:00 UTC): the tests compute the app's codes for it
pytestmark = pytest.mark.usefixtures('db', 'fake_clock')

EXPIRED = 'Срок ссылки для подключения истёк. Попросите администратора выдать новую.'
INVALID = (
    'Ссылка для подключения недействительна: она уже использована или заменена новой. '
    'Попросите администратора выдать новую.'
)


async def invited(login: str = 'chief') -> str:
    _, link = await accounts.add_staff(login, 'admin', by=None)
    return token_of(link)


async def test_the_link_gives_a_new_app_secret_with_its_qr_code_and_saves_nothing():
    token = await invited()
    started = await enrolment.open_enrolment(token)
    again = await enrolment.open_enrolment(token)
    assert started.login == 'chief' and started.secret != again.secret  # each visit a new secret
    uri = urlsplit(started.uri)
    assert uri.scheme == 'otpauth' and uri.netloc == 'totp'
    assert unquote(uri.path) == '/ТестЭнергоСбыт:chief'  # the brand name from PORTAL_BRAND_NAME
    query = parse_qs(uri.query)
    assert query['secret'] == [started.secret] and query['issuer'] == ['ТестЭнергоСбыт']
    assert started.key.replace(' ', '') == started.secret
    assert started.qr.startswith('data:image/svg+xml')
    staff = await Staff.get(login='chief')
    assert staff.totp_secret is None and staff.password_hash is None and staff.enrolled_at is None


async def test_the_first_code_enrols_and_signs_in_with_ten_recovery_codes_kept_hashed():
    token = await invited()
    started = await enrolment.open_enrolment(token)
    code = app_code(started.secret)
    done = await enrolment.complete_enrolment(token, started.secret, GOOD, GOOD, code, ip='10.0.0.9')
    assert len(set(done.recovery_codes)) == 10
    stored = set(await StaffRecoveryCode.filter(staff=done.staff).values_list('code_hash', flat=True))
    assert stored == {hashlib.sha256(code.replace('-', '').encode()).hexdigest() for code in done.recovery_codes}
    staff = await Staff.get(login='chief')
    assert staff.enrolled_at is not None and staff.totp_secret == started.secret
    assert staff.enrol_token_hash is None and staff.password_hash.startswith('$argon2id$')
    assert (await sessions.resolve(done.session_token)).id == staff.id
    event = await AuditEvent.get(event='staff_enrolled')
    assert event.staff_id == staff.id and event.ip == '10.0.0.9'
    with pytest.raises(NotAllowed, match='уже использована'):  # the link works once
        await enrolment.open_enrolment(token)


async def test_a_wrong_code_or_password_saves_nothing_and_says_so_at_each_field():
    token = await invited()
    started = await enrolment.open_enrolment(token)
    with pytest.raises(InvalidInput) as caught:
        await enrolment.complete_enrolment(token, started.secret, '12345', 'other', '000000', ip=None)
    assert caught.value.errors == {
        'password': 'Пароль должен быть не короче 8 символов',
        'password_confirm': 'Пароли не совпадают',
        'code': 'Код не подошёл. Проверьте, что время на телефоне точное, и введите новый код',
    }
    with pytest.raises(InvalidInput) as caught:
        await enrolment.complete_enrolment(token, started.secret, 'chief', 'chief', '', ip=None)
    assert caught.value.errors['code'] == 'Заполните это поле'
    assert 'password' in caught.value.errors  # the login is no password
    staff = await Staff.get(login='chief')
    assert staff.password_hash is None and staff.totp_secret is None and staff.enrol_token_hash is not None
    assert await StaffRecoveryCode.all().count() == 0
    await enrolment.complete_enrolment(token, started.secret, GOOD, GOOD, app_code(started.secret), ip=None)


async def test_a_code_of_another_secret_or_of_long_ago_is_refused(fake_clock):
    token = await invited()
    started = await enrolment.open_enrolment(token)
    other = await enrolment.open_enrolment(token)
    old = app_code(started.secret)
    fake_clock.advance(seconds=90)  # three steps later: out of the window
    for code in (app_code(other.secret), old):
        with pytest.raises(InvalidInput, match='Код не подошёл'):
            await enrolment.complete_enrolment(token, started.secret, GOOD, GOOD, code, ip=None)


async def test_an_expired_link_says_so_and_a_new_one_works(fake_clock):
    token = await invited()
    fake_clock.advance(hours=72, seconds=1)
    with pytest.raises(NotAllowed) as caught:
        await enrolment.open_enrolment(token)
    assert caught.value.message == EXPIRED
    assert (await accounts.list_staff(by=None))[0].state == accounts.StaffState.LINK_EXPIRED
    link = await accounts.reissue_link(None, 'chief')
    assert (await enrolment.open_enrolment(token_of(link))).login == 'chief'
    with pytest.raises(NotAllowed) as caught:
        await enrolment.open_enrolment(token)  # the old one is replaced
    assert caught.value.message == INVALID


async def test_a_link_that_runs_out_while_the_form_is_open_enrols_nobody(fake_clock):
    token = await invited()
    started = await enrolment.open_enrolment(token)
    fake_clock.advance(hours=72)
    with pytest.raises(NotAllowed, match='истёк'):
        await enrolment.complete_enrolment(token, started.secret, GOOD, GOOD, app_code(started.secret), ip=None)
    assert (await Staff.get(login='chief')).enrolled_at is None


@pytest.mark.parametrize('token', ['', 'x' * 43, 'не токен', 'x' * 1_000_000])
async def test_a_made_up_link_is_refused_as_invalid(token):
    await invited()
    with pytest.raises(NotAllowed) as caught:
        await enrolment.open_enrolment(token)
    assert caught.value.message == INVALID


async def test_two_clicks_at_once_enrol_once():
    token = await invited()
    started = await enrolment.open_enrolment(token)
    code = app_code(started.secret)
    results = await asyncio.gather(
        *[enrolment.complete_enrolment(token, started.secret, GOOD, GOOD, code, ip=None) for _ in range(2)],
        return_exceptions=True,
    )
    done = [result for result in results if isinstance(result, enrolment.Enrolled)]
    refused = [result for result in results if isinstance(result, NotAllowed)]
    assert len(done) == 1 and len(refused) == 1, results
    assert await StaffRecoveryCode.all().count() == 10
