"""Personal accounts in Chromium: link two accounts from different regions, switch, download a bill PDF."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import screenshot
from tests.browser.test_profiles import GOOD, field, log_in
from tests.support.billing import ACCOUNTS_HEADER, BILLS_HEADER, PAYMENTS_HEADER, REGIONS_HEADER, write_csv
from tests.support.servers import Mailbox


def billing_files(folder) -> list[str]:
    """Two accounts in two regions, with a payment 20 days ago and the last two months' bills (real dates:
    the server runs on the wall clock)."""
    today = date.today()
    paid = today - timedelta(days=20)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    bills = []
    for period_start in (last_month, this_month):
        period, due = f'{period_start:%Y-%m}', (period_start + timedelta(days=40)).replace(day=10)
        bills += [
            ('461000000001', period, 'Электроэнергия (день)', '230', '6.12', '1407.60', f'{due}'),
            ('461000000001', period, 'Электроэнергия (ночь)', '101', '3.45', '348.45', f'{due}'),
            ('691000000001', period, 'Электроэнергия', '150', '5.50', '825.00', f'{due}'),
        ]
    return [
        str(write_csv(folder / 'regions.csv', REGIONS_HEADER, [('KRS', 'Курск'), ('TVR', 'Тверь')])),
        str(
            write_csv(
                folder / 'accounts.csv',
                ACCOUNTS_HEADER,
                [
                    ('461000000001', 'KRS', 'Семёнов', '305000, г. Курск, ул. Ленина, д. 5, кв. 12', ''),
                    ('691000000001', 'TVR', 'Петров', '170100, г. Тверь, ул. Советская, д. 3, кв. 41', ''),
                ],
            )
        ),
        str(
            write_csv(
                folder / 'payments.csv',
                PAYMENTS_HEADER,
                [
                    ('461000000001', f'{paid}', '1234.56'),
                    ('691000000001', f'{paid}', '825.00'),
                ],
            )
        ),
        str(write_csv(folder / 'bills.csv', BILLS_HEADER, bills)),
    ]


def add_account(page: Page, number: str, proof: str) -> None:
    field(page, 'Номер лицевого счёта').fill(number)
    field(page, 'Подтверждение').fill(proof)
    page.get_by_role('button', name='Добавить').click()
    expect(page.get_by_role('heading', name=f'Лицевой счёт {number}')).to_be_visible()


def test_link_two_regions_switch_and_download_a_bill(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *billing_files(tmp_path))
    page.goto(f'{portal.url}/register')
    field(page, 'Логин').fill('semenov')
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill('semenov@example.ru')
    page.get_by_text('Я согласен').click()
    page.get_by_role('button', name='Зарегистрироваться').click()
    expect(page.get_by_text('Почти готово!')).to_be_visible()
    page.goto(Mailbox.link(mailbox.wait_for('semenov@example.ru')[-1]))
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    log_in(page, portal, 'semenov', GOOD)
    expect(page.get_by_role('heading', name='Добавление лицевого счёта')).to_be_visible()
    screenshot(page, 'link-form')
    add_account(page, '461000000001', '1 234,56')
    menu = page.get_by_role('button', name=re.compile('Меню кабинета'))
    expect(menu).to_contain_text('461000000001')  # the header shows it at once
    menu.click()
    page.get_by_role('menuitem', name='+Добавить счёт').click()
    add_account(page, '691000000001', '170100, г. Тверь, ул. Советская, д. 3, кв. 41')
    screenshot(page, 'overview')
    menu.click()
    page.get_by_role('menuitem').filter(has_text='461000000001').click()
    expect(page.get_by_role('heading', name='Лицевой счёт 461000000001')).to_be_visible()
    page.reload()
    expect(page.get_by_role('heading', name='Лицевой счёт 461000000001')).to_be_visible()
    with page.expect_download() as download:
        page.locator('[aria-label^="PDF"]').first.click()
    text = '\n'.join(p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert '461000000001' in text and '1 756,05' in text.replace('\u00a0', ' ')
    page.goto(f'{portal.url}/settings')
    expect(page.get_by_text('Привязанные лицевые счета')).to_be_visible()
    screenshot(page, 'settings')
