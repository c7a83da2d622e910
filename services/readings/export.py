"""`readings-export`: the customers' readings of a month as a CSV for billing, one ReadingExport per run.

Which readings: source customer, not superseded, whose `date` (the customers' day it was submitted on) falls in the
month, still `submitted` — or, with `again`, also `exported` (sent before, billing's verdict not back yet). Accepted
and rejected ones never go again: billing has answered them. They are written in the order they were submitted.

Why a killed run loses and doubles nothing: a reading becomes `exported` only in the run's last transaction, after
its file is complete on disk. Until then the run writes to `<file>.part` and pins each batch it wrote to its export
id (export_id set, status still `submitted`), so the last transaction marks exactly the rows in the file, not one
that came in meanwhile. A run killed before the end marks nothing: its `.part` file is incomplete and never renamed,
its ReadingExport stays unfinished, and the next run exports all of its rows again (their pins are overwritten).
The file is renamed into place before the rows are marked: a kill between those two steps leaves a complete file
whose rows the next run sends again — billing may receive a reading twice (its import matches it), never none.
Two runs of the same month at once are not supported: the later one would take over the earlier one's rows."""

from __future__ import annotations

import csv
import errno
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.readings import Reading, ReadingExport, ReadingSource, ReadingStatus
from services import clock
from services.billing.periods import is_period
from services.errors import PortalError
from services.progress import SILENT, Progress
from services.texts import t

HEADER = ('account', 'serial', 'date', 't1', 't2', 't3', 'submitted_at', 'channel')
#: rows read, pinned and written at a time
BATCH = 5000
_SELECT = (
    'SELECT r.id, a.number, m.serial, r.date, r.t1, r.t2, r.t3, r.submitted_at, r.channel FROM reading AS r '
    'JOIN meter AS m ON m.id = r.meter_id JOIN account AS a ON a.id = m.account_id '
)


class ExportRefused(PortalError):
    """The export could not start (the file cannot be written); nothing was marked."""


@dataclass(frozen=True)
class ExportResult:
    export_id: int
    rows: int
    path: Path


def check_period(period: str) -> None:
    if not is_period(period):
        raise ValueError(t('dispatch.bad_period', period=period))


def period_days(period: str) -> tuple[date, date]:
    """The month's first day and the next month's first day."""
    year, month = map(int, period.split('-'))
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def default_name(period: str, export_id: int) -> str:
    return f'readings-{period}-{export_id}.csv'


class _Query:
    """The SQL of one export on its connection: SQLite binds ? and text dates, PostgreSQL $n and dates."""

    def __init__(self, connection: BaseDBAsyncClient, period: str, again: bool) -> None:
        self.connection = connection
        self.sqlite = connection.capabilities.dialect == 'sqlite'
        statuses = (ReadingStatus.SUBMITTED, ReadingStatus.EXPORTED) if again else (ReadingStatus.SUBMITTED,)
        first, after = (day.isoformat() if self.sqlite else day for day in period_days(period))
        self.values: list[Any] = [ReadingSource.CUSTOMER.value, first, after, *(status.value for status in statuses)]
        self.where = (
            f'WHERE r.source = {self.mark(1)} AND NOT r.superseded AND r.date >= {self.mark(2)} '
            f'AND r.date < {self.mark(3)} AND r.status IN ({", ".join(self.mark(4 + i) for i in range(len(statuses)))})'
        )

    def mark(self, number: int) -> str:
        return '?' if self.sqlite else f'${number}'

    async def count(self) -> int:
        sql = f'SELECT count(*) FROM reading AS r {self.where}'  # noqa: S608 - our statement, values bound
        return (await self.connection.execute_query(sql, self.values))[1][0][0]

    async def batch(self, after_id: int, size: int) -> list[Sequence[Any]]:
        n = len(self.values)
        sql = f'{_SELECT}{self.where} AND r.id > {self.mark(n + 1)} ORDER BY r.id LIMIT {self.mark(n + 2)}'
        return (await self.connection.execute_query(sql, [*self.values, after_id, size]))[1]

    async def pin(self, export_id: int, ids: list[int]) -> None:
        marks = ', '.join(self.mark(2 + i) for i in range(len(ids)))
        sql = f'UPDATE reading SET export_id = {self.mark(1)} WHERE id IN ({marks})'  # noqa: S608 - marks only
        await self.connection.execute_query(sql, [export_id, *ids])


