"""bills.csv: the month's bills, one row per bill line (account, period, service, kwh, tariff, amount, due date).

A bill is several rows of its file, so bills are assembled in memory and written through the ORM, a batch of bills
at a time; a changed bill gets its lines anew."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from models.billing import Bill, BillLine
from services.billing.imports import importer
from services.billing.imports.report import FileReport
from services.billing.imports.rows import Row
from services.billing.imports.sql import Directory
from services.progress import Progress
from services.texts import t


@dataclass
class _BillDraft:
    due_date: date
    line: int
    lines: list[tuple[str, Decimal, Decimal, Decimal]] = field(default_factory=list)


def _split(batch: list[tuple[Any, ...]], existing: dict[Any, tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], int]:
    """Records (key, *values) that are new or differ from `existing` (key → values), and how many are new."""
    to_write = [record for record in batch if existing.get(record[0]) != record[1:]]
    return to_write, sum(1 for record in to_write if record[0] not in existing)


class Bills(importer.Importer):
    kind = 'bills'
    columns = ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date')

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        #: (account id, period) → the bill being assembled; lines keep file order, which is their position
        self.bills: dict[tuple[int, str], _BillDraft] = {}

    async def prepare(self) -> None:
        self.accounts = await self.directory.accounts()

    def parse(self, row: Row) -> None:
        account_id = row.account_id(self.accounts)
        period = row.period('period')
        line = (row.text('service', 200), row.decimal('kwh'), row.decimal('tariff'), row.decimal('amount'))
        due_date = row.date('due_date')
        if row.errors:
            return
        draft = self.bills.setdefault((account_id, period), _BillDraft(due_date, row.line))
        if draft.due_date != due_date:
            row.errors.append(
                t(
                    'import.row.due_date_differs',
                    line=draft.line,
                    due_date=due_date.isoformat(),
                    first=draft.due_date.isoformat(),
                )
            )
            return
        draft.lines.append(line)

    def records(self) -> int:
        return len(self.bills)

    async def write(self, progress: Progress) -> tuple[int, int]:
        await self.database.lock('bill')
        records = [
            (key, sum((line[3] for line in draft.lines), Decimal('0.00')), draft.due_date, tuple(draft.lines))
            for key, draft in self.bills.items()
        ]
        progress.step(t('import.progress.write', path=self.report.path), len(records))
        added = changed = done = 0
        for batch in importer.batched(records, importer.BATCH):
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
            batch_size=importer.BATCH,
        )
        return added, len(to_write) - added
