"""/healthz, /readyz and /metrics of a running `python main.py`, as a load balancer and Prometheus read them, and its
log as a collector reads it."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Page

from services.messaging import outbox
from tests.support.browser import log_in, seed
from tests.support.factories import GOOD, make_cabinet
from tests.support.servers import Mailbox

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def test_health_and_readiness_answer_without_a_session(start_portal):
    portal = start_portal('default')

    health = httpx.get(f'{portal.url}/healthz')
    ready = httpx.get(f'{portal.url}/readyz')

    assert (health.status_code, health.text) == (200, 'ok')
    assert ready.status_code == 200
    assert ready.json() == {'ready': True, 'checks': {'database': 'ok', 'outbox': 'ok'}}
    assert ready.headers['cache-control'] == 'no-store'
    assert 'INFO services.db: database ready' in portal.log.read_text()  # the text log, by default


def test_metrics_count_a_login_a_page_and_a_sent_email(start_portal, page: Page, mailbox: Mailbox):
    async def a_cabinet_and_an_email() -> None:
        await make_cabinet('ivanov', password=GOOD)
        await outbox.send_email('petrov@example.ru', 'Платёж получен', 'notice', NOTICE)

    seed(a_cabinet_and_an_email)
    portal = start_portal('default')
    mailbox.wait_for('petrov@example.ru')
    log_in(page, portal, 'ivanov', GOOD)

    answer = httpx.get(f'{portal.url}/metrics')

    assert answer.status_code == 200
    assert answer.headers['content-type'].startswith('text/plain; version=')
    text = answer.text
    assert 'portal_logins_total{outcome="success"} 1.0' in text
    assert 'portal_outbox_sent_total{channel="email"} 1.0' in text
    assert 'portal_page_build_seconds_count{page="/login"}' in text
    assert 'portal_http_requests_total{method="GET",status="2xx"}' in text
    assert 'portal_http_request_duration_seconds_bucket{le="0.5",method="GET"}' in text
    assert 'portal_outbox_oldest_waiting_seconds 0.0' in text  # nothing waits
    assert 'portal_gc_pause_seconds_count{generation="0"}' in text
    clients = next(line for line in text.splitlines() if line.startswith('portal_clients '))
    assert float(clients.split()[1]) >= 1  # the browser's page


def test_metrics_are_hidden_from_other_addresses_even_behind_a_forged_header(start_portal):
    # a proxy at 192.0.2.1 is trusted, the test (127.0.0.1) is not: what it writes in X-Forwarded-For counts not
    portal = start_portal(
        'default', PORTAL_METRICS_FROM='10.0.0.0/8', PORTAL_TRUSTED_PROXIES='192.0.2.1', PORTAL_LOG_FORMAT='json'
    )

    direct = httpx.get(f'{portal.url}/metrics')
    forged = httpx.get(f'{portal.url}/metrics', headers={'X-Forwarded-For': '10.0.0.7'})
    unknown = httpx.get(f'{portal.url}/no-such-page')

    assert direct.status_code == forged.status_code == 404
    assert 'portal_' not in direct.text + forged.text
    assert 'Страница не найдена' in direct.text and 'Страница не найдена' in unknown.text  # as any unknown path
    records = [json.loads(line) for line in portal.log.read_text().splitlines() if line.strip()]
    ready = next(record for record in records if record['message'].startswith('database ready'))
    assert ready['level'] == 'INFO' and ready['logger'] == 'services.db'
    assert ready['timestamp'].startswith('20')
    assert any(record['message'] == 'not found: /metrics' for record in records)
