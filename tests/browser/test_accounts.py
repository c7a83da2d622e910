"""Personal accounts in Chromium: link two accounts from different regions, switch, download a bill PDF."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.support.billing import recent_billing_files
from tests.support.browser import add_account, field, log_in, screenshot
from tests.support.factories import GOOD
from tests.support.servers import Mailbox


def test_link_two_regions_switch_and_download_a_bill(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
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
    # a row of the 12 months: its button is plain HTML in the history, whose one listener sends the row's period
    oldest = page.get_by_role('listitem').get_by_role('button', name=re.compile('^PDF ')).last
    period = oldest.get_attribute('data-period')
    with page.expect_download() as download:
        oldest.click()
    assert download.value.suggested_filename == f'schet-461000000001-{period}.pdf'
    page.goto(f'{portal.url}/settings')
    expect(page.get_by_text('Привязанные лицевые счета')).to_be_visible()
    screenshot(page, 'settings')
