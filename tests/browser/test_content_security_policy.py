"""The Content-Security-Policy leaves every screen working: Chromium blocks nothing on the way from the login page
through registration to the cabinet and its settings (the `page` fixture fails any browser test on a violation)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.billing import recent_billing_files
from tests.support.browser import NAVIGATION, add_account, register_and_log_in
from tests.support.servers import Mailbox


def test_no_screen_breaks_under_the_policy(
    start_portal, page: Page, mailbox: Mailbox, csp_violations: list[str], tmp_path
):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    policies = []
    page.on(
        'response',
        lambda response: (
            response.url.startswith(portal.url) and policies.append(response.headers.get('content-security-policy'))
        ),
    )
    page.goto(f'{portal.url}/login')
    expect(page.get_by_role('button', name='Войти')).to_be_visible()
    register_and_log_in(page, portal, mailbox, 'ivanov', 'ivanov@example.ru')
    add_account(page, '461000000001', '1234.56')  # the overview: balance, bills, payments
    page.get_by_role('navigation', name=NAVIGATION).get_by_role('link', name='Настройки').click()
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()
    page.get_by_role('tab', name='Профиль').click()  # a tab panel: Quasar's transitions
    expect(page.get_by_label('Новый email', exact=True)).to_be_visible()
    page.get_by_role('button', name=re.compile('Меню кабинета')).click()  # a menu: Quasar's positioning styles
    expect(page.get_by_role('menuitem', name='Выйти')).to_be_visible()
    assert policies and all("frame-ancestors 'none'" in (policy or '') for policy in policies)
    assert csp_violations == []
