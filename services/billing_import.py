"""Import of the billing system's CSV files: regions, accounts, payments, bills (operator contract in PRODUCT.md).

Each file is checked completely before anything of it is written, then written in one transaction, so a bad row
never leaves a file half-imported. Rows are matched by natural keys, so importing the same files again changes
nothing. Files are recognised by their header and imported in dependency order whatever the argument order.
"""

from __future__ import annotations

import csv
import logging
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
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar, Literal

from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from models.billing import Account, Bill, BillLine, Payment, Region

log = logging.getLogger(__name__)

#: rows per bulk query: measured ~44k rows/s with Tortoise bulk_create inside one transaction (STACK_NOTES)
BATCH = 5000

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
            await _import_file(importer(directory), file_report, header, progress)
    return report


async def _import_file(importer: _Importer, report: FileReport, header: list[str], progress: _Progress) -> None:
    started = time.monotonic()
    log.info('importing %s as %s', report.path, importer.kind)
    await importer.prepare()
    progress.start(f'Проверка {report.path}', None)
    try:
        for line, values in _rows(report.path):
            report.rows += 1
            if report.rows % 1000 == 0:  # rich takes a lock per update: per row that costs seconds on millions
                progress.show(report.rows)
            if len(values) != len(header):
                report.errors.append(
                    f'{report.path}:{line}: значений в строке {len(values)}, а столбцов в заголовке {len(header)}'
                )
                continue
            row = _Row(dict(zip(header, values, strict=True)), line)
            importer.parse(row)
            if row.errors:
                report.errors.append(f'{report.path}:{line}: {"; ".join(row.errors)}')
    except _UnreadableError as error:
        _mark_unreadable(report, str(error))
        return
    if report.errors:
        _mark_refused(report, report.errors)
        return

    records = importer.records()
    report.records = len(records)
    progress.start(f'Запись {report.path}', len(records))
    done = 0
    try:
        async with in_transaction():
            for batch in _batched(records, BATCH):
                added, changed = await importer.write(batch)
                report.added += added
                report.changed += changed
                done += len(batch)
                progress.show(done)
    except (IntegrityError, OperationalError) as error:
        # validation should prevent this; a concurrent import or a database limit may not
        log.exception('%s: the database refused the file, nothing written', report.path)
        _mark_refused(report, [f'{report.path}: база данных отклонила запись ({error}); из файла ничего не записано'])
        return
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


def _rows(path: str) -> Iterator[tuple[int, list[str]]]:
    """Data rows with the physical line each starts on (the header is line 1)."""
    with _open(path) as file:
        records = _records(file)
        next(records, None)
        yield from records


def _records(file: Any) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(file)
    while True:
        # a quoted value may span lines: the record starts on the line after the previous record ended
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _UnreadableError(f'файл не в кодировке UTF-8 (около строки {reader.line_num + 1})') from None
        except csv.Error as error:
            raise _UnreadableError(f'не удалось разобрать CSV в строке {line}: {error}') from None
        if any(value.strip() for value in values):  # spreadsheets leave blank lines and lines of bare commas
            yield line, values


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
            self._accounts = dict(await Account.all().values_list('number', 'id'))
        return self._accounts

    def forget(self) -> None:
        self._regions = self._accounts = None


# --- the four files ------------------------------------------------------------------------------------------------


