"""Issue 11, item 12: a tab opened for one customer kept acting for them after another customer logged in in the same
browser — the overview's PDF button downloaded the first customer's bill, the settings sent an email change from the
first one's form. Now a tab acts only as the session its page was opened with, checked at every click, and a login
ends the browser's previous session; the services refuse an account not linked to the cabinet they are asked for,
whatever a raw socket event sends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services.accounts import linking, overview
from services.errors import NotAllowed
from tests.support.billing import recent_billing_files
from tests.support.browser import add_account, log_out, register_and_log_in
from tests.support.factories import add_bill, make_account, make_cabinet
from tests.support.servers import Mailbox

TVER = '170100, г. Тверь, ул. Советская, д. 3, кв. 41'


def test_an_old_tab_does_not_act_for_the_first_customer_once_another_has_logged_in(
    start_portal, page: Page, mailbox: Mailbox, tmp_path
):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    register_and_log_in(page, portal, mailbox, 'semenov', 'semenov@example.ru')
    add_account(page, '461000000001', '1234.56')  # tab 1: Semenov's overview
    settings = page.context.new_page()  # tab 2: Semenov's settings
    settings.goto(f'{portal.url}/settings?section=profile')
    expect(settings.get_by_label('Новый email', exact=True)).to_be_visible()
    # tab 3: Semenov leaves, Petrov comes to the same browser
    other = page.context.new_page()
    other.goto(portal.url)
    log_out(other)
    register_and_log_in(other, portal, mailbox, 'petrov', 'petrov@example.ru')
    add_account(other, '691000000001', TVER)

    downloads = []
    page.on('download', lambda download: downloads.append(download))
    page.locator('[aria-label^="PDF"]').first.click()
    expect(page).to_have_url(re.compile(r'/login'))  # Semenov's session is over: this tab acts for nobody
    settings.get_by_label('Новый email', exact=True).fill('semenov.new@example.ru')
    settings.get_by_role('button', name='Изменить email').click()
    expect(settings).to_have_url(re.compile(r'/login'))

    # opened again, the tab is Petrov's and works as his
    page.goto(portal.url)
    expect(page.get_by_role('heading', name='Лицевой счёт 691000000001')).to_be_visible()
    with page.expect_download() as download:
        page.locator('[aria-label^="PDF"]').first.click()
    assert download.value.suggested_filename.startswith('schet-691000000001-')
    assert len(downloads) == 1  # that one: Semenov's bill never left
    assert mailbox.to('semenov.new@example.ru') == []


@pytest.mark.parametrize(
    'number',
    [
        '670000000002',  # another cabinet's
        '670000000003',  # this cabinet's until it unlinked it
        '670000000004',  # nobody's
        '000000000000',  # no such account
        ' 670000000002 ',  # another cabinet's, padded
    ],
)
async def test_the_overview_and_the_pdf_refuse_an_account_not_linked_to_the_cabinet_asked_for(db, fake_clock, number):
    numbers = ['670000000001', '670000000002', '670000000003', '670000000004']
    for account in [await make_account(number) for number in numbers]:
        await add_bill(account, '2026-10', '500.00', lines=())
    cabinet = await make_cabinet('kuznetsova', accounts=['670000000001', '670000000003'])
    await make_cabinet('neighbour', accounts=['670000000002'])
    await linking.unlink_account(cabinet, '670000000003', ip=None)

    # what a forged socket event could pass: an account not linked here, with a period it has a bill for
    with pytest.raises(NotAllowed, match='не привязан к вашему личному кабинету'):
        await overview.bill_pdf(cabinet.id, number, '2026-10')
    with pytest.raises(NotAllowed, match='не привязан к вашему личному кабинету'):
        await overview.account_overview(cabinet.id, number)
    assert (await overview.bill_pdf(cabinet.id, '670000000001', '2026-10'))[0] == 'schet-670000000001-2026-10.pdf'
