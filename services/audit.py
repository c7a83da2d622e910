"""The audit log: one row per security event, and a log line an operator can grep."""

from __future__ import annotations

import logging
from typing import Any

from models.security import AuditEvent
from services import clock

log = logging.getLogger('portal.audit')


async def record(
    event: str, *, cabinet_id: int | None = None, login: str | None = None, ip: str | None = None, **detail: Any
) -> None:
    await AuditEvent.create(at=clock.now(), event=event, cabinet_id=cabinet_id, login=login, ip=ip, detail=detail)
    log.info('%s cabinet=%s login=%s ip=%s %s', event, cabinet_id, login, ip, detail or '')
