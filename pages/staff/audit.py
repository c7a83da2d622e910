"""«Журнал событий»: the audit log filtered by kind, cabinet, staff member, IP and time, a page of events at a time,
and the same events as a CSV file (/staff/audit.csv, streamed: a year of events never sits in memory)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import PlainTextResponse, RedirectResponse, StreamingResponse
from markupsafe import Markup
from nicegui import app, ui
from starlette.responses import Response

from pages.session import STAFF, signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import Form, busy_while
from services import clock, limits
from services.errors import InvalidInput, NotAllowed
from services.staff import audit_log
from services.staff.audit_log import AuditFilters, AuditPage, AuditRow
from services.texts import format_datetime, t

EXPORT_PATH = '/staff/audit.csv'
#: the filter fields, in the order the form shows them (AuditFilters' names)
FIELDS = ('kinds', 'cabinet', 'staff', 'ip', 'since', 'until')
#: the detail of an event as a row shows it; the CSV has all of it
DETAIL_SHOWN = 300
#: Excel reads a CSV without it as the machine's ANSI code page: Cyrillic would be garbled
BOM = '\ufeff'


async def audit_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.audit.title'), staff, section='audit'):
        log = AuditLog()
        await log.find(1)


class AuditLog:
    """The filter form, the events the applied filters found, paging, and the CSV of those same filters."""

    def __init__(self) -> None:
        self.form = Form()
        self.applied = AuditFilters()
        self.page = 1
        with ui.row().classes('w-full items-start gap-2'):
            for name in FIELDS:
                field = self.form.add(name, ui.input(t(f'staff.audit.filter.{name}'))).classes('w-56')
                field.props['hint'] = t(f'staff.audit.hint.{name}')
        with ui.row().classes('w-full items-center gap-2'):
            show = ui.button(t('staff.audit.show')).props('color=primary').mark('audit-show')
            show.on_click(lambda: self.form.submit(show, lambda: self.find(1, typed=True)))
            csv = ui.button(t('staff.audit.csv'), icon='download').props('outline').mark('audit-csv')
            csv.props['aria-label'] = t('staff.audit.csv_label')
            csv.on_click(self.download)
        self.events = ui.html('').classes('w-full').mark('audit-events')
        with ui.row().classes('w-full items-center justify-between'):
            self.back = ui.button(t('staff.audit.back'), icon='chevron_left').props('flat').mark('audit-back')
            self.where = ui.label().mark('audit-page')
            self.next = ui.button(t('staff.audit.next'), icon='chevron_right').props('flat').mark('audit-next')
        self.back.on_click(lambda: self._turn(self.back, -1))
        self.next.on_click(lambda: self._turn(self.next, 1))

    async def find(self, page: int, *, typed: bool = False) -> None:
        """The `page`-th page of the typed filters (`typed`: «Показать») or of those applied last (paging)."""
        filters = self._typed() if typed else self.applied
        found = await audit_log.find_events(await signed_in_staff(), filters, page)
        self.applied, self.page = filters, found.page
        self._show(found)

    async def _turn(self, button: ui.button, step: int) -> None:
        self.form.clear_errors()
        await busy_while(button, lambda: self.find(self.page + step), self.form.show_error)

    def download(self) -> None:
        """The CSV of the filters the list shows (checked when they were applied; the route checks them again)."""
        query = {name: value for name, value in vars(self.applied).items() if value not in (None, '', ())}
        ui.download.from_url(f'{EXPORT_PATH}?{urlencode(query)}' if query else EXPORT_PATH)

    def _typed(self) -> AuditFilters:
        return AuditFilters(**{name: self.form.fields[name].value for name in FIELDS})

    def _show(self, found: AuditPage) -> None:
        self.events.content = (
            _table(found.rows) if found.rows else Markup('<p role="status">{}</p>').format(t('staff.audit.none'))
        )
        self.where.text = t('staff.audit.page', page=found.page)
        self.back.set_visibility(found.page > 1)
        self.next.set_visibility(found.has_next)


_COLUMNS = ('at', 'event', 'cabinet', 'login', 'ip', 'staff', 'detail')


def _table(rows: list[AuditRow]) -> Markup:
    """The events as one element of HTML, every value escaped: 50 rows of NiceGUI elements would cost the server far
    more for as long as the page is open. It scrolls sideways on a phone; the keyboard reaches it (tabindex)."""
    head = Markup('').join(
        Markup('<th scope="col">{}</th>').format(t(f'staff.audit.column.{name}')) for name in _COLUMNS
    )
    body = Markup('').join(_row(row) for row in rows)
    return Markup(
        '<div class="overflow-x-auto" tabindex="0" role="region" aria-label="{}">'
        '<table class="q-table q-table--dense w-full text-left text-sm"><thead><tr>{}</tr></thead>'
        '<tbody>{}</tbody></table></div>'
    ).format(t('staff.audit.table_label'), head, body)


def _row(row: AuditRow) -> Markup:
    label = event_label(row.event)
    event = (
        Markup('{}<br><code>{}</code>').format(label, row.event)
        if label != row.event
        else Markup('<code>{}</code>').format(row.event)
    )
    staff = row.staff_login or (f'#{row.staff_id}' if row.staff_id is not None else '')
    detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True, default=str) if row.detail else ''
    cells = [
        format_datetime(clock.local(row.at)),
        event,
        '' if row.cabinet_id is None else str(row.cabinet_id),
        row.login or '',
        row.ip or '',
        staff,
        Markup('<span class="break-all">{}</span>').format(limits.shorten(detail, DETAIL_SHOWN)),
    ]
    return Markup('<tr>{}</tr>').format(Markup('').join(Markup('<td>{}</td>').format(cell) for cell in cells))


#: where an event's name is explained, the first that has it: the customers' events (labels shared with the cabinet
#: view), then those of the console's own operations
_LABELS = ('staff.customers.event.', 'staff.ops.event.')


def event_label(event: str) -> str:
    """The event's name in the catalogs, or its code where none has one."""
    for prefix in _LABELS:
        try:
            return t(prefix + event)
        except KeyError:
            continue
    return event


