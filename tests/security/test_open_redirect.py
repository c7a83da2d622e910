"""Item 3 of issue 11: `/login?redirect_to=…` sends the customer to another site after the login. A browser drops
tabs and newlines from a URL and reads a backslash as a slash, so `/%09/evil.example` is `//evil.example` to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pages.session import safe_redirect
from tests.support.browser import field, register_and_log_in
from tests.support.factories import GOOD
from tests.support.servers import Mailbox

BYPASSES = [
    '//evil.example',
    '///evil.example',
    '/\t/evil.example',  # /%09/evil.example, as the query reaches the page
    '/\n/evil.example',
    '/\r/evil.example',
    '\t//evil.example',
    ' //evil.example',
    '//evil.example ',
    '\x00//evil.example',
    '\x1f//evil.example',
    '/\\evil.example',
    '\\/evil.example',
    '\\\\evil.example',
    '/\t\\evil.example',
    '/\x0b/evil.example',
    'https://evil.example',
    'HTTPS://evil.example/',
    ' https://evil.example',
    'http:/evil.example',
    'http:evil.example',
    'javascript:alert(1)',
    'java\tscript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    'settings',
    '',
    None,
]


@pytest.mark.parametrize('target', BYPASSES)
def test_safe_redirect_refuses_every_way_to_another_host(target):
    assert safe_redirect(target) == '/'


@pytest.mark.parametrize(
    ('target', 'path'),
    [
        ('/', '/'),
        ('/settings', '/settings'),
        ('/accounts/add?number=1#top', '/accounts/add?number=1#top'),
        (' /settings\t', '/settings'),
        ('/set\ttings', '/settings'),  # what the browser would open, so what was checked is what runs
        ('/a/b/../c', '/a/b/../c'),
        ('/%2F/evil.example', '/%2F/evil.example'),  # an encoded slash stays a path segment on this host
    ],
)
def test_safe_redirect_keeps_local_paths(target, path):
    assert safe_redirect(target) == path


def test_logging_in_through_a_tab_in_redirect_to_stays_on_the_portal(start_portal, page: Page, mailbox: Mailbox):
    portal = start_portal('default')
    register_and_log_in(page, portal, mailbox, 'ivanov', 'ivanov@example.ru')
    page.context.clear_cookies()
    page.goto(f'{portal.url}/login?redirect_to=/%09/evil.example')
    field(page, 'Логин').fill('ivanov')
    field(page, 'Пароль').fill(GOOD)
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли как ivanov')).to_be_visible()
    assert page.url.startswith(f'{portal.url}/'), page.url
