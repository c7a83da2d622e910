"""payments.csv: the payments the billing system received (account, date, amount); a payment is all key, so it is
either stored already or added, identical ones numbered in file order."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

from services.billing.imports import importer
from services.billing.imports.rows import KOPECK, STORED_AMOUNT, Row
from services.billing.imports.sql import Database


class Payments(importer.Staged):
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

    async def begin(self, database: Database, size: int) -> None:
        await super().begin(database, size)
        self.mask = _bitmap_bits(size) - 1
        self.bits = bytearray((self.mask + 1) // 8)
        self.repeats: list[tuple[int, int, Any, Any]] = []
        #: date text → the value bound for it; a year of payments has only 365 dates to check
        self.days: dict[str, Any] = {}

    def check(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[list[tuple[Any, ...]]]:
        # the loop of a 6-million-row file: locals, and no method call for a common valid row
        accounts, days, bits, mask, repeats = self.accounts, self.days, self.bits, self.mask, self.repeats
        stored = STORED_AMOUNT.fullmatch
        width, size = len(self.header), importer.BATCH
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
            if len(batch) >= size:
                self.report.rows = rows
                yield batch
                batch = []
        self.report.rows = rows
        if batch:
            yield batch

    async def stage(self, batch: list[tuple[Any, ...]]) -> None:
        # SQLite stores a DecimalField as text, written as Decimal quantized to kopecks prints it; asyncpg: Decimal
        await super().stage(batch if self.database.sqlite else [(*row[:-1], Decimal(row[-1])) for row in batch])

    def parse(self, row: Row) -> tuple[int, Any, str]:
        account_id = row.account_id(self.accounts)
        day, amount = row.date('date'), row.decimal('amount')
        bound = day.isoformat() if self.database.sqlite else day
        if not row.errors and len(self.days) < 10_000:  # a file of arbitrary dates must not grow the cache without end
            self.days[row.values['date']] = bound
        # + 0 turns -0.00 into 0.00: PostgreSQL sees one number, SQLite would see two different texts
        return account_id, bound, str(amount.quantize(KOPECK) + 0)

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
            for batch in importer.batched(self.repeats, importer.BATCH):
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


def _bitmap_bits(size: int) -> int:
    """Bits of the payments' repeat bitmap for a file of `size` bytes: a power of two, at least 8.

    One bit per byte of the file, ~30 per row: at the end of a file about one row in 60 is marked by chance."""
    return max(1 << 16, 1 << size.bit_length())
