"""The console's outbox dashboard: what `outbox status` shows (counts by channel and state, the oldest message waiting,
the latest failures with their reasons; recipients masked, never a text), and a failed message sent again, one or
all, by an operator or an admin (audited)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from models.outbox import OutboxMessage, OutboxState
from models.staff import Staff, StaffRole
from services import clock
from services.errors import NotAllowed
from services.identity import audit
from services.messaging.outbox.requeue import requeue_failed, resendable
from services.messaging.outbox.status import OutboxStatus, read_status
from services.staff import roles
from services.staff.inputs import BIGINT_MAX, whole_number
from services.texts import t

log = logging.getLogger('portal.staff')

#: the failures the dashboard lists, newest first
FAILURES_SHOWN = 20


@dataclass(frozen=True)
class OutboxDashboard:
    #: counts per (channel, state), the oldest message waiting, the latest FAILURES_SHOWN failures
    status: OutboxStatus
    #: how long the oldest message waiting has waited (None: none waits)
    oldest_waiting: timedelta | None
    #: messages failed for good, and how many of them can be sent again (the others held a code or a link)
    failed: int
    resendable: int


@dataclass(frozen=True)
class RetryAll:
    #: failed messages queued again
    retried: int
    #: messages still failed: those whose code or link was erased when they failed (or one that failed meanwhile)
    left: int


async def outbox_dashboard(staff: Staff) -> OutboxDashboard:
    roles.require(staff, StaffRole.VIEWER, 'read the outbox')
    status = await read_status(FAILURES_SHOWN)
    oldest = status.oldest_pending
    failed = OutboxMessage.filter(state=OutboxState.FAILED)
    return OutboxDashboard(
        status=status,
        oldest_waiting=clock.now() - oldest.created_at if oldest is not None else None,
        failed=await failed.count(),
        resendable=await failed.filter(resendable()).count(),
    )


async def retry_message(staff: Staff, message_id: object) -> None:
    """Send the failed message `message_id` again (its attempts start anew). Refused when it is no longer failed
    (another click or operator was first) or held a code or a link."""
    roles.require(staff, StaffRole.OPERATOR, 'retry a failed message')
    message_id = whole_number('message', message_id, BIGINT_MAX)
    if not await requeue_failed(message_id):
        failed = await OutboxMessage.filter(id=message_id, state=OutboxState.FAILED).exists()
        raise NotAllowed(t('staff.outbox.not_resendable') if failed else t('staff.outbox.not_failed'))
    await audit.record('staff_outbox_retry', staff_id=staff.id, message=message_id)
    log.info('staff %s queued the failed message #%s again', staff.login, message_id)


async def retry_all_failed(staff: Staff) -> RetryAll:
    """Send every failed message that can go again; two clicks at once queue each message once."""
    roles.require(staff, StaffRole.OPERATOR, 'retry all failed messages')
    retried = await requeue_failed()
    left = await OutboxMessage.filter(state=OutboxState.FAILED).count()
    await audit.record('staff_outbox_retry_all', staff_id=staff.id, retried=retried, left=left)
    log.info('staff %s queued %d failed messages again; %d cannot go again', staff.login, retried, left)
    return RetryAll(retried, left)
