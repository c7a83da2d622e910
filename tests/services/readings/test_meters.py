"""What the readings page shows per meter: zones by name, the last accepted reading (an estimate apart), the customer's
pending one, smart, removed and overdue meters, and whether manual submission is open; only the cabinet's meters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.readings import ReadingSource, ReadingStatus
from services.errors import NotAllowed
from services.readings.meters import meter_cards
from services.readings.window import Window
from tests.support.factories import NUMBER, SERIAL, add_reading, make_account, make_cabinet, make_meter

NOVEMBER = Window(date(2026, 11, 15), date(2026, 11, 25), True)


@pytest.mark.parametrize(('zones', 'names'), [(1, ['сутки']), (2, ['день', 'ночь']), (3, ['пик', 'ночь', 'полупик'])])
async def test_zones_by_their_names(account, cabinet, zones, names):
    await make_meter(account, zones=zones)
    [card] = await meter_cards(cabinet, NUMBER)
    assert [zone.name for zone in card.zones] == names
    assert [zone.field for zone in card.zones] == ['t1', 't2', 't3'][:zones]
    assert (card.serial, card.window, card.open) == (SERIAL, NOVEMBER, True)


async def test_an_estimate_is_never_the_last_reading(cabinet, meter):
    await add_reading(meter, '2026-08-20', '90', '40')
    await add_reading(meter, '2026-09-20', '100', '50', source=ReadingSource.SMART)
    await add_reading(meter, '2026-10-20', '130', '60', source=ReadingSource.CALCULATED)
    await add_reading(meter, '2026-10-22', '999', '999', source=ReadingSource.CUSTOMER, status=ReadingStatus.REJECTED)
    [card] = await meter_cards(cabinet, NUMBER)
    assert (card.last.date, card.last.source, card.last.values) == (
        date(2026, 9, 20),
        ReadingSource.SMART,
        {'t1': Decimal('100'), 't2': Decimal('50')},
    )
    assert (card.estimate.date, card.estimate.source) == (date(2026, 10, 20), ReadingSource.CALCULATED)
    assert card.submitted is None


async def test_an_estimate_before_the_last_reading_is_not_shown(cabinet, meter):
    await add_reading(meter, '2026-09-20', '100', '50', source=ReadingSource.CALCULATED)
    await add_reading(meter, '2026-10-20', '110', '55')
    [card] = await meter_cards(cabinet, NUMBER)
    assert card.last.date == date(2026, 10, 20) and card.estimate is None


async def test_the_customers_pending_reading_is_shown_apart(cabinet, meter):
    await add_reading(meter, '2026-10-20', '110', '55')
    await add_reading(meter, '2026-11-16', '115', '57', source=ReadingSource.CUSTOMER, status=ReadingStatus.EXPORTED)
    [card] = await meter_cards(cabinet, NUMBER)
    assert card.last.date == date(2026, 10, 20)
    assert (card.submitted.date, card.submitted.status) == (date(2026, 11, 16), ReadingStatus.EXPORTED)


@pytest.mark.parametrize(
    'fields', [{'smart': True}, {'removed': date(2026, 11, 1)}, {'verify_by': date(2026, 11, 19)}], ids=str
)
async def test_a_meter_closed_to_manual_readings_says_why(account, cabinet, fields):
    await make_meter(account, **fields)
    [card] = await meter_cards(cabinet, NUMBER)
    assert not card.open and card.window.open
    assert (card.smart, card.removed is not None, card.overdue) == (
        'smart' in fields,
        'removed' in fields,
        'verify_by' in fields,
    )


async def test_outside_the_window_no_meter_is_open_and_the_next_window_is_given(fake_clock, cabinet, meter):
    fake_clock.advance(days=6)
    [card] = await meter_cards(cabinet, NUMBER)
    assert not card.open and card.window == Window(date(2026, 12, 15), date(2026, 12, 25), False)


async def test_meters_in_place_first(account, cabinet):
    await make_meter(account, 'A-old', removed=date(2025, 1, 1))
    await make_meter(account, 'B-new')
    assert [card.serial for card in await meter_cards(cabinet, NUMBER)] == ['B-new', 'A-old']


async def test_another_cabinets_account_is_not_allowed(cabinet, meter):
    theirs = await make_account('461000000002')
    await make_cabinet('petrov', accounts=['461000000002'])
    await make_meter(theirs)
    for number in ('461000000002', '461000000009'):
        with pytest.raises(NotAllowed):
            await meter_cards(cabinet, number)
