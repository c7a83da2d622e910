"""The server's monthly run of the e-bill dispatch: from the bill day on it queues the previous month's bills by
itself, once across every portal process (runs.py), and catches up a bill day the server was down for."""

from __future__ import annotations

import calendar
import logging
import secrets
from datetime import date

from services import clock, config
from services.billing import runs
from services.billing.dispatch import DispatchSummary
from services.billing.periods import previous_period
from services.periodic import Periodic

log = logging.getLogger(__name__)


def bill_day(today: date) -> int:
    """PORTAL_BILL_DAY in `today`'s month: day 31 in a 30-day month (or February) is the month's last day."""
    return min(config.settings.bill_day, calendar.monthrange(today.year, today.month)[1])


class BillScheduler(Periodic):
    """On PORTAL_BILL_DAY of each month (the customers' date), or on the first tick after it when the server was down
    that day, the previous month's bills are queued. The period is claimed in the database first: one process of
    several dispatches it, and once it is recorded done no process, restart or late start dispatches it again. The
    outbox workers deliver the bills. A dispatch cut off by a stop rolls its batch back and hands its claim back; the
    next tick anywhere queues the rest."""

    name = 'bill-scheduler'

    def __init__(self, every: float = 60.0) -> None:
        super().__init__(every)
        #: who this scheduler is in the claims (runs.py)
        self.owner = secrets.token_hex(8)
        #: the latest period this process knows is done: no query every tick for the rest of the month
        self.dispatched: str | None = None

    async def tick(self) -> DispatchSummary | None:
        """Dispatch the previous month if the bill day has come this month and no process has done it yet."""
        today = clock.today()
        if today.day < bill_day(today):
            return None
        period = previous_period(today)
        if period == self.dispatched:
            return None
        if not await runs.claim(period, self.owner):
            # done, or another process is at it (its claim lapses if it dies: a later tick takes over)
            if await runs.is_done(period):
                self.dispatched = period
            return None
        log.info('bill day %s: dispatching the bills of %s', today.isoformat(), period)
        summary = await runs.run(period, self.owner)
        self.dispatched = period
        return summary
