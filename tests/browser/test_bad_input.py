"""The bad-input lists of the registration and linking stories, typed into the real UI: each message appears at its
field and is announced there, and the form can still be completed afterwards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.billing import recent_billing_files
from tests.support.browser import expect_error_at, field, log_in, screenshot
from tests.support.factories import GOOD
from tests.support.servers import Mailbox

#: per language: the form's labels, the consent box, the button, the answer to a good form, and the bad-input list
#: of tests/pages/test_bad_input_stories.py as (changed fields, the field the message belongs to, the message)
REGISTRATION = {
    'ru': {
        'heading': 'Регистрация',
        'fields': {'Логин': 'ivanov', 'Пароль': GOOD, 'Подтверждение пароля': GOOD, 'Email': 'ivanov@example.ru'},
        'consent': 'Я согласен',
        'button': 'Зарегистрироваться',
        'no_consent': 'Без согласия на обработку',
        'done': 'Почти готово!',
        'bad': [
            ({'Логин': '1ivan'}, 'Логин', 'первый символ — буква'),
            ({'Пароль': 'short1'}, 'Пароль', 'не короче 8 символов'),
            ({'Подтверждение пароля': 'Другой-Пароль-1'}, 'Подтверждение пароля', 'Пароли не совпадают'),
            ({'Email': 'ivanov@@example'}, 'Email', 'Неверный адрес электронной почты'),
            ({'Телефон': '12345'}, 'Телефон', 'Неверный номер телефона'),
            ({'Телефон': '+49 30 1234567'}, 'Телефон', 'только на номера с кодом +7'),
        ],
    },
    'en': {
        'heading': 'Sign up',
        'fields': {'Login': 'ivanov', 'Password': GOOD, 'Confirm password': GOOD, 'Email': 'ivanov@example.ru'},
        'consent': 'I consent',
        'button': 'Sign up',
        'no_consent': 'You cannot register without consenting',
        'done': 'Almost done!',
        'bad': [
            ({'Login': '1ivan'}, 'Login', 'the first one a letter'),
            ({'Password': 'short1'}, 'Password', 'at least 8 characters'),
            ({'Confirm password': 'Another-Pass-1'}, 'Confirm password', "The passwords don't match"),
            ({'Email': 'ivanov@@example'}, 'Email', 'Invalid email address'),
            ({'Phone': '12345'}, 'Phone', 'Invalid phone number'),
            ({'Phone': '+49 30 1234567'}, 'Phone', 'numbers with country code +7'),
        ],
    },
}


def fill_registration(page: Page, changes: dict[str, str], *, consent: bool = True, language: str = 'ru') -> None:
    form = REGISTRATION[language]
    page.goto(page.url)  # a fresh form each time
    expect(page.get_by_role('heading', name=form['heading'])).to_be_visible()
    for label, value in {**form['fields'], **changes}.items():
        field(page, label).fill(value)
    if consent:
        page.get_by_role('checkbox', name=re.compile(form['consent'])).click()
    page.get_by_role('button', name=form['button'], exact=True).click()


@pytest.mark.parametrize('language', ['ru', 'en'])
def test_bad_registration_input_is_named_at_its_field(start_portal, page: Page, mailbox: Mailbox, language: str):
    portal = start_portal('default')
    page.goto(f'{portal.url}/register')
    if language == 'en':
        page.get_by_role('button', name='English').click()
        # the page reloads in English: a navigation started before that reload ends would be aborted by it
        expect(page.get_by_role('button', name='Русский')).to_be_visible()
    form = REGISTRATION[language]
    for changes, label, message in form['bad']:
        fill_registration(page, changes, language=language)
        expect_error_at(page, label, message)
    screenshot(page, f'register-errors-{language}')
    fill_registration(page, {}, consent=False, language=language)
    # the checkbox has no error slot: its message is an alert right under it
    expect(page.get_by_role('alert').filter(has_text=form['no_consent'])).to_be_visible()
    fill_registration(page, {}, language=language)
    expect(page.get_by_text(form['done'])).to_be_visible()  # the same form, filled well, goes through
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
    portal.command('import', *recent_billing_files(tmp_path))
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
