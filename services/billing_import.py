"""Import of the billing system's CSV files: regions, accounts, payments, bills (operator contract in PRODUCT.md).

Each file is read once, as a stream, inside its own transaction: every row is checked, and the good ones go into a
temporary staging table. A bad row is reported with its line; after the last row any error rolls the transaction
back, so nothing of that file is written. Otherwise one INSERT … SELECT … ON CONFLICT per file merges the staged rows
into the real table: rows are matched by natural keys, so importing the same files again changes nothing. Files are
recognised by their header and imported in dependency order whatever the argument order.

Bills are still assembled in memory and written through the ORM: a bill is several rows of its file.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar, Literal

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from models.billing import Bill, BillLine, Region

log = logging.getLogger(__name__)

#: rows per execute_many into the staging table, and bills per ORM batch
BATCH = 5000
#: account numbers → ids read per query, so a million accounts never sit in one result list
DIRECTORY_PAGE = 100_000

Status = Literal['imported', 'refused', 'unreadable']


@dataclass
class FileReport:
    """What happened to one file; `errors` are `file:line: reason` lines for the operator."""

    path: str
    kind: str | None = None
    status: Status = 'imported'
    rows: int = 0
    #: regions, accounts, payments or bills (a bill is several rows of bills.csv)
    records: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == 'unreadable':
            return self.errors[0]
        if self.status == 'refused':
            errors = _plural(len(self.errors), 'ошибка', 'ошибки', 'ошибок')
            return f'{self.path}: отклонён, {errors}; из файла ничего не записано'
        text = f'{self.path}: {_plural(self.rows, "строка", "строки", "строк")}'
        if self.kind == 'bills':
            text += f' ({_plural(self.records, "платёжный документ", "платёжных документа", "платёжных документов")})'
        text += f', добавлено {self.added}'
        if self.kind != 'payments':  # a payment is all key: it is either there or not
            text += f', изменено {self.changed}'
        return text + f', без изменений {self.unchanged}'


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0: all imported; 1: a file was refused for its content; 2: a file could not be read or recognised."""
        statuses = {report.status for report in self.files}
        if 'unreadable' in statuses:
            return 2
        return 1 if 'refused' in statuses else 0

    def lines(self) -> list[str]:
        """The report an operator reads: a summary per file, every bad row, then which files went in."""
        lines: list[str] = []
        for report in self.files:
            lines.append(report.summary())
            if report.status == 'refused':
                lines.extend(f'  {error}' for error in report.errors)
        imported = [report.path for report in self.files if report.status == 'imported']
        failed = [report.path for report in self.files if report.status != 'imported']
        lines.append(f'Импортированы: {", ".join(imported) or "нет"}.')
        if failed:
            lines.append(f'Не импортированы: {", ".join(failed)}.')
        return lines


async def cli_import(paths: list[str]) -> int:
    """`python main.py import FILE…`: import, print the report, return the exit code."""
    report = await import_files(paths)
    for line in report.lines():
        print(line)
    return report.exit_code


async def import_files(paths: Sequence[str | Path]) -> ImportReport:
    """Import the given CSV files, each whole or not at all, in the order regions → accounts → payments → bills."""
    report = ImportReport()
    recognised: list[tuple[type[_Importer], FileReport, list[str]]] = []
    for path in map(str, paths):
        file_report = FileReport(path)
        report.files.append(file_report)
        try:
            header = _read_header(path)
        except _UnreadableError as error:
            _mark_unreadable(file_report, str(error))
            continue
        importer, problem = _recognise(path, header)
        if importer is None:
            _mark_unreadable(file_report, problem)
        elif problem:
            file_report.kind = importer.kind
            _mark_refused(file_report, [f'{path}:1: {problem}'])
        else:
            file_report.kind = importer.kind
            recognised.append((importer, file_report, header))

    directory = _Directory()
    recognised.sort(key=lambda item: _IMPORTERS.index(item[0]))
    report.files.sort(key=lambda item: -1 if item.kind is None else _KINDS.index(item.kind))
    with _Progress() as progress:
        for importer, file_report, header in recognised:
            await _import_file(importer(directory, file_report, header), progress)
    return report


class _RefusedError(Exception):
    """A row was bad: leave the file's transaction so that it rolls back."""


