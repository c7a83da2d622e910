"""The console's operations in Chromium: an operator finds a notice the mail server refused, sends it again and it
arrives at the SMTP server; an admin uploads a billing CSV; the audit log, outbox and import screens axe-clean at
desktop and phone width."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from models.outbox import OutboxMessage, OutboxState
from models.staff import StaffRole
from services.messaging import outbox
from tests.support.browser import Portal, field, screenshot, seed
from tests.support.servers import REJECTED
from tests.support.staff import StaffMember, enrolled_staff

#: the accessible name of the console's navigation (pages/staff/frame.py)
CONSOLE = 'Разделы консоли'
NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def log_in_staff(page: Page, portal: Portal, member: StaffMember) -> None:
    page.goto(f'{portal.url}/staff/login')
    field(page, 'Логин').fill(member.login)
    field(page, 'Пароль').fill(member.password)
    field(page, 'Код из приложения').fill(member.code())
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text(f'Вы вошли как {member.login}')).to_be_visible()


def section(page: Page, name: str) -> None:
    page.get_by_role('navigation', name=CONSOLE).get_by_role('link', name=name).click()


def test_an_operator_sends_a_refused_email_again_and_an_admin_uploads_billing_data(start_portal, page: Page, mailbox):
    portal = start_portal('default')
    olga = seed(lambda: enrolled_staff('olga', StaffRole.OPERATOR))
    chief = seed(lambda: enrolled_staff('chief'))
    mailbox.rejections['nobody@example.ru'] = REJECTED
    message = seed(lambda: outbox.send_email('nobody@example.ru', 'Платёж получен', 'notice', NOTICE))
    deadline = time.monotonic() + 30
    while seed(lambda: OutboxMessage.get(id=message.id)).state != OutboxState.FAILED:
        assert time.monotonic() < deadline, 'the portal did not fail the email'
        time.sleep(0.1)
    del mailbox.rejections['nobody@example.ru']  # the customer's mail server fixed

    log_in_staff(page, portal, olga)
    section(page, 'Журнал событий')
    expect(page.get_by_role('heading', name='Журнал событий')).to_be_visible()
    expect(page.get_by_role('cell', name='olga').first).to_be_visible()
    field(page, 'IP-адрес').fill('нет такого')
    page.get_by_role('button', name='Показать').click()
    expect(page.get_by_text('Это не IP-адрес')).to_be_visible()
    screenshot(page, 'staff-audit')

    section(page, 'Рассылка')
    expect(page.get_by_text('Не доставлено: 1, из них можно отправить снова: 1')).to_be_visible()
    expect(page.get_by_text(re.compile(r'550 5\.1\.1 <n\*\*\*@example\.ru>'))).to_be_visible()
    screenshot(page, 'staff-outbox')
    page.get_by_role('button', name=f'Отправить снова сообщение №{message.id}').click()
    expect(page.get_by_text(f'Сообщение №{message.id} снова в очереди на отправку')).to_be_visible()
    [mail] = mailbox.wait_for('nobody@example.ru')
    assert mail['Subject'] == 'Платёж получен'
    expect(page.get_by_text('Не доставлено: 0, из них можно отправить снова: 0')).to_be_visible()
    page.get_by_role('navigation', name=CONSOLE).get_by_role('button', name='Выйти').click()
    expect(page.get_by_role('heading', name='Вход для сотрудников')).to_be_visible()

    log_in_staff(page, portal, chief)
    section(page, 'Импорт')
    expect(page.get_by_role('heading', name='Загрузка данных биллинга')).to_be_visible()
    screenshot(page, 'staff-import')
    page.get_by_label('Вид файла').click()
    page.get_by_role('option', name='regions.csv').click()
    page.locator('input[type=file]').set_input_files(
        {'name': 'regions.csv', 'mimeType': 'text/csv', 'buffer': 'code,name\nKRS,Курск\nTVR,Тверь\n'.encode()}
    )
    expect(page.get_by_text('regions.csv: 2 строки, добавлено 2, изменено 0, без изменений 0')).to_be_visible()
    screenshot(page, 'staff-import-report')
