"""The audit log: one row per security event, and a log line an operator can grep.

Both keep at most `limits.SHOWN` characters of each value (the login and the IP: what their columns hold), whoever
calls: a customer's 1 MB value must not become 1 MB in the table and the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from models.security import AuditEvent
from services import clock, limits

if TYPE_CHECKING:
    from models.cabinet import Cabinet

log = logging.getLogger('portal.audit')
#: the audit_event columns' sizes
_LOGIN_COLUMN = 64
_IP_COLUMN = 45
#: the items of a list value kept
_ITEMS = 10
#: rows one DELETE of `purge` removes: a first purge of years of events must not hold the write lock for long
PURGE_BATCH = 1000


def _bounded(value: Any) -> Any:
    """`value` with every text in it shortened, at most `_ITEMS` items of a list and keys of a dict."""
    if isinstance(value, str):
        return limits.shorten(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_bounded(item) for item in list(value)[:_ITEMS]]
    if isinstance(value, dict):
        return {limits.shorten(str(key)): _bounded(item) for key, item in list(value.items())[:_ITEMS]}
    return value


async def record(
    event: str,
    *,
    cabinet_id: int | None = None,
    login: str | None = None,
    ip: str | None = None,
    staff_id: int | None = None,
    **detail: Any,
) -> None:
    """`staff_id`: the staff member who acted for the customer (the console); None: the customer or the system."""
    login = limits.shorten(login, _LOGIN_COLUMN) if login is not None else None
    ip = limits.shorten(ip, _IP_COLUMN) if ip is not None else None
    detail = {key: _bounded(value) for key, value in detail.items()}
    await AuditEvent.create(
        at=clock.now(), event=event, cabinet_id=cabinet_id, login=login, ip=ip, staff_id=staff_id, detail=detail
    )
    by = f' staff={staff_id}' if staff_id is not None else ''
    log.info('%s cabinet=%s login=%s ip=%s%s %s', event, cabinet_id, login, ip, by, detail or '')


async def record_contact_change(
    event: str, cabinet: Cabinet, *, ip: str | None, old: str | None, new: str, mask: Callable[[str], str]
) -> None:
    """An email or phone change (or the request for one), both contacts masked: the log must not hold them whole."""
    await record(
        event, cabinet_id=cabinet.id, login=cabinet.login, ip=ip, old=mask(old) if old else None, new=mask(new)
    )


async def purge(older_than: timedelta) -> int:
    """Delete the events older than `older_than` (PORTAL_KEEP_AUDIT_DAYS), in batches; how many went."""
    cutoff, deleted = clock.now() - older_than, 0
    while ids := await AuditEvent.filter(at__lt=cutoff).limit(PURGE_BATCH).values_list('id', flat=True):
        deleted += await AuditEvent.filter(id__in=ids).delete()
        await asyncio.sleep(0)  # pages and the worker write between the batches
    return deleted
