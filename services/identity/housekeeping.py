"""Periodic clean-up in the server: spent rate-limit events, dead sessions (customers' and staff's), expired
registrations and tokens, and what is kept only for a while: the text of sent messages (PORTAL_KEEP_SENT_DAYS) and
audit events (PORTAL_KEEP_AUDIT_DAYS)."""

from __future__ import annotations

import logging
from datetime import timedelta

from models.cabinet import Session
from models.security import LinkToken, OneTimeCode
from services import clock, config
from services.identity import audit, ratelimit, registration, sessions
from services.messaging.outbox import retention
from services.periodic import Periodic
from services.staff import sessions as staff_sessions

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=10)
KEEP_SPENT = timedelta(days=2)


async def sweep() -> dict[str, int]:
    now = clock.now()
    removed = {
        'rate_events': await ratelimit.purge(KEEP_SPENT),
        'sessions': await Session.filter(last_seen_at__lt=now - sessions.IDLE).delete()
        + await Session.filter(created_at__lt=now - sessions.ABSOLUTE).delete(),
        'staff_sessions': await staff_sessions.purge(KEEP_SPENT),
        'registrations': await registration.drop_expired_registrations(),
        'tokens': await LinkToken.filter(expires_at__lt=now - KEEP_SPENT).delete(),
        'codes': await OneTimeCode.filter(expires_at__lt=now - KEEP_SPENT).delete(),
        **await _expire_kept(),
    }
    if any(removed.values()):
        log.info('housekeeping removed %s', removed)
    return removed


async def _expire_kept() -> dict[str, int]:
    """What the operator keeps for a number of days (0: for ever)."""
    sent, events = config.settings.keep_sent_days, config.settings.keep_audit_days
    return {
        'sent_texts': await retention.erase_sent_bodies(timedelta(days=sent)) if sent else 0,
        'audit_events': await audit.purge(timedelta(days=events)) if events else 0,
    }


class Housekeeper(Periodic):
    name = 'housekeeping'

    def __init__(self) -> None:
        super().__init__(EVERY.total_seconds())

    async def tick(self) -> dict[str, int]:
        return await sweep()