async def _import_file(importer: _Importer, progress: _Progress) -> None:
    report = importer.report
    started = time.monotonic()
    log.info('importing %s as %s', report.path, importer.kind)
    # before the transaction: on SQLite a transaction that reads first cannot write later if the portal wrote meanwhile
    await importer.prepare()
    try:
        async with in_transaction() as connection:
            with _open(report.path) as file:
                size = os.fstat(file.fileno()).st_size
                await importer.begin(_Database(connection), size)
                progress.start(f'Проверка {report.path}', size)
                records = _records(file)
                next(records, None)  # the header
                for batch in importer.check(records):
                    await importer.stage(batch)
                    progress.show(file.buffer.tell())
            if report.errors:
                raise _RefusedError
            progress.start(f'Запись {report.path}', None)
            report.added, report.changed = await importer.write(progress)
    except _RefusedError:
        _mark_refused(report, report.errors)
        return
    except _UnreadableError as error:
        _mark_unreadable(report, str(error))
        return
    except (IntegrityError, OperationalError) as error:
        # checking the rows should prevent this; a concurrent import or a database limit may not
        log.exception('%s: the database refused the file, nothing written', report.path)
        _mark_refused(report, [f'{report.path}: база данных отклонила запись ({error}); из файла ничего не записано'])
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


# --- reading ------------------------------------------------------------------------------------------------------


class _UnreadableError(Exception):
    """The file cannot be read as UTF-8 CSV at all (the message is for the operator)."""


def _open(path: str) -> Any:
    try:
        # utf-8-sig: Excel and many billing systems start UTF-8 files with a BOM
        return open(path, encoding='utf-8-sig', newline='')
    except FileNotFoundError:
        raise _UnreadableError('файл не найден') from None
    except IsADirectoryError:
        raise _UnreadableError('это каталог, а не файл') from None
    except PermissionError:
        raise _UnreadableError('нет прав на чтение файла') from None
    except OSError as error:
        raise _UnreadableError(f'не удалось открыть файл: {error.strerror}') from None


def _read_header(path: str) -> list[str]:
    with _open(path) as file:
        for _, values in _records(file):
            return [name.strip().lower() for name in values]
    raise _UnreadableError('файл пуст, нет даже строки заголовка')


def _records(file: Any) -> Iterator[tuple[int, list[str]]]:
    """Records with the physical line each starts on (the header is line 1)."""
    reader = csv.reader(file)
    # a quoted value may span lines: a record starts on the line after the previous record ended
    line = 1
    try:
        for values in reader:
            # spreadsheets leave blank lines and lines of bare commas; the first value settles almost every row
            if values and (values[0].strip() or any(value.strip() for value in values)):
                yield line, values
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise _UnreadableError(f'файл не в кодировке UTF-8 (около строки {reader.line_num + 1})') from None
    except csv.Error as error:
        raise _UnreadableError(f'не удалось разобрать CSV в строке {line}: {error}') from None


def _recognise(path: str, header: list[str]) -> tuple[type[_Importer] | None, str]:
    """The importer for this header, and what is wrong with the header ('' if nothing)."""
    columns = set(header)
    for importer in _IMPORTERS:
        if set(importer.columns) <= columns <= set(importer.columns) | set(importer.optional):
            duplicated = sorted(name for name, count in Counter(header).items() if count > 1)
            if duplicated:
                return importer, f'столбцы повторяются в заголовке: {", ".join(duplicated)}'
            return importer, ''
    # not a known header: still name the problem when the file name or most columns say what it was meant to be
    semicolons = ' (поля должны разделяться запятой, а не точкой с запятой)' if ';' in ','.join(header) else ''
    stem = Path(path).stem.lower()
    guess = next((importer for importer in _IMPORTERS if importer.kind == stem), None)
    if guess is None:
        overlap = {importer: len(columns & set(importer.columns)) for importer in _IMPORTERS}
        best = max(overlap.values())
        candidates = [importer for importer, count in overlap.items() if count == best]
        if best >= 2 and len(candidates) == 1:
            guess = candidates[0]
    if guess is None:
        expected = '; '.join(f'{importer.kind}.csv: {",".join(importer.columns)}' for importer in _IMPORTERS)
        return None, (
            f'не удалось понять по заголовку «{",".join(header)}», что это за файл{semicolons}; '
            f'ожидается один из: {expected}'
        )
    missing = [name for name in guess.columns if name not in columns]
    extra = [f'«{name}»' for name in header if name not in guess.columns and name not in guess.optional]
    problems = []
    if missing:
        problems.append(f'в заголовке нет столбцов: {", ".join(missing)}')
    if extra:
        problems.append(f'лишние столбцы: {", ".join(extra)}')
    return guess, '; '.join(problems) + semicolons + f'; ожидается заголовок {",".join(guess.columns + guess.optional)}'


