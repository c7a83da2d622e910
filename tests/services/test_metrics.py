"""What /metrics reports from the services: logins and lockouts, the outbox's depth and age, who may read it."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services import metrics
from services.errors import AuthenticationFailed, TooManyAttempts
from services.identity import auth
from services.messaging import outbox
from tests.support.factories import GOOD, make_cabinet
from tests.support.settings import configure

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.usefixtures('db')
async def test_logins_failures_and_lockouts_are_counted(fake_clock):
    await make_cabinet('ivanov', password=GOOD)
    before = {outcome: value('portal_logins_total', outcome=outcome) for outcome in ('success', 'failure', 'locked')}
    lockouts = value('portal_lockouts_total')

    await auth.login('ivanov', GOOD, ip='203.0.113.1')
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='203.0.113.1')
    with pytest.raises(TooManyAttempts):
        await auth.login('ivanov', GOOD, ip='203.0.113.1')

    assert value('portal_logins_total', outcome='success') - before['success'] == 1
    assert value('portal_logins_total', outcome='failure') - before['failure'] == 5
    assert value('portal_logins_total', outcome='locked') - before['locked'] == 1
    assert value('portal_lockouts_total') - lockouts == 1  # the fifth failure locked the login


@pytest.mark.usefixtures('db')
async def test_the_outbox_depth_and_its_oldest_message_are_read_at_scrape_time(fake_clock, monkeypatch):
    monkeypatch.setattr(metrics, 'OUTBOX_CACHE_SECONDS', 0)
    await outbox.send_email('ivanov@example.ru', 'Платёж получен', 'notice', NOTICE)
    fake_clock.advance(minutes=10)
    await outbox.send_email('petrov@example.ru', 'Платёж получен', 'notice', NOTICE)
    await outbox.send_sms('+79001234567', 'Код: 123456')

    text = (await metrics.exposition())[0].decode()

    assert 'portal_outbox_waiting{channel="email"} 2.0' in text
    assert 'portal_outbox_waiting{channel="sms"} 1.0' in text
    assert 'portal_outbox_oldest_waiting_seconds 600.0' in text


def test_the_garbage_collector_is_timed_by_generation():
    import gc

    metrics.watch_gc()
    metrics.watch_gc()  # once, however often
    before = value('portal_gc_pause_seconds_count', generation='2')
    gc.collect()

    assert value('portal_gc_pause_seconds_count', generation='2') == before + 1


def test_metrics_are_open_to_loopback_by_default_and_to_the_listed_networks(monkeypatch):
    settings = configure(monkeypatch)
    assert settings.metrics_allowed('127.0.0.1') and settings.metrics_allowed('::1')
    assert not settings.metrics_allowed('10.0.0.7') and not settings.metrics_allowed(None)

    settings = configure(monkeypatch, metrics_from='10.0.0.0/8, 192.0.2.5')
    assert settings.metrics_allowed('10.1.2.3') and settings.metrics_allowed('192.0.2.5')
    assert not settings.metrics_allowed('127.0.0.1')

    assert not configure(monkeypatch, metrics_from='').metrics_allowed('127.0.0.1')  # nobody
    with pytest.raises(ValueError, match="PORTAL_METRICS_FROM: 'prometheus' is not an IP address or network"):
        configure(monkeypatch, metrics_from='prometheus')
