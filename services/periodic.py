"""A job the server runs every so often inside its lifespan (main.py): the monthly bills, the reading reminders, the
housekeeping. One loop for all: a failed tick is logged and tried again at the next one, and stopping cancels the
tick under way (each job's tick is written so that a cancelled one rolls back whole and the next start redoes it)."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar


class Periodic:
    #: the task's name, and the job's name in the log
    name: ClassVar[str]

    def __init__(self, every: float) -> None:
        #: seconds from the end of one tick to the start of the next
        self.every = every
        self._task: asyncio.Task[None] | None = None
        self._log = logging.getLogger(type(self).__module__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def tick(self) -> object:
        """One round of the job; what it did, for tests and the log."""
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                self._log.exception('%s failed; trying again in %s s', self.name, self.every)
            await asyncio.sleep(self.every)
