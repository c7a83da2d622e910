"""«Настройки» in Chromium, section by section: change email (link from the real mail), phone (code from the SMS
gateway) and password, recover the password by SMS code, turn the e-bill on and off, unlink an account."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.billing import recent_billing_files
from tests.support.browser import (
    NAVIGATION,
    add_account,
    expect_error_at,
    field,
    log_in,
    log_out,
    register_and_log_in,
    screenshot,
)
from tests.support.factories import GOOD, NEW, PHONE
from tests.support.servers import Mailbox, SmsInbox, wait_for


def open_settings(page: Page, section: str | None = None) -> None:
    """«Настройки» from the navigation, then the tab of `section` (the first one opens by itself)."""
    page.get_by_role('navigation', name=NAVIGATION).get_by_role('link', name='Настройки').click()
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()
    if section is not None:
        open_section(page, section)


def open_section(page: Page, section: str) -> None:
    page.get_by_role('tab', name=section).click()
    expect(page.get_by_role('tab', name=section)).to_have_attribute('aria-selected', 'true')


def latest_code(sms: SmsInbox, phone: str, count: int) -> str:
    return re.search(r'\b(\d{6})\b', sms.wait_for(phone, count=count)[-1]).group(1)


def test_change_email_phone_and_password_then_recover_by_sms(start_portal, page: Page, mailbox: Mailbox, sms: SmsInbox):
    portal = start_portal('default')
    register_and_log_in(page, portal, mailbox, 'ivanov', 'ivanov@example.ru')
    open_settings(page, 'Профиль')
    expect(page.get_by_text('Email: ivanov@example.ru (подтверждён)')).to_be_visible()
    screenshot(page, 'settings-profile')

    field(page, 'Новый email').fill('new@example.ru')
    page.get_by_role('button', name='Изменить email').click()
    expect(page.get_by_text('На new@example.ru отправлено письмо со ссылкой')).to_be_visible()
    page.goto(Mailbox.link(mailbox.wait_for('new@example.ru')[-1]))
    screenshot(page, 'email-change')
    page.get_by_role('button', name='Подтвердить новый адрес').click()
    expect(page.get_by_text('Адрес почты изменён на new@example.ru')).to_be_visible()

    page.goto(f'{portal.url}/settings?section=profile')  # the section's own address
    expect(page.get_by_text('Email: new@example.ru (подтверждён)')).to_be_visible()
    field(page, 'Новый телефон').fill('12345')
    page.get_by_role('button', name='Получить код').click()
    expect_error_at(page, 'Новый телефон', 'Неверный номер телефона')
    field(page, 'Новый телефон').fill(PHONE)
    page.get_by_role('button', name='Получить код').click()
    expect(page.get_by_text(f'Код отправлен на {PHONE}')).to_be_visible()
    field(page, 'Код подтверждения').fill(latest_code(sms, PHONE, 1))
    page.get_by_role('button', name='Изменить телефон').click()
    expect(page.get_by_text(f'Телефон изменён на {PHONE}')).to_be_visible()

    field(page, 'Текущий пароль').fill('not-my-password')
    field(page, 'Новый пароль').fill(NEW)
    field(page, 'Подтверждение пароля').fill(NEW)
    page.get_by_role('button', name='Изменить пароль').click()
    expect_error_at(page, 'Текущий пароль', 'Неверный пароль')
    screenshot(page, 'settings-errors')
    field(page, 'Текущий пароль').fill(GOOD)
    page.get_by_role('button', name='Изменить пароль').click()
    expect(page.get_by_text('Пароль изменён. Другие сеансы завершены.')).to_be_visible()
    log_out(page)
    log_in(page, portal, 'ivanov', NEW)
    log_out(page)

    # the phone is confirmed now: «Забыли пароль?» sends a code by SMS as well as the link by mail
    page.get_by_role('link', name='Забыли пароль?').click()
    field(page, 'Логин').fill('ivanov')
    page.get_by_role('button', name='Восстановить').click()
    expect(page.get_by_text('Если такой кабинет есть')).to_be_visible()
    field(page, 'Код подтверждения').fill(latest_code(sms, PHONE, 2))
    field(page, 'Новый пароль').fill('Tretij-Parol-2027')
    field(page, 'Подтверждение пароля').fill('Tretij-Parol-2027')
    screenshot(page, 'forgot-sms')
    page.get_by_role('button', name='Сохранить пароль').click()
    expect(page.get_by_text('Пароль изменён. Войдите с новым паролем.')).to_be_visible()
    log_in(page, portal, 'ivanov', 'Tretij-Parol-2027')


def test_ebill_on_and_off_and_unlink_an_account(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    register_and_log_in(page, portal, mailbox, 'semenov', 'semenov@example.ru')
    add_account(page, '461000000001', '1234.56')
    open_settings(page)
    page.get_by_role('link', name='Добавить счет').click()
    add_account(page, '691000000001', '170100, г. Тверь, ул. Советская, д. 3, кв. 41')
    open_settings(page, 'Квитанции и уведомления')
    expect(page.get_by_role('heading', name='Подключение получения квитанции на электронную почту')).to_be_visible()

    # the cabinet's own, confirmed email: on at once
    kursk = page.get_by_role('group', name='Квитанция на email по лицевому счёту 461000000001')
    expect(kursk.get_by_label('Email', exact=True)).to_have_value('semenov@example.ru')  # prefilled
    kursk.get_by_role('switch', name='Получать квитанцию на email').click()
    kursk.get_by_role('button', name='Сохранить').click()
    expect(kursk.get_by_text('Квитанция будет приходить на semenov@example.ru.')).to_be_visible()
    # another address: confirmed by the link sent to it first
    tver = page.get_by_role('group', name='Квитанция на email по лицевому счёту 691000000001')
    tver.get_by_label('Email', exact=True).fill('petrov@example.ru')
    tver.get_by_role('switch', name='Получать квитанцию на email').click()
    tver.get_by_role('button', name='Сохранить').click()
    expect(tver.get_by_text('Подтвердите адрес petrov@example.ru по ссылке из письма')).to_be_visible()
    screenshot(page, 'settings-ebill')
    page.goto(Mailbox.link(mailbox.wait_for('petrov@example.ru')[-1]))
    screenshot(page, 'ebill-confirm')
    page.get_by_role('button', name='Подтвердить новый адрес').click()
    expect(page.get_by_text('Адрес подтверждён: квитанции по лицевому счёту 691000000001')).to_be_visible()

    page.goto(f'{portal.url}/settings?section=notices')
    kursk.get_by_role('switch', name='Получать квитанцию на email').click()
    kursk.get_by_role('button', name='Сохранить').click()
    expect(kursk.get_by_text('Получение квитанции на email отключено')).to_be_visible()
    subject = 'Получение квитанции на электронную почту отключено'
    off = wait_for(lambda: [m for m in mailbox.to('semenov@example.ru') if m['Subject'] == subject], what=subject)
    assert '461000000001' in Mailbox.text(off[-1])

    open_section(page, 'Лицевые счета')
    page.get_by_role('button', name='Отвязать 691000000001').click()
    dialog = page.get_by_role('dialog')
    expect(dialog).to_contain_text('Отвязать лицевой счёт 691000000001 от кабинета?')
    screenshot(page, 'unlink-dialog')
    dialog.get_by_role('button', name='Отвязать').click()
    # the settings page comes back without it (the toast of the old page goes with the navigation)
    expect(page.get_by_role('button', name='Отвязать 691000000001')).to_have_count(0)
    expect(page.get_by_role('button', name='Отвязать 461000000001')).to_be_visible()
    open_section(page, 'Квитанции и уведомления')
    expect(kursk).to_be_visible()  # the section shows its accounts: the other one is gone from it
    expect(page.get_by_role('group', name='Квитанция на email по лицевому счёту 691000000001')).to_have_count(0)
    page.get_by_role('button', name=re.compile('Меню кабинета')).click()
    expect(page.get_by_role('menuitem').filter(has_text='691000000001')).to_have_count(0)
