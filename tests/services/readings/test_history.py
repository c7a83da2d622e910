"""A meter's history: readings by month with source, status and billing's reason, and the monthly consumption per
zone for the chart, over 12 or 24 months; only the cabinet's meters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.readings import ReadingSource, ReadingStatus
from services.errors import NotAllowed
from services.readings.history import reading_history
from tests.support.factories import NUMBER, SERIAL, add_reading, make_account, make_cabinet, make_meter


async def test_rows_by_month_with_source_status_and_reason(cabinet, meter):
    await add_reading(meter, '2025-11-20', '50', '20')  # before the 12 months
    await add_reading(meter, '2026-09-20', '100', '50')
    await add_reading(meter, '2026-10-20', '130', '60', source=ReadingSource.CALCULATED)
    await add_reading(
        meter,
        '2026-11-16',
        '125',
        '58',
        source=ReadingSource.CUSTOMER,
        status=ReadingStatus.REJECTED,
        reason='Показания меньше расчётных',
    )
    history = await reading_history(cabinet, NUMBER, SERIAL)
    assert history.serial == SERIAL and [zone.name for zone in history.zones] == ['день', 'ночь']
    assert [(row.period, row.source, row.status, row.reason) for row in history.rows] == [
        ('2026-11', ReadingSource.CUSTOMER, ReadingStatus.REJECTED, 'Показания меньше расчётных'),
        ('2026-10', ReadingSource.CALCULATED, ReadingStatus.ACCEPTED, ''),
        ('2026-09', ReadingSource.BILLING, ReadingStatus.ACCEPTED, ''),
    ]
    assert history.rows[-1].values == {'t1': Decimal('100'), 't2': Decimal('50')}


async def test_monthly_consumption_per_zone(account, cabinet):
    meter = await make_meter(account, ratio=2)
    await add_reading(meter, '2025-11-20', '99990', '10')  # the month before the first: its base
    await add_reading(meter, '2025-12-20', '10', '15')  # rolled over
    await add_reading(meter, '2026-02-10', '40', '25')  # January without a reading
    await add_reading(meter, '2026-02-25', '50', '30')  # the month's last counts
    await add_reading(meter, '2026-03-20', '60', '35', source=ReadingSource.CUSTOMER, superseded=True)
    await add_reading(meter, '2026-03-21', '55', '31', source=ReadingSource.CUSTOMER)
    await add_reading(meter, '2026-04-20', '300', '300', source=ReadingSource.CALCULATED)
    history = await reading_history(cabinet, NUMBER, SERIAL)
    months = {month.period: month.kwh for month in history.months}
    periods = list(months)
    assert (periods[0], periods[-1], len(periods)) == ('2025-12', '2026-11', 12)
    none = {'t1': None, 't2': None}
    assert months['2025-12'] == {'t1': Decimal('40'), 't2': Decimal('10')}
    assert months['2026-01'] == none
    assert months['2026-02'] == {'t1': Decimal('80'), 't2': Decimal('30')}
    assert months['2026-03'] == {'t1': Decimal('10'), 't2': Decimal('2')}
    assert months['2026-04'] == none
    assert len(history.rows) == 6  # the replaced reading stays in the history
    assert [row.superseded for row in history.rows if row.date == date(2026, 3, 20)] == [True]


async def test_24_months(cabinet, meter):
    await add_reading(meter, '2024-12-05', '10', '5')
    history = await reading_history(cabinet, NUMBER, SERIAL, months=24)
    assert (history.months[0].period, len(history.months), len(history.rows)) == ('2024-12', 24, 1)


async def test_another_cabinets_meter_is_not_allowed(cabinet, meter):
    theirs = await make_account('461000000002')
    await make_cabinet('petrov', accounts=['461000000002'])
    await make_meter(theirs, 'theirs')
    for number, serial in (('461000000002', 'theirs'), ('461000000002', SERIAL), (NUMBER, 'theirs')):
        with pytest.raises(NotAllowed):
            await reading_history(cabinet, number, serial)
