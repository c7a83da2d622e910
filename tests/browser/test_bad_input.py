"""The bad-input lists of the registration and linking stories, typed into the real UI: each message appears at its
field and is announced there, and the form can still be completed afterwards."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import expect_error_at
from tests.browser.test_accounts import billing_files
from tests.browser.test_profiles import GOOD, field, log_in
from tests.support.servers import Mailbox

FIELDS = {'Логин': 'ivanov', 'Пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': 'ivanov@example.ru'}

#: (changed fields, the field the message belongs to, the message) — from tests/pages/test_bad_input_stories.py
BAD_REGISTRATION = [
    ({'Логин': '1ivan'}, 'Логин', 'первый символ — буква'),
    ({'Пароль': 'short1'}, 'Пароль', 'не короче 8 символов'),
    ({'Подтверждение пароля': 'Другой-Пароль-1'}, 'Подтверждение пароля', 'Пароли не совпадают'),
    ({'Email': 'ivanov@@example'}, 'Email', 'Неверный адрес электронной почты'),
    ({'Телефон': '12345'}, 'Телефон', 'Неверный номер телефона'),
    ({'Телефон': '+49 30 1234567'}, 'Телефон', 'только на номера с кодом +7'),
]


def fill_registration(page: Page, changes: dict[str, str], *, consent: bool = True) -> None:
    page.goto(page.url)  # a fresh form each time
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()
    for label, value in {**FIELDS, **changes}.items():
        field(page, label).fill(value)
    if consent:
        page.get_by_role('checkbox', name=re.compile('Я согласен')).click()
    page.get_by_role('button', name='Зарегистрироваться').click()


def test_bad_registration_input_is_named_at_its_field(start_portal, page: Page, mailbox: Mailbox):
    portal = start_portal('default')
    page.goto(f'{portal.url}/register')
    for changes, label, message in BAD_REGISTRATION:
        fill_registration(page, changes)
        expect_error_at(page, label, message)
    screenshot(page, 'register-errors')
    fill_registration(page, {}, consent=False)
    # the checkbox has no error slot: its message is an alert right under it
    expect(page.get_by_role('alert').filter(has_text='Без согласия на обработку')).to_be_visible()
    fill_registration(page, {})
    expect(page.get_by_text('Почти готово!')).to_be_visible()  # the same form, filled well, goes through
    assert len(mailbox.wait_for('ivanov@example.ru')) == 1


#: (number, proof, field, message) — from tests/pages/test_accounts_stories.py
BAD_LINKING = [
    ('', '', 'Номер лицевого счёта', 'Заполните это поле'),
    ('999000999', '102.50', 'Номер лицевого счёта', 'не найден'),
    ('461000000001', '102', 'Подтверждение', 'Укажите сумму с копейками, например 102.00'),
    ('461000000001', '999.99', 'Подтверждение', 'Подтверждение не совпадает'),
]


def test_bad_linking_input_is_named_at_its_field(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *billing_files(tmp_path))
    page.goto(f'{portal.url}/register')
    fill_registration(page, {})
    expect(page.get_by_text('Почти готово!')).to_be_visible()
    page.goto(Mailbox.link(mailbox.wait_for('ivanov@example.ru')[-1]))
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    log_in(page, portal, 'ivanov', GOOD)
    for number, proof, label, message in BAD_LINKING:
        field(page, 'Номер лицевого счёта').fill(number)
        field(page, 'Подтверждение').fill(proof)
        page.get_by_role('button', name='Добавить').click()
        expect_error_at(page, label, message)
    screenshot(page, 'link-errors')
    field(page, 'Подтверждение').fill('1234.56')
    page.get_by_role('button', name='Добавить').click()
    expect(page.get_by_role('heading', name='Лицевой счёт 461000000001')).to_be_visible()
