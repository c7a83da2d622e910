"""The server's daily run of the reading reminders (reminders.py): a tick a minute, the day's reminders queued once
the customers' clock reaches REMIND_HOUR."""

from __future__ import annotations

from datetime import date

from services import clock
from services.periodic import Periodic
from services.readings.reminders import send_reminders

#: reminders go out from this hour of the customers' day (PORTAL_TIMEZONE): an SMS at midnight would wake people
REMIND_HOUR = 10


class ReminderScheduler(Periodic):
    """From REMIND_HOUR each day, the day's reminders are queued, once per process; what another process or an
    earlier run of this one queued is never queued again (reminders.py keeps the record), so a restart is safe, and so
    is a stop: a batch cut off rolls back whole and the next start that day queues the rest."""

    name = 'reading-reminders'

    def __init__(self, every: float = 60.0) -> None:
        super().__init__(every)
        #: the day this process has sent the reminders of
        self.done: date | None = None

    async def tick(self) -> int | None:
        """Queue today's reminders if it is time and this process has not yet; how many were queued."""
        local = clock.local(clock.now())
        if local.hour < REMIND_HOUR or local.date() == self.done:
            return None
        queued = await send_reminders(local.date())
        self.done = local.date()
        return queued