def _register(value: object) -> str:
    """A register value as billing reads it: dot decimals without trailing zeros ('' for a zone the meter lacks).
    SQLite holds the text the ORM wrote ('12610.5000') or the import did; PostgreSQL a numeric(16, 4)."""
    if value is None:
        return ''
    text = value if isinstance(value, str) else format(value, 'f')
    return text.rstrip('0').rstrip('.') if '.' in text else text


def _iso(value: object) -> str:
    """A date or moment in ISO 8601: SQLite's text '2026-11-20 09:00:00+00:00' gets its T."""
    if value is None:
        return ''
    if isinstance(value, str):
        return value.replace(' ', 'T', 1)
    return value.isoformat()  # type: ignore[attr-defined]


def _csv_row(row: Sequence[Any]) -> tuple[str, ...]:
    # row[0] is the reading's id: pinned, not written
    _, account, serial, day, t1, t2, t3, submitted_at, channel = row
    return account, serial, _iso(day), _register(t1), _register(t2), _register(t3), _iso(submitted_at), channel


def _open_part(target: Path) -> tuple[TextIO, Path]:
    """The file the rows go to until it is complete, beside `target`, and its path; ExportRefused when it cannot be
    written there."""
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        handle, name = tempfile.mkstemp(prefix=f'{target.name}.', suffix='.part', dir=target.parent)
    except OSError as error:
        raise ExportRefused(t('readings.export.unwritable', path=target, reason=error.strerror or error)) from error
    return open(handle, 'w', encoding='utf-8', newline=''), Path(name)


async def _write(query: _Query, export_id: int, file: TextIO, *, batch: int, progress: Progress) -> int:
    writer = csv.writer(file)
    writer.writerow(HEADER)
    written, last = 0, 0
    while rows := await query.batch(last, batch):
        ids = [row[0] for row in rows]
        await query.pin(export_id, ids)
        writer.writerows(_csv_row(row) for row in rows)
        written, last = written + len(rows), ids[-1]
        progress.advance(len(rows))
    return written


async def _finish(export_id: int, rows: int) -> None:
    """The readings of the file become `exported` and the run finished, together."""
    async with in_transaction() as connection:
        await ReadingExport.filter(id=export_id).using_db(connection).update(finished_at=clock.now(), rows=rows)
        await (
            Reading.filter(export_id=export_id, status=ReadingStatus.SUBMITTED)
            .using_db(connection)
            .update(status=ReadingStatus.EXPORTED)
        )


async def export_readings(
    period: str,
    *,
    out: str | Path | None = None,
    again: bool = False,
    progress: Progress = SILENT,
    batch: int = BATCH,
) -> ExportResult:
    """Write the month's customer readings for billing to `out` (default: readings-YYYY-MM-<export id>.csv in the
    working folder) and mark them exported. ValueError for a period that is no month, ExportRefused when the file
    cannot be written (then nothing is marked)."""
    check_period(period)
    target = Path(out) if out else None
    # the default name holds the export id, which only exists once the file has proved writable
    part, part_path = _open_part(target or Path(f'readings-{period}.csv'))
    try:
        export = await ReadingExport.create(period=period, started_at=clock.now())
        target = target or Path(default_name(period, export.id))
        query = _Query(connections.get('default'), period, again)
        progress.step(t('readings.export.progress', period=period), await query.count())
        with part:
            rows = await _write(query, export.id, part, batch=batch, progress=progress)
            part.flush()
            os.fsync(part.fileno())
        os.replace(part_path, target)
    except BaseException:
        part.close()
        part_path.unlink(missing_ok=True)
        raise
    await _finish(export.id, rows)
    return ExportResult(export.id, rows, target)
