"""regions.csv: the billing system's regions (code, name, optionally the days of the month customers submit
readings), merged by code."""

from __future__ import annotations

from typing import ClassVar

from services.billing.imports.importer import Staged
from services.billing.imports.report import FileReport
from services.billing.imports.rows import Row
from services.billing.imports.sql import Directory
from services.texts import t


class Regions(Staged):
    kind = 'regions'
    columns = ('code', 'name')
    optional = ('readings_from', 'readings_to')
    paired = optional
    defines_keys = True
    stage_columns: ClassVar = {
        'line': 'integer',
        'code': 'text',
        'name': 'text',
        'readings_from': 'smallint',
        'readings_to': 'smallint',
    }

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        self.seen: dict[str, int] = {}

    def parse(self, row: Row) -> tuple[int, str, str, int | None, int | None]:
        code, name = row.text('code', 32), row.text('name', 200)
        if code:
            self.first_seen(self.seen, code, row, 'import.row.region_repeated', code=code)
        window: list[int | None] = [None, None]
        known = len(row.errors)
        if row.filled_together(self.optional):
            start, end = (row.integer(column, 1, 31) for column in self.optional)
            if len(row.errors) == known and start > end:
                row.errors.append(t('import.row.window', start=start, end=end))
            window = [start, end]
        return row.line, code, name, window[0], window[1]

    async def merge(self) -> tuple[int, int]:
        # a file without the window columns leaves each region's window as it was
        window = self.optional if 'readings_from' in self.at else ()
        return await self.upsert('region', 'code', ('code', 'name', *window))
