"""The console's login in the simulated browser: password and the app's code, one answer whatever was wrong, the
lockout, a replayed code, logout; and the console's session apart from the customers'."""

from __future__ import annotations

import json

from nicegui import app, ui
from nicegui.storage import Storage
from nicegui.testing import User

from models.staff import StaffRole
from services.staff import sessions
from tests.support.factories import GOOD
from tests.support.servers import Mailbox
from tests.support.staff import enrolled_staff, log_in_staff, staff_signed_in
from tests.support.stories import fill, log_in, not_see, open_account_menu, registered, see

FAILED = 'Неверный логин, пароль или код'


async def test_password_and_code_open_the_console_and_logout_closes_it(user: User, fake_clock):
    member = await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    await see(user, 'Вы вошли как olga, роль: Оператор.', 'Клиенты', 'Журнал событий', 'Рассылка')
    await not_see(user, 'Сотрудники')  # admins only
    user.find(marker='staff-logout').click()
    await see(user, 'Вход для сотрудников')
    await user.open('/staff')
    await see(user, 'Вход для сотрудников')  # the session ended
    fake_clock.advance(seconds=30)
    await log_in_staff(user, member)
    await see(user, 'Вы вошли как olga')


async def test_an_admin_sees_every_section(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    for section in ('customers', 'audit', 'outbox', 'import', 'team'):
        user.find(marker=f'staff-nav-{section}')


async def test_a_wrong_code_a_replayed_code_and_a_wrong_password_read_the_same(user: User, fake_clock):
    member = await enrolled_staff('chief')
    code = member.code()
    await log_in_staff(user, member, '000000')
    await see(user, FAILED)
    await log_in_staff(user, member, code)
    await see(user, 'Вы вошли как chief')
    user.find(marker='staff-logout').click()
    await see(user, 'Вход для сотрудников')
    await log_in_staff(user, member, code)  # the same code again, still within its half minute
    await see(user, FAILED)
    fake_clock.advance(seconds=30)
    await user.open('/staff/login')
    fill(user, {'Логин': 'chief', 'Пароль': 'wrong-password', 'Код из приложения': member.code()})
    user.find(kind=ui.button, content='Войти').click()
    await see(user, FAILED)


async def test_five_failures_lock_the_console_login(user: User, fake_clock):
    member = await enrolled_staff('chief')
    for _ in range(5):
        await log_in_staff(user, member, '000000')
        await see(user, FAILED)
    fake_clock.advance(seconds=30)
    await log_in_staff(user, member)
    await see(user, 'Слишком много попыток входа. Повторите через 15 мин.')


async def test_a_recovery_code_opens_the_console(user: User, fake_clock):
    member = await enrolled_staff('chief')
    await log_in_staff(user, member, member.recovery_codes[0])
    await see(user, 'Вы вошли как chief')


async def test_a_megabyte_in_a_field_is_refused_at_it(user: User, fake_clock):
    await user.open('/staff/login')
    fill(user, {'Логин': 'x' * 1_000_000, 'Пароль': GOOD, 'Код из приложения': '123456'})
    user.find(kind=ui.button, content='Войти').click()
    await see(user, 'Слишком длинное значение')


async def test_a_console_page_asks_for_the_staff_login_and_returns_to_it(user: User, fake_clock):
    member = await enrolled_staff('chief')
    await user.open('/staff/team')
    await see(user, 'Вход для сотрудников')
    await log_in_staff(user, member, path='/staff/login?redirect_to=/staff/team')
    await see(user, 'Все сотрудники')


async def test_after_the_console_login_only_console_pages_follow(user: User, fake_clock):
    member = await enrolled_staff('chief')
    await log_in_staff(user, member, path='/staff/login?redirect_to=/settings')
    await see(user, 'Вы вошли как chief')


async def test_a_customer_session_opens_no_console_page(user: User, mailbox: Mailbox):
    await registered(mailbox)
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    for path in ('/staff', '/staff/team'):
        response = await user.http_client.get(path)
        assert response.status_code in {302, 303, 307}
        assert response.headers['location'].startswith('/staff/login')
    await user.open('/staff')
    await see(user, 'Вход для сотрудников')


async def test_a_staff_session_opens_no_customer_page(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    for path in ('/', '/settings', '/readings'):
        response = await user.http_client.get(path)
        assert response.status_code in {302, 303, 307}
        assert response.headers['location'].startswith('/login')
    await user.open('/')
    await see(user, 'Вход в личный кабинет')


async def test_both_sessions_in_one_browser_stay_apart(user: User, mailbox: Mailbox, fake_clock):
    await registered(mailbox)
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    await staff_signed_in(user, StaffRole.VIEWER)
    await user.open('/')
    await see(user, 'Вы вошли как ivanov')  # the staff login did not end the customer's session
    open_account_menu(user)
    user.find(marker='logout').click()
    await see(user, 'Вход в личный кабинет')
    await user.open('/staff')
    await see(user, 'Вы вошли как chief')  # nor the customer's logout the staff one


async def test_the_staff_token_lives_only_in_an_httponly_cookie_of_its_own(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    cookies = {cookie.name: cookie for cookie in user.http_client.cookies.jar}
    assert 'lk_session' not in cookies and cookies['lk_staff'].has_nonstandard_attr('HttpOnly')
    token = cookies['lk_staff'].value
    assert (await sessions.resolve(token)).login == 'chief'
    kept = [json.dumps(dict(storage)) for storage in app.storage._users.values()]
    kept += [path.read_text(encoding='utf-8') for path in Storage.path.glob('storage-user-*.json')]
    assert not [text for text in kept if token in text]  # NiceGUI's storage held it only sealed, and no longer


async def test_the_console_speaks_english_on_request(user: User, fake_clock):
    member = await enrolled_staff('chief')
    await user.open('/staff/login')
    user.find(marker='language').click()
    await see(user, 'Staff sign-in')
    fill(user, {'Login': 'chief', 'Password': member.password, 'Code from the app': '000000'})
    user.find(kind=ui.button, content='Sign in').click()
    await see(user, 'Wrong login, password or code')
