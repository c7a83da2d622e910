"""Keyboard only and screen readers (WCAG 2.1 AA): register, log in, link an account and submit meter readings without
a mouse, with the focus visible at every stop; errors are announced at their field, not only shown."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from models.billing import Account, Region
from tests.support.billing import recent_billing_files
from tests.support.browser import (
    NAVIGATION,
    add_account,
    expect_error_at,
    field,
    register_and_log_in,
    screenshot,
    seed,
    tab_to,
    type_into,
)
from tests.support.factories import GOOD, add_reading, make_meter
from tests.support.servers import Mailbox


def test_register_log_in_and_link_an_account_with_the_keyboard_alone(
    start_portal, page: Page, mailbox: Mailbox, tmp_path
):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    page.goto(f'{portal.url}/login')
    tab_to(page, page.get_by_role('link', name='Еще нет аккаунта? Зарегистрируйтесь'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()
    type_into(page, field(page, 'Логин'), 'klava')
    type_into(page, field(page, 'Пароль'), GOOD)
    type_into(page, field(page, 'Подтверждение пароля'), GOOD)
    type_into(page, field(page, 'Email'), 'klava@example.ru')
    consent = page.get_by_role('checkbox', name=re.compile('Я согласен'))
    tab_to(page, consent)
    page.keyboard.press('Space')
    expect(consent).to_be_checked()
    tab_to(page, page.get_by_role('button', name='Зарегистрироваться'))
    page.keyboard.press('Enter')
    expect(page.get_by_text('Почти готово!')).to_be_visible()

    page.goto(Mailbox.link(mailbox.wait_for('klava@example.ru')[-1]))  # the link comes from the mail
    tab_to(page, page.get_by_role('button', name='Подтвердить регистрацию'))
    page.keyboard.press('Enter')
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    tab_to(page, page.get_by_role('link', name='Вернуться ко входу'))
    page.keyboard.press('Enter')

    expect(page.get_by_role('heading', name='Вход в личный кабинет')).to_be_visible()
    type_into(page, field(page, 'Логин'), 'klava')
    type_into(page, field(page, 'Пароль'), GOOD)
    page.keyboard.press('Enter')  # Enter in the password field logs in
    expect(page.get_by_role('heading', name='Добавление лицевого счёта')).to_be_visible()

    type_into(page, field(page, 'Номер лицевого счёта'), '461000000001')
    type_into(page, field(page, 'Подтверждение'), '1234.56')
    tab_to(page, page.get_by_role('button', name='Добавить'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Лицевой счёт 461000000001')).to_be_visible()

    menu = page.get_by_role('button', name=re.compile('Меню кабинета'))
    tab_to(page, menu)
    page.keyboard.press('Enter')
    add_more = page.get_by_role('menuitem', name='+Добавить счёт')
    expect(add_more).to_be_visible()
    tab_to(page, add_more)
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Добавление лицевого счёта')).to_be_visible()
    tab_to(page, page.get_by_role('navigation', name=NAVIGATION).get_by_role('link', name='Настройки'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()


def test_errors_are_announced_at_their_field_and_cleared_when_fixed(start_portal, page: Page):
    portal = start_portal('default')
    page.goto(f'{portal.url}/login')
    page.get_by_role('button', name='Войти').click()
    expect_error_at(page, 'Логин', 'Заполните это поле')
    expect_error_at(page, 'Пароль', 'Заполните это поле')
    screenshot(page, 'login-errors')
    field(page, 'Логин').fill('nobody')
    field(page, 'Пароль').fill(GOOD)
    page.get_by_role('button', name='Войти').click()
    # a wrong login or password belongs to no single field: one alert under the form, the fields unmarked
    expect(page.get_by_role('alert').filter(has_text='Неверный логин или пароль')).to_be_visible()
    expect(field(page, 'Логин')).not_to_have_attribute('aria-invalid', 'true')
    expect(field(page, 'Пароль')).not_to_have_attribute('aria-invalid', 'true')


def test_submit_readings_with_the_keyboard_alone(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    register_and_log_in(page, portal, mailbox, 'schetchik', 'schetchik@example.ru')
    add_account(page, '461000000001', '1234.56')

    async def two_zone_meter() -> None:
        # the server runs on the wall clock: a window of the whole month is open whatever the day
        await Region.filter(code='KRS').update(readings_from=1, readings_to=31)
        meter = await make_meter(await Account.get(number='461000000001'))
        await add_reading(meter, date.today() - timedelta(days=40), '12000', '5000')

    seed(two_zone_meter)
    tab_to(page, page.get_by_role('link', name='Показания'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Показания', exact=True)).to_be_visible()
    screenshot(page, 'readings')
    type_into(page, field(page, 'Показания: день'), '12120')
    type_into(page, field(page, 'Показания: ночь'), '5050')
    tab_to(page, page.get_by_role('button', name='Передать показания'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('status').filter(has_text='Показания приняты')).to_contain_text('расход 120 кВт·ч')
    screenshot(page, 'readings-acknowledged')
