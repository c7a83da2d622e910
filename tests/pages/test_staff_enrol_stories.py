"""Enrolment in the simulated browser: the link from `staff add`, a password, the app's key read off the page and its
first code, the recovery codes shown once, on into the console; a dead link, a wrong code."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from models.staff import Staff
from services.staff import accounts
from tests.support.factories import GOOD
from tests.support.staff import app_code
from tests.support.stories import fill, local_path, see

ENROL = 'Завершить подключение'


def key_on_page(user: User) -> str:
    """The key shown for typing into the app by hand, as a person reads it."""
    return user.find(marker='totp-key').elements.pop().text.replace(' ', '')


async def test_a_new_admin_enrols_sees_the_recovery_codes_once_and_enters_the_console(user: User, fake_clock):
    _, link = await accounts.add_staff('chief', 'admin', by=None)
    await user.open(local_path(link))
    await see(user, 'Подключение к консоли', 'Логин: chief.')
    qr = user.find(marker='totp-qr').elements.pop()
    assert qr.props['src'].startswith('data:image/svg+xml') and 'ввода вручную' in qr.props['alt']
    fill(user, {'Новый пароль': GOOD, 'Подтверждение пароля': GOOD, 'Код из приложения': app_code(key_on_page(user))})
    user.find(kind=ui.button, content=ENROL).click()
    await see(user, 'Готово: chief подключён к консоли.', 'Коды восстановления')
    listed = user.find(marker='recovery-codes').elements.pop().descendants()
    codes = [element.text for element in listed if isinstance(element, ui.label)]
    assert len(codes) == 10
    user.find(marker='to-console').click()
    await see(user, 'Вы вошли как chief, роль: Администратор.')
    await user.open(local_path(link))
    await see(user, 'Ссылка для подключения недействительна')  # once


async def test_a_wrong_code_saves_nothing_and_the_right_one_then_enrols(user: User, fake_clock):
    _, link = await accounts.add_staff('chief', 'viewer', by=None)
    await user.open(local_path(link))
    await see(user, 'Логин: chief.')
    fill(user, {'Новый пароль': GOOD, 'Подтверждение пароля': 'Other-Password-1', 'Код из приложения': '000000'})
    user.find(kind=ui.button, content=ENROL).click()
    await see(user, 'Пароли не совпадают', 'Код не подошёл')
    assert (await Staff.get(login='chief')).password_hash is None
    for label, text in {'Подтверждение пароля': GOOD, 'Код из приложения': app_code(key_on_page(user))}.items():
        user.find(kind=ui.input, content=label).clear().type(text)
    user.find(kind=ui.button, content=ENROL).click()
    await see(user, 'Коды восстановления')


async def test_an_expired_link_says_so(user: User, fake_clock):
    _, link = await accounts.add_staff('chief', 'admin', by=None)
    fake_clock.advance(hours=73)
    await user.open(local_path(link))
    await see(user, 'Срок ссылки для подключения истёк. Попросите администратора выдать новую.')


async def test_a_made_up_link_says_it_is_invalid(user: User):
    await user.open('/staff/enrol?token=' + 'x' * 5000)
    await see(user, 'Ссылка для подключения недействительна')
    await user.open('/staff/enrol')
    await see(user, 'Ссылка для подключения недействительна')
