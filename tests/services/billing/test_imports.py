"""Importing the billing system's CSV files, as an operator runs it (formats in docs/operator.md)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from decimal import Decimal

import pytest
from tortoise import connections

from cli.imports import file_summary, report_lines
from models.billing import Account, Bill, BillLine, Payment, Region
from services import config
from services.billing.imports import import_files, reading
from tests.support.billing import (
    ACCOUNTS,
    ACCOUNTS_HEADER,
    BILLS,
    BILLS_HEADER,
    PAYMENTS,
    PAYMENTS_HEADER,
    REGIONS,
    REGIONS_HEADER,
    write_billing_files,
    write_csv,
)
from tests.support.paths import ROOT


async def stored() -> dict[str, list[tuple]]:
    """Everything the import writes, ids included, to prove a re-import touches nothing."""
    return {
        'regions': await Region.all().order_by('id').values_list('id', 'code', 'name'),
        'accounts': await Account.all()
        .order_by('id')
        .values_list('id', 'number', 'region_id', 'surname', 'address', 'email'),
        'payments': await Payment.all().order_by('id').values_list('id', 'account_id', 'date', 'amount', 'seq'),
        'bills': await Bill.all().order_by('id').values_list('id', 'account_id', 'period', 'amount_due', 'due_date'),
        'lines': await BillLine.all()
        .order_by('id')
        .values_list('id', 'bill_id', 'position', 'service', 'kwh', 'tariff', 'amount'),
    }


async def test_imports_regions_accounts_payments_and_bills(db, tmp_path):
    files = write_billing_files(tmp_path)

    report = await import_files(list(files.values()))

    assert report.exit_code == 0
    assert [file_summary(file) for file in report.files] == [
        f'{files["regions"]}: 2 строки, добавлено 2, изменено 0, без изменений 0',
        f'{files["accounts"]}: 3 строки, добавлено 3, изменено 0, без изменений 0',
        f'{files["payments"]}: 5 строк, добавлено 5, без изменений 0',
        f'{files["bills"]}: 4 строки (2 платёжных документа), добавлено 2, изменено 0, без изменений 0',
    ]
    assert await Region.all().order_by('code').values_list('code', 'name') == REGIONS
    assert await Account.all().order_by('number').values_list(
        'number', 'region__code', 'surname', 'address', 'email'
    ) == [
        ('461000000001', 'KRS', 'Семёнов', '305000, г. Курск, ул. Ленина, д. 5, кв. 12', 'semenov@example.com'),
        ('461000000002', 'KRS', 'Иванова', '305004, г. Курск, ул. Радищева, д. 17', None),
        ('691000000001', 'TVR', 'Петров', '170100, г. Тверь, ул. Советская, д. 3, кв. 41', None),
    ]
    assert await Payment.all().order_by('account__number', 'date', 'seq').values_list(
        'account__number', 'date', 'amount', 'seq'
    ) == [
        ('461000000001', date(2026, 9, 14), Decimal('1234.56'), 1),
        ('461000000001', date(2026, 10, 12), Decimal('102.50'), 1),
        ('461000000002', date(2026, 10, 3), Decimal('500.00'), 1),
        ('461000000002', date(2026, 10, 3), Decimal('500.00'), 2),
        ('691000000001', date(2026, 10, 20), Decimal('-50.00'), 1),
    ]
    september = await Bill.get(account__number='461000000001', period='2026-09')
    assert (september.amount_due, september.due_date) == (Decimal('1614.68'), date(2026, 10, 10))
    assert await BillLine.filter(bill=september).order_by('position').values_list(
        'position', 'service', 'kwh', 'tariff', 'amount'
    ) == [
        (1, 'Электроэнергия (день)', Decimal('210'), Decimal('6.12'), Decimal('1285.20')),
        (2, 'Электроэнергия (ночь)', Decimal('95.5'), Decimal('3.45'), Decimal('329.48')),
    ]


async def test_importing_the_same_files_again_changes_nothing(db, tmp_path):
    files = list(write_billing_files(tmp_path).values())
    await import_files(files)
    before = await stored()

    report = await import_files(files)

    assert report.exit_code == 0
    assert [(file.added, file.changed, file.unchanged) for file in report.files] == [
        (0, 0, 2),
        (0, 0, 3),
        (0, 0, 5),
        (0, 0, 2),
    ]
    assert file_summary(report.files[2]) == f'{files[2]}: 5 строк, добавлено 0, без изменений 5'
    assert await stored() == before


async def test_batches_smaller_than_the_file_give_the_same_result(db, tmp_path, monkeypatch):
    monkeypatch.setattr('services.billing.imports.importer.BATCH', 2)
    files = list(write_billing_files(tmp_path).values())

    first = await import_files(files)
    after_first = await stored()
    second = await import_files(files)

    assert [(file.added, file.unchanged) for file in first.files] == [(2, 0), (3, 0), (5, 0), (2, 0)]
    assert [(file.added, file.unchanged) for file in second.files] == [(0, 2), (0, 3), (0, 5), (0, 2)]
    assert await stored() == after_first


async def test_changed_rows_are_updated_and_a_bill_loses_lines_it_no_longer_has(db, tmp_path):
    files = write_billing_files(tmp_path)
    await import_files(list(files.values()))
    october_lines = await BillLine.filter(bill__period='2026-10').order_by('position').values_list('id', flat=True)
    accounts = [
        (number, region, 'Семенова' if number == '461000000001' else surname, address, email)
        for number, region, surname, address, email in ACCOUNTS
    ]
    write_csv(files['accounts'], ACCOUNTS_HEADER, accounts)
    # September is re-issued with one line and a later due date; October stays as it was
    write_csv(
        files['bills'],
        BILLS_HEADER,
        [('461000000001', '2026-09', 'Электроэнергия', '305.5', '5.00', '1527.50', '2026-10-15'), *BILLS[2:]],
    )

    report = await import_files([files['accounts'], files['bills']])

    assert [file_summary(file) for file in report.files] == [
        f'{files["accounts"]}: 3 строки, добавлено 0, изменено 1, без изменений 2',
        f'{files["bills"]}: 3 строки (2 платёжных документа), добавлено 0, изменено 1, без изменений 1',
    ]
    assert (await Account.get(number='461000000001')).surname == 'Семенова'
    september = await Bill.get(period='2026-09')
    assert (september.amount_due, september.due_date) == (Decimal('1527.50'), date(2026, 10, 15))
    assert await BillLine.filter(bill=september).values_list('position', 'service', 'amount') == [
        (1, 'Электроэнергия', Decimal('1527.50'))
    ]
    assert (
        await BillLine.filter(bill__period='2026-10').order_by('position').values_list('id', flat=True) == october_lines
    )


async def test_kopecks_are_exact(db, tmp_path):
    files = write_billing_files(tmp_path)
    write_csv(
        files['payments'],
        PAYMENTS_HEADER,
        [('461000000001', '2026-10-01', '0.10'), ('461000000001', '2026-10-02', '0.2')],
    )
    write_csv(
        files['bills'],
        BILLS_HEADER,
        [
            ('461000000001', '2026-10', 'Электроэнергия (день)', '0.016', '6.2500', '0.10', '2026-11-10'),
            ('461000000001', '2026-10', 'Электроэнергия (ночь)', '0.058', '3.4483', '0.20', '2026-11-10'),
        ],
    )

    await import_files(list(files.values()))

    amounts = await Payment.all().order_by('date').values_list('amount', flat=True)
    assert all(isinstance(amount, Decimal) for amount in amounts)
    assert amounts == [Decimal('0.10'), Decimal('0.20')]
    assert sum(amounts) == Decimal('0.30')  # as floats: 0.30000000000000004
    assert str(amounts[1]) == '0.20'
    bill = await Bill.get(period='2026-10')
    assert bill.amount_due == Decimal('0.30')
    assert await BillLine.filter(bill=bill).order_by('position').values_list('kwh', 'tariff') == [
        (Decimal('0.016'), Decimal('6.25')),
        (Decimal('0.058'), Decimal('3.4483')),
    ]


async def test_bad_rows_are_all_reported_and_nothing_of_their_file_is_written(db, tmp_path):
    files = write_billing_files(tmp_path)
    path = files['payments']
    path.write_text(
        'account,date,amount\n'
        '461000000001,2026-10-01,102.00\n'
        '461000000001,2026-10-02,"102,00"\n'
        '123,2026-10-02,10.00\n'
        '461000000001,01.10.2026,10.00\n'
        '461000000001,2026-10-03,\n'
        '\n'
        '461000000001,2026-10-03,1.005\n'
        '461000000001,2026-02-30,NaN\n'
        '461000000001,2026-10-04,5.00,5.00\n',
        encoding='utf-8',
    )

    report = await import_files(list(files.values()))

    assert report.exit_code == 1
    payments = report.files[2]
    assert payments.status == 'refused'
    assert payments.errors == [
        f'{path}:3: сумма должна быть числом с точкой, например 102.00, а не «102,00»',
        f'{path}:4: нет такого лицевого счёта 123',
        f'{path}:5: дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15, а не «01.10.2026»',
        f'{path}:6: не заполнено поле amount',
        f'{path}:8: в поле amount не больше 2 знаков после точки, а не «1.005»',
        f'{path}:9: дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15, а не «2026-02-30»; '
        'сумма должна быть числом с точкой, например 102.00, а не «NaN»',
        f'{path}:10: значений в строке 4, а столбцов в заголовке 3',
    ]
    assert await Payment.all().count() == 0
    assert [file.status for file in report.files] == ['imported', 'imported', 'refused', 'imported']
    assert await Bill.all().count() == 2
    lines = report_lines(report)
    assert f'{path}: отклонён, 7 ошибок; из файла ничего не записано' in lines
    assert f'  {path}:4: нет такого лицевого счёта 123' in lines
    assert lines[-2:] == [
        f'Импортированы: {files["regions"]}, {files["accounts"]}, {files["bills"]}.',
        f'Не импортированы: {path}.',
    ]


async def test_a_refused_accounts_file_takes_its_payments_with_it(db, tmp_path):
    files = write_billing_files(tmp_path)
    path = write_csv(
        files['accounts'],
        ACCOUNTS_HEADER,
        [
            ACCOUNTS[0],
            ('461000000002', 'KRS', '', '305004, г. Курск, ул. Радищева, д. 17', 'ivanova@'),
            ('691000000001', 'KRSK', 'Петров', '170100, г. Тверь, ул. Советская, д. 3, кв. 41', ''),
            ('461000000001', 'KRS', 'Семёнов', 'другой адрес', ''),
        ],
    )

    report = await import_files([files['regions'], path, files['payments']])

    assert report.exit_code == 1
    assert report.files[1].errors == [
        f'{path}:3: не заполнено поле surname; email указан с ошибкой: «ivanova@»',
        f'{path}:4: неизвестный регион KRSK',
        f'{path}:5: лицевой счёт 461000000001 уже был в строке 2',
    ]
    assert report.files[2].status == 'refused'
    assert report.files[2].errors[0] == f'{files["payments"]}:2: нет такого лицевого счёта 461000000001'
    assert await Account.all().count() == 0
    assert await Region.all().count() == 2


async def test_bill_rows_are_checked(db, tmp_path):
    files = write_billing_files(tmp_path)
    path = write_csv(
        files['bills'],
        BILLS_HEADER,
        [
            BILLS[0],
            ('461000000001', '2026-09', 'Электроэнергия (ночь)', '95,5', '3.45', '329.48', '2026-10-20'),
            ('461000000001', '2026-13', 'Электроэнергия (день)', '230', '6.12345', '1407.60', '2026-11-10'),
        ],
    )

    report = await import_files(list(files.values()))

    assert report.files[3].errors == [
        f'{path}:3: расход кВт·ч должен быть числом с точкой, например 150.5, а не «95,5»',
        f'{path}:4: период должен быть в виде ГГГГ-ММ, например 2026-03, а не «2026-13»; '
        'в поле tariff не больше 4 знаков после точки, а не «6.12345»',
    ]
    assert await Bill.all().count() == 0

    write_csv(path, BILLS_HEADER, [BILLS[0], (*BILLS[1][:-1], '2026-10-20')])
    report = await import_files([path])
    assert report.files[0].errors == [
        f'{path}:3: другой срок оплаты, чем в строке 2 того же платёжного документа (2026-10-20 вместо 2026-10-10)'
    ]


async def test_line_numbers_are_physical_lines_of_the_file(db, tmp_path):
    write_csv(tmp_path / 'regions.csv', REGIONS_HEADER, REGIONS)
    path = tmp_path / 'accounts.csv'
    # a quoted address may span two lines, and blank lines are skipped but still counted
    path.write_text(
        'number,region,surname,address,email\n'
        '461000000001,KRS,Семёнов,"305000, г. Курск,\nул. Ленина, д. 5",\n'
        '\n'
        '461000000002,XXX,Иванова,"305004, г. Курск, ул. Радищева, д. 17",\n',
        encoding='utf-8',
    )

    report = await import_files([tmp_path / 'regions.csv', path])

    assert report.files[1].errors == [f'{path}:5: неизвестный регион XXX']


async def test_files_are_recognised_by_header_and_imported_in_dependency_order(db, tmp_path):
    # names say nothing, columns are shuffled and capitalised, one file starts with a BOM, arguments come backwards
    bills = write_csv(tmp_path / 'export-4.csv', BILLS_HEADER, BILLS)
    payments = write_csv(
        tmp_path / 'export-3.csv', ('AMOUNT', 'Date', 'account'), [row[::-1] for row in PAYMENTS], bom=True
    )
    accounts = write_csv(tmp_path / 'export-2.csv', ACCOUNTS_HEADER[:4], [row[:4] for row in ACCOUNTS])
    regions = write_csv(tmp_path / 'export-1.csv', REGIONS_HEADER[::-1], [row[::-1] for row in REGIONS])

    report = await import_files([bills, payments, accounts, regions])

    assert report.exit_code == 0
    assert [(file.path, file.kind, file.added) for file in report.files] == [
        (str(regions), 'regions', 2),
        (str(accounts), 'accounts', 3),
        (str(payments), 'payments', 5),
        (str(bills), 'bills', 2),
    ]
    assert (await Region.get(code='KRS')).name == 'Курск'
    assert await Payment.filter(account__number='461000000001').count() == 2


async def test_wrong_headers_and_unreadable_files(db, tmp_path):
    files = write_billing_files(tmp_path)
    wrong = write_csv(tmp_path / 'payments.csv', ('account', 'date', 'sum'), [('461000000001', '2026-10-01', '1.00')])
    semicolons = tmp_path / 'regions.csv'
    semicolons.write_text('code;name\nKRS;Курск\n', encoding='utf-8')
    unknown = write_csv(tmp_path / 'counters.csv', ('meter', 'reading'), [('1', '2')])
    cp1251 = tmp_path / 'old.csv'
    cp1251.write_bytes('code,name\nKRS,Курск\n'.encode('cp1251'))
    empty = tmp_path / 'empty.csv'
    empty.write_text('', encoding='utf-8')
    missing = tmp_path / 'missing.csv'

    report = await import_files([semicolons, files['accounts'], wrong, unknown, cp1251, empty, missing])

    assert report.exit_code == 2
    by_path = {file.path: file for file in report.files}
    assert by_path[str(wrong)].errors == [
        f'{wrong}:1: в заголовке нет столбцов: amount; лишние столбцы: «sum»; ожидается заголовок account,date,amount'
    ]
    assert by_path[str(semicolons)].errors == [
        f'{semicolons}:1: в заголовке нет столбцов: code, name; лишние столбцы: «code;name» '
        '(поля должны разделяться запятой, а не точкой с запятой); '
        'ожидается заголовок code,name,readings_from,readings_to'
    ]
    assert by_path[str(unknown)].status == 'unreadable'
    assert (
        by_path[str(unknown)]
        .errors[0]
        .startswith(
            f'{unknown}: не удалось понять по заголовку «meter,reading», что это за файл; ожидается один из: '
            'regions.csv: code,name; tariffs.csv: region,zone,price,valid_from; '
            'accounts.csv: number,region,surname,address;'
        )
    )
    assert by_path[str(cp1251)].errors == [f'{cp1251}: файл не в кодировке UTF-8 (около строки 1)']
    assert by_path[str(empty)].errors == [f'{empty}: файл пуст, нет даже строки заголовка']
    assert by_path[str(missing)].errors == [f'{missing}: файл не найден']
    # the accounts file itself is fine; its regions were refused, so its rows point nowhere
    assert by_path[str(files['accounts'])].errors[0] == f'{files["accounts"]}:2: неизвестный регион KRS'
    assert await Region.all().count() == 0


def run_main(*args: str) -> subprocess.CompletedProcess[str]:
    """`python main.py …` as the operator runs it, with the test's PORTAL_* environment."""
    return subprocess.run(
        [sys.executable, 'main.py', *args], cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120
    )


