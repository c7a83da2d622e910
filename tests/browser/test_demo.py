"""A newcomer's first run: demo mode without SMTP or an SMS gateway, messages read at /demo/mail."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser import field, screenshot
from tests.support.factories import GOOD, PHONE


def latest(mail: Page, portal, text: str) -> str:
    mail.goto(f'{portal.url}/demo/mail')
    card = mail.locator('.q-card', has_text=text).first
    expect(card).to_be_visible()
    return card.inner_text()


def test_demo_mode_newcomer_registers_through_the_demo_mailbox(start_portal, page: Page, mailbox, sms):
    portal = start_portal('default', PORTAL_DEMO='true', PORTAL_SMTP_HOST='', PORTAL_SMS_PROVIDER='console')
    out = portal.command('demo')
    number, surname = re.search(r'^(\d{6,})\s+(\S+)', out, re.MULTILINE).groups()
    page.goto(f'{portal.url}/login')
    field(page, 'Номер лицевого счёта').fill(number)
    field(page, 'Фамилия').fill(surname)
    page.get_by_role('button', name='Продолжить').click()
    expect(page.get_by_role('heading', name=f'Регистрация по лицевому счёту {number}')).to_be_visible()
    field(page, 'Фамилия').fill(surname)
    field(page, 'Новый пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill('newcomer@example.ru')
    field(page, 'Телефон').fill(PHONE)
    page.get_by_role('tab', name='По SMS').click()
    page.get_by_role('button', name='Отправить смс').click()
    expect(page.get_by_text('Код отправлен')).to_be_visible()
    mail = page.context.new_page()  # the demo mailbox in a second tab, as a newcomer would open it
    code = re.search(r'\b(\d{6})\b', latest(mail, portal, f'SMS → {PHONE}')).group(1)
    screenshot(mail, 'demo-mail')
    field(page, 'Код подтверждения').fill(code)
    page.get_by_role('button', name='ОК').click()
    expect(page.get_by_text('Подтверждено')).to_be_visible()
    page.get_by_text('Я согласен').click()
    page.get_by_role('button', name='Сохранить').click()
    expect(page.get_by_text(f'Вы вошли как {number}')).to_be_visible()
    text = latest(mail, portal, 'newcomer@example.ru')
    page.goto(re.search(r'http://\S+/confirm\?token=\S+', text).group(0))
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    assert mailbox.messages == [] and sms.requests == []  # nothing left the machine

    # the demo's admin for the operator console: its enrolment link is printed, a second run gives a fresh one
    again = portal.command('demo')
    first, second = (re.search(r'http://\S+/staff/enrol\?token=\S+', text).group(0) for text in (out, again))
    assert first != second
    page.goto(first)  # the link the second run replaced
    expect(page.get_by_text('Ссылка для подключения недействительна')).to_be_visible()
    page.goto(second)
    expect(page.get_by_role('heading', name='Подключение к консоли')).to_be_visible()
    expect(page.get_by_role('img', name=re.compile('QR-код для приложения-аутентификатора'))).to_be_visible()
    expect(page.get_by_role('img', name=re.compile('QR-код для приложения-аутентификатора'))).to_be_visible()
