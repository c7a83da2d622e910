"""tariffs.csv: the price of a kWh per region and zone from a date, optionally with a higher price above a monthly
band; merged by (region, zone, valid_from), so a new price is a new row and the old ones stay for past months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from services.billing.imports.importer import Staged
from services.billing.imports.report import FileReport
from services.billing.imports.rows import Row
from services.billing.imports.sql import Directory
from services.texts import t


class Tariffs(Staged):
    kind = 'tariffs'
    columns = ('region', 'zone', 'price', 'valid_from')
    optional = ('band_kwh', 'band_price')
    paired = optional
    stage_columns: ClassVar = {
        'line': 'integer',
        'region_id': 'integer',
        'zone': 'smallint',
        'price': 'numeric(10, 4)',
        'valid_from': 'date',
        'band_kwh': 'numeric(12, 3)',
        'band_price': 'numeric(10, 4)',
    }

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        self.seen: dict[tuple[int, int, date], int] = {}

    async def prepare(self) -> None:
        self.regions = await self.directory.regions()

    def parse(self, row: Row) -> tuple[Any, ...]:
        code = row.text('region', 32)
        if code and code not in self.regions:
            row.errors.append(t('import.row.unknown_region', code=code))
        region_id = self.regions.get(code, 0)
        zone = row.integer('zone', 1, 3)
        price = row.decimal('price')
        valid_from = row.date('valid_from')
        band: list[Decimal | None] = [None, None]
        if row.filled_together(self.optional):
            band = [row.decimal('band_kwh'), row.decimal('band_price')]
        if region_id and not row.errors:
            key = (region_id, zone, valid_from)
            self.first_seen(self.seen, key, row, 'import.row.tariff_repeated', code=code, zone=zone, day=valid_from)
        values = (price, *band)
        if self.database.sqlite:  # as the ORM writes a Decimal there: its text
            values = tuple(None if value is None else str(value) for value in values)
        return row.line, region_id, zone, values[0], self.database.day(valid_from), values[1], values[2]

    async def merge(self) -> tuple[int, int]:
        return await self.upsert(
            'tariff',
            ('region_id', 'zone', 'valid_from'),
            ('region_id', 'zone', 'price', 'valid_from', 'band_kwh', 'band_price'),
        )