async def test_command_line_import(db, tmp_path):
    files = write_billing_files(tmp_path)
    # arguments in any order: the command imports regions first
    arguments = [str(files[kind]) for kind in ('bills', 'payments', 'accounts', 'regions')]

    result = run_main('import', *arguments)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f'{files["regions"]}: 2 строки, добавлено 2, изменено 0, без изменений 0',
        f'{files["accounts"]}: 3 строки, добавлено 3, изменено 0, без изменений 0',
        f'{files["payments"]}: 5 строк, добавлено 5, без изменений 0',
        f'{files["bills"]}: 4 строки (2 платёжных документа), добавлено 2, изменено 0, без изменений 0',
        f'Импортированы: {", ".join(arguments[::-1])}.',
    ]
    assert await Payment.all().count() == 5

    again = run_main('import', *arguments)
    assert again.returncode == 0
    assert f'{files["payments"]}: 5 строк, добавлено 0, без изменений 5' in again.stdout.splitlines()


async def test_command_line_refuses_a_file_with_a_bad_row(db, tmp_path):
    files = write_billing_files(tmp_path)
    files['payments'].write_text('account,date,amount\n461000000001,2026-10-01,"1,50"\n', encoding='utf-8')

    result = run_main('import', *map(str, files.values()))

    assert result.returncode == 1
    assert (
        f'  {files["payments"]}:2: сумма должна быть числом с точкой, например 102.00, а не «1,50»'
        in result.stdout.splitlines()
    )
    assert f'Не импортированы: {files["payments"]}.' in result.stdout
    assert f'WARNING services.billing.imports: {files["payments"]} refused, nothing written' in result.stderr
    assert await Account.all().count() == 3
    assert await Payment.all().count() == 0


