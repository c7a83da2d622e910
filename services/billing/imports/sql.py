"""The SQL an import runs on a file's connection, and the little that differs between SQLite and PostgreSQL; the
directory of region codes and account numbers already stored, which the rows of later files are checked against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any, NamedTuple

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from models.billing import Region

#: rows read per query, so a million accounts never sit in one result list
DIRECTORY_PAGE = 100_000


class Database:
    """The connection of a file's transaction, and the little that differs between SQLite and PostgreSQL."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self.sqlite = connection.capabilities.dialect == 'sqlite'
        #: "differs from", NULL-safe
        self.differs = 'IS NOT' if self.sqlite else 'IS DISTINCT FROM'
        self.equal = 'IS' if self.sqlite else 'IS NOT DISTINCT FROM'

    def marks(self, count: int) -> str:
        """Parameter placeholders: sqlite3 takes ?, asyncpg $1, $2, …"""
        return ', '.join('?' * count) if self.sqlite else ', '.join(f'${number}' for number in range(1, count + 1))

    def number(self, expression: str) -> str:
        """A DecimalField compared as a number: SQLite keeps it as text, written as each writer printed it."""
        return f'CAST({expression} AS REAL)' if self.sqlite else expression

    def day(self, value: date | None) -> Any:
        """A date bound as its column stores it: text on SQLite."""
        return value.isoformat() if self.sqlite and value is not None else value

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


class MeterKey(NamedTuple):
    """What checking a reading needs of its meter."""

    id: int
    zones: int
    digits: int
    decimals: int


class Directory:
    """Region codes, account numbers and meters → ids, read once per run and re-read after a file added some."""

    def __init__(self) -> None:
        self._regions: dict[str, int] | None = None
        self._accounts: dict[str, int] | None = None
        self._meters: dict[tuple[int, str], MeterKey] | None = None

    async def regions(self) -> dict[str, int]:
        if self._regions is None:
            self._regions = dict(await Region.all().values_list('code', 'id'))
        return self._regions

    async def accounts(self) -> dict[str, int]:
        if self._accounts is None:
            self._accounts = {row[1]: row[0] async for row in _pages('id, number', 'account')}
        return self._accounts

    async def meters(self) -> dict[tuple[int, str], MeterKey]:
        """(account id, serial) → the meter."""
        if self._meters is None:
            self._meters = {
                (row[1], row[2]): MeterKey(row[0], row[3], row[4], row[5])
                async for row in _pages('id, account_id, serial, zones, digits, decimals', 'meter')
            }
        return self._meters

    def forget(self) -> None:
        self._regions = self._accounts = self._meters = None


async def _pages(columns: str, table: str) -> AsyncIterator[Any]:
    """A table's rows in pages by id with plain SQL: ORM objects for a million rows cost seconds and hundreds of MB."""
    database = Database(connections.get('default'))
    after = database.marks(1)
    query = f'SELECT {columns} FROM {table} WHERE id > {after} ORDER BY id LIMIT {DIRECTORY_PAGE}'  # noqa: S608
    last = 0
    while rows := (await database.connection.execute_query(query, [last]))[1]:
        for row in rows:
            yield row
        last = rows[-1][0]
