"""readings.csv: billing's readings of the meters, and its verdict on the readings the portal exported.

A billing, smart or calculated reading is billing's own: merged by (meter, date, source). A customer reading is one
billing received: it marks the portal's customer reading of the same meter, date and values (the one not superseded)
accepted or rejected, and when the portal has none (the customer phoned it in) it is stored as a customer reading
with that status. The table has no unique key for either match, so the file is merged by two UPDATE … FROM and one
INSERT … WHERE NOT EXISTS instead of ON CONFLICT.

The optional `reason` column is billing's reason for a rejected reading, which the customer sees in the history; an
accepted row stores none, and a file without the column leaves the stored reasons as they were."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from models.readings import ReadingSource, ReadingStatus
from services.billing.imports.importer import Staged
from services.billing.imports.rows import Row, register_rule
from services.billing.imports.sql import MeterKey
from services.texts import t

SOURCES = tuple(ReadingSource)
#: billing decides; submitted and exported are the portal's own steps
STATUSES = (ReadingStatus.ACCEPTED.value, ReadingStatus.REJECTED.value)
ZONES = ('t1', 't2', 't3')
#: a reason is a sentence for the customer, not a document
REASON_LENGTH = 500


class Readings(Staged):
    kind = 'readings'
    columns = ('account', 'serial', 'date', 't1', 't2', 't3', 'source', 'status')
    optional = ('reason',)
    stage_columns: ClassVar = {
        'line': 'integer',
        'meter_id': 'integer',
        'date': 'date',
        't1': 'numeric(16, 4)',
        't2': 'numeric(16, 4)',
        't3': 'numeric(16, 4)',
        'source': 'text',
        'status': 'text',
        'reason': 'text',
    }

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()
        self.meters = await self.directory.meters()
        #: date text → the value bound for it: a year of readings has few dates
        self.days: dict[str, Any] = {}
        #: (digits, decimals) → a register value written as it is stored (no leading zeros): the common case
        self.registers: dict[tuple[int, int], Any] = {}

    def take(self, line: int, values: list[str]) -> Any:
        # the loop of a 12-million-row file: the common, valid row without building a Row; anything unusual takes
        # the full check and its messages
        at = self.at
        reason = values[at['reason']].strip() if 'reason' in at and len(values) == len(self.header) else ''
        if (
            len(values) == len(self.header)
            and len(reason) <= REASON_LENGTH
            and (meter := self.meters.get((self.accounts.get(values[at['account']], 0), values[at['serial']])))
            and (day := self.days.get(values[at['date']])) is not None
            and values[at['source']] in SOURCES
            and values[at['status']] in STATUSES
        ):
            register = self.registers.get((meter.digits, meter.decimals))
            if register is None:
                register = self.registers[meter.digits, meter.decimals] = _register(meter.digits, meter.decimals)
            zones = [values[at[column]] for column in ZONES]
            if all(register(value) if zone <= meter.zones else not value for zone, value in enumerate(zones, start=1)):
                if not self.database.sqlite:
                    zones = [Decimal(value) if value else None for value in zones]
                else:
                    zones = [value or None for value in zones]
                return (line, meter.id, day, *zones, values[at['source']], values[at['status']], reason)
        return super().take(line, values)

    def parse(self, row: Row) -> tuple[Any, ...]:
        account_id = row.account_id(self.accounts)
        serial = row.text('serial', 64)
        number = row.values['account'].strip()
        meter = self.meters.get((account_id, serial))
        if account_id and serial and meter is None:
            row.errors.append(t('import.row.unknown_meter', serial=serial, number=number))
        day = row.date('date')
        if day != date.min and len(self.days) < 10_000:  # a file of arbitrary dates must not grow the cache without end
            self.days[row.values['date']] = self.database.day(day)
        source = row.choice('source', SOURCES)
        status = row.choice('status', STATUSES)
        reason = row.text('reason', REASON_LENGTH, required=False)
        # without its meter there is nothing to check the values against
        values = self.values(row, meter) if meter else [None, None, None]
        if self.database.sqlite:
            values = [None if value is None else str(value) for value in values]
        return (row.line, meter.id if meter else 0, self.database.day(day), *values, source, status, reason)

    def values(self, row: Row, meter: MeterKey) -> list[Decimal | None]:
        """The register per zone: exactly the meter's zones filled, each as precise as its register."""
        rule = register_rule(meter.digits, meter.decimals)
        values: list[Decimal | None] = []
        for zone, column in enumerate(ZONES, start=1):
            given = bool(row.values.get(column, '').strip())
            if zone <= meter.zones:
                values.append(row.decimal(column, rule))
            else:
                if given:
                    row.errors.append(t('import.row.zone_extra', column=column, zones=meter.zones))
                values.append(None)
        return values

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        # even after a bad row: repeated keys are found among the staged rows
        await self.database.insert_many(self.stage_table, tuple(self.stage_columns), batch)

    async def check_staged(self) -> None:
        """A (meter, date, source) repeated in the file: found by the database, since remembering every key of
        12 million rows would take gigabytes."""
        repeated = (
            await self.database.connection.execute_query(
                f'SELECT staged.line, first.line, staged.meter_id, staged.date, staged.source FROM {self.stage_table} '  # noqa: S608
                f'AS staged JOIN (SELECT meter_id, date, source, min(line) AS line FROM {self.stage_table} '
                'GROUP BY meter_id, date, source HAVING count(*) > 1) AS first ON staged.meter_id = first.meter_id '
                'AND staged.date = first.date AND staged.source = first.source AND staged.line > first.line '
                'ORDER BY staged.line'
            )
        )[1]
        if not repeated:
            return
        serials = {meter.id: serial for (_, serial), meter in self.meters.items()}
        for line, first, meter_id, day, source in repeated:
            self.refuse(
                line,
                [t('import.row.reading_repeated', line=first, serial=serials[meter_id], day=day, source=source)],
            )
        self.sort_errors()

    async def merge(self) -> tuple[int, int]:
        database, stage = self.database, self.stage_table
        await database.lock('reading')
        before = await database.count('reading')
        number, equal = database.number, database.equal
        same = ' AND '.join(f'{number(f"reading.{zone}")} {equal} {number(f"staged.{zone}")}' for zone in ZONES)
        # a reason goes with a rejection only; without the column the stored reasons stay as they were
        reason = f"CASE WHEN staged.status = '{ReadingStatus.REJECTED.value}' THEN staged.reason ELSE '' END"
        set_reason, reason_differs = ('', '')
        if 'reason' in self.at:
            set_reason, reason_differs = f', reason = {reason}', f' OR reading.reason <> {reason}'
        changed = await database.write(
            f'UPDATE reading SET t1 = staged.t1, t2 = staged.t2, t3 = staged.t3, status = staged.status{set_reason} '  # noqa: S608
            f'FROM {stage} AS staged WHERE staged.source <> {_CUSTOMER} AND reading.meter_id = staged.meter_id '
            'AND reading.date = staged.date AND reading.source = staged.source '
            f'AND (NOT ({same}) OR reading.status <> staged.status{reason_differs})'
        )
        # billing's verdict on the portal's reading: the one of the same values that is still current
        changed += await database.write(
            f'UPDATE reading SET status = staged.status{set_reason} FROM {stage} AS staged '  # noqa: S608
            f'WHERE staged.source = {_CUSTOMER} AND reading.source = {_CUSTOMER} AND NOT reading.superseded '
            f'AND reading.meter_id = staged.meter_id AND reading.date = staged.date AND {same} '
            f'AND (reading.status <> staged.status{reason_differs})'
        )
        matches = same.replace('reading.', 'stored.')
        # in key order the (meter, date) index grows at its end instead of at random places, as for payments
        await database.write(
            'INSERT INTO reading (meter_id, date, t1, t2, t3, source, status, reason, channel, superseded) '  # noqa: S608
            f"SELECT meter_id, date, t1, t2, t3, source, status, {reason}, '', false FROM {stage} AS staged "
            'WHERE NOT EXISTS (SELECT 1 FROM reading AS stored WHERE stored.meter_id = staged.meter_id '
            'AND stored.date = staged.date AND stored.source = staged.source '
            f'AND (staged.source <> {_CUSTOMER} OR (NOT stored.superseded AND {matches}))) '
            'ORDER BY meter_id, date, line'
        )
        return await database.count('reading') - before, changed


_CUSTOMER = f"'{ReadingSource.CUSTOMER.value}'"


def _register(digits: int, decimals: int) -> Any:
    fraction = rf'(?:\.[0-9]{{1,{decimals}}})?' if decimals else ''
    return re.compile(rf'(?:0|[1-9][0-9]{{0,{digits - 1}}}){fraction}').fullmatch
