"""The month's e-bill dispatch in the console: where a period stands, as `bills-status` prints it, and its start by an
admin, with progress a page can poll.

A start claims the period the way the server's monthly run does (services/billing/runs.py): one BillRun row per
period, so two clicks at once, a click while the scheduler (or another process) runs it, or a second start all get
one run. A finished period starts again only when bills are left to queue (imported after it ran); a run queues
nothing twice either way (services/billing/dispatch.py). The run queues in the background of this process; the outbox
workers deliver."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from models.ebill import BillRun
from models.staff import Staff, StaffRole
from services import clock, limits
from services.billing import delivery, runs
from services.billing.delivery import DeliveryStatus
from services.billing.dispatch import DispatchSummary, dispatch
from services.billing.periods import is_period
from services.errors import InvalidInput, NotAllowed
from services.identity import audit
from services.staff import roles
from services.texts import period_in_sentence, t

log = logging.getLogger('portal.staff')

#: the failed bills the status lists (the counts have them all)
FAILURES_SHOWN = 100

RunState = Literal['running', 'finished', 'stopped']


@dataclass(frozen=True)
class DispatchRun:
    """The period's run (BillRun): the server's monthly one or an admin's."""

    started_at: datetime
    finished_at: datetime | None
    #: bills the finished run queued
    queued: int | None
    #: stopped: its process ended mid-run; the scheduler's next tick anywhere (or a start) takes it over
    state: RunState


@dataclass(frozen=True)
class DispatchProgress:
    """What a page polls while a period goes out, read from the database (any process's run shows)."""

    period: str
    #: None: no run of the period yet
    run: DispatchRun | None
    #: the period's queued bills by the state of their email: total, sent, failed, open (waiting or sending)
    deliveries: DeliveryStatus
    #: while this process queues the period: (subscriptions looked at, of how many); None otherwise
    queueing: tuple[int, int] | None


@dataclass(frozen=True)
class DispatchOverview:
    """`bills-status` in the browser."""

    progress: DispatchProgress
    #: what a run would do now: `plan.queued` bills not queued yet, the skipped subscriptions by reason
    plan: DispatchSummary
    #: (account number, masked address, reason) of the first FAILURES_SHOWN bills that failed for good
    failures: list[tuple[str, str, str]]


class _Counting:
    """The progress of a run this process queues (services/progress.Progress), for `DispatchProgress.queueing`."""

    def __init__(self) -> None:
        self.total = 0
        self.completed = 0

    def step(self, description: str, total: int | None) -> None:
        self.total, self.completed = total or 0, 0

    def show(self, completed: int) -> None:
        self.completed = completed

    def advance(self, steps: int) -> None:
        self.completed += steps


#: the runs this process queues, by period, and their tasks (kept referenced until done)
_queueing: dict[str, _Counting] = {}
_tasks: set[asyncio.Task[None]] = set()


async def dispatch_status(staff: Staff, period: object) -> DispatchOverview:
    """Where `period` (YYYY-MM) stands: its run, its bills by state, what a run would still queue, the failures."""
    roles.require(staff, StaffRole.VIEWER, 'read the e-bill dispatch')
    period = _period(period)
    return DispatchOverview(
        progress=await _progress(period),
        plan=await dispatch(period, dry_run=True),
        failures=await delivery.delivery_failures(period, FAILURES_SHOWN),
    )


async def dispatch_progress(staff: Staff, period: object) -> DispatchProgress:
    """The run of `period` and its bills by state: two small queries, for a page polling every second or two."""
    roles.require(staff, StaffRole.VIEWER, 'read the e-bill dispatch')
    return await _progress(_period(period))


async def start_dispatch(staff: Staff, period: object) -> DispatchProgress:
    """Start the dispatch of `period` (admins): claims it, then queues in the background and returns at once.
    Refused while a run of the period goes on (here, in another process, the scheduler's), and for a finished period
    with nothing left to queue."""
    roles.require(staff, StaffRole.ADMIN, 'start the e-bill dispatch')
    period = _period(period)
    # who runs it, in the claim (32 characters): the staff member, and this click
    owner = f'staff-{staff.id}-{secrets.token_hex(6)}'[:32]
    if not await runs.claim(period, owner):
        if not await runs.is_done(period):
            raise NotAllowed(t('staff.dispatch.running', period=period_in_sentence(period)))
        if not (await dispatch(period, dry_run=True)).queued:
            raise NotAllowed(t('staff.dispatch.nothing_left', period=period_in_sentence(period)))
        if not await runs.reopen(period, owner):  # another click reopened it first
            raise NotAllowed(t('staff.dispatch.running', period=period_in_sentence(period)))
    counting = _queueing[period] = _Counting()
    task = asyncio.create_task(_run(period, owner, counting), name=f'bill-run-{period}-console')
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    await audit.record('staff_dispatch_start', staff_id=staff.id, period=period)
    log.info('staff %s started the e-bill dispatch of %s', staff.login, period)
    return await _progress(period)


async def _run(period: str, owner: str, counting: _Counting) -> None:
    try:
        summary = await runs.run(period, owner, progress=counting)
    except Exception:
        log.exception('bill dispatch %s (started in the console) failed; its claim is handed back', period)
    else:
        log.info('bill dispatch %s (started in the console): queued %d', period, summary.queued)
    finally:
        if _queueing.get(period) is counting:
            del _queueing[period]


async def _progress(period: str) -> DispatchProgress:
    run = await BillRun.get_or_none(period=period)
    counting = _queueing.get(period)
    return DispatchProgress(
        period=period,
        run=_run_state(run) if run is not None else None,
        deliveries=await delivery.delivery_status(period),
        queueing=(counting.completed, counting.total) if counting is not None else None,
    )


def _run_state(run: BillRun) -> DispatchRun:
    if run.finished_at is not None:
        state: RunState = 'finished'
    else:
        state = 'running' if run.claimed_until > clock.now() else 'stopped'
    return DispatchRun(run.started_at, run.finished_at, run.queued, state)


def _period(period: object) -> str:
    limits.check_text(period=(period, 16))
    if not isinstance(period, str) or not is_period(period.strip()):
        raise InvalidInput({'period': t('dispatch.bad_period', period=period or '')})
    return period.strip()
