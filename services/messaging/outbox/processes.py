"""Where emails are built off the event loop: in a thread, or in worker processes while `build_in_processes()` runs
(a bulk send such as the monthly bills is CPU-bound otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from services.messaging.mime import Envelope, Letter, build_emails

#: how much lower than the sending process the workers run (of 19)
WORKER_NICENESS = 10
_processes: ProcessPoolExecutor | None = None


@contextlib.contextmanager
def build_in_processes(workers: int | None = None) -> Iterator[None]:
    """Build emails in `workers` processes (default: one per CPU) while the block runs, e.g. for the monthly bills:
    this process then only reads and writes the database and talks SMTP."""
    global _processes
    # spawned, not forked: a fork of a process with threads (aiosqlite, the event loop's executor) can deadlock
    pool = ProcessPoolExecutor(
        workers or os.cpu_count() or 1, mp_context=multiprocessing.get_context('spawn'), initializer=_start_worker
    )
    _processes = pool
    try:
        yield
    finally:
        _processes = None
        pool.shutdown(wait=False, cancel_futures=True)


def build_off_loop(letters: list[Letter]) -> asyncio.Future[list[Envelope | Exception]]:
    """One job: the letters built in a worker process inside `build_in_processes`, else in a thread."""
    return asyncio.get_running_loop().run_in_executor(_processes, build_emails, letters)


def _start_worker() -> None:
    """In a worker process: give way to the process that sends, and exit when it is gone (killed with SIGKILL, say)
    instead of waiting forever for work that never comes."""
    # every message passes through the sending process, one after the other; the workers build ahead of it, so they
    # take the CPU it leaves
    os.nice(WORKER_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()
