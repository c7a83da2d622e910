"""The loop every background job of the server runs in (services/periodic.py)."""

from __future__ import annotations

import asyncio
import logging

from services.periodic import Periodic
from tests.support.waiting import eventually


class Flaky(Periodic):
    name = 'flaky-job'

    def __init__(self) -> None:
        super().__init__(every=0.01)
        self.ticks = 0

    async def tick(self) -> int:
        self.ticks += 1
        if self.ticks == 2:
            raise RuntimeError('the database went away')
        return self.ticks


async def test_a_failed_tick_is_logged_and_the_job_goes_on_until_stopped(caplog):
    caplog.set_level(logging.ERROR)
    job = Flaky()
    job.start()
    await eventually(lambda: job.ticks >= 4, what='ticks after the failed one')
    await job.stop()
    stopped_at = job.ticks
    await asyncio.sleep(0.05)  # a stopped job ticks no more: nothing to wait for but time
    assert job.ticks == stopped_at
    assert [record.getMessage() for record in caplog.records] == ['flaky-job failed; trying again in 0.01 s']
    assert caplog.records[0].exc_info[1].args == ('the database went away',)
    await job.stop()  # stopping twice is harmless
