"""A meter's history (docs/product.md, flow 8): its readings by month with source and status (billing's reason for a
rejected one), and the consumption per zone by month for the chart and its table, over the last 12 or 24 months.

A month's consumption is its last counted reading (meters.readings: no estimate, no rejected or replaced one) less
the last counted one before it, times the ratio; after a month without a reading the difference covers both and is
the later month's. A register that went backwards rolled over (it wrapped at 10**digits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from models.cabinet import Cabinet
from models.readings import Meter, Reading
from services import clock
from services.readings.meters import (
    Shown,
    Zone,
    counts,
    linked_meter,
    readings,
    register_values,
    zone_fields,
    zones,
)


@dataclass(frozen=True)
class HistoryRow(Shown):
    #: billing's reason when it rejected the reading
    reason: str
    #: a later submission of the same window replaced it
    superseded: bool

    @property
    def period(self) -> str:
        """YYYY-MM"""
        return f'{self.date:%Y-%m}'


@dataclass(frozen=True)
class MonthUse:
    period: str
    #: kWh per zone field; None when the month or the one before has no counted reading to compare
    kwh: dict[str, Decimal | None]


@dataclass(frozen=True)
class History:
    serial: str
    zones: list[Zone]
    #: newest first
    rows: list[HistoryRow]
    #: oldest first, one per month of the range
    months: list[MonthUse]


def _periods(today: date, months: int) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f'{i // 12}-{i % 12 + 1:02d}' for i in range(index - months + 1, index + 1)]


def _used(meter: Meter, before: Reading, after: Reading) -> dict[str, Decimal | None]:
    top = Decimal(10) ** meter.digits
    kwh: dict[str, Decimal | None] = {}
    for field in zone_fields(meter):
        register = getattr(after, field) - getattr(before, field)
        kwh[field] = (register if register >= 0 else register + top) * meter.ratio
    return kwh


def _by_month(meter: Meter, base: Reading | None, counted: list[Reading], periods: list[str]) -> list[MonthUse]:
    month_end = {f'{reading.date:%Y-%m}': reading for reading in counted}  # ascending: the month's last wins
    unknown = dict.fromkeys(zone_fields(meter))
    months, previous = [], base
    for period in periods:
        reading = month_end.get(period)
        months.append(MonthUse(period, _used(meter, previous, reading) if previous and reading else unknown))
        previous = reading or previous
    return months


async def reading_history(
    cabinet: Cabinet, account_number: str, serial: str, *, months: Literal[12, 24] = 12
) -> History:
    """The history of meter `serial` of the linked account `account_number`; NotAllowed when it is not the
    cabinet's."""
    meter = await linked_meter(cabinet, account_number.strip(), serial.strip())
    periods = _periods(clock.today(), months)
    start = date.fromisoformat(f'{periods[0]}-01')
    shown = await Reading.filter(meter_id=meter.id, date__gte=start).order_by('-date', '-id')
    rows = [
        HistoryRow(
            reading.date,
            reading.source,
            reading.status,
            register_values(reading, meter),
            reading.reason,
            reading.superseded,
        )
        for reading in shown
    ]
    base = await readings(meter).filter(date__lt=start).first()
    counted = [reading for reading in reversed(shown) if counts(reading)]  # oldest first
    return History(meter.serial, zones(meter), rows, _by_month(meter, base, counted, periods))
