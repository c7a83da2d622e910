"""Import of the billing system's CSV files: regions, tariffs, accounts, meters, readings, payments, bills (formats
in docs/operator.md).

Each file is read once, as a stream, inside its own transaction: every row is checked, and the good ones go into a
temporary staging table. A bad row is reported with its line; after the last row any error rolls the transaction
back, so nothing of that file is written. Otherwise one INSERT … SELECT … ON CONFLICT per file merges the staged rows
into the real table: rows are matched by natural keys, so importing the same files again changes nothing. Files are
recognised by their header and imported in dependency order whatever the argument order.

reading.py opens and recognises a file, rows.py checks a cell, one module per kind of file (regions, tariffs,
accounts, meters, readings, payments, bills) on importer.py stages and writes, sql.py is the SQL; this module runs
them, a file at a time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from services.billing.imports import reading
from services.billing.imports.accounts import Accounts
from services.billing.imports.bills import Bills
from services.billing.imports.importer import Importer
from services.billing.imports.meters import Meters
from services.billing.imports.payments import Payments
from services.billing.imports.reading import UnreadableError
from services.billing.imports.readings import Readings
from services.billing.imports.regions import Regions
from services.billing.imports.report import FileReport, ImportReport
from services.billing.imports.sql import Database, Directory
from services.billing.imports.tariffs import Tariffs
from services.progress import SILENT, Progress
from services.texts import t

__all__ = ['IMPORTERS', 'KINDS', 'FileReport', 'ImportReport', 'import_files']

log = logging.getLogger(__name__)

#: in dependency order: a file's rows are checked against what the files before it stored
IMPORTERS: list[type[Importer]] = [Regions, Tariffs, Accounts, Meters, Readings, Payments, Bills]
#: the kinds of file, in that order (regions, tariffs, accounts, meters, readings, payments, bills)
KINDS = [importer.kind for importer in IMPORTERS]


async def import_files(paths: Sequence[str | Path], progress: Progress = SILENT) -> ImportReport:
    """Import the given CSV files, each whole or not at all, in the order of IMPORTERS."""
    report = ImportReport()
    recognised: list[tuple[type[Importer], FileReport, list[str]]] = []
    for path in map(str, paths):
        file_report = FileReport(path)
        report.files.append(file_report)
        try:
            header = reading.read_header(path)
        except UnreadableError as error:
            _mark_unreadable(file_report, str(error))
            continue
        importer, problem = reading.recognise(path, header, IMPORTERS)
        if importer is None:
            _mark_unreadable(file_report, problem)
        elif problem:
            file_report.kind = importer.kind
            _mark_refused(file_report, [f'{path}:1: {problem}'])
        else:
            file_report.kind = importer.kind
            recognised.append((importer, file_report, header))

    directory = Directory()
    recognised.sort(key=lambda item: IMPORTERS.index(item[0]))
    report.files.sort(key=lambda item: -1 if item.kind is None else KINDS.index(item.kind))
    for importer, file_report, header in recognised:
        await _import_file(importer(directory, file_report, header), progress)
    return report


class _RefusedError(Exception):
    """A row was bad: leave the file's transaction so that it rolls back."""


async def _import_file(importer: Importer, progress: Progress) -> None:
    report = importer.report
    started = time.monotonic()
    log.info('importing %s as %s', report.path, importer.kind)
    # before the transaction: on SQLite a transaction that reads first cannot write later if the portal wrote meanwhile
    await importer.prepare()
    try:
        async with in_transaction() as connection:
            with reading.open_file(report.path) as file:
                size = os.fstat(file.fileno()).st_size
                await importer.begin(Database(connection), size)
                progress.step(t('import.progress.check', path=report.path), size)
                records = reading.records(file)
                next(records, None)  # the header
                for batch in importer.check(records):
                    await importer.stage(batch)
                    progress.show(file.buffer.tell())
                await importer.check_staged()
            if report.errors:
                raise _RefusedError
            progress.step(t('import.progress.write', path=report.path), None)
            report.added, report.changed = await importer.write(progress)
    except _RefusedError:
        _mark_refused(report, report.errors)
        return
    except UnreadableError as error:
        _mark_unreadable(report, str(error))
        return
    except (IntegrityError, OperationalError) as error:
        # checking the rows should prevent this; a concurrent import or a database limit may not
        log.exception('%s: the database refused the file, nothing written', report.path)
        _mark_refused(report, [f'{report.path}: {t("import.database_refused", error=error)}'])
        return
    report.records = importer.records()
    report.unchanged = report.records - report.added - report.changed
    if importer.defines_keys and report.added:
        importer.directory.forget()
    log.info(
        '%s: %d rows, %d added, %d changed, %d unchanged in %.1f s',
        report.path,
        report.rows,
        report.added,
        report.changed,
        report.unchanged,
        time.monotonic() - started,
    )


def _mark_unreadable(report: FileReport, reason: str) -> None:
    report.status = 'unreadable'
    report.errors = [f'{report.path}: {reason}']
    log.error('%s: %s', report.path, reason)


def _mark_refused(report: FileReport, errors: list[str]) -> None:
    report.status = 'refused'
    report.errors = errors
    log.warning('%s refused, nothing written; bad rows: %d, the first: %s', report.path, len(errors), errors[0])
