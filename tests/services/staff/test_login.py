"""Staff login: login, password and the app's code (or a recovery code, used up); a replayed code, the lockout, the
per-IP limit; one answer whatever was wrong, and every outcome audited with the staff member's id."""

from __future__ import annotations

import asyncio

import pytest

from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from services.staff import accounts, login, sessions
from tests.support.factories import GOOD
from tests.support.staff import app_code, enrolled_staff, token_of

#: on the fake clock (20 November 2026, 10:00 UTC): the tests compute the app's codes for it
pytestmark = pytest.mark.usefixtures('db', 'fake_clock')

FAILED = 'Неверный логин, пароль или код'
IP = '10.0.0.7'


async def reasons() -> list[str]:
    return [event.detail['reason'] for event in await AuditEvent.filter(event='staff_login_failure').order_by('id')]


async def test_password_and_app_code_open_a_session_and_the_login_is_audited(fake_clock):
    chief = await enrolled_staff('chief')
    staff, token = await login.login(' Chief ', GOOD, chief.code(), ip=IP)
    assert staff.login == 'chief' and (await sessions.resolve(token)).id == staff.id
    event = await AuditEvent.get(event='staff_login_success')
    assert (event.staff_id, event.login, event.ip, event.detail) == (staff.id, 'chief', IP, {'factor': 'app'})
    assert (await Staff.get(id=staff.id)).last_login_at == fake_clock.current


async def test_every_wrong_part_gets_the_same_answer(fake_clock):
    chief = await enrolled_staff('chief')
    await accounts.add_staff('invited', 'viewer', by=None)  # never enrolled
    wrong_code = app_code(chief.secret, chief.last_step + 10)
    attempts = [
        ('chief', 'wrong-password', chief.code()),
        ('chief', GOOD, wrong_code),
        ('chief', GOOD, 'aaaa-bbbb-cccc-dddd'),  # no recovery code of theirs
        ('nobody', GOOD, '123456'),
        ('invited', GOOD, '123456'),
    ]
    for typed, password, code in attempts:
        with pytest.raises(AuthenticationFailed) as caught:
            await login.login(typed, password, code, ip=IP)
        assert caught.value.message == FAILED
        fake_clock.advance(seconds=30)
    assert await reasons() == ['password', 'code', 'code', 'unknown_login', 'password']
    failures = await AuditEvent.filter(event='staff_login_failure').order_by('id')
    assert [event.staff_id for event in failures][:3] == [chief.staff.id] * 3 and failures[3].staff_id is None


async def test_a_code_is_taken_once_and_an_older_one_never_after_it(fake_clock):
    chief = await enrolled_staff('chief')
    code = chief.code()
    await login.login('chief', GOOD, code, ip=IP)
    with pytest.raises(AuthenticationFailed, match=FAILED):  # the same code again, within its window
        await login.login('chief', GOOD, code, ip=IP)
    fake_clock.advance(seconds=30)
    newer = chief.code()
    await login.login('chief', GOOD, newer, ip=IP)
    previous_step = app_code(chief.secret, chief.last_step - 1)  # inside the window, but older than the last one used
    with pytest.raises(AuthenticationFailed):
        await login.login('chief', GOOD, previous_step, ip=IP)
    assert await reasons() == ['code_replayed', 'code_replayed']


async def test_the_enrolment_code_opens_no_login():
    chief = await enrolled_staff('chief')
    with pytest.raises(AuthenticationFailed):
        await login.login('chief', GOOD, app_code(chief.secret, chief.last_step), ip=IP)
    assert await reasons() == ['code_replayed']


