"""Billing CSVs uploaded in the console, as an admin meets it: a good file is imported with progress and a report named
after the upload; a file too big, empty, not UTF-8 text or of another kind is refused before anything is read into
the database; a bad row is reported as `file:line: reason` and nothing of the file is written; only admins upload."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence

import pytest

from models.billing import Account, Bill, BillLine, Region
from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services import clock
from services.errors import InvalidInput
from services.staff.imports import import_upload, upload_limit
from services.staff.roles import StaffForbidden
from services.texts import t
from tests.support.billing import ACCOUNTS, ACCOUNTS_HEADER, BILLS, BILLS_HEADER, REGIONS, REGIONS_HEADER
from tests.support.settings import configure

pytestmark = pytest.mark.usefixtures('db')


async def member(role: StaffRole) -> Staff:
    # the staff factory of the staff-accounts part replaces this
    return await Staff.create(login=role.value, role=role, created_at=clock.now())


@pytest.fixture
async def admin() -> Staff:
    return await member(StaffRole.ADMIN)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]], encoding: str = 'utf-8') -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


class Recorded:
    """A progress bar that remembers what it was told (services/progress.Progress)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int | None]] = []
        self.completed = 0

    def step(self, description: str, total: int | None) -> None:
        self.steps.append((description, total))

    def show(self, completed: int) -> None:
        self.completed = completed

    def advance(self, steps: int) -> None:
        self.completed += steps


async def refusal(admin: Staff, content: object, kind: str = 'regions', name: str = 'regions.csv') -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        await import_upload(admin, kind=kind, name=name, content=content)
    return refused.value.errors


async def test_an_admin_uploads_billing_files_and_reads_the_report(admin):
    progress = Recorded()
    regions = csv_bytes(REGIONS_HEADER, REGIONS)
    report = await import_upload(admin, kind='regions', name='Регионы ноябрь.csv', content=regions, progress=progress)
    assert (report.path, report.kind, report.status) == ('Регионы ноябрь.csv', 'regions', 'imported')
    assert (report.rows, report.added, report.changed, report.errors) == (2, 2, 0, [])
    # the bar names the upload, not where the server keeps it
    assert progress.steps[0] == (t('import.progress.check', path='Регионы ноябрь.csv'), len(regions))
    assert progress.steps[1] == (t('import.progress.write', path='Регионы ноябрь.csv'), None)
    assert progress.completed == len(regions)

    # a browser on Windows may send the folders too; Excel's BOM is taken
    accounts = b'\xef\xbb\xbf' + csv_bytes(ACCOUNTS_HEADER, ACCOUNTS)
    report = await import_upload(admin, kind='accounts', name='C:\\Выгрузка\\accounts.csv', content=accounts)
    assert (report.path, report.status, report.added) == ('accounts.csv', 'imported', 3)
    assert await Region.all().order_by('code').values_list('code', flat=True) == ['KRS', 'TVR']
    assert await Account.all().count() == 3

    again = await import_upload(admin, kind='regions', name='regions.csv', content=regions)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)  # idempotent, as the command
    events = await AuditEvent.filter(event='staff_import').order_by('id')
    assert [(event.staff_id, event.detail['file'], event.detail['status']) for event in events] == [
        (admin.id, 'Регионы ноябрь.csv', 'imported'),
        (admin.id, 'accounts.csv', 'imported'),
        (admin.id, 'regions.csv', 'imported'),
    ]


async def test_a_bad_row_is_reported_by_line_and_nothing_of_the_file_is_written(admin):
    await import_upload(admin, kind='regions', name='regions.csv', content=csv_bytes(REGIONS_HEADER, REGIONS))
    await import_upload(admin, kind='accounts', name='accounts.csv', content=csv_bytes(ACCOUNTS_HEADER, ACCOUNTS))
    bad = [*BILLS[:2], ('461000000001', '2026-13', 'Электроэнергия', '1', '6.12', '6.12', '2026-11-10'), *BILLS[2:]]

    report = await import_upload(admin, kind='bills', name='bills-november.csv', content=csv_bytes(BILLS_HEADER, bad))
    assert report.status == 'refused'
    [error] = report.errors
    assert error.startswith('bills-november.csv:4: ')
    assert '2026-13' in error
    assert '/tmp' not in ''.join(report.errors)  # where the server kept the upload is not the page's business
    assert await Bill.all().count() == await BillLine.all().count() == 0  # the good rows before it neither
    event = await AuditEvent.filter(event='staff_import').order_by('-id').first()
    detail = event.detail
    assert (detail['file'], detail['status'], detail['errors']) == ('bills-november.csv', 'refused', 1)


