"""The console's audit log: events found by kind, cabinet, staff member, IP and time, newest first, a page at a time,
and the same as a CSV export.

Every staff member reads it, viewers too: the rows hold what `cabinet show` prints (contacts masked when recorded).
An export is itself audited, with its filters: it is the one way the log leaves the portal. The export is streamed
(an async iterator of CSV text, a batch of rows at a time, read by keyset from the newest): a year of events never
sits in memory whole."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from ipaddress import IPv6Address, ip_address
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services import clock, limits
from services.errors import InvalidInput
from services.identity import audit
from services.identity.contacts import mask_detail
from services.staff import roles
from services.staff.customers.lookup import sees_contacts
from services.staff.inputs import optional_number, whole_number
from services.texts import t

log = logging.getLogger('portal.staff')

#: events on one page
PAGE_SIZE = 50
#: the furthest page: deeper than this, a narrower filter finds it faster than paging does
MAX_PAGE = 2000
#: events one query of the export reads
EXPORT_BATCH = 1000
#: kinds one filter names; an event's name is at most its column (40) of lower-case letters, digits and _
MAX_KINDS = 20
_KIND = re.compile('[a-z][a-z0-9_]{0,39}')
#: what a time filter takes: a day, or a day and a time of day, on the customers' clock (PORTAL_TIMEZONE)
_MOMENT = re.compile('([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T]([0-9]{2}:[0-9]{2}))?')
#: the export's columns, machine-readable like the billing CSVs
CSV_COLUMNS = ('id', 'at', 'event', 'cabinet_id', 'login', 'ip', 'staff_id', 'staff_login', 'detail')
#: a spreadsheet runs a cell starting with these as a formula (OWASP, CSV injection); such a cell gets a ' first
_FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


@dataclass(frozen=True)
class AuditFilters:
    """What the page's filter form holds, unchecked: each field may be anything a crafted event sends.

    `kinds`: event names, a list or one text separated by commas or spaces; `cabinet`, `staff`: ids; `ip`: an
    address; `since`, `until`: YYYY-MM-DD (the whole day) or YYYY-MM-DD HH:MM on the customers' clock, or a
    date/datetime. Empty: no filter."""

    kinds: object = ()
    cabinet: object = None
    staff: object = None
    ip: object = None
    since: object = None
    until: object = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    event: str
    cabinet_id: int | None
    #: the login the event names (a customer's, as typed when it failed)
    login: str | None
    ip: str | None
    #: the staff member who acted, and their login (None: the customer or the system)
    staff_id: int | None
    staff_login: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first."""

    rows: list[AuditRow]
    #: 1-based
    page: int
    has_next: bool


async def find_events(staff: Staff, filters: AuditFilters, page: object = 1) -> AuditPage:
    """The `page`-th page (from 1) of the events the filters select, newest first."""
    roles.require(staff, StaffRole.VIEWER, 'read the audit log')
    query = _query(filters)
    number = whole_number('page', page, MAX_PAGE)
    events = await query.order_by('-at', '-id').offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = await _rows(events[:PAGE_SIZE], masked=not sees_contacts(staff))
    return AuditPage(rows, number, has_next=len(events) > PAGE_SIZE)


async def export_csv(staff: Staff, filters: AuditFilters) -> AsyncIterator[str]:
    """The events the filters select, newest first, as CSV text (UTF-8 when encoded; a header row first), handed out
    a batch at a time. The filters are checked and the export audited before the first batch is read."""
    roles.require(staff, StaffRole.VIEWER, 'export the audit log')
    query = _query(filters)
    await audit.record('staff_audit_export', staff_id=staff.id, filters=_described(filters))
    log.info('staff %s exports the audit log', staff.login)
    return _batches(query, masked=not sees_contacts(staff))


async def _batches(query: QuerySet[AuditEvent], *, masked: bool) -> AsyncIterator[str]:
    yield _csv_lines([CSV_COLUMNS])
    after: tuple[datetime, int] | None = None
    while True:
        page = query if after is None else query.filter(Q(at__lt=after[0]) | Q(at=after[0], id__lt=after[1]))
        # by keyset, not offset: the thousandth batch costs what the first does
        events = await page.order_by('-at', '-id').limit(EXPORT_BATCH)
        if not events:
            return
        yield _csv_lines(_csv_row(row) for row in await _rows(events, masked=masked))
        after = (events[-1].at, events[-1].id)


def _csv_row(row: AuditRow) -> list[object]:
    detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True, default=str) if row.detail else ''
    at = clock.local(row.at).isoformat(timespec='seconds')
    return [row.id, at, row.event, row.cabinet_id, row.login, row.ip, row.staff_id, row.staff_login, detail]


