"""The utility's own look in Chromium: PORTAL_BRAND_NAME, _LOGO and _COLOR in the header, the tab and the 404 page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

NAME = 'Курскэнерго'
COLOR = '#7a1f3d'
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#ffcc00"/><path d="M36 6 14 36h16l-4 22 22-30H32z" fill="#7a1f3d"/>'
    '</svg>'
)


def test_the_portal_wears_the_utilitys_brand(start_portal, page: Page, tmp_path):
    logo = tmp_path / 'logo.svg'
    logo.write_text(LOGO)
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
    assert served.body().decode() == LOGO

    answer = page.goto(f'{portal.url}/tariffs/2026')
    assert answer is not None and answer.status == 404
    expect(page.get_by_role('heading', name='Страница не найдена')).to_be_visible()
    screenshot(page, 'not-found')
    expect(header.get_by_role('img', name=NAME)).to_be_visible()  # in the portal's frame
    expect(page).to_have_title(f'Страница не найдена — {NAME}')
    page.get_by_role('link', name='На главную').click()
    expect(page).to_have_url(re.compile(r'/login'))  # the start page asks an anonymous visitor to log in
