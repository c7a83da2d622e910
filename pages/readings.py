"""«Показания» (docs/product.md, flow 8): per meter of the current account its zones, last accepted reading and
state, the form «Передать показания» inside the window with its acknowledgement, and the history by month; and the
page behind a reminder email's «Отписаться от напоминаний»."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from nicegui import ui

from pages.session import client_ip, signed_in, signed_in_page
from pages.shell.frame import frame
from pages.widgets import ErrorNote, Form, success
from services.errors import ConfirmationNeeded, NotAllowed
from services.readings import history, meters, notices, submission
from services.texts import format_date, format_money, format_number, period_label, t

if TYPE_CHECKING:
    from models.cabinet import Cabinet

#: the history's periods, in months: the first one shows when the page opens
HISTORY_MONTHS: tuple[Literal[12, 24], ...] = (12, 24)


async def readings_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    cabinet, accounts, current = signed
    with frame(t('title.readings'), cabinet, accounts, current, section='readings'):
        if current is None:
            ui.label(t('readings.no_account'))
            ui.link(t('menu.add_account'), '/accounts/add')
            return
        cards = await meters.meter_cards(cabinet, current.number)
        if not cards:
            ui.label(t('readings.no_meters'))
        for card in cards:
            await _meter(cabinet, current.number, card)


def _values(zones: list[meters.Zone], values: dict[str, Decimal]) -> str:
    return ', '.join(f'{zone.name}: {format_number(values[zone.field].normalize())}' for zone in zones)


def _reading_line(key: str, card: meters.MeterCard, reading: meters.Shown) -> None:
    source = t(f'readings.source.{reading.source.value}')
    ui.label(t(key, date=format_date(reading.date), source=source, values=_values(card.zones, reading.values)))


def _state_notes(card: meters.MeterCard) -> None:
    """Why the meter takes no reading today, or when the window opens; nothing for an open one."""
    if card.smart:
        ui.label(t('readings.error.smart'))
    elif card.removed is not None:
        ui.label(t('readings.error.removed', date=format_date(card.removed)))
    elif card.overdue and card.verify_by is not None:
        ui.label(t('readings.error.overdue', date=format_date(card.verify_by))).classes('text-negative')
    elif not card.window.open:
        opens, closes = format_date(card.window.opens), format_date(card.window.closes)
        ui.label(t('readings.error.closed', opens=opens, closes=closes)).mark(f'window-{card.serial}')


async def _meter(cabinet: Cabinet, number: str, card: meters.MeterCard) -> None:
    with ui.card().classes('w-full').mark(f'meter-{card.serial}') as box:
        title = ui.label(t('readings.meter', serial=card.serial)).classes('text-lg font-medium')
        title.props('role=heading aria-level=2')
        # every meter's card has the same fields and button: the group's name tells them apart
        box.props('role=group')
        box.props['aria-labelledby'] = title.html_id
        ui.label(t('readings.zones', zones=', '.join(zone.name for zone in card.zones))).classes('text-sm')
        if card.last is not None:
            _reading_line('readings.last', card, card.last)
        else:
            ui.label(t('readings.no_last'))
        if card.estimate is not None:
            _reading_line('readings.estimate', card, card.estimate)
        if card.submitted is not None:
            _reading_line('readings.submitted', card, card.submitted)
        _state_notes(card)

        async def refresh() -> None:  # after a submission or another period: the history as it is now
            await _history(table, await signed_in(), number, card.serial, period.value)

        if card.open:
            _submission_form(number, card, refresh)
        period = _period_switch(card.serial, refresh)
        table = ui.column().classes('w-full gap-1')
        await _history(table, cabinet, number, card.serial, period.value)


def _period_switch(serial: str, changed: Callable[[], Awaitable[None]]) -> ui.toggle:
    """12 months by default, 24 on request: the history's table, chart and the chart's table all follow it."""
    options = {months: t(f'readings.period.{months}') for months in HISTORY_MONTHS}
    switch = ui.toggle(options, value=HISTORY_MONTHS[0]).props('no-caps dense').mark(f'period-{serial}')
    # Quasar marks the pressed button (aria-pressed); the group's name says what the two buttons choose
    switch.props['role'] = 'group'
    switch.props['aria-label'] = t('readings.period.label', serial=serial)
    switch.on_value_change(changed)
    return switch


def _submission_form(number: str, card: meters.MeterCard, after: Callable[[], Awaitable[None]]) -> None:
    """One field per zone and «Передать показания»; a value the service finds unusual is asked to be confirmed with
    the checkbox, and the same button sends it again."""
    form = Form()
    inputs = {}
    for zone in card.zones:
        field = form.add(zone.field, ui.input(t('readings.field', zone=zone.name)))
        field.props('inputmode=decimal autocomplete=off').classes('w-full').mark(f'reading-{card.serial}-{zone.field}')
        inputs[zone.field] = field
    confirm = ui.checkbox(t('readings.confirm_box')).mark(f'confirm-{card.serial}')
    confirm.set_visibility(False)
    form.add('confirm', ErrorNote())
    button = ui.button(t('readings.title')).props('color=primary').mark(f'submit-{card.serial}')
    form.message.move(target_index=-1)
    # a live region from the start: screen readers announce what later fills it
    result = ui.column().classes('w-full gap-1').props('role=status')

    async def send() -> None:
        values = {name: field.value for name, field in inputs.items()}
        try:
            ack = await submission.submit_reading(
                await signed_in(), number, card.serial, values, confirm=confirm.value, ip=client_ip()
            )
        except ConfirmationNeeded:
            confirm.set_visibility(True)
            raise
        confirm.set_visibility(False)
        confirm.value = False
        _acknowledgement(result, ack)
        await after()

    button.on_click(lambda: form.submit(button, send))
    for field in inputs.values():
        field.on('keydown.enter', lambda: form.submit(button, send))
        # a confirmation holds for the values it was asked about
        field.on_value_change(lambda: confirm.set_value(False))


def _acknowledgement(result: ui.column, ack: submission.Acknowledgement) -> None:
    result.clear()
    with result, ui.column().classes('gap-1').mark(f'ack-{ack.serial}'):
        ui.label(t('readings.ack.title')).classes('font-medium text-positive')
        if ack.replaced:
            ui.label(t('readings.ack.replaced'))
        for zone in ack.zones:
            value = format_number(ack.values[zone.field].normalize())
            kwh, cost = ack.consumption[zone.field], ack.cost[zone.field]
            line = t('readings.ack.zone', zone=zone.name, value=value)
            if kwh is not None:
                line += ' ' + t('readings.ack.used', kwh=format_number(kwh.normalize()))
            if cost is not None:
                line += ' ' + t('readings.ack.cost', amount=format_money(cost))
            ui.label(line)
        if ack.total_cost is not None:
            ui.label(t('readings.ack.total', amount=format_money(ack.total_cost))).classes('font-medium')
            ui.label(ack.note).classes('text-sm')


def _status(row: history.HistoryRow) -> str:
    status = t(f'readings.status.{row.status.value}')
    if row.reason:
        status = t('readings.status.with_reason', status=status, reason=row.reason)
    if row.superseded:
        status = t('readings.status.with_reason', status=status, reason=t('readings.status.superseded'))
    return status


def _table(caption: str, headers: list[str], rows: list[tuple[str, list[str]]]) -> None:
    """A real <table> with a caption: screen readers announce it and read each cell with its column's header.
    `rows` are (marker, cells)."""
    scroller = ui.element('div').classes('w-full overflow-x-auto')
    # at 375 px the table scrolls sideways: a keyboard reaches the scroller, a screen reader hears its name
    scroller.props['tabindex'] = '0'
    scroller.props['role'] = 'region'
    scroller.props['aria-label'] = caption
    with scroller, ui.element('table').classes('text-sm w-full'):
        with ui.element('caption').classes('text-left font-medium'):
            ui.label(caption)
        with ui.element('thead'), ui.element('tr'):
            for header in headers:
                with ui.element('th').classes('text-left pr-2') as cell:
                    cell.props['scope'] = 'col'
                    ui.label(header)
        with ui.element('tbody'):
            for marker, cells in rows:
                with ui.element('tr').mark(marker):
                    for text in cells:
                        with ui.element('td').classes('pr-2'):
                            ui.label(text)


def _kwh(value: Decimal | None) -> str:
    return format_number(value.normalize()) if value is not None else '—'


def _consumption(found: history.History) -> None:
    """The chart of monthly consumption per zone, and the same numbers as a table for screen readers and for
    anyone who wants the figures (the chart is hidden from assistive technology: the table says it all)."""
    labels = [period_label(month.period) for month in found.months]
    series = [
        {
            'type': 'bar',
            'name': zone.name,
            # strings: ECharts reads them as numbers, and the kWh stay Decimal up to the browser
            'data': [
                str(month.kwh[zone.field]) if month.kwh[zone.field] is not None else None for month in found.months
            ],
        }
        for zone in found.zones
    ]
    chart = ui.echart(
        {
            'tooltip': {'trigger': 'axis'},
            'legend': {},
            'grid': {'containLabel': True, 'left': 8, 'right': 8},
            'xAxis': {'type': 'category', 'data': labels},
            'yAxis': {'type': 'value', 'name': t('readings.kwh')},
            'series': series,
        }
    ).classes('w-full h-64')
    chart.props['aria-hidden'] = 'true'
    with ui.expansion(t('readings.consumption.table')).classes('w-full'):
        headers = [t('readings.history.month'), *(f'{zone.name}, {t("readings.kwh")}' for zone in found.zones)]
        rows = [
            (f'use-{found.serial}-{month.period}', [label, *(_kwh(month.kwh[zone.field]) for zone in found.zones)])
            for label, month in zip(labels, found.months, strict=True)
        ]
        _table(t('readings.consumption.caption', serial=found.serial), headers, rows)


async def _history(container: ui.column, cabinet: Cabinet, number: str, serial: str, months: Literal[12, 24]) -> None:
    found = await history.reading_history(cabinet, number, serial, months=months)
    container.clear()
    with container:
        if not found.rows:
            ui.label(t('readings.history.empty')).classes('text-sm')
            return
        headers = [t('readings.history.month'), t('readings.history.date')]
        headers += [zone.name for zone in found.zones]
        headers += [t('readings.history.source'), t('readings.history.status')]
        rows = [
            (
                f'history-{serial}-{row.date.isoformat()}',
                [
                    period_label(row.period),
                    format_date(row.date),
                    *(format_number(row.values[zone.field].normalize()) for zone in found.zones),
                    t(f'readings.source.{row.source.value}'),
                    _status(row),
                ],
            )
            for row in found.rows
        ]
        _table(t('readings.history.caption', serial=serial), headers, rows)
        _consumption(found)


async def reading_unsubscribe_page(token: str = '') -> None:
    """The reminder email's unsubscribe link, no login needed: opening it names the account and shows «Отписаться»;
    only the button turns the reminders off (mail scanners open links)."""
    with frame(t('reading_notices.unsubscribe.title')) as body:
        number = await notices.unsubscribe_target(token)
        if number is None:
            ui.label(t('reading_notices.unsubscribe.invalid')).classes('text-negative').props('role=alert')
            return
        ui.label(t('reading_notices.unsubscribe.question', number=number))
        form = Form()
        button = ui.button(t('reading_notices.unsubscribe.button')).props('color=primary').mark('unsubscribe')

        async def unsubscribe() -> None:
            done = await notices.unsubscribe(token, ip=client_ip())
            if done is None:
                raise NotAllowed(t('reading_notices.unsubscribe.invalid'))
            success(body, t('reading_notices.unsubscribe.done', number=done), link_to_login=False)

        button.on_click(lambda: form.submit(button, unsubscribe))
