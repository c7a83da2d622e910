"""What every kind of billing file does the same way: check its rows as they stream by, stage the good ones in
batches, then write them; and, for most kinds, merge a temporary staging table into the real one with one statement."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, ClassVar

from services.billing.imports.report import FileReport
from services.billing.imports.rows import Row
from services.billing.imports.sql import Database, Directory
from services.progress import Progress
from services.texts import t

#: rows per execute_many into the staging table, and bills per ORM batch
BATCH = 5000


class Importer:
    """Checks the rows of one file as they stream by, then writes what they hold: (added, changed)."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    #: later files look up what this file adds (region codes, account numbers)
    defines_keys: ClassVar[bool] = False

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        self.directory = directory
        self.report = report
        self.header = header
        #: the column positions, for the fast path of the big files
        self.at = {name: position for position, name in enumerate(header)}

    #: optional columns that come together or not at all
    paired: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def header_problem(cls, columns: set[str]) -> str:
        """What is wrong with a header that has this kind's columns ('' if nothing)."""
        if cls.paired and 0 < len(columns & set(cls.paired)) < len(cls.paired):
            return t('import.header.paired', columns=', '.join(cls.paired))
        return ''

    async def prepare(self) -> None:
        """Load what checking the rows looks up (known regions, accounts); runs before the file's transaction."""

    async def begin(self, database: Database, size: int) -> None:
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
            self.refuse(line, [t('import.row.values', values=len(values), columns=len(self.header))])
            return None
        row = Row(dict(zip(self.header, values, strict=True)), line)
        staged = self.parse(row)
        if row.errors:
            self.refuse(line, row.errors)
            return None
        return staged

    def parse(self, row: Row) -> Any:
        """Read a row, recording what is wrong with it in `row.errors`; what to stage for it."""
        raise NotImplementedError

    def refuse(self, line: int, errors: list[str]) -> None:
        self.report.errors.append(f'{self.report.path}:{line}: {"; ".join(errors)}')

    def sort_errors(self) -> None:
        """Errors found after the rows were read go among the others, in line order."""
        after_path = len(self.report.path) + 1
        self.report.errors.sort(key=lambda error: int(error[after_path:].split(':', 1)[0]))

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        """Send a batch of good rows to the database."""

    async def check_staged(self) -> None:
        """Check what the rows are only together, once all are staged (a key repeated in a huge file)."""

    async def write(self, progress: Progress) -> tuple[int, int]:
        raise NotImplementedError

    def records(self) -> int:
        return self.report.rows

    def first_seen(self, seen: dict[Any, int], key: Any, row: Row, repeated: str, **values: object) -> None:
        """Report a key repeated within the file (the second row would silently overwrite the first): `repeated` is
        the catalog key of the error, given the earlier `line` and `values`."""
        if key in seen:
            row.errors.append(t(repeated, line=seen[key], **values))
        else:
            seen[key] = row.line


class Staged(Importer):
    """Good rows go to a temporary table as they come; `write` merges it into the real table with one statement."""

    #: the staging table's columns → their PostgreSQL types
    stage_columns: ClassVar[dict[str, str]]

    async def begin(self, database: Database, size: int) -> None:
        await super().begin(database, size)
        self.stage_table = f'import_{self.kind}'
        await database.create_stage(self.stage_table, self.stage_columns)

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        if not self.report.errors:  # after a bad row nothing will be written: only keep checking
            await self.database.insert_many(self.stage_table, tuple(self.stage_columns), batch)

    async def write(self, progress: Progress) -> tuple[int, int]:
        added, changed = await self.merge()
        await self.database.run(f'DROP TABLE {self.stage_table}')
        return added, changed

    async def merge(self) -> tuple[int, int]:
        raise NotImplementedError

    async def upsert(self, table: str, key: str | tuple[str, ...], columns: tuple[str, ...]) -> tuple[int, int]:
        """Insert new keys, update rows whose values differ, leave equal rows untouched: (added, changed)."""
        database = self.database
        await database.lock(table)
        before = await database.count(table)
        keys = (key,) if isinstance(key, str) else key
        key = ', '.join(keys)
        names = ', '.join(columns)
        values = [name for name in columns if name not in keys]
        updates = ', '.join(f'{name} = excluded.{name}' for name in values)
        differs = ' OR '.join(f'{table}.{name} {database.differs} excluded.{name}' for name in values)
        # ordered by line: new rows get ids in file order; WHERE true: SQLite would read ON as a join's ON otherwise
        written = await database.write(
            f'INSERT INTO {table} ({names}) SELECT {names} FROM {self.stage_table} WHERE true ORDER BY line '  # noqa: S608
            f'ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {differs}'
        )
        added = await database.count(table) - before
        return added, written - added


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
