"""The server's monthly run of the e-bill dispatch: from the bill day on, the previous month's bills go out by
themselves, once, however many portal processes tick and whenever the server comes back after a bill day it missed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.ebill import BillDelivery, BillRun
from services import clock
from services.billing import runs
from services.billing.scheduler import BillScheduler
from services.messaging import outbox
from tests.support.delivery import deliver
from tests.support.factories import EMAIL, NUMBER, PERIOD, make_cabinet, subscriber
from tests.support.settings import configure
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures('db')


def moscow(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A moment on the customers' clock (PORTAL_TIMEZONE's default)."""
    return datetime(year, month, day, hour, tzinfo=ZoneInfo('Europe/Moscow'))


async def bill_subjects(mailbox) -> list[str]:
    await deliver()
    return sorted(mail['Subject'] for mail in mailbox.to(EMAIL))


async def test_each_month_goes_once_from_its_bill_day(mailbox, fake_clock):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet, periods=('2026-10', '2026-11'))
    scheduler = BillScheduler()

    fake_clock.current = moscow(2026, 11, 1, hour=0)  # midnight on the customers' clock: 21:00 UTC the day before
    summary = await scheduler.tick()
    assert (summary.period, summary.queued) == ('2026-10', 1)
    assert await scheduler.tick() is None
    fake_clock.current = moscow(2026, 11, 30, hour=23)
    assert await scheduler.tick() is None
    fake_clock.current = moscow(2026, 12, 1, hour=0)  # the next month
    summary = await scheduler.tick()
    assert (summary.period, summary.queued) == ('2026-11', 1)
    fake_clock.advance(days=1)
    assert await scheduler.tick() is None
    assert await BillScheduler().tick() is None  # a restart: the database says the month is done

    assert await bill_subjects(mailbox) == [
        f'Квитанция за ноябрь 2026 по лицевому счёту {NUMBER}',
        f'Квитанция за октябрь 2026 по лицевому счёту {NUMBER}',
    ]
    assert await BillRun.all().order_by('period').values_list('period', 'queued') == [('2026-10', 1), ('2026-11', 1)]


async def test_two_processes_ticking_on_the_bill_day_dispatch_once(mailbox, fake_clock):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    first, second = BillScheduler(), BillScheduler()
    fake_clock.current = moscow(2026, 11, 1, hour=0)

    summaries = await asyncio.gather(first.tick(), second.tick())
    [summary] = [found for found in summaries if found is not None]
    assert (summary.period, summary.queued, summary.already) == (PERIOD, 1, 0)  # the other one did not read a bill
    for scheduler in (first, second):
        assert await scheduler.tick() is None
        assert scheduler.dispatched == PERIOD  # both know it is done: no claim tried for the rest of the month

    assert len(await bill_subjects(mailbox)) == 1
    assert await BillDelivery.all().count() == 1


async def test_a_server_down_on_the_bill_day_sends_the_bills_when_it_comes_back(mailbox, fake_clock):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    fake_clock.current = moscow(2026, 11, 4, hour=15)  # PORTAL_BILL_DAY=1 passed three days ago

    summary = await BillScheduler().tick()
    assert (summary.period, summary.queued) == (PERIOD, 1)
    assert await BillScheduler().tick() is None  # and once only, after another restart

    assert await bill_subjects(mailbox) == [f'Квитанция за октябрь 2026 по лицевому счёту {NUMBER}']


async def test_nothing_goes_before_the_bill_day(monkeypatch, fake_clock):
    configure(monkeypatch, bill_day=5)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    fake_clock.current = moscow(2026, 11, 4, hour=23)

    assert await BillScheduler().tick() is None
    assert await BillRun.all().count() == 0
    assert await BillDelivery.all().count() == 0


async def test_a_bill_day_past_the_end_of_the_month_is_its_last_day(monkeypatch, fake_clock):
    configure(monkeypatch, bill_day=31)
    scheduler = BillScheduler()

    fake_clock.current = moscow(2026, 11, 29)
    assert await scheduler.tick() is None
    fake_clock.current = moscow(2026, 11, 30)
    assert (await scheduler.tick()).period == '2026-10'


async def test_a_run_whose_process_died_is_taken_over_when_its_claim_lapses(mailbox, fake_clock):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    fake_clock.current = moscow(2026, 11, 1, hour=9)
    assert await runs.claim(PERIOD, 'killed-process')  # claimed, then the process died before queuing anything

    scheduler = BillScheduler()
    assert await scheduler.tick() is None  # its claim still holds: it might be working
    fake_clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    summary = await scheduler.tick()
    assert (summary.period, summary.queued) == (PERIOD, 1)

    assert len(await bill_subjects(mailbox)) == 1
    assert await BillRun.filter(period=PERIOD).values_list('owner', flat=True) == [scheduler.owner]


async def test_a_run_that_renews_its_claim_is_not_taken_over(fake_clock):
    fake_clock.current = moscow(2026, 11, 1, hour=9)
    assert await runs.claim(PERIOD, 'busy-process')
    fake_clock.advance(seconds=runs.LEASE.total_seconds() - 1)
    async with runs.renewing(PERIOD, 'busy-process', every=0.01):
        for _ in range(500):  # the renewal runs on its own task
            if await BillRun.filter(claimed_until__gt=clock.now().astimezone(UTC) + runs.LEASE / 2).exists():
                break
            await asyncio.sleep(0.01)
    fake_clock.advance(seconds=runs.LEASE.total_seconds() / 2)  # past the first claim's end, within the renewed one

    assert not await runs.claim(PERIOD, 'another-process')


async def test_the_running_server_sends_the_bills_by_itself(mailbox, fake_clock):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    fake_clock.current = moscow(2026, 11, 1, hour=9)
    scheduler, worker = BillScheduler(every=0.02), outbox.OutboxWorker()
    scheduler.start()
    worker.start()
    try:
        await eventually(lambda: mailbox.to(EMAIL), what='the bill sent by the server on the bill day')
    finally:
        await scheduler.stop()
        await worker.stop()

    assert scheduler.dispatched == PERIOD
    assert await BillRun.filter(period=PERIOD, finished_at__not_isnull=True).count() == 1