class _Importer:
    """Parses the rows of one file into records, then writes batches of them: (added, changed) per batch."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    #: later files look up what this file adds (region codes, account numbers)
    defines_keys: ClassVar[bool] = False

    def __init__(self, directory: _Directory) -> None:
        self.directory = directory
        self._records: list[Any] = []

    async def prepare(self) -> None:
        """Load what parsing looks up (known regions, accounts)."""

    def parse(self, row: _Row) -> None:
        raise NotImplementedError

    def records(self) -> list[Any]:
        return self._records

    async def write(self, batch: list[Any]) -> tuple[int, int]:
        raise NotImplementedError

    def first_seen(self, seen: dict[Any, int], key: Any, row: _Row, what: str) -> None:
        """Report a key repeated within the file (the second row would silently overwrite the first)."""
        if key in seen:
            row.errors.append(f'{what} уже был в строке {seen[key]}')
        else:
            seen[key] = row.line


def _split(batch: list[tuple[Any, ...]], existing: dict[Any, tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], int]:
    """Records (key, *values) that are new or differ from `existing` (key → values), and how many are new."""
    to_write = [record for record in batch if existing.get(record[0]) != record[1:]]
    return to_write, sum(1 for record in to_write if record[0] not in existing)


class _Regions(_Importer):
    kind = 'regions'
    columns = ('code', 'name')
    defines_keys = True

    def __init__(self, directory: _Directory) -> None:
        super().__init__(directory)
        self.seen: dict[str, int] = {}

    def parse(self, row: _Row) -> None:
        code, name = row.text('code', 32), row.text('name', 200)
        if code:
            self.first_seen(self.seen, code, row, f'регион {code}')
        self._records.append((code, name))

    async def write(self, batch: list[tuple[str, str]]) -> tuple[int, int]:
        existing = await Region.filter(code__in=[code for code, _ in batch]).values_list('code', 'name')
        to_write, added = _split(batch, {code: (name,) for code, name in existing})
        await Region.bulk_create(
            [Region(code=code, name=name) for code, name in to_write], on_conflict=['code'], update_fields=['name']
        )
        return added, len(to_write) - added


class _Accounts(_Importer):
    kind = 'accounts'
    columns = ('number', 'region', 'surname', 'address')
    #: not every billing system has customers' emails
    optional = ('email',)
    defines_keys = True

    def __init__(self, directory: _Directory) -> None:
        super().__init__(directory)
        self.seen: dict[str, int] = {}

    async def prepare(self) -> None:
        self.regions = await self.directory.regions()

    def parse(self, row: _Row) -> None:
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
        self._records.append((number, self.regions.get(code), surname, address, email or None))

    async def write(self, batch: list[tuple[Any, ...]]) -> tuple[int, int]:
        existing = await Account.filter(number__in=[record[0] for record in batch]).values_list(
            'number', 'region_id', 'surname', 'address', 'email'
        )
        to_write, added = _split(batch, {record[0]: tuple(record[1:]) for record in existing})
        await Account.bulk_create(
            [
                Account(number=number, region_id=region_id, surname=surname, address=address, email=email)
                for number, region_id, surname, address, email in to_write
            ],
            on_conflict=['number'],
            update_fields=['region_id', 'surname', 'address', 'email'],
        )
        return added, len(to_write) - added


class _Payments(_Importer):
    kind = 'payments'
    columns = ('account', 'date', 'amount')

    def __init__(self, directory: _Directory) -> None:
        super().__init__(directory)
        # identical (account, date, amount) rows are distinct payments: number them 1..n, as stored in Payment.seq
        self.repeats: Counter[tuple[int, date, Decimal]] = Counter()

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()

    def parse(self, row: _Row) -> None:
        account_id = _account_id(row, self.accounts)
        day, amount = row.date('date'), row.decimal('amount')
        if row.errors:
            return
        key = (account_id, day, amount)
        self.repeats[key] += 1
        self._records.append((*key, self.repeats[key]))

    def records(self) -> list[tuple[int, date, Decimal, int]]:
        # grouped by account, each batch looks up the stored payments of a few hundred accounts, not of thousands
        return sorted(self._records, key=itemgetter(0))

    async def write(self, batch: list[tuple[int, date, Decimal, int]]) -> tuple[int, int]:
        days = [record[1] for record in batch]
        existing = set(
            await Payment.filter(
                account_id__in=list({record[0] for record in batch}), date__gte=min(days), date__lte=max(days)
            ).values_list('account_id', 'date', 'amount', 'seq')
        )
        # Decimal('102.5') == Decimal('102.50') and they hash alike, so the stored amount matches the file's
        fresh = [record for record in batch if record not in existing]
        await Payment.bulk_create(
            [Payment(account_id=account_id, date=day, amount=amount, seq=seq) for account_id, day, amount, seq in fresh]
        )
        return len(fresh), 0


@dataclass
class _BillDraft:
    due_date: date
    line: int
    lines: list[tuple[str, Decimal, Decimal, Decimal]] = field(default_factory=list)


class _Bills(_Importer):
    kind = 'bills'
    columns = ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date')

    def __init__(self, directory: _Directory) -> None:
        super().__init__(directory)
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

    def records(self) -> list[tuple[tuple[int, str], Decimal, date, tuple[Any, ...]]]:
        return [
            (key, sum((line[3] for line in draft.lines), Decimal('0.00')), draft.due_date, tuple(draft.lines))
            for key, draft in self.bills.items()
        ]

    async def write(self, batch: list[tuple[tuple[int, str], Decimal, date, tuple[Any, ...]]]) -> tuple[int, int]:
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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
            )

    def __enter__(self) -> _Progress:
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar:
            self._bar.stop()

    def start(self, description: str, total: int | None) -> None:
        if self._bar:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=total)

    def show(self, completed: int) -> None:
        if self._bar:
            self._bar.update(self._task, completed=completed)
