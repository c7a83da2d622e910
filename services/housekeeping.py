"""Periodic clean-up in the server: spent rate-limit events, dead sessions, expired registrations and tokens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from models.cabinet import Cabinet, CabinetState, Session
from models.security import LinkToken, OneTimeCode
from services import clock, ratelimit, sessions

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=10)
KEEP_SPENT = timedelta(days=2)


async def sweep() -> dict[str, int]:
    now = clock.now()
    removed = {
        'rate_events': await ratelimit.purge(KEEP_SPENT),
        'sessions': await Session.filter(last_seen_at__lt=now - sessions.IDLE).delete()
        + await Session.filter(created_at__lt=now - sessions.ABSOLUTE).delete(),
        'registrations': await Cabinet.filter(state=CabinetState.PENDING, pending_until__lte=now).delete(),
        'tokens': await LinkToken.filter(expires_at__lt=now - KEEP_SPENT).delete(),
        'codes': await OneTimeCode.filter(expires_at__lt=now - KEEP_SPENT).delete(),
    }
    if any(removed.values()):
        log.info('housekeeping removed %s', removed)
    return removed


class Housekeeper:
    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name='housekeeping')

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await sweep()
            except Exception:
                log.exception('housekeeping failed; will try again in %s', EVERY)
            await asyncio.sleep(EVERY.total_seconds())