async def test_command_line_exit_code_2_for_a_file_it_cannot_recognise(db, tmp_path):
    files = write_billing_files(tmp_path)
    meters = write_csv(tmp_path / 'counters.csv', ('meter', 'reading'), [('1', '2')])

    result = run_main('import', str(meters), *map(str, files.values()))

    assert result.returncode == 2
    assert result.stdout.startswith(f'{meters}: не удалось понять по заголовку «meter,reading», что это за файл')
    assert f'Не импортированы: {meters}.' in result.stdout
    assert f'ERROR services.billing.imports: {meters}: не удалось понять' in result.stderr
    assert await Payment.all().count() == 5


async def stored_payments() -> list[tuple]:
    return (
        await Payment.all()
        .order_by('account__number', 'date', 'amount', 'seq')
        .values_list('account__number', 'date', 'amount', 'seq')
    )


async def test_amounts_are_stored_in_kopecks_so_a_typed_sum_finds_them(db, tmp_path):
    files = write_billing_files(tmp_path)
    await import_files([files['regions'], files['accounts']])
    path = write_csv(
        tmp_path / 'payments.csv',
        PAYMENTS_HEADER,
        [
            ('461000000001', '2026-10-12', '102.5'),
            # the same payment spelled otherwise is the same key: a second, identical payment
            (' 461000000001 ', '2026-10-12 ', ' 0102.50'),
            ('461000000001', '2026-10-13', '7'),
            # minus zero is zero: PostgreSQL would fold them anyway, SQLite must not see two amounts
            ('461000000002', '2026-10-03', '-0.00'),
            ('461000000002', '2026-10-03', '0'),
        ],
    )

    report = await import_files([path])

    assert file_summary(report.files[0]) == f'{path}: 5 строк, добавлено 5, без изменений 0'
    # the raw stored value: SQLite keeps a DecimalField as text, and a filter compares that text
    _, rows = await connections.get('default').execute_query('SELECT amount FROM payment ORDER BY id')
    assert sorted(str(row['amount']) for row in rows) == ['0.00', '0.00', '102.50', '102.50', '7.00']
    # as services.accounts.linking asks: the sum a customer types, with its kopecks
    assert await Payment.filter(account__number='461000000001', amount=Decimal('102.50')).count() == 2
    assert await Payment.filter(account__number='461000000001', amount=Decimal('7.00')).exists()
    assert await Payment.filter(account__number='461000000002').order_by('seq').values_list('amount', 'seq') == [
        (Decimal('0.00'), 1),
        (Decimal('0.00'), 2),
    ]
    again = await import_files([path])
    assert file_summary(again.files[0]) == f'{path}: 5 строк, добавлено 0, без изменений 5'


