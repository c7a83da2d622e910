"""Two portal processes behind the shipped nginx site, sharing PostgreSQL and Redis, as deploy/README.md sets them up.
A customer in Chromium logs in through nginx, opens the overview and the settings, saves the e-bill and asks for an
email change whose mail the SMTP server defers; then the process serving them is killed. The customer goes on in the
other process, still signed in; the e-bill stays on, the deferred mail is delivered by the survivor and its link
works. The monthly e-bill run, which both processes tick at start, went once."""

from __future__ import annotations

import asyncio
import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from models.billing import Account
from models.ebill import BillRun, EBill
from models.outbox import OutboxMessage
from services import clock
from services.billing.periods import previous_period
from tests.support.browser import Portal, field, log_in, seed
from tests.support.databases import PG_SERVER
from tests.support.factories import GOOD, NUMBER, add_bill, link_accounts, make_cabinet, subscriber
from tests.support.proxy import NGINX, REDIS, UPSTREAM_HEADER, Nginx, Redis
from tests.support.servers import Mailbox, free_port

pytestmark = [
    pytest.mark.skipif(
        not PG_SERVER,
        reason='several portal processes share one database, which takes PostgreSQL: run in the PostgreSQL pass '
        '(PORTAL_TEST_POSTGRES, scripts/test.sh)',
    ),
    pytest.mark.skipif(not Path(NGINX).exists(), reason='nginx is not installed (scripts/test.sh installs it in CI)'),
    pytest.mark.skipif(not Path(REDIS).exists(), reason='redis-server is missing (scripts/test.sh installs it in CI)'),
    pytest.mark.skipif(
        importlib.util.find_spec('redis') is None, reason="the redis extra is missing: pip install -e '.[test,redis]'"
    ),
]

OTHER_NUMBER = '461000000002'
PETROV = 'petrov@example.ru'
DEFERRED = '451 4.3.0 Try again later'


def served_by(documents: list[tuple[str, str]]) -> str:
    """The portal port that answered the latest page."""
    return documents[-1][1].rsplit(':', 1)[1]


def ebill_block(page: Page) -> Locator:
    """The account's e-bill block in «Настройки» (its reading notices block bears the same name)."""
    switch = page.get_by_role('switch', name='Получать квитанцию на email')
    return page.get_by_role('group', name=f'Квитанция на email по лицевому счёту {NUMBER}').filter(has=switch)


def open_settings(page: Page) -> None:
    page.get_by_role('navigation', name='Разделы личного кабинета').get_by_role('link', name='Настройки').click()
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()
    page.get_by_role('tab', name='Квитанции и уведомления').click()  # the e-bill is in this section


def test_a_customer_goes_on_in_the_other_process_when_theirs_is_killed(tmp_path, browser: Browser, mailbox: Mailbox):
    period = previous_period(clock.today())
    seed(lambda: seed_customers(period))
    redis = Redis(tmp_path / 'redis')
    https_port = free_port()
    env = {
        'PORTAL_BASE_URL': f'https://127.0.0.1:{https_port}',
        'PORTAL_REDIS_URL': redis.url,
        'PORTAL_TRUSTED_PROXIES': '127.0.0.1',
        'PORTAL_BILL_DAY': '1',  # today is on or after it: both processes tick the run of `period` at start
    }
    portals: list[Portal] = []
    nginx = None
    try:
        for name in ('a', 'b'):
            (tmp_path / name).mkdir()
        with ThreadPoolExecutor(2) as pool:  # started together
            started = [pool.submit(Portal, 'default', tmp_path / name, **env) for name in ('a', 'b')]
            portals = [future.result() for future in started]
        by_port = {urlsplit(portal.url).port: portal for portal in portals}
        nginx = Nginx(tmp_path / 'nginx', upstreams=list(by_port), https_port=https_port)
        context = browser.new_context(ignore_https_errors=True, locale='ru-RU', viewport={'width': 1280, 'height': 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        documents: list[tuple[str, str]] = []
        page.on(
            'response',
            lambda response: (
                response.request.resource_type == 'document'
                and documents.append((response.url, response.headers.get(UPSTREAM_HEADER, '')))
            ),
        )

        log_in(page, nginx, 'semenov', GOOD)
        expect(page.get_by_text(NUMBER).first).to_be_visible()  # the overview
        open_settings(page)
        account = ebill_block(page)
        account.get_by_role('switch', name='Получать квитанцию на email').click()
        account.get_by_role('button', name='Сохранить').click()
        expect(account.get_by_text('Квитанция будет приходить на semenov@example.ru.')).to_be_visible()
        mailbox.rejections['new@example.ru'] = DEFERRED
        page.get_by_role('tab', name='Профиль').click()  # the address is changed in this section
        field(page, 'Новый email').fill('new@example.ru')
        page.get_by_role('button', name='Изменить email').click()
        expect(page.get_by_text('На new@example.ru отправлено письмо со ссылкой')).to_be_visible()
        # its process tried and was told to try later: the mail waits in the database
        seed(lambda: wait_until_deferred('new@example.ru'))

        port = served_by(documents)
        assert port, f'nginx named no upstream: {documents}'
        victim = by_port[int(port)]
        victim.process.kill()
        victim.process.wait(10)
        mailbox.rejections.clear()

        # the open tab loses its socket, reconnects through nginx to the other process, which does not know the
        # page, so the tab reloads it there: still signed in (the session is in the database)
        deadline = len(documents)
        for _ in range(150):
            if len(documents) > deadline:
                break
            page.wait_for_timeout(200)
        assert len(documents) > deadline, 'the tab did not reload itself after its process died'
        expect(page.get_by_role('heading', name='Настройки')).to_be_visible()
        assert served_by(documents) != port
        page.get_by_role('tab', name='Квитанции и уведомления').click()  # the reload came back to «Профиль»
        account = ebill_block(page)
        expect(account.get_by_role('switch', name='Получать квитанцию на email')).to_be_checked()

        # the mail queued by the killed process is delivered by the survivor, and its link works there
        [mail] = mailbox.wait_for('new@example.ru', timeout=90)
        page.goto(Mailbox.link(mail))
        page.get_by_role('button', name='Подтвердить новый адрес').click()
        expect(page.get_by_text('Адрес почты изменён на new@example.ru')).to_be_visible()
        assert served_by(documents) != port

        # both processes ticked the monthly run at start: one ran it, Petrov got his bill once
        mailbox.wait_for(PETROV)
        runs = seed(lambda: BillRun.filter(period=period).values_list('queued', 'finished_at'))
        assert [queued for queued, finished in runs if finished] == [1]
        assert len(mailbox.to(PETROV)) == 1
        assert seed(lambda: EBill.filter(account__number=NUMBER, enabled=True).count()) == 1
        context.close()
    finally:
        for portal in portals:
            portal.stop()
        if nginx:
            nginx.stop()
        redis.stop()


async def seed_customers(period: str) -> None:
    """Семёнов, who will use the portal, with a bill of `period`; Петров, subscribed to the e-bill, with his."""
    semenov = await make_cabinet('semenov', password=GOOD)
    await link_accounts(semenov, NUMBER)
    await add_bill(await Account.get(number=NUMBER), period)
    petrov = await make_cabinet('petrov')
    await subscriber(petrov, OTHER_NUMBER, PETROV, periods=(period,))


async def wait_until_deferred(recipient: str) -> None:
    for _ in range(200):
        if await OutboxMessage.filter(recipient=recipient, attempts__gte=1, sent_at=None).exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'no deferred message to {recipient}')