# --- one row -------------------------------------------------------------------------------------------------------

# [0-9], not \d: \d also matches other scripts' digits, which Decimal and date would quietly accept
_DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}')
_PERIOD = re.compile(r'[0-9]{4}-(0[1-9]|1[0-2])')
_NUMBER = re.compile(r'-?([0-9]+)(?:\.([0-9]+))?')
_EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s]+')
#: an amount already written the way it is stored (kopecks, no leading zeros, within 12 digits): the common case
_STORED_AMOUNT = re.compile(r'-?(?:0|[1-9][0-9]{0,9})\.[0-9]{2}')
_KOPECK = Decimal('0.01')


@dataclass(frozen=True)
class _NumberRule:
    places: int
    max_digits: int
    #: the operator reads this when the value is not a number
    rule: str


_NUMBERS = {
    'amount': _NumberRule(2, 12, 'сумма должна быть числом с точкой, например 102.00'),
    'kwh': _NumberRule(3, 12, 'расход кВт·ч должен быть числом с точкой, например 150.5'),
    'tariff': _NumberRule(4, 10, 'тариф должен быть числом с точкой, например 5.47'),
}
_DATES = {
    'date': 'дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15',
    'due_date': 'срок оплаты должен быть датой в виде ГГГГ-ММ-ДД, например 2026-04-15',
}


class _Row:
    """One data row; each reader records what is wrong, so a row reports all its problems at once."""

    def __init__(self, values: dict[str, str], line: int) -> None:
        self.values = values
        self.line = line
        self.errors: list[str] = []

    def text(self, column: str, max_length: int | None = None, required: bool = True) -> str:
        value = self.values.get(column, '').strip()
        if required and not value:
            self.errors.append(f'не заполнено поле {column}')
        elif max_length and len(value) > max_length:
            self.errors.append(f'поле {column} длиннее {max_length} символов')
        return value

    def decimal(self, column: str) -> Decimal:
        rule = _NUMBERS[column]
        value = self.text(column)
        if not value:
            return Decimal(0)
        match = _NUMBER.fullmatch(value)
        if not match:
            self.errors.append(f'{rule.rule}, а не «{value}»')
        elif len(match[2] or '') > rule.places:
            self.errors.append(f'в поле {column} не больше {rule.places} знаков после точки, а не «{value}»')
        elif len(match[1].lstrip('0')) > rule.max_digits - rule.places:
            self.errors.append(f'слишком большое число в поле {column}: «{value}»')
        else:
            return Decimal(value)
        return Decimal(0)

    def date(self, column: str) -> date:
        value = self.text(column)
        # fromisoformat alone also takes 20260315 and week dates; the contract is YYYY-MM-DD
        if _DATE.fullmatch(value):
            with suppress(ValueError):
                return date.fromisoformat(value)
        if value:
            self.errors.append(f'{_DATES[column]}, а не «{value}»')
        return date.min

    def period(self, column: str) -> str:
        value = self.text(column)
        if value and not _PERIOD.fullmatch(value):
            self.errors.append(f'период должен быть в виде ГГГГ-ММ, например 2026-03, а не «{value}»')
        return value