async def test_repeated_payments_are_numbered_in_file_order_whatever_the_bitmap_marks(db, tmp_path, monkeypatch):
    files = write_billing_files(tmp_path)
    await import_files([files['regions'], files['accounts']])
    a, b, c, d = (
        ('461000000001', '2026-10-01', '10.00'),
        ('461000000001', '2026-10-01', '20.00'),
        ('461000000002', '2026-10-01', '10.00'),
        ('691000000001', '2026-10-02', '10.00'),
    )
    path = write_csv(tmp_path / 'payments.csv', PAYMENTS_HEADER, [a, b, a, c, a, b, d])
    # 8 bits for the whole file: most rows are marked as possible repeats, first rows of their key among them
    monkeypatch.setattr('services.billing.imports.payments._bitmap_bits', lambda size: 8)

    first = await import_files([path])

    assert first.files[0].added == 7
    expected = [
        ('461000000001', date(2026, 10, 1), Decimal('10.00'), 1),
        ('461000000001', date(2026, 10, 1), Decimal('10.00'), 2),
        ('461000000001', date(2026, 10, 1), Decimal('10.00'), 3),
        ('461000000001', date(2026, 10, 1), Decimal('20.00'), 1),
        ('461000000001', date(2026, 10, 1), Decimal('20.00'), 2),
        ('461000000002', date(2026, 10, 1), Decimal('10.00'), 1),
        ('691000000001', date(2026, 10, 2), Decimal('10.00'), 1),
    ]
    assert await stored_payments() == expected

    # another run marks other rows (the full-size bitmap: only the true repeats): still nothing new
    monkeypatch.undo()
    again = await import_files([path])
    assert (again.files[0].added, again.files[0].unchanged) == (0, 7)
    # the billing system lists one more identical payment: only that one is added
    write_csv(path, PAYMENTS_HEADER, [a, b, a, c, a, b, d, a])
    more = await import_files([path])
    assert (more.files[0].added, more.files[0].unchanged) == (1, 7)
    assert await stored_payments() == [*expected[:3], (*expected[0][:3], 4), *expected[3:]]


