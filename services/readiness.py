"""What /readyz answers: the database answers, Redis answers (when set), and the outbox's workers take what is due.
A result serves the probes of the next CACHE_SECONDS, so a flood of probes costs the database one query a second."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise import connections

from models.outbox import OutboxMessage, OutboxState
from services import clock, config

log = logging.getLogger(__name__)

#: how long one readiness result answers the probes that follow
CACHE_SECONDS = 1.5
#: how long a check may take before it counts as failed (a probe must answer before the balancer's own timeout)
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    #: why it failed (empty when it passed): logged, not answered
    detail: str = ''


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)


async def check_database() -> Check:
    await connections.get('default').execute_query('SELECT 1')
    return Check('database', True)


async def check_redis() -> Check:
    import redis.asyncio as redis  # the `redis` extra, installed where PORTAL_REDIS_URL is set

    client = redis.from_url(config.settings.redis_url, socket_timeout=TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return Check('redis', True)


async def check_outbox() -> Check:
    """Failed when a message has been due for PORTAL_READY_OUTBOX_MINUTES and no worker took it: the workers are
    stopped or stuck. A message waiting for its retry (a mail server that is down) is not due and counts not."""
    limit = timedelta(minutes=config.settings.ready_outbox_minutes)
    now = clock.now()
    # the (state, next_attempt_at) index answers this with one row
    oldest_due = (
        await OutboxMessage.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        .order_by('next_attempt_at')
        .limit(1)
        .values_list('next_attempt_at', flat=True)
    )
    if oldest_due and now - oldest_due[0] > limit:
        waited = int((now - oldest_due[0]).total_seconds() // 60)
        return Check('outbox', False, f'a message has been due for {waited} min and no worker took it')
    return Check('outbox', True)


async def _run(name: str, check: Coroutine[Any, Any, Check]) -> Check:
    try:
        result = await asyncio.wait_for(check, TIMEOUT_SECONDS)
    except TimeoutError:
        result = Check(name, False, f'no answer within {TIMEOUT_SECONDS:g} s')
    except Exception as error:
        result = Check(name, False, f'{type(error).__name__}: {error}')
    if not result.ok:
        # the probe's body says only which check failed (anyone may read it); the reason is for the operator's log
        log.warning('not ready: %s: %s', name, result.detail)
    return result


async def check_readiness() -> Readiness:
    """Every check, now (uncached)."""
    checks = [_run('database', check_database())]
    if config.settings.redis_url:
        checks.append(_run('redis', check_redis()))
    if config.settings.ready_outbox_minutes:
        checks.append(_run('outbox', check_outbox()))
    return Readiness(tuple(await asyncio.gather(*checks)))


class _Cached:
    """One check at a time; the probes that arrive meanwhile or within CACHE_SECONDS get its result."""

    def __init__(self) -> None:
        self._result: Readiness | None = None
        self._at = float('-inf')
        self._lock = asyncio.Lock()

    async def get(self) -> Readiness:
        async with self._lock:
            if self._result is None or time.monotonic() - self._at >= CACHE_SECONDS:
                self._result = await check_readiness()
                self._at = time.monotonic()
            return self._result


_cached = _Cached()


async def readiness() -> Readiness:
    """The readiness of at most CACHE_SECONDS ago."""
    return await _cached.get()
