"""Each profile end to end in Chromium: register, confirm, log in, log out, recover the password, log in again."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser import field, log_in, log_out, screenshot
from tests.support.factories import GOOD, NEW, PHONE
from tests.support.servers import Mailbox, SmsInbox


def confirm_by_link(page: Page, mailbox: Mailbox, email: str) -> None:
    page.goto(Mailbox.link(mailbox.wait_for(email)[-1]))
    screenshot(page, 'confirm')
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()


def recover_by_email(page: Page, portal, mailbox: Mailbox, login: str, email: str) -> None:
    page.goto(f'{portal.url}/login')
    page.get_by_role('link', name='Забыли пароль?').click()
    expect(page.get_by_role('heading', name='Восстановление пароля')).to_be_visible()
    field(page, 'Логин').fill(login)
    screenshot(page, 'forgot')
    page.get_by_role('button', name='Восстановить').click()
    expect(page.get_by_text('Если такой кабинет есть')).to_be_visible()
    message = next(m for m in reversed(mailbox.wait_for(email, count=2)) if 'Восстановление' in m['Subject'])
    page.goto(Mailbox.link(message))
    field(page, 'Новый пароль').fill(NEW)
    field(page, 'Подтверждение пароля').fill(NEW)
    screenshot(page, 'reset')
    page.get_by_role('button', name='Сохранить пароль').click()
    expect(page.get_by_text('Пароль изменён')).to_be_visible()


def confirm_phone(page: Page, sms: SmsInbox, button: str) -> None:
    field(page, 'Телефон').fill(PHONE)
    page.get_by_role('button', name=button).click()
    field(page, 'Код подтверждения').fill(sms.code(PHONE))
    page.get_by_role('button', name='ОК').click()
    expect(page.get_by_text('Подтверждено')).to_be_visible()


def test_default_profile_register_by_login(start_portal, page: Page, mailbox: Mailbox):
    portal = start_portal('default')
    page.goto(f'{portal.url}/login')
    screenshot(page, 'login-default')
    page.get_by_role('link', name='Еще нет аккаунта? Зарегистрируйтесь').click()
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()  # the login page has «Логин» too
    field(page, 'Логин').fill('ivanov')
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill('ivanov@example.ru')
    page.get_by_text('Я согласен').click()
    screenshot(page, 'register-default')
    page.get_by_role('button', name='Зарегистрироваться').click()
    expect(page.get_by_text('Почти готово!')).to_be_visible()
    confirm_by_link(page, mailbox, 'ivanov@example.ru')
    log_in(page, portal, 'ivanov', GOOD)
    screenshot(page, 'home')
    log_out(page)
    recover_by_email(page, portal, mailbox, 'ivanov', 'ivanov@example.ru')
    log_in(page, portal, 'ivanov', NEW)


def test_atom_profile_register_with_sms_code_and_email_link(start_portal, page: Page, mailbox: Mailbox, sms: SmsInbox):
    portal = start_portal('atom')
    page.goto(f'{portal.url}/login')
    expect(page.get_by_text('Первый вход по лицевому счёту')).to_have_count(0)
    page.get_by_role('link', name='Еще нет аккаунта? Зарегистрируйтесь').click()
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()  # the login page has «Логин» too
    field(page, 'Логин').fill('petrova')
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill('petrova@example.ru')
    confirm_phone(page, sms, 'Получить код')
    page.get_by_text('Я согласен').click()
    screenshot(page, 'register-atom')
    page.get_by_role('button', name='Зарегистрироваться').click()
    expect(page.get_by_text('Почти готово!')).to_be_visible()
    confirm_by_link(page, mailbox, 'petrova@example.ru')
    log_in(page, portal, 'petrova', GOOD)
    log_out(page)
    recover_by_email(page, portal, mailbox, 'petrova', 'petrova@example.ru')
    log_in(page, portal, 'petrova', NEW)


def test_volga_profile_first_entry_by_account(start_portal, page: Page, mailbox: Mailbox, sms: SmsInbox, tmp_path):
    portal = start_portal('volga')
    (tmp_path / 'regions.csv').write_text('code,name\nNNV,Нижний Новгород\n', encoding='utf-8')
    (tmp_path / 'accounts.csv').write_text(
        'number,region,surname,address,email\n'
        '5200123456,NNV,Семёнов,"603000, г. Нижний Новгород, ул. Мира, д. 7, кв. 3",\n',
        encoding='utf-8',
    )
    portal.command('import', str(tmp_path / 'regions.csv'), str(tmp_path / 'accounts.csv'))
    page.goto(f'{portal.url}/login')
    expect(page.get_by_role('link', name=re.compile('Зарегистрируйтесь'))).to_have_count(0)
    field(page, 'Номер лицевого счёта').fill('5200123456')
    field(page, 'Фамилия').fill('Семенов')
    screenshot(page, 'login-volga')
    page.get_by_role('button', name='Продолжить').click()
    expect(page.get_by_text('Регистрация по лицевому счёту 5200123456')).to_be_visible()
    field(page, 'Фамилия').fill('Семёнов')
    field(page, 'Новый пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill('semenov@example.ru')
    page.get_by_role('tab', name='По SMS').click()
    confirm_phone(page, sms, 'Отправить смс')
    page.get_by_text('Я согласен').click()
    screenshot(page, 'first-entry-volga')
    page.get_by_role('button', name='Сохранить').click()
    expect(page.get_by_text('Вы вошли как 5200123456')).to_be_visible()  # SMS path logs straight in
    expect(page.get_by_text('Нижний Новгород, 603000')).to_be_visible()
    log_out(page)
    # the email of an SMS registration is confirmed by the link sent with it; then email recovery works
    page.goto(Mailbox.link(mailbox.wait_for('semenov@example.ru')[-1]))
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    recover_by_email(page, portal, mailbox, '5200123456', 'semenov@example.ru')
    log_in(page, portal, '5200123456', NEW)
