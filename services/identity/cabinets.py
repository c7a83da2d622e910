"""A customer's cabinet as an operator sees it (`cabinet show|unlock`, later the staff console): data, no printing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.cabinet import Cabinet, CabinetState, Link
from models.security import AuditEvent
from services.identity import audit, auth
from services.identity.contacts import login_key

RECENT_EVENTS = 10


@dataclass(frozen=True)
class CabinetEvent:
    """One row of the audit log about a cabinet or its login (`cabinet show`, the console's cabinet view)."""

    at: datetime
    event: str
    ip: str | None
    detail: dict[str, Any]
    #: the staff member who acted (None: the customer or the system)
    staff_id: int | None = None


@dataclass(frozen=True)
class CabinetReport:
    login: str
    state: CabinetState
    #: a pending registration is dropped after this moment
    pending_until: datetime | None
    email: str | None
    email_confirmed: bool
    phone: str | None
    phone_confirmed: bool
    created_at: datetime
    #: numbers of the linked personal accounts
    accounts: tuple[str, ...]
    #: how long the login must still wait from the IP it waits longest at; zero when it is not locked
    lockout_left: timedelta
    #: newest first, at most `RECENT_EVENTS`
    events: tuple[CabinetEvent, ...]


async def cabinet_report(login: str) -> CabinetReport | None:
    """The cabinet behind a typed login, or None when there is none."""
    key = login_key(login)
    cabinet = await Cabinet.get_or_none(login_key=key)
    if cabinet is None:
        return None
    links = await Link.filter(cabinet=cabinet).prefetch_related('account')
    events = await AuditEvent.filter(cabinet_id=cabinet.id).order_by('-at').limit(RECENT_EVENTS)
    return CabinetReport(
        login=cabinet.login,
        state=cabinet.state,
        pending_until=cabinet.pending_until,
        email=cabinet.email,
        email_confirmed=cabinet.email_confirmed_at is not None,
        phone=cabinet.phone,
        phone_confirmed=cabinet.phone_confirmed_at is not None,
        created_at=cabinet.created_at,
        accounts=tuple(link.account.number for link in links),
        lockout_left=await auth.longest_lockout(key),
        events=tuple(CabinetEvent(event.at, event.event, event.ip, event.detail, event.staff_id) for event in events),
    )


async def unlock(login: str, *, staff_id: int | None = None) -> None:
    """Lift the login lockout (counted per typed login, so also for a login no cabinet has) and a locked state.
    `staff_id`: the console's staff member who did it (None: `cabinet unlock` on the server)."""
    key = login_key(login)
    cabinet = await Cabinet.get_or_none(login_key=key)
    await auth.clear_failures(key)
    if cabinet is not None and cabinet.state == CabinetState.LOCKED:
        cabinet.state = CabinetState.ACTIVE
        await cabinet.save(update_fields=['state'])
    cabinet_id = cabinet.id if cabinet else None
    await audit.record('unlock', cabinet_id=cabinet_id, login=key, staff_id=staff_id, by='operator')
