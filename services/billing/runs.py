"""Which process runs the monthly dispatch of a period, and that it is done (scheduler.py): with several portal
processes each one's scheduler ticks, and one of them dispatches.

A BillRun row per period is the claim: the first process to insert it runs the dispatch and renews its claim while it
runs; the others see the claim and wait. A finished run is recorded, so a restart, another process or a late start
never run the period again. A claim that is not renewed lapses after LEASE (its process was killed or hangs) and the
next tick anywhere takes it over: the dispatch queues only the bills not queued yet (dispatch.py), so the rest. An admin
may start a finished period again from the console (`reopen`), for bills imported after it ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from models.ebill import BillRun
from services import clock
from services.billing.dispatch import DispatchSummary, dispatch
from services.progress import SILENT, Progress

log = logging.getLogger(__name__)

#: how long a claim holds without renewal; a running dispatch renews it every third of it
LEASE = timedelta(minutes=5)


def _now() -> datetime:
    # in UTC, as stored: SQLite compares the text, and another offset would compare wrong
    return clock.now().astimezone(UTC)


async def claim(period: str, owner: str) -> bool:
    """True when `owner` may dispatch `period` now: nobody had claimed it, or a claim lapsed before finishing."""
    now = _now()
    try:
        await BillRun.create(period=period, owner=owner, claimed_until=now + LEASE, started_at=now)
        return True
    except IntegrityError:
        pass
    # one UPDATE decides between processes taking over the same lapsed claim: the row lock makes the second one see
    # the first one's new lease and change nothing
    taken = await BillRun.filter(period=period, finished_at=None, claimed_until__lt=now).update(
        owner=owner, claimed_until=now + LEASE, started_at=now
    )
    if taken:
        log.warning('bill dispatch %s: taking over a run that stopped before finishing', period)
    return bool(taken)


async def reopen(period: str, owner: str) -> bool:
    """True when `owner` may dispatch a finished `period` again (bills imported after its run): one UPDATE decides
    between two clicks, as in `claim`."""
    now = _now()
    taken = await BillRun.filter(period=period, finished_at__not_isnull=True).update(
        owner=owner, claimed_until=now + LEASE, started_at=now, finished_at=None, queued=None
    )
    return bool(taken)


async def run(period: str, owner: str, progress: Progress = SILENT) -> DispatchSummary:
    """Dispatch `period` under `owner`'s claim (taken already): renewed while it runs, handed back at once when the
    dispatch fails or is stopped (the next tick anywhere takes it over), recorded when done."""
    try:
        async with renewing(period, owner):
            summary = await dispatch(period, progress=progress)
    except BaseException:
        await asyncio.shield(release(period, owner))
        raise
    await finish(period, owner, summary.queued)
    return summary


async def is_done(period: str) -> bool:
    return await BillRun.filter(period=period, finished_at__not_isnull=True).exists()


async def finish(period: str, owner: str, queued: int) -> None:
    await BillRun.filter(period=period, owner=owner).update(finished_at=_now(), queued=queued)


async def release(period: str, owner: str) -> None:
    """Hand an unfinished claim back at once (a stop or an error): the next tick anywhere takes it over."""
    await BillRun.filter(period=period, owner=owner, finished_at=None).update(claimed_until=_now())


async def renew(period: str, owner: str) -> bool:
    return bool(await BillRun.filter(period=period, owner=owner, finished_at=None).update(claimed_until=_now() + LEASE))


@asynccontextmanager
async def renewing(period: str, owner: str, every: float = LEASE.total_seconds() / 3) -> AsyncIterator[None]:
    """Keep the claim while the block runs (a dispatch of many bills outlasts one lease)."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                if not await renew(period, owner):
                    log.warning('bill dispatch %s: the claim lapsed and another process took it over', period)
                    return
            except Exception:
                log.exception('bill dispatch %s: renewing the claim failed', period)

    task = asyncio.create_task(keep(), name=f'bill-run-{period}')
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