@pytest.mark.parametrize(
    ('content', 'reason', 'message'),
    [
        (b'PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00', 'not_text', 'Это не текстовый файл CSV'),  # .xlsx
        ('code,name\nKRS,Курск\n'.encode('utf-16'), 'not_text', 'Это не текстовый файл CSV'),
        ('code,name\nKRS,Курск\n'.encode('cp1251'), 'not_utf8', 'не в кодировке UTF-8 (строка 2)'),
        (b'', 'empty', 'Файл пуст'),
        (b'\n \r\n', 'empty', 'Файл пуст'),
        ('code,name\nKRS,Курск\n', 'not_file', 'Выберите файл'),  # text where the bytes go: a crafted event
        ([99, 111], 'not_file', 'Выберите файл'),
        (None, 'not_file', 'Выберите файл'),
    ],
)
async def test_a_file_that_is_no_utf8_csv_is_refused(admin, content, reason, message):
    errors = await refusal(admin, content)
    assert list(errors) == ['file']
    assert message in errors['file']
    assert await Region.all().count() == 0
    [event] = await AuditEvent.filter(event='staff_import_refused')
    assert (event.staff_id, event.detail['file'], event.detail['reason']) == (admin.id, 'regions.csv', reason)


async def test_a_byte_that_is_no_utf8_deep_in_the_file_names_its_line(admin):
    rows = [(f'R{n}', f'Регион {n}') for n in range(5000)]
    content = csv_bytes(REGIONS_HEADER, rows) + 'ZZZ,Тверь\r\n'.encode('cp1251')  # one row pasted from elsewhere

    errors = await refusal(admin, content)
    assert 'строка 5002' in errors['file']
    assert await Region.all().count() == 0


async def test_a_file_over_the_limit_is_refused_before_it_is_read(admin, monkeypatch):
    configure(monkeypatch, import_upload_max_mb=1)
    assert upload_limit() == 1024 * 1024
    content = csv_bytes(REGIONS_HEADER, REGIONS)
    # blank lines, which the import skips, up to the limit exactly
    exactly = content + b'\n' * (upload_limit() - len(content))

    errors = await refusal(admin, exactly + b'\n')
    assert errors['file'].startswith('Файл слишком большой: 1 МБ, а можно не больше 1 МБ')
    assert await Region.all().count() == 0
    report = await import_upload(admin, kind='regions', name='regions.csv', content=exactly)
    assert (report.status, report.added) == ('imported', 2)


async def test_a_header_of_another_kind_or_missing_columns_is_refused(admin):
    payments = csv_bytes(('account', 'date', 'amount'), [('461000000001', '2026-10-12', '102.50')])
    errors = await refusal(admin, payments, kind='bills', name='bills.csv')
    assert errors['file'].startswith('По заголовку это файл payments.csv, а выбран вид bills.csv.')

    errors = await refusal(admin, csv_bytes(('code',), [('KRS',)]))
    assert errors['file'].startswith('Заголовок файла не подходит: ')
    assert 'name' in errors['file']
    errors = await refusal(admin, b'code;name\nKRS;Kursk\n')
    assert 'name' in errors['file']
    assert await Region.all().count() == 0


@pytest.mark.parametrize(
    ('values', 'field'),
    [
        ({'kind': 'passwords'}, 'kind'),
        ({'kind': ''}, 'kind'),
        ({'kind': ['regions']}, 'kind'),
        ({'kind': 'x' * 1024 * 1024}, 'kind'),
        ({'name': 'x' * 1024 * 1024}, 'name'),
        ({'name': {'path': '/etc/passwd'}}, 'name'),
    ],
)
async def test_a_kind_or_name_that_is_no_such_value_is_refused_at_its_field(admin, values, field):
    upload = {'kind': 'regions', 'name': 'regions.csv', 'content': csv_bytes(REGIONS_HEADER, REGIONS), **values}
    with pytest.raises(InvalidInput) as refused:
        await import_upload(admin, **upload)
    assert list(refused.value.errors) == [field]
    assert await Region.all().count() == 0


async def test_only_an_admin_uploads():
    for role in (StaffRole.VIEWER, StaffRole.OPERATOR):
        staff = await member(role)
        with pytest.raises(StaffForbidden):
            await import_upload(staff, kind='regions', name='regions.csv', content=csv_bytes(REGIONS_HEADER, REGIONS))
    assert await Region.all().count() == 0
    assert not await AuditEvent.filter(event__startswith='staff_import').exists()


async def test_two_clicks_at_once_import_the_file_once(admin):
    await import_upload(admin, kind='regions', name='regions.csv', content=csv_bytes(REGIONS_HEADER, REGIONS))
    accounts = csv_bytes(ACCOUNTS_HEADER, ACCOUNTS)

    reports = await asyncio.gather(
        *(import_upload(admin, kind='accounts', name='accounts.csv', content=accounts) for _ in range(2))
    )
    assert sorted((report.status, report.added, report.unchanged) for report in reports) == [
        ('imported', 0, 3),
        ('imported', 3, 0),
    ]
    assert await Account.all().count() == 3
