"""What /readyz checks: the database answers, Redis answers when set, and the outbox's workers take what is due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.outbox import OutboxMessage
from pages.shell import probes
from services import clock, readiness
from services.db import close_database
from services.messaging import outbox
from tests.support.settings import configure

pytestmark = pytest.mark.usefixtures('db')

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


def verdicts(result: readiness.Readiness) -> dict[str, bool]:
    return {check.name: check.ok for check in result.checks}


async def test_ready_when_the_database_answers_and_nothing_is_due(fake_clock):
    result = await readiness.check_readiness()

    assert verdicts(result) == {'database': True, 'outbox': True}
    assert result.ready


async def test_a_message_due_longer_than_the_limit_means_the_workers_are_stuck(fake_clock):
    await outbox.send_email('ivanov@example.ru', 'Платёж получен', 'notice', NOTICE)
    fake_clock.advance(minutes=14)
    assert (await readiness.check_readiness()).ready  # a worker may be busy with a large dispatch

    fake_clock.advance(minutes=2)
    result = await readiness.check_readiness()

    assert verdicts(result) == {'database': True, 'outbox': False}
    assert 'due for 16 min' in next(check.detail for check in result.checks if not check.ok)


async def test_a_message_waiting_for_its_retry_is_not_stuck(fake_clock):
    # the mail server is down: the message is retried in an hour, which is no fault of this process
    message = await outbox.send_email('ivanov@example.ru', 'Платёж получен', 'notice', NOTICE)
    await OutboxMessage.filter(id=message.id).update(next_attempt_at=clock.now() + timedelta(hours=1), attempts=5)
    fake_clock.advance(minutes=50)

    assert (await readiness.check_readiness()).ready


async def test_the_outbox_check_can_be_turned_off(fake_clock, monkeypatch):
    configure(monkeypatch, ready_outbox_minutes=0)
    await outbox.send_email('ivanov@example.ru', 'Платёж получен', 'notice', NOTICE)
    fake_clock.advance(days=1)

    assert verdicts(await readiness.check_readiness()) == {'database': True}


async def test_redis_is_asked_when_set(monkeypatch):
    configure(monkeypatch, redis_url='redis://127.0.0.1:6379/0')
    assert verdicts(await readiness.check_readiness())['redis'] is True

    configure(monkeypatch, redis_url='redis://127.0.0.1:1/0')  # nothing listens there
    result = await readiness.check_readiness()
    assert verdicts(result) == {'database': True, 'redis': False, 'outbox': True}


async def test_a_closed_database_is_not_ready_and_the_probe_says_503(monkeypatch):
    monkeypatch.setattr(readiness, 'CACHE_SECONDS', 0)
    await close_database()

    answer = await probes.readyz()

    assert answer.status_code == 503
    assert answer.body == b'{"ready":false,"checks":{"database":"failed","outbox":"failed"}}'


async def test_a_flood_of_probes_is_answered_from_one_check(fake_clock, monkeypatch):
    monkeypatch.setattr(readiness, '_cached', readiness._Cached())
    first = await readiness.readiness()
    await outbox.send_email('ivanov@example.ru', 'Платёж получен', 'notice', NOTICE)
    fake_clock.advance(hours=1)

    assert await readiness.readiness() is first  # within CACHE_SECONDS: not asked again
    monkeypatch.setattr(readiness, 'CACHE_SECONDS', 0)
    assert not (await readiness.readiness()).ready
