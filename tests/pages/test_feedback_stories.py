"""The portal's frame around everything a customer meets: the utility's brand, friendly 404 and error pages,
and buttons that wait on a service spinning once, never twice."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
from nicegui import app, ui
from nicegui.testing import User

from tests.support.factories import PHONE
from tests.support.images import png
from tests.support.stories import KURSK, fill, link, see, signed_in_user, sms_code
from tests.support.waiting import eventually


@pytest.fixture
def brand(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """Set before `user`: main.py reads the settings when the simulated browser starts it."""
    logo = png(tmp_path / 'kursk-logo.png')
    monkeypatch.setenv('PORTAL_BRAND_NAME', 'Курскэнерго "Свет"')
    monkeypatch.setenv('PORTAL_BRAND_LOGO', str(logo))
    monkeypatch.setenv('PORTAL_BRAND_COLOR', '#7a1f3d')
    return logo.read_bytes()


async def test_the_header_shows_the_utilitys_logo_name_and_colour(brand, user: User):
    await user.open('/login')
    await see(user, 'Курскэнерго "Свет"')
    [logo] = user.find(marker='logo').elements
    assert logo.props['alt'] == 'Курскэнерго "Свет"'
    assert user.client.title == 'Вход в личный кабинет — Курскэнерго "Свет"'
    assert app.config.quasar_config['brand']['primary'] == '#7a1f3d'
    served = await user.http_client.get(logo.props['src'])  # anyone may load it: it is on the login page
    assert served.status_code == 200
    assert served.content == brand
    html = (await user.http_client.get('/login')).text
    assert 'href="/favicon.ico"' in html
    favicon = await user.http_client.get('/favicon.ico')
    assert favicon.status_code == 200
    assert favicon.content == brand


async def test_without_a_logo_the_header_has_the_name_only(user: User):
    await user.open('/login')
    await see(user, 'ТестЭнергоСбыт')
    await user.should_not_see(marker='logo')
    assert user.client.title == 'Вход в личный кабинет — ТестЭнергоСбыт'
    assert app.config.quasar_config['brand']['primary'] == '#0b4f8a'


@pytest.mark.parametrize('path', ['/no-such-page', '/settings/nothing', '/wp-login.php'])
async def test_an_unknown_path_answers_404_in_the_portals_frame(user: User, path):
    response = await user.http_client.get(path)  # anonymous: no detour through /login
    assert response.status_code == 404
    assert 'Страница не найдена — ТестЭнергоСбыт' in response.text  # the title
    assert 'ТестЭнергоСбыт' in response.text  # the header
    assert 'Такой страницы нет' in response.text
    assert 'На главную' in response.text


async def test_a_signed_in_customer_gets_the_404_page_too(user: User, mailbox):
    await signed_in_user(user, mailbox)
    response = await user.http_client.get('/no-such-page')
    assert response.status_code == 404
    assert 'Такой страницы нет' in response.text


async def test_a_private_page_still_sends_the_anonymous_to_the_login(user: User):
    response = await user.http_client.get('/settings')
    assert response.status_code in (302, 307)
    assert response.headers['location'] == '/login?redirect_to=/settings'


async def test_a_page_that_fails_shows_the_error_page_and_logs_a_reference(
    user: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    async def broken_page() -> None:
        await asyncio.sleep(0)
        raise RuntimeError('the billing view is missing')

    ui.page('/broken')(broken_page)
    middleware = sys.modules['pages.shell.middleware']  # main.py imported it afresh for this test
    monkeypatch.setattr(middleware, 'PUBLIC_PATHS', middleware.PUBLIC_PATHS | {'/broken'})
    with caplog.at_level(logging.ERROR):
        response = await user.http_client.get('/broken')
    assert response.status_code == 500
    assert 'Ошибка на сервере — ТестЭнергоСбыт' in response.text
    assert 'Страница не открылась из-за ошибки на сервере' in response.text
    assert 'RuntimeError' not in response.text  # nothing of the inside shown to the customer
    reference = response.text.split('код ошибки: ', 1)[1][:8]
    [line] = [record for record in caplog.records if record.name == 'portal.pages']
    assert f'page /broken failed, error reference {reference}' in line.getMessage()
    assert 'RuntimeError: the billing view is missing' in line.getMessage()
    assert any(record.exc_info for record in caplog.records)  # and the traceback, for the developer
    caplog.clear()  # the `user` fixture fails a test on any ERROR record; these were the point


async def test_double_click_on_get_code_sends_one_sms(user: User, sms):
    await user.open('/register')
    fill(user, {'Телефон': PHONE})
    user.find('По SMS').click()
    user.find('Получить код').click()
    user.find('Получить код').click()
    await see(user, 'Код отправлен')
    await sms_code(sms, PHONE)
    [button] = user.find(kind=ui.button, content='Получить код').elements
    await eventually(lambda: button.enabled and 'loading' not in button.props, what='the button to be free again')
    await asyncio.sleep(0.5)  # the outbox worker polls every 0.05 s: a second SMS would be here by now
    assert len(sms.to(PHONE)) == 1
    await user.should_not_see('Новый код можно запросить')


async def test_double_click_on_a_bill_pdf_downloads_it_once(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, 'Последний счёт: Октябрь 2026')
    button = user.find(marker='pdf-2026-10')
    button.click()
    button.click()
    assert (await user.download.next(timeout=10)).content.startswith(b'%PDF')
    element = min(button.elements, key=lambda each: each.id)  # the last bill's card; the list has one too
    await eventually(lambda: element.enabled and 'loading' not in element.props, what='the button to be free again')
    await asyncio.sleep(0.3)
    assert len(user.download.http_responses) == 1
