"""meters.csv: the meters of the accounts (serial, zones, register, ratio, dates, smart), merged by (account, serial):
a later file brings a meter's removal date or new verification date."""

from __future__ import annotations

from typing import Any, ClassVar

from services.billing.imports.importer import Staged
from services.billing.imports.report import FileReport
from services.billing.imports.rows import Row
from services.billing.imports.sql import Directory
from services.texts import t

#: integer digits of a register: the reading columns hold 12 before the point
MAX_DIGITS = 12
MAX_DECIMALS = 4
#: current transformers of households and small businesses stay far below this
MAX_RATIO = 100_000


class Meters(Staged):
    kind = 'meters'
    columns = (
        'account',
        'serial',
        'zones',
        'digits',
        'decimals',
        'ratio',
        'installed',
        'verify_by',
        'smart',
        'removed',
    )
    defines_keys = True
    stage_columns: ClassVar = {
        'line': 'integer',
        'account_id': 'integer',
        'serial': 'text',
        'zones': 'smallint',
        'digits': 'smallint',
        'decimals': 'smallint',
        'ratio': 'integer',
        'installed': 'date',
        'verify_by': 'date',
        'smart': 'boolean',
        'removed': 'date',
    }

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        self.seen: dict[tuple[int, str], int] = {}

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()

    def parse(self, row: Row) -> tuple[Any, ...]:
        account_id = row.account_id(self.accounts)
        serial = row.text('serial', 64)
        zones = row.integer('zones', 1, 3)
        digits = row.integer('digits', 1, MAX_DIGITS)
        decimals = row.integer('decimals', 0, MAX_DECIMALS, default=0)
        ratio = row.integer('ratio', 1, MAX_RATIO, default=1)
        installed, verify_by, removed = (row.optional_date(column) for column in ('installed', 'verify_by', 'removed'))
        smart = row.flag('smart')
        if installed and removed and removed < installed:
            row.errors.append(t('import.row.removed_before', removed=removed, installed=installed))
        if account_id and serial:
            number = row.values['account'].strip()
            self.first_seen(
                self.seen, (account_id, serial), row, 'import.row.meter_repeated', serial=serial, number=number
            )
        day = self.database.day
        sqlite = self.database.sqlite
        return (
            row.line, account_id, serial, zones, digits, decimals, ratio,
            day(installed), day(verify_by), int(smart) if sqlite else smart, day(removed),
        )  # fmt: skip

    async def check_staged(self) -> None:
        """A meter that already has readings keeps its zones: its readings hold one value per zone, and a history with
        fewer or more zones than the meter cannot be compared. Billing gives a replaced meter a new serial."""
        changed = (
            await self.database.connection.execute_query(
                f'SELECT staged.line, staged.serial, meter.zones, staged.zones FROM {self.stage_table} AS staged '  # noqa: S608
                'JOIN meter ON meter.account_id = staged.account_id AND meter.serial = staged.serial '
                'WHERE meter.zones <> staged.zones '
                'AND EXISTS (SELECT 1 FROM reading WHERE reading.meter_id = meter.id) '
                'ORDER BY staged.line'
            )
        )[1]
        for line, serial, before, after in changed:
            self.refuse(line, [t('import.row.meter_zones_changed', serial=serial, before=before, after=after)])
        self.sort_errors()

    async def merge(self) -> tuple[int, int]:
        return await self.upsert('meter', ('account_id', 'serial'), tuple(self.stage_columns)[1:])
