"""The utility's own look in Chromium: PORTAL_BRAND_NAME, _LOGO and _COLOR in the header, the tab and the 404 page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser import screenshot
from tests.support.images import LOGO_SVG, svg

NAME = 'Курскэнерго'
COLOR = '#7a1f3d'


def test_the_portal_wears_the_utilitys_brand(start_portal, page: Page, tmp_path):
    logo = svg(tmp_path / 'logo.svg')
    portal = start_portal('default', PORTAL_BRAND_NAME=NAME, PORTAL_BRAND_LOGO=str(logo), PORTAL_BRAND_COLOR=COLOR)

    page.goto(f'{portal.url}/login')
    page.get_by_role('button', name='Войти').wait_for()
    screenshot(page, 'brand-login')
    header = page.locator('header')
    expect(header).to_contain_text(NAME)
    image = header.get_by_role('img', name=NAME)
    expect(image).to_be_visible()
    assert image.evaluate('img => img.complete && img.naturalWidth > 0')  # the file really loaded
    expect(page).to_have_title(f'Вход в личный кабинет — {NAME}')
    assert header.evaluate('h => getComputedStyle(h).backgroundColor') == 'rgb(122, 31, 61)'
    login = page.get_by_role('button', name='Войти')
    assert login.evaluate('b => getComputedStyle(b).backgroundColor') == 'rgb(122, 31, 61)'

    favicon = page.locator('link[rel~="icon"]').first.get_attribute('href')
    assert favicon == '/favicon.ico'
    served = page.request.get(f'{portal.url}{favicon}')
    assert served.ok
    assert served.body().decode() == LOGO_SVG

    answer = page.goto(f'{portal.url}/tariffs/2026')
    assert answer is not None and answer.status == 404
    expect(page.get_by_role('heading', name='Страница не найдена')).to_be_visible()
    screenshot(page, 'not-found')
    expect(header.get_by_role('img', name=NAME)).to_be_visible()  # in the portal's frame
    expect(page).to_have_title(f'Страница не найдена — {NAME}')
    page.get_by_role('link', name='На главную').click()
    expect(page).to_have_url(re.compile(r'/login'))  # the start page asks an anonymous visitor to log in
