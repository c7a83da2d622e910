"""accounts.csv: personal accounts (number, region, surname, address, optionally email), merged by number."""

from __future__ import annotations

from typing import Any, ClassVar

from services.billing.imports.importer import Staged
from services.billing.imports.report import FileReport
from services.billing.imports.rows import ACCOUNT_NUMBER, EMAIL, Row
from services.billing.imports.sql import Directory
from services.texts import t


class Accounts(Staged):
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

    def __init__(self, directory: Directory, report: FileReport, header: list[str]) -> None:
        super().__init__(directory, report, header)
        #: account number → the line it was first seen on; the only thing kept per row
        self.seen: dict[str, int] = {}

    async def prepare(self) -> None:
        self.regions = await self.directory.regions()

    def take(self, line: int, values: list[str]) -> Any:
        # the common, valid row without building a Row; anything unusual takes the full check and its messages
        if len(values) == len(self.header):
            at = self.at
            number = values[at['number']].strip()
            region_id = self.regions.get(values[at['region']].strip())
            surname = values[at['surname']].strip()
            address = values[at['address']].strip()
            email = values[at['email']].strip() if 'email' in at else ''
            if (
                region_id is not None
                and len(number) <= 32
                and ACCOUNT_NUMBER.fullmatch(number)
                and 0 < len(surname) <= 200
                and address
                and (not email or (len(email) <= 254 and EMAIL.fullmatch(email)))
                and number not in self.seen
            ):
                self.seen[number] = line
                return line, number, region_id, surname, address, email or None
        return super().take(line, values)

    def parse(self, row: Row) -> tuple[Any, ...]:
        number = row.account_number('number')
        code = row.text('region', 32)
        surname = row.text('surname', 200)
        address = row.text('address')
        email = row.text('email', 254, required=False)
        if code and code not in self.regions:
            row.errors.append(t('import.row.unknown_region', code=code))
        if email and not EMAIL.fullmatch(email):
            row.errors.append(t('import.row.email', email=email))
        if number:
            self.first_seen(self.seen, number, row, 'import.row.account_repeated', number=number)
        return row.line, number, self.regions.get(code), surname, address, email or None

    async def merge(self) -> tuple[int, int]:
        return await self.upsert('account', 'number', ('number', 'region_id', 'surname', 'address', 'email'))