async def test_a_code_of_the_step_before_still_counts_one_two_steps_old_does_not(fake_clock):
    chief = await enrolled_staff('chief')
    fake_clock.advance(seconds=60)
    late = app_code(chief.secret, int(fake_clock.current.timestamp()) // 30 - 1)
    await login.login('chief', GOOD, late, ip=IP)
    fake_clock.advance(seconds=90)
    stale = app_code(chief.secret, int(fake_clock.current.timestamp()) // 30 - 2)
    with pytest.raises(AuthenticationFailed):
        await login.login('chief', GOOD, stale, ip=IP)
    assert await reasons() == ['code']


async def test_the_same_code_sent_twice_at_once_opens_one_session():
    chief = await enrolled_staff('chief')
    code = chief.code()
    results = await asyncio.gather(*[login.login('chief', GOOD, code, ip=IP) for _ in range(2)], return_exceptions=True)
    assert sum(isinstance(result, AuthenticationFailed) for result in results) == 1, results


async def test_a_recovery_code_replaces_the_app_once():
    chief = await enrolled_staff('chief')
    code = chief.recovery_codes[3]
    staff, _ = await login.login('chief', GOOD, f' {code.upper()} ', ip=IP)
    assert staff.id == chief.staff.id
    assert (await AuditEvent.get(event='staff_recovery_code_used')).detail == {'left': 9}
    assert (await AuditEvent.get(event='staff_login_success')).detail == {'factor': 'recovery_code'}
    with pytest.raises(AuthenticationFailed, match=FAILED):
        await login.login('chief', GOOD, code, ip=IP)


async def test_a_recovery_code_is_spent_only_with_the_right_password():
    chief = await enrolled_staff('chief')
    with pytest.raises(AuthenticationFailed):
        await login.login('chief', 'wrong-password', chief.recovery_codes[0], ip=IP)
    await login.login('chief', GOOD, chief.recovery_codes[0], ip=IP)


async def test_five_failures_lock_the_login_for_fifteen_minutes(fake_clock):
    chief = await enrolled_staff('chief')
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await login.login('chief', 'wrong-password', chief.code(), ip=IP)
        fake_clock.advance(seconds=30)
    lockout = await AuditEvent.get(event='staff_lockout')
    assert lockout.staff_id == chief.staff.id and lockout.ip == IP
    with pytest.raises(TooManyAttempts) as caught:  # the right password and code: refused unchecked
        await login.login('chief', GOOD, chief.code(), ip=IP)
    assert caught.value.message == 'Слишком много попыток входа. Повторите через 15 мин.'
    assert (await AuditEvent.get(event='staff_login_locked')).staff_id == chief.staff.id
    fake_clock.advance(minutes=14)
    with pytest.raises(TooManyAttempts, match='через 1 мин'):
        await login.login('chief', GOOD, chief.code(), ip='10.9.9.9')  # from anywhere: the login is locked
    fake_clock.advance(minutes=1)
    await login.login('chief', GOOD, chief.code(), ip=IP)
    assert (await Staff.get(login='chief')).failures == 0


async def test_a_login_between_failures_starts_the_count_again(fake_clock):
    chief = await enrolled_staff('chief')
    for attempt in range(8):
        fake_clock.advance(seconds=30)
        if attempt == 4:
            await login.login('chief', GOOD, chief.code(), ip=IP)
            continue
        with pytest.raises(AuthenticationFailed):
            await login.login('chief', 'wrong-password', chief.code(), ip=IP)
    assert not await AuditEvent.exists(event='staff_lockout')


async def test_an_unknown_login_locks_the_same_way(fake_clock):
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await login.login('nobody', 'wrong-password', '123456', ip=IP)
    with pytest.raises(TooManyAttempts, match='через 15 мин'):
        await login.login('nobody', 'wrong-password', '123456', ip=IP)
    fake_clock.advance(minutes=15, seconds=1)
    with pytest.raises(AuthenticationFailed):
        await login.login('nobody', 'wrong-password', '123456', ip=IP)


async def test_guesses_sent_all_at_once_get_no_more_checks_than_the_limit():
    chief = await enrolled_staff('chief')
    results = await asyncio.gather(
        *[login.login('chief', f'wrong-{n}', chief.recovery_codes[0], ip=IP) for n in range(8)], return_exceptions=True
    )
    assert sum(isinstance(result, AuthenticationFailed) for result in results) == 5, results
    assert sum(isinstance(result, TooManyAttempts) for result in results) == 3
    assert len(await reasons()) == 5


async def test_one_ip_gets_thirty_tries_a_minute(fake_clock):
    for _ in range(login.PER_IP_MINUTE.limit):
        with pytest.raises(AuthenticationFailed):
            await login.login('nobody', 'wrong-password', '123456', ip='2001:db8::1')
        fake_clock.advance(seconds=1)
        await AuditEvent.all().delete()
        await _forget_unknown_failures()
    with pytest.raises(TooManyAttempts) as caught:
        await login.login('chief', GOOD, '123456', ip='2001:db8::2')  # the same /64
    assert caught.value.message == 'Слишком много попыток. Повторите позже'
    assert await AuditEvent.exists(event='staff_login_limited', ip='2001:db8::2')


async def _forget_unknown_failures() -> None:
    from services.identity import ratelimit

    await ratelimit.clear(login.UNKNOWN_FAILURES, login._unknown_subject('nobody'))


async def test_empty_fields_are_asked_for():
    with pytest.raises(InvalidInput) as caught:
        await login.login('  ', '', ' ', ip=IP)
    assert caught.value.errors == dict.fromkeys(('login', 'password', 'code'), 'Заполните это поле')


async def test_logout_ends_the_session_and_is_audited():
    chief = await enrolled_staff('chief', StaffRole.VIEWER)
    _, token = await login.login('chief', GOOD, chief.code(), ip=IP)
    await login.logout(token, ip=IP)
    assert await sessions.resolve(token) is None
    assert (await AuditEvent.get(event='staff_logout')).staff_id == chief.staff.id
    await login.logout(token, ip=IP)  # again: nothing to end, nothing audited
    assert await AuditEvent.filter(event='staff_logout').count() == 1


async def test_the_link_of_a_new_staff_member_does_not_log_in():
    _, link = await accounts.add_staff('anna', 'admin', by=None)
    with pytest.raises(AuthenticationFailed):
        await login.login('anna', token_of(link), '123456', ip=IP)