async def test_a_file_refused_or_unreadable_half_way_leaves_nothing_behind(db, tmp_path, monkeypatch):
    monkeypatch.setattr('services.billing.imports.importer.BATCH', 2)
    files = write_billing_files(tmp_path)
    await import_files([files['regions'], files['accounts']])
    bad = write_csv(tmp_path / 'bad.csv', PAYMENTS_HEADER, [*PAYMENTS, ('461000000001', '2026-10-40', '1.00')])
    # 20 KB of good rows, then bytes that are not UTF-8: found only after the good rows were staged
    broken = write_csv(
        tmp_path / 'broken.csv',
        PAYMENTS_HEADER,
        [('461000000001', f'2026-10-{day:02d}', f'{cents}.00') for day in range(1, 29) for cents in range(30)],
    )
    broken.write_bytes(broken.read_bytes() + '461000000001,2026-10-05,1.00,Ошибка\n'.encode('cp1251'))

    refused = await import_files([bad])
    unreadable = await import_files([broken])

    assert refused.files[0].errors == [
        f'{bad}:7: дата должна быть в виде ГГГГ-ММ-ДД, например 2026-03-15, а не «2026-10-40»'
    ]
    assert unreadable.files[0].status == 'unreadable'
    assert unreadable.files[0].errors[0].startswith(f'{broken}: файл не в кодировке UTF-8')
    assert await Payment.all().count() == 0
    # the transaction took its staging table with it: the same kind of file imports right after
    report = await import_files([files['payments']])
    assert file_summary(report.files[0]) == f'{files["payments"]}: 5 строк, добавлено 5, без изменений 0'


async def test_the_portal_may_write_while_a_file_is_being_checked(db, tmp_path, monkeypatch):
    """SQLite: a transaction that read the database cannot write to it once another connection wrote meanwhile.

    The import reads what it looks up before its transaction, and its first statement on the real tables is a write."""
    url = config.settings.database_url
    if not url.startswith('sqlite://'):
        pytest.skip('PostgreSQL locks rows, not the database')
    files = write_billing_files(tmp_path)
    await import_files([files['regions'], files['accounts']])
    read = reading.records

    def records_while_the_portal_writes(file):
        for line, values in read(file):
            yield line, values
            if line == 2:  # the first data row: the import's transaction is open
                with closing(sqlite3.connect(url.removeprefix('sqlite://'))) as portal:
                    portal.execute("INSERT INTO region (code, name) VALUES ('MRM', 'Мурманск')")
                    portal.commit()

    monkeypatch.setattr(reading, 'records', records_while_the_portal_writes)

    report = await import_files([files['payments']])

    assert report.exit_code == 0, report_lines(report)
    assert await Payment.all().count() == 5
    assert await Region.filter(code='MRM').exists()