def bind_audit_export() -> None:
    app.add_api_route(EXPORT_PATH, _export, methods=['GET'], include_in_schema=False)


async def _export(
    request: Request,
    kinds: str = '',
    cabinet: str = '',
    staff: str = '',
    ip: str = '',
    since: str = '',
    until: str = '',
) -> Response:
    """The CSV of the filters in the query, for the staff session the browser's cookie holds (the middleware sent a
    browser without one to the login). A link on another site (a GET the Lax cookie goes with) exports nothing."""
    if request.headers.get('sec-fetch-site', 'same-origin') not in ('same-origin', 'none'):
        return PlainTextResponse(t('staff.audit.export_elsewhere'), status_code=403)
    member = await STAFF.resolve(STAFF.request_token(request))
    if member is None:
        return RedirectResponse(STAFF.login_path, status_code=303)
    filters = AuditFilters(kinds=kinds, cabinet=cabinet, staff=staff, ip=ip, since=since, until=until)
    try:
        chunks = await audit_log.export_csv(member, filters)
    except InvalidInput as error:
        return PlainTextResponse('\n'.join(error.errors.values()), status_code=400)
    except NotAllowed as error:
        return PlainTextResponse(error.message, status_code=403)
    name = f'audit-{clock.local(clock.now()):%Y%m%d-%H%M}.csv'
    headers = {'Content-Disposition': f'attachment; filename="{name}"', 'Cache-Control': 'no-store'}
    return StreamingResponse(_with_bom(chunks), media_type='text/csv; charset=utf-8', headers=headers)


async def _with_bom(chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
    yield BOM.encode()
    async for chunk in chunks:
        yield chunk.encode()
