"""The outbox worker: delivery passes in the background of a process (the server's, or `outbox work`), woken when
a message is queued in the same process and polling for the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services import config
from services.messaging.outbox.delivery import deliver_pass

log = logging.getLogger(__name__)

#: how long `OutboxWorker.stop()` lets the message in hand finish before cancelling
STOP_GRACE_SECONDS = 5.0

_workers: set[OutboxWorker] = set()


def running() -> bool:
    """Whether a worker runs in this process (queueing wakes it)."""
    return bool(_workers)


def wake_workers() -> None:
    for worker in _workers:
        worker.wake()


class OutboxWorker:
    """Delivers in the background of this process: at once when a message is queued here, else every
    `outbox_poll_seconds` (messages queued by other processes, retries that came due)."""

    def __init__(self, batch: int = 50) -> None:
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name='outbox-worker')
        _workers.add(self)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Let the message in hand finish (a few seconds at most), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        _, pending = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if pending:
            # a message cut off here stays SENDING until its lease expires, then it is delivered again
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        log.info('outbox worker started')
        try:
            await self._loop()
        finally:
            # also when the task is cancelled with its event loop: nobody may wake an event of a closed loop
            _workers.discard(self)
        log.info('outbox worker stopped')

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            handled = 0
            try:
                handled = await deliver_pass(self.batch, stopping=lambda: self._stopping)
            except Exception:
                log.exception('outbox: delivery pass failed; trying again in %s s', config.settings.outbox_poll_seconds)
            if handled >= self.batch:
                continue  # a backlog: the next batch at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), config.settings.outbox_poll_seconds)
