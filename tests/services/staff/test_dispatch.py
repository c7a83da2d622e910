"""The month's e-bill dispatch in the console: staff read where a period stands as `bills-status` tells it; an admin
starts it, the bills really reach the SMTP server, and progress can be polled; two clicks, or a click while the
scheduler runs, give one run; a finished month starts again only for bills imported after it."""

from __future__ import annotations

import asyncio
import time

import pytest

from models.ebill import BillDelivery, BillRun
from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services import clock
from services.billing import runs
from services.billing.scheduler import BillScheduler
from services.errors import InvalidInput, NotAllowed
from services.staff.dispatch import DispatchProgress, dispatch_progress, dispatch_status, start_dispatch
from services.staff.roles import StaffForbidden
from tests.support.delivery import deliver
from tests.support.factories import EMAIL, PERIOD, make_cabinet, subscriber
from tests.support.servers import REJECTED

pytestmark = pytest.mark.usefixtures('db')


async def member(role: StaffRole) -> Staff:
    # the staff factory of the staff-accounts part replaces this
    return await Staff.create(login=role.value, role=role, created_at=clock.now())


async def finished(staff: Staff, period: str = PERIOD, within: float = 15.0) -> DispatchProgress:
    """The period's progress once its run has queued everything, as a page polling it sees it."""
    deadline = time.monotonic() + within
    while (progress := await dispatch_progress(staff, period)).run is None or progress.run.state != 'finished':
        assert time.monotonic() < deadline, f'the dispatch of {period} did not finish'
        await asyncio.sleep(0.02)
    return progress


async def test_an_admin_starts_the_dispatch_and_the_bills_arrive(mailbox):
    admin = await member(StaffRole.ADMIN)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'dacha@example.ru')

    before = await dispatch_status(admin, PERIOD)
    assert (before.progress.run, before.progress.deliveries.total, before.plan.queued) == (None, 0, 2)

    started = await start_dispatch(admin, PERIOD)
    assert started.run.state in ('running', 'finished')
    queued = await finished(admin)
    assert (queued.run.queued, queued.deliveries.total, queued.deliveries.open, queued.queueing) == (2, 2, 2, None)
    await deliver()

    assert len(mailbox.to(EMAIL)) == len(mailbox.to('dacha@example.ru')) == 1
    done = await dispatch_progress(admin, PERIOD)
    assert (done.deliveries.sent, done.deliveries.failed, done.deliveries.open) == (2, 0, 0)
    [event] = await AuditEvent.filter(event='staff_dispatch_start')
    assert (event.staff_id, event.detail) == (admin.id, {'period': PERIOD})


async def test_bills_status_in_the_browser_names_failures_and_what_is_left(mailbox):
    viewer, admin = await member(StaffRole.VIEWER), await member(StaffRole.ADMIN)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'nobody@example.ru')
    await subscriber(cabinet, '461000000003', 'off@example.ru', enabled=False)
    mailbox.rejections['nobody@example.ru'] = REJECTED
    await start_dispatch(admin, PERIOD)
    await finished(admin)
    await deliver()

    status = await dispatch_status(viewer, PERIOD)
    deliveries = status.progress.deliveries
    assert (deliveries.total, deliveries.sent, deliveries.failed) == (2, 1, 1)
    assert (status.plan.queued, status.plan.already, status.plan.disabled) == (0, 2, 1)
    [(number, email, reason)] = status.failures
    assert (number, email) == ('461000000002', 'n***@example.ru')
    assert '550 5.1.1' in reason


async def test_only_an_admin_starts_it(mailbox):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    for role in (StaffRole.VIEWER, StaffRole.OPERATOR):
        staff = await member(role)
        with pytest.raises(StaffForbidden):
            await start_dispatch(staff, PERIOD)
        assert (await dispatch_progress(staff, PERIOD)).run is None  # reading is theirs
    assert await BillRun.all().count() == 0
    assert await BillDelivery.all().count() == 0


async def test_two_clicks_at_once_give_one_run(mailbox):
    admin = await member(StaffRole.ADMIN)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)

    outcomes = await asyncio.gather(
        start_dispatch(admin, PERIOD), start_dispatch(admin, PERIOD), return_exceptions=True
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(refused) == 1
    # «уже идёт», or «уже проведена» should the first run have finished before the second click was looked at
    assert isinstance(refused[0], NotAllowed)
    assert 'уже' in refused[0].message
    await finished(admin)
    await deliver()

    assert len(mailbox.to(EMAIL)) == 1
    assert await BillRun.all().values_list('period', 'queued') == [(PERIOD, 1)]
    assert await AuditEvent.filter(event='staff_dispatch_start').count() == 1


async def test_a_run_of_the_scheduler_is_not_started_twice(mailbox, fake_clock):
    admin = await member(StaffRole.ADMIN)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    assert await runs.claim(PERIOD, 'scheduler')  # another process's monthly run is at it

    with pytest.raises(NotAllowed, match='уже идёт'):
        await start_dispatch(admin, PERIOD)
    progress = await dispatch_progress(admin, PERIOD)
    assert (progress.run.state, progress.deliveries.total) == ('running', 0)

    fake_clock.advance(minutes=6)  # its process died: the claim lapsed
    assert (await dispatch_progress(admin, PERIOD)).run.state == 'stopped'
    await start_dispatch(admin, PERIOD)  # taken over, as the scheduler's next tick would
    await finished(admin)
    assert await BillScheduler().tick() is None  # the month is done for the scheduler too
    await deliver()
    assert len(mailbox.to(EMAIL)) == 1


async def test_a_finished_month_starts_again_only_for_bills_imported_since(mailbox):
    admin = await member(StaffRole.ADMIN)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await start_dispatch(admin, PERIOD)
    await finished(admin)

    with pytest.raises(NotAllowed, match='новых квитанций для отправки нет'):
        await start_dispatch(admin, PERIOD)

    await subscriber(cabinet, '461000000002', 'dacha@example.ru')  # its bill came with a later import
    await start_dispatch(admin, PERIOD)
    again = await finished(admin)
    assert (again.run.queued, again.deliveries.total) == (1, 2)
    await deliver()
    assert len(mailbox.to(EMAIL)) == len(mailbox.to('dacha@example.ru')) == 1


@pytest.mark.parametrize('period', ['2026-13', '10.2026', '', None, 202610, ['2026-10'], 'x' * 1024 * 1024])
async def test_a_period_that_is_no_month_is_refused_at_its_field(period):
    admin = await member(StaffRole.ADMIN)
    for action in (start_dispatch, dispatch_status, dispatch_progress):
        with pytest.raises(InvalidInput) as refused:
            await action(admin, period)
        assert list(refused.value.errors) == ['period']
    assert await BillRun.all().count() == 0


async def test_the_status_of_a_month_without_bills_is_empty():
    viewer = await member(StaffRole.VIEWER)
    status = await dispatch_status(viewer, ' 2026-09 ')
    assert (status.progress.period, status.progress.run, status.progress.deliveries.total) == ('2026-09', None, 0)
    assert (status.plan.queued, status.failures) == (0, [])