def _csv_lines(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _cell(value: object) -> str:
    text = '' if value is None else str(value)
    # a customer chooses what a failed login records: «=HYPERLINK(…)» must stay text in the operator's spreadsheet
    return f"'{text}" if text.startswith(_FORMULA_START) else text


async def _rows(events: list[AuditEvent], *, masked: bool) -> list[AuditRow]:
    """`masked`: a whole phone or email in an event's detail is masked (viewers read contacts masked)."""
    ids = {event.staff_id for event in events if event.staff_id is not None}
    logins = dict(await Staff.filter(id__in=ids).values_list('id', 'login')) if ids else {}
    return [
        AuditRow(
            id=event.id,
            at=event.at,
            event=event.event,
            cabinet_id=event.cabinet_id,
            login=event.login,
            ip=event.ip,
            staff_id=event.staff_id,
            staff_login=logins.get(event.staff_id),
            detail=mask_detail(event.detail or {}) if masked else event.detail or {},
        )
        for event in events
    ]


def _query(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The filters checked (every field's problem reported at once) and turned into a query."""
    conditions: dict[str, object] = {}
    errors: dict[str, str] = {}
    checks = [
        ('kinds', lambda: _kinds(filters.kinds), 'event__in'),
        ('cabinet', lambda: optional_number('cabinet', filters.cabinet), 'cabinet_id'),
        ('staff', lambda: optional_number('staff', filters.staff), 'staff_id'),
        ('ip', lambda: _ip(filters.ip), 'ip'),
        ('since', lambda: _moment('since', filters.since, end=False), 'at__gte'),
        ('until', lambda: _moment('until', filters.until, end=True), 'at__lt'),
    ]
    for field, check, lookup in checks:
        try:
            value = check()
        except InvalidInput as error:
            errors[field] = error.errors.get(field, error.message)
            continue
        if value:
            conditions[lookup] = value
    since, until = conditions.get('at__gte'), conditions.get('at__lt')
    if not errors and isinstance(since, datetime) and isinstance(until, datetime) and since >= until:
        errors['until'] = t('staff.audit.range_reversed')
    if errors:
        raise InvalidInput(errors)
    return AuditEvent.filter(**conditions)


def _kinds(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        limits.check_text(kinds=(value, MAX_KINDS * 41))
        value = re.split(r'[\s,]+', value.strip())
    if not isinstance(value, list | tuple) or len(value) > MAX_KINDS:
        raise InvalidInput({'kinds': t('staff.audit.bad_kinds', count=MAX_KINDS)})
    kinds = [kind for kind in value if kind != '']
    if not all(isinstance(kind, str) and _KIND.fullmatch(kind) for kind in kinds):
        raise InvalidInput({'kinds': t('staff.audit.bad_kinds', count=MAX_KINDS)})
    return kinds


def _ip(value: object) -> str | None:
    limits.check_text(ip=(value, 64))
    if not value:
        return None
    assert isinstance(value, str)
    try:
        address = ip_address(value.strip())
    except ValueError:
        raise InvalidInput({'ip': t('staff.audit.bad_ip')}) from None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # the middleware records a mapped address as IPv4
    return str(address)


def _moment(field: str, value: object, *, end: bool) -> datetime | None:
    """The moment a time filter starts at; for `until` (end) the moment after it: the next day after a bare day, the
    next minute after a time of day, the next microsecond after a datetime."""
    if not isinstance(value, date):
        limits.check_text(**{field: (value, 32)})
        if not value:
            return None
    try:
        if isinstance(value, datetime):
            return _aware(value) + (timedelta(microseconds=1) if end else timedelta())
        if isinstance(value, date):
            return _aware(datetime.combine(value + timedelta(days=1 if end else 0), time()))
        assert isinstance(value, str)
        match = _MOMENT.fullmatch(value.strip())
        if match is None:
            raise ValueError(value)
        day = date.fromisoformat(match[1])
        if match[2] is None:
            return _aware(datetime.combine(day + timedelta(days=1 if end else 0), time()))
        moment = datetime.combine(day, time.fromisoformat(match[2]))
        return _aware(moment + (timedelta(minutes=1) if end else timedelta()))
    except (ValueError, OverflowError):  # 2026-02-30, 25:00, or past the last day a datetime has
        raise InvalidInput({field: t('staff.audit.bad_date')}) from None


def _aware(moment: datetime) -> datetime:
    """The moment in UTC, as stored (SQLite compares the text: another offset would compare wrong); a naive moment
    is on the customers' clock (what the operator reads on every page)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local(clock.now()).tzinfo)
    return moment.astimezone(UTC)


def _described(filters: AuditFilters) -> dict[str, object]:
    """The filters as the export's audit row keeps them (bounded by audit.record), the empty ones left out."""
    return {
        name: value if isinstance(value, str | int | list | tuple) else str(value)
        for name, value in vars(filters).items()
        if value not in (None, '', (), [])
    }
