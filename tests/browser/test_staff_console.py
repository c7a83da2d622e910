"""The operator console in Chromium: an admin made by `staff add` enrols (the key read off the page, its codes computed
with pyotp as the app would), keeps the recovery codes, logs out and logs in with password and code, adds a colleague
in «Сотрудники»; every screen axe-clean at desktop and phone width."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from tests.support.browser import expect_error_at, field, screenshot
from tests.support.factories import GOOD

#: the accessible name of the console's navigation (pages/staff/frame.py)
CONSOLE = 'Разделы консоли'


def test_an_admin_enrols_with_totp_logs_out_and_back_in(start_portal, page: Page):
    portal = start_portal('default')
    link = re.search(r'http://\S+/staff/enrol\?token=\S+', portal.command('staff', 'add', 'chief', '--role', 'admin'))
    page.goto(link.group(0))
    expect(page.get_by_role('heading', name='Подключение к консоли')).to_be_visible()
    expect(page.get_by_role('img', name=re.compile('QR-код для приложения-аутентификатора'))).to_be_visible()
    screenshot(page, 'staff-enrol')
    # the key shown for typing into the app by hand: eight groups of four
    key = page.get_by_text(re.compile(r'^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$')).inner_text().replace(' ', '')
    app = pyotp.TOTP(key)

    field(page, 'Новый пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Код из приложения').fill('000000')
    page.get_by_role('button', name='Завершить подключение').click()
    expect_error_at(page, 'Код из приложения', 'Код не подошёл')
    screenshot(page, 'staff-enrol-error')
    field(page, 'Код из приложения').fill(app.now())
    page.get_by_role('button', name='Завершить подключение').click()
    expect(page.get_by_text('Готово: chief подключён к консоли.')).to_be_visible()
    codes = page.get_by_role('listitem')
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    screenshot(page, 'staff-recovery-codes')

    page.get_by_role('button', name='Перейти в консоль').click()
    expect(page.get_by_text('Вы вошли как chief, роль: Администратор.')).to_be_visible()
    screenshot(page, 'staff-home')
    page.get_by_role('navigation', name=CONSOLE).get_by_role('button', name='Выйти').click()
    expect(page.get_by_role('heading', name='Вход для сотрудников')).to_be_visible()
    screenshot(page, 'staff-login')

    field(page, 'Логин').fill('chief')
    field(page, 'Пароль').fill(GOOD)
    # the enrolment's code opens no login: the app's next one (accepted a step early) does, without waiting for it
    field(page, 'Код из приложения').fill(app.at(time.time() + 30))
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли как chief')).to_be_visible()

    page.get_by_role('navigation', name=CONSOLE).get_by_role('link', name='Сотрудники').click()
    expect(page.get_by_role('heading', name='Все сотрудники')).to_be_visible()
    field(page, 'Логин').fill('olga')
    page.get_by_role('button', name='Добавить сотрудника').click()
    expect(page.get_by_text('Сотрудник olga добавлен')).to_be_visible()
    screenshot(page, 'staff-team')
    assert '/staff/enrol?token=' in page.get_by_text(re.compile(r'/staff/enrol\?token=')).inner_text()

    page.get_by_role('navigation', name=CONSOLE).get_by_role('button', name='Выйти').click()
    expect(page.get_by_role('heading', name='Вход для сотрудников')).to_be_visible()
    field(page, 'Логин').fill('chief')
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Код из приложения').fill(recovery)  # no phone at hand
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли как chief')).to_be_visible()
