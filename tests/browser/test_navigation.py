"""The sections' navigation, «Настройки» in sections and the contact centre in Chromium: header links at 1280 px, the
bottom bar at 375 px, both reached with Tab and followed with Enter; the settings tabs by keyboard and by address;
the 24-month history; every new screen checked by axe at both widths."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from models.billing import Account, Region
from tests.support.billing import recent_billing_files
from tests.support.browser import NAVIGATION, add_account, log_out, register_and_log_in, screenshot, seed, tab_to
from tests.support.factories import add_reading, make_meter
from tests.support.servers import Mailbox

PHONE = '8 800 100-00-00'


def open_tab_by_keyboard(page: Page, opened: str, wanted: str) -> None:
    """Tab to the open tab `opened`, the right arrow to the next one, `wanted`, Enter."""
    tab_to(page, page.get_by_role('tab', name=opened))
    page.keyboard.press('ArrowRight')
    expect(page.get_by_role('tab', name=wanted)).to_be_focused()
    page.keyboard.press('Enter')


def test_the_sections_by_keyboard_on_a_desktop_and_on_a_phone(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default', PORTAL_SUPPORT_PHONE=PHONE, PORTAL_SUPPORT_HOURS='пн–пт 8:00–20:00')
    portal.command('import', *recent_billing_files(tmp_path))
    register_and_log_in(page, portal, mailbox, 'navigator', 'navigator@example.ru')
    add_account(page, '461000000001', '1234.56')

    async def meter_of_two_years() -> None:
        await Region.filter(code='KRS').update(readings_from=1, readings_to=31)
        meter = await make_meter(await Account.get(number='461000000001'))
        await add_reading(meter, date.today() - timedelta(days=600), '11000', '4500')
        await add_reading(meter, date.today() - timedelta(days=40), '12000', '5000')

    seed(meter_of_two_years)

    # 1280 px: links in the header; the bottom bar is not there
    nav = page.get_by_role('navigation', name=NAVIGATION)
    expect(nav).to_have_count(1)
    expect(page.locator('header').get_by_role('navigation', name=NAVIGATION)).to_be_visible()
    expect(nav.get_by_role('link')).to_have_count(3)
    for name, path in (('Главная', '/'), ('Показания', '/readings'), ('Настройки', '/settings')):
        expect(nav.get_by_role('link', name=name, exact=True)).to_have_attribute('href', path)
    expect(nav.get_by_role('link', name='Главная')).to_have_attribute('aria-current', 'page')
    expect(nav.locator('[aria-current]')).to_have_count(1)
    tab_to(page, nav.get_by_role('link', name='Показания'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Показания', exact=True)).to_be_visible()
    expect(nav.get_by_role('link', name='Показания')).to_have_attribute('aria-current', 'page')
    expect(nav.locator('[aria-current]')).to_have_count(1)

    # the history: 12 months, 24 on request; the older reading shows only then, in the table and the chart's table
    older = page.get_by_role('row', name=re.compile(f'{(date.today() - timedelta(days=600)):%d.%m.%Y}'))
    expect(older).to_have_count(0)
    period = page.get_by_role('group', name=re.compile('Период истории'))
    expect(period.get_by_role('button', name='12 месяцев')).to_have_attribute('aria-pressed', 'true')
    period.get_by_role('button', name='24 месяца').click()
    expect(period.get_by_role('button', name='24 месяца')).to_have_attribute('aria-pressed', 'true')
    expect(older).to_have_count(1)
    screenshot(page, 'nav-readings-24-months')

    # 375 px: the bottom bar instead, in reach of the thumb and of the keyboard
    page.set_viewport_size({'width': 375, 'height': 800})
    expect(page.locator('header').get_by_role('navigation')).to_have_count(0)
    bar = page.locator('footer.q-footer').get_by_role('navigation', name=NAVIGATION)
    expect(bar).to_be_visible()
    expect(bar.get_by_role('link', name='Показания')).to_have_attribute('aria-current', 'page')
    box = bar.bounding_box()
    assert box is not None and abs(box['y'] + box['height'] - 800) < 2  # at the bottom of the screen
    tab_to(page, bar.get_by_role('link', name='Настройки'), limit=80)  # on from the switch, past the page's end
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()
    expect(bar.get_by_role('link', name='Настройки')).to_have_attribute('aria-current', 'page')
    page.set_viewport_size({'width': 1280, 'height': 900})
    screenshot(page, 'nav-settings-accounts')

    # the sections are a tablist: Tab reaches the open tab, the arrows move along, Enter opens one, the address
    # follows
    open_tab_by_keyboard(page, 'Лицевые счета', 'Профиль')
    expect(page.get_by_role('tab', name='Профиль')).to_have_attribute('aria-selected', 'true')
    expect(page.get_by_role('tabpanel', name='Профиль')).to_contain_text('Email: navigator@example.ru')
    expect(page).to_have_url(re.compile(r'/settings\?section=profile$'))
    screenshot(page, 'settings-section-profile')
    page.reload()  # a reload comes back to the same section
    expect(page.get_by_role('tab', name='Профиль')).to_have_attribute('aria-selected', 'true')
    expect(page.get_by_label('Новый email', exact=True)).to_be_visible()
    open_tab_by_keyboard(page, 'Профиль', 'Квитанции и уведомления')
    notices = page.get_by_role('tabpanel', name='Квитанции и уведомления')
    expect(notices.get_by_role('heading', name='Подключение получения квитанции на электронную почту')).to_be_visible()
    expect(notices.get_by_role('group', name='Квитанция на email по лицевому счёту 461000000001')).to_be_visible()
    screenshot(page, 'settings-section-notices')

    # the contact centre: the footer of every page, a number a phone dials
    footer = page.locator('main footer')  # after the page's own content
    expect(footer).to_contain_text(re.compile(rf'Контактный центр:\s*{PHONE}\s*\(пн–пт 8:00–20:00\)'))
    expect(footer.get_by_role('link', name=PHONE)).to_have_attribute('href', 'tel:88001000000')
    log_out(page)
    expect(page.get_by_text('Не получается войти? Позвоните в контактный центр.')).to_be_visible()
    expect(page.get_by_role('navigation', name=NAVIGATION)).to_have_count(0)  # signed out: no sections
    screenshot(page, 'login-contact-centre')
    page.get_by_role('link', name='Забыли пароль?').click()
    expect(page.get_by_text('сменился адрес электронной почты')).to_be_visible()
    screenshot(page, 'forgot-contact-centre')