class _Directory:
    """Region codes and account numbers → ids, read once per run and re-read after a file added some."""

    def __init__(self) -> None:
        self._regions: dict[str, int] | None = None
        self._accounts: dict[str, int] | None = None

    async def regions(self) -> dict[str, int]:
        if self._regions is None:
            self._regions = dict(await Region.all().values_list('code', 'id'))
        return self._regions

    async def accounts(self) -> dict[str, int]:
        if self._accounts is None:
            # page by id with plain SQL: ORM objects for a million accounts cost seconds and hundreds of MB at once
            database = _Database(connections.get('default'))
            after = database.marks(1)
            query = f'SELECT id, number FROM account WHERE id > {after} ORDER BY id LIMIT {DIRECTORY_PAGE}'  # noqa: S608
            accounts: dict[str, int] = {}
            last = 0
            while rows := (await database.connection.execute_query(query, [last]))[1]:
                accounts.update((row[1], row[0]) for row in rows)
                last = rows[-1][0]
            self._accounts = accounts
        return self._accounts

    def forget(self) -> None:
        self._regions = self._accounts = None


# --- the database --------------------------------------------------------------------------------------------------


class _Database:
    """The connection of a file's transaction, and the little that differs between SQLite and PostgreSQL."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self.sqlite = connection.capabilities.dialect == 'sqlite'
        #: "differs from", NULL-safe
        self.differs = 'IS NOT' if self.sqlite else 'IS DISTINCT FROM'

    def marks(self, count: int) -> str:
        """Parameter placeholders: sqlite3 takes ?, asyncpg $1, $2, …"""
        return ', '.join('?' * count) if self.sqlite else ', '.join(f'${number}' for number in range(1, count + 1))

    async def run(self, sql: str) -> None:
        await self.connection.execute_query(sql)

    async def write(self, sql: str) -> int:
        """One INSERT; how many rows it inserted or changed."""
        if self.sqlite:
            return (await self.connection.execute_query(sql))[0]
        # Tortoise's asyncpg client reads the count from the wrong word of the status "INSERT 0 <rows>"
        counted = f'WITH written AS ({sql} RETURNING 1) SELECT count(*) FROM written'  # noqa: S608 - our statement
        return (await self.connection.execute_query(counted))[1][0][0]

    async def count(self, table: str) -> int:
        return (await self.connection.execute_query(f'SELECT count(*) FROM {table}'))[1][0][0]  # noqa: S608 - our name

    async def create_stage(self, table: str, columns: dict[str, str]) -> None:
        """A temporary table for a file's good rows: column → its PostgreSQL type."""
        if self.sqlite:
            # untyped columns keep values as bound: a NUMERIC column would turn the text '102.50' into the real 102.5
            definition = ', '.join(columns)
        else:
            definition = ', '.join(f'{name} {kind}' for name, kind in columns.items())
        await self.run(f'CREATE TEMPORARY TABLE {table} ({definition})')

    async def insert_many(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if self.sqlite:
            insert = f'INSERT INTO {table} ({", ".join(columns)}) VALUES ({self.marks(len(columns))})'  # noqa: S608
            await self.connection.execute_many(insert, rows)
        else:
            # COPY: several times faster than asyncpg's executemany
            async with self.connection.acquire_connection() as connection:
                await connection.copy_records_to_table(table, records=rows, columns=list(columns))

    async def lock(self, table: str) -> None:
        """Become the table's only writer before reading counts from it."""
        if self.sqlite:
            # a write as the first statement on the real tables takes SQLite's write lock now (as BEGIN IMMEDIATE):
            # reading first and writing later fails at once with "database is locked" if the portal wrote between
            await self.run(f'DELETE FROM {table} WHERE 0')  # noqa: S608 - our table name
        else:
            # another import waits; the portal's readers do not
            await self.run(f'LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE')


# --- the four files ------------------------------------------------------------------------------------------------


class _Importer:
    """Checks the rows of one file as they stream by, then writes what they hold: (added, changed)."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    #: later files look up what this file adds (region codes, account numbers)
    defines_keys: ClassVar[bool] = False

    def __init__(self, directory: _Directory, report: FileReport, header: list[str]) -> None:
        self.directory = directory
        self.report = report
        self.header = header
        #: the column positions, for the fast path of the big files
        self.at = {name: position for position, name in enumerate(header)}

    async def prepare(self) -> None:
        """Load what checking the rows looks up (known regions, accounts); runs before the file's transaction."""

    async def begin(self, database: _Database, size: int) -> None:
        """The file's transaction has started; `size` is the file's size in bytes."""
        self.database = database

    def check(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[list[tuple[Any, ...]]]:
        """Check every row; yields the good rows to stage, a batch at a time."""
        batch = []
        for line, values in records:
            self.report.rows += 1
            staged = self.take(line, values)
            if staged is not None:
                batch.append(staged)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def take(self, line: int, values: list[str]) -> Any:
        """Check one row: what to stage for it, or None after reporting everything wrong with it."""
        if len(values) != len(self.header):
            self.refuse(line, [f'значений в строке {len(values)}, а столбцов в заголовке {len(self.header)}'])
            return None
        row = _Row(dict(zip(self.header, values, strict=True)), line)
        staged = self.parse(row)
        if row.errors:
            self.refuse(line, row.errors)
            return None
        return staged

    def parse(self, row: _Row) -> Any:
        """Read a row, recording what is wrong with it in `row.errors`; what to stage for it."""
        raise NotImplementedError

    def refuse(self, line: int, errors: list[str]) -> None:
        self.report.errors.append(f'{self.report.path}:{line}: {"; ".join(errors)}')

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        """Send a batch of good rows to the database."""

    async def write(self, progress: _Progress) -> tuple[int, int]:
        raise NotImplementedError

    def records(self) -> int:
        return self.report.rows

    def first_seen(self, seen: dict[Any, int], key: Any, row: _Row, what: str) -> None:
        """Report a key repeated within the file (the second row would silently overwrite the first)."""
        if key in seen:
            row.errors.append(f'{what} уже был в строке {seen[key]}')
        else:
            seen[key] = row.line


class _Staged(_Importer):
    """Good rows go to a temporary table as they come; `write` merges it into the real table with one statement."""

    #: the staging table's columns → their PostgreSQL types
    stage_columns: ClassVar[dict[str, str]]

    async def begin(self, database: _Database, size: int) -> None:
        await super().begin(database, size)
        self.stage_table = f'import_{self.kind}'
        await database.create_stage(self.stage_table, self.stage_columns)

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        if not self.report.errors:  # after a bad row nothing will be written: only keep checking
            await self.database.insert_many(self.stage_table, tuple(self.stage_columns), batch)

    async def write(self, progress: _Progress) -> tuple[int, int]:
        added, changed = await self.merge()
        await self.database.run(f'DROP TABLE {self.stage_table}')
        return added, changed

    async def merge(self) -> tuple[int, int]:
        raise NotImplementedError

    async def upsert(self, table: str, key: str, columns: tuple[str, ...]) -> tuple[int, int]:
        """Insert new keys, update rows whose values differ, leave equal rows untouched: (added, changed)."""
        database = self.database
        await database.lock(table)
        before = await database.count(table)
        names = ', '.join(columns)
        updates = ', '.join(f'{name} = excluded.{name}' for name in columns if name != key)
        differs = ' OR '.join(f'{table}.{name} {database.differs} excluded.{name}' for name in columns if name != key)
        # ordered by line: new rows get ids in file order; WHERE true: SQLite would read ON as a join's ON otherwise
        written = await database.write(
            f'INSERT INTO {table} ({names}) SELECT {names} FROM {self.stage_table} WHERE true ORDER BY line '  # noqa: S608
            f'ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {differs}'
        )
        added = await database.count(table) - before
        return added, written - added


class _Regions(_Staged):
    kind = 'regions'
    columns = ('code', 'name')
    defines_keys = True
    stage_columns: ClassVar = {'line': 'integer', 'code': 'text', 'name': 'text'}

    def __init__(self, directory: _Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        self.seen: dict[str, int] = {}

    def parse(self, row: _Row) -> tuple[int, str, str]:
        code, name = row.text('code', 32), row.text('name', 200)
        if code:
            self.first_seen(self.seen, code, row, f'регион {code}')
        return row.line, code, name

    async def merge(self) -> tuple[int, int]:
        return await self.upsert('region', 'code', ('code', 'name'))


class _Accounts(_Staged):
    kind = 'accounts'
    columns = ('number', 'region', 'surname', 'address')
    #: not every billing system has customers' emails
    optional = ('email',)
    defines_keys = True
    stage_columns: ClassVar = {
        'line': 'integer',
        'number': 'text',
        'region_id': 'integer',
        'surname': 'text',
        'address': 'text',
        'email': 'text',
    }

    def __init__(self, directory: _Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        #: account number → the line it was first seen on; the only thing kept per row
        self.seen: dict[str, int] = {}

    async def prepare(self) -> None:
        self.regions = await self.directory.regions()

    def take(self, line: int, values: list[str]) -> Any:
        # the common, valid row without building a _Row; anything unusual takes the full check and its messages
        if len(values) == len(self.header):
            at = self.at
            number = values[at['number']].strip()
            region_id = self.regions.get(values[at['region']].strip())
            surname = values[at['surname']].strip()
            address = values[at['address']].strip()
            email = values[at['email']].strip() if 'email' in at else ''
            if (
                region_id is not None
                and 0 < len(number) <= 32
                and 0 < len(surname) <= 200
                and address
                and (not email or (len(email) <= 254 and _EMAIL.fullmatch(email)))
                and number not in self.seen
            ):
                self.seen[number] = line
                return line, number, region_id, surname, address, email or None
        return super().take(line, values)

    def parse(self, row: _Row) -> tuple[Any, ...]:
        number = row.text('number', 32)
        code = row.text('region', 32)
        surname = row.text('surname', 200)
        address = row.text('address')
        email = row.text('email', 254, required=False)
        if code and code not in self.regions:
            row.errors.append(f'неизвестный регион {code}')
        if email and not _EMAIL.fullmatch(email):
            row.errors.append(f'email указан с ошибкой: «{email}»')
        if number:
            self.first_seen(self.seen, number, row, f'лицевой счёт {number}')
        return row.line, number, self.regions.get(code), surname, address, email or None

    async def merge(self) -> tuple[int, int]:
        return await self.upsert('account', 'number', ('number', 'region_id', 'surname', 'address', 'email'))


class _Payments(_Staged):
    """Identical (account, date, amount) rows are distinct payments, numbered 1..n in file order: Payment.seq.

    Numbering every row would need all keys of the file in memory, or the database numbering the whole file with a
    window function (+10 s on 6 million rows here). Instead a bitmap of key hashes tells whether a row's key may have
    come before: a row whose bit is clear is certainly the first of its key (seq 1) and is staged as a bare key; the
    few others (~1 %, nearly all by chance) keep their line and only their keys are numbered by the database.
    """

    kind = 'payments'
    columns = ('account', 'date', 'amount')
    stage_columns: ClassVar = {'account_id': 'integer', 'date': 'date', 'amount': 'numeric(12, 2)'}
    repeat_columns: ClassVar = {'line': 'integer', 'account_id': 'integer', 'date': 'date', 'amount': 'numeric(12, 2)'}

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()

    async def begin(self, database: _Database, size: int) -> None:
        await super().begin(database, size)
        self.mask = _bitmap_bits(size) - 1
        self.bits = bytearray((self.mask + 1) // 8)
        self.repeats: list[tuple[int, int, Any, Any]] = []
        #: date text → the value bound for it; a year of payments has only 365 dates to check
        self.days: dict[str, Any] = {}

    def check(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[list[tuple[Any, ...]]]:
        # the loop of a 6-million-row file: locals, and no method call for a common valid row
        accounts, days, bits, mask, repeats = self.accounts, self.days, self.bits, self.mask, self.repeats
        stored = _STORED_AMOUNT.fullmatch
        width = len(self.header)
        account_at, date_at, amount_at = (self.at[name] for name in self.columns)
        batch: list[tuple[Any, ...]] = []
        rows = self.report.rows
        for line, values in records:
            rows += 1
            if (
                len(values) == width
                and (account_id := accounts.get(values[account_at])) is not None
                and (day := days.get(values[date_at])) is not None
                and stored(amount := values[amount_at])
                and amount != '-0.00'
            ):
                pass
            elif payment := self.take(line, values):  # anything unusual: the full check and its messages
                account_id, day, amount = payment
            else:
                continue
            spot = hash((account_id, day, amount)) & mask
            byte, bit = spot >> 3, 1 << (spot & 7)
            if bits[byte] & bit:
                repeats.append((line, account_id, day, amount))
                continue
            bits[byte] |= bit
            batch.append((account_id, day, amount))
            if len(batch) >= BATCH:
                self.report.rows = rows
                yield batch
                batch = []
        self.report.rows = rows
        if batch:
            yield batch

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        # SQLite stores a DecimalField as text, written as Decimal quantized to kopecks prints it; asyncpg: Decimal
        await super().stage(batch if self.database.sqlite else [(*row[:-1], Decimal(row[-1])) for row in batch])

    def parse(self, row: _Row) -> tuple[int, Any, str]:
        account_id = _account_id(row, self.accounts)
        day, amount = row.date('date'), row.decimal('amount')
        bound = day.isoformat() if self.database.sqlite else day
        if not row.errors and len(self.days) < 10_000:  # a file of arbitrary dates must not grow the cache without end
            self.days[row.values['date']] = bound
        # + 0 turns -0.00 into 0.00: PostgreSQL sees one number, SQLite would see two different texts
        return account_id, bound, str(amount.quantize(_KOPECK) + 0)

    async def merge(self) -> tuple[int, int]:
        database, stage = self.database, self.stage_table
        await database.lock('payment')
        # in key order the unique index grows at its end instead of at random places: several times faster
        added = await database.write(
            f'INSERT INTO payment (account_id, date, amount, seq) SELECT account_id, date, amount, 1 FROM {stage} '  # noqa: S608
            'WHERE true ORDER BY account_id, date, amount ON CONFLICT DO NOTHING'
        )
        if self.repeats:
            await database.create_stage('import_payment_repeats', self.repeat_columns)
            for batch in _batched(self.repeats, BATCH):
                rows = batch if database.sqlite else [(*row[:-1], Decimal(row[-1])) for row in batch]
                await database.insert_many('import_payment_repeats', tuple(self.repeat_columns), rows)
            # the first row of each repeated key (line 0: it came first) and its repeats, numbered in file order
            added += await database.write(
                'INSERT INTO payment (account_id, date, amount, seq) SELECT account_id, date, amount, seq FROM ('  # noqa: S608
                'SELECT line, account_id, date, amount, '
                'row_number() OVER (PARTITION BY account_id, date, amount ORDER BY line) AS seq FROM ('
                f'SELECT 0 AS line, account_id, date, amount FROM {stage} WHERE (account_id, date, amount) IN '
                '(SELECT account_id, date, amount FROM import_payment_repeats) '
                'UNION ALL SELECT line, account_id, date, amount FROM import_payment_repeats'
                ') AS candidates) AS numbered WHERE line > 0 ORDER BY account_id, date, amount, seq '
                'ON CONFLICT DO NOTHING'
            )
            await database.run('DROP TABLE import_payment_repeats')
        return added, 0


@dataclass
class _BillDraft:
    due_date: date
    line: int
    lines: list[tuple[str, Decimal, Decimal, Decimal]] = field(default_factory=list)


def _split(batch: list[tuple[Any, ...]], existing: dict[Any, tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], int]:
    """Records (key, *values) that are new or differ from `existing` (key → values), and how many are new."""
    to_write = [record for record in batch if existing.get(record[0]) != record[1:]]
    return to_write, sum(1 for record in to_write if record[0] not in existing)


class _Bills(_Importer):
    kind = 'bills'
    columns = ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date')

    def __init__(self, directory: _Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        #: (account id, period) → the bill being assembled; lines keep file order, which is their position
        self.bills: dict[tuple[int, str], _BillDraft] = {}

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()

    def parse(self, row: _Row) -> None:
        account_id = _account_id(row, self.accounts)
        period = row.period('period')
        line = (row.text('service', 200), row.decimal('kwh'), row.decimal('tariff'), row.decimal('amount'))
        due_date = row.date('due_date')
        if row.errors:
            return
        draft = self.bills.setdefault((account_id, period), _BillDraft(due_date, row.line))
        if draft.due_date != due_date:
            row.errors.append(
                f'другой срок оплаты, чем в строке {draft.line} того же платёжного документа '
                f'({due_date.isoformat()} вместо {draft.due_date.isoformat()})'
            )
            return
        draft.lines.append(line)

    def records(self) -> int:
        return len(self.bills)

    async def write(self, progress: _Progress) -> tuple[int, int]:
        await self.database.lock('bill')
        records = [
            (key, sum((line[3] for line in draft.lines), Decimal('0.00')), draft.due_date, tuple(draft.lines))
            for key, draft in self.bills.items()
        ]
        progress.start(f'Запись {self.report.path}', len(records))
        added = changed = done = 0
        for batch in _batched(records, BATCH):
            batch_added, batch_changed = await self.write_batch(batch)
            added += batch_added
            changed += batch_changed
            done += len(batch)
            progress.show(done)
        return added, changed

    async def write_batch(self, batch: list[tuple[tuple[int, str], Decimal, date, tuple[Any, ...]]]) -> tuple[int, int]:
        keys = [record[0] for record in batch]
        stored = {
            (account_id, period): (bill_id, amount_due, due_date)
            for bill_id, account_id, period, amount_due, due_date in await Bill.filter(
                account_id__in=list({account_id for account_id, _ in keys}),
                period__in=list({period for _, period in keys}),
            ).values_list('id', 'account_id', 'period', 'amount_due', 'due_date')
        }
        ids = {key: stored[key][0] for key in keys if key in stored}
        lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for bill_id, *line in await (
            BillLine.filter(bill_id__in=list(ids.values()))
            .order_by('bill_id', 'position')
            .values_list('bill_id', 'service', 'kwh', 'tariff', 'amount')
        ):
            lines[bill_id].append(tuple(line))
        existing = {
            key: (amount_due, due_date, tuple(lines[bill_id]))
            for key, (bill_id, amount_due, due_date) in stored.items()
        }
        to_write, added = _split(batch, existing)
        await Bill.bulk_create(
            [
                Bill(account_id=account_id, period=period, amount_due=amount_due, due_date=due_date)
                for (account_id, period), amount_due, due_date, _ in to_write
            ],
            on_conflict=['account_id', 'period'],
            update_fields=['amount_due', 'due_date'],
        )
        # a changed bill gets its lines anew: positions follow the file, and a shorter bill loses its extra lines
        await BillLine.filter(bill_id__in=[ids[record[0]] for record in to_write if record[0] in ids]).delete()
        if added:
            # bulk_create does not return ids
            new_keys = [record[0] for record in to_write if record[0] not in ids]
            for bill_id, account_id, period in await Bill.filter(
                account_id__in=list({account_id for account_id, _ in new_keys}),
                period__in=list({period for _, period in new_keys}),
            ).values_list('id', 'account_id', 'period'):
                ids.setdefault((account_id, period), bill_id)
        await BillLine.bulk_create(
            [
                BillLine(bill_id=ids[key], position=position, service=service, kwh=kwh, tariff=tariff, amount=amount)
                for key, _, _, bill_lines in to_write
                for position, (service, kwh, tariff, amount) in enumerate(bill_lines, start=1)
            ],
            batch_size=BATCH,
        )
        return added, len(to_write) - added


def _bitmap_bits(size: int) -> int:
    """Bits of the payments' repeat bitmap for a file of `size` bytes: a power of two, at least 8.

    One bit per byte of the file, ~30 per row: at the end of a file about one row in 60 is marked by chance."""
    return max(1 << 16, 1 << size.bit_length())


def _account_id(row: _Row, accounts: dict[str, int]) -> int:
    number = row.text('account', 32)
    if number and number not in accounts:
        row.errors.append(f'нет такого лицевого счёта {number}')
    return accounts.get(number, 0)


_IMPORTERS: list[type[_Importer]] = [_Regions, _Accounts, _Payments, _Bills]
_KINDS = [importer.kind for importer in _IMPORTERS]


# --- small helpers -------------------------------------------------------------------------------------------------


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _plural(count: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 строка, 2 строки, 5 строк, 21 строка, 11 строк."""
    if count % 10 == 1 and count % 100 != 11:
        word = one
    elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        word = few
    else:
        word = many
    return f'{count} {word}'


class _Progress:
    """A progress bar while a terminal watches; nothing when the output goes to a file, a pipe or a test."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None
        if sys.stdout.isatty():
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn('{task.description}'), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), transient=True
            )

    def __enter__(self) -> _Progress:
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar:
            self._bar.stop()

    def start(self, description: str, total: int | None) -> None:
        """A new step: `total` in the unit `show` counts (bytes of the file, bills), None while it cannot be told."""
        if self._bar:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=total)

    def show(self, completed: int) -> None:
        if self._bar:
            self._bar.update(self._task, completed=completed)
