"""Billing CSV files as the utility's billing system writes them: the sample data of the import and page tests, and
recent bills for the browser suite, whose server runs on the wall clock."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdf

REGIONS_HEADER = ('code', 'name')
ACCOUNTS_HEADER = ('number', 'region', 'surname', 'address', 'email')
PAYMENTS_HEADER = ('account', 'date', 'amount')
BILLS_HEADER = ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date')
METERS_HEADER = (
    'account',
    'serial',
    'zones',
    'digits',
    'decimals',
    'ratio',
    'installed',
    'verify_by',
    'smart',
    'removed',
)
READINGS_HEADER = ('account', 'serial', 'date', 't1', 't2', 't3', 'source', 'status')
TARIFFS_HEADER = ('region', 'zone', 'price', 'valid_from', 'band_kwh', 'band_price')

REGIONS = [('KRS', 'Курск'), ('TVR', 'Тверь')]
ACCOUNTS = [
    ('461000000001', 'KRS', 'Семёнов', '305000, г. Курск, ул. Ленина, д. 5, кв. 12', 'semenov@example.com'),
    ('461000000002', 'KRS', 'Иванова', '305004, г. Курск, ул. Радищева, д. 17', ''),
    ('691000000001', 'TVR', 'Петров', '170100, г. Тверь, ул. Советская, д. 3, кв. 41', ''),
]
PAYMENTS = [
    ('461000000001', '2026-09-14', '1234.56'),
    ('461000000001', '2026-10-12', '102.5'),
    # the same account, day and sum twice: two real payments (e.g. paid twice by mistake), kept apart by seq
    ('461000000002', '2026-10-03', '500.00'),
    ('461000000002', '2026-10-03', '500.00'),
    ('691000000001', '2026-10-20', '-50.00'),
]
BILLS = [
    ('461000000001', '2026-09', 'Электроэнергия (день)', '210', '6.12', '1285.20', '2026-10-10'),
    ('461000000001', '2026-09', 'Электроэнергия (ночь)', '95.5', '3.45', '329.48', '2026-10-10'),
    ('461000000001', '2026-10', 'Электроэнергия (день)', '230', '6.12', '1407.60', '2026-11-10'),
    ('461000000001', '2026-10', 'Электроэнергия (ночь)', '101', '3.45', '348.45', '2026-11-10'),
]

METERS = [
    # one zone, a register of 5 + 1 digits
    ('461000000001', 'СЕ101-0001', '1', '5', '1', '', '2019-04-01', '2035-04-01', 'false', ''),
    # day and night, read remotely
    ('461000000002', 'М230-77', '2', '6', '2', '1', '2021-06-15', '', 'true', ''),
    # three zones behind current transformers
    ('691000000001', 'ПСЧ-3', '3', '7', '0', '40', '', '', '0', ''),
]
READINGS = [
    ('461000000001', 'СЕ101-0001', '2026-09-25', '12345.6', '', '', 'billing', 'accepted'),
    ('461000000001', 'СЕ101-0001', '2026-10-25', '12501.2', '', '', 'billing', 'accepted'),
    ('461000000002', 'М230-77', '2026-10-31', '3000.25', '1200', '', 'smart', 'accepted'),
    ('691000000001', 'ПСЧ-3', '2026-10-31', '100', '50', '70', 'calculated', 'accepted'),
]
TARIFFS = [
    ('KRS', '1', '6.12', '2026-01-01', '', ''),
    ('KRS', '1', '6.45', '2026-07-01', '', ''),
    ('KRS', '2', '3.45', '2026-07-01', '', ''),
    ('TVR', '1', '6.21', '2026-07-01', '3900', '8.07'),
]


def write_meter_files(folder: Path) -> dict[str, Path]:
    """The sample billing files, and the meters, their readings and the tariffs."""
    return write_billing_files(folder) | {
        'meters': write_csv(folder / 'meters.csv', METERS_HEADER, METERS),
        'readings': write_csv(folder / 'readings.csv', READINGS_HEADER, READINGS),
        'tariffs': write_csv(folder / 'tariffs.csv', TARIFFS_HEADER, TARIFFS),
    }


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = False) -> Path:
    """One CSV file, UTF-8 (with a BOM as Excel writes it, if asked), comma-separated, quoted where needed."""
    with path.open('w', encoding='utf-8-sig' if bom else 'utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_billing_files(folder: Path) -> dict[str, Path]:
    """The four sample files above, named as the contract names them."""
    return {
        'regions': write_csv(folder / 'regions.csv', REGIONS_HEADER, REGIONS),
        'accounts': write_csv(folder / 'accounts.csv', ACCOUNTS_HEADER, ACCOUNTS),
        'payments': write_csv(folder / 'payments.csv', PAYMENTS_HEADER, PAYMENTS),
        'bills': write_csv(folder / 'bills.csv', BILLS_HEADER, BILLS),
    }


def recent_billing_files(folder: Path) -> list[str]:
    """Two accounts in two regions, with a payment 20 days ago and the last two months' bills (real dates:
    the server runs on the wall clock)."""
    today = date.today()
    paid = today - timedelta(days=20)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    bills = []
    for period_start in (last_month, this_month):
        period, due = f'{period_start:%Y-%m}', (period_start + timedelta(days=40)).replace(day=10)
        bills += [
            ('461000000001', period, 'Электроэнергия (день)', '230', '6.12', '1407.60', f'{due}'),
            ('461000000001', period, 'Электроэнергия (ночь)', '101', '3.45', '348.45', f'{due}'),
            ('691000000001', period, 'Электроэнергия', '150', '5.50', '825.00', f'{due}'),
        ]
    return [
        str(write_csv(folder / 'regions.csv', REGIONS_HEADER, REGIONS)),
        str(
            write_csv(
                folder / 'accounts.csv',
                ACCOUNTS_HEADER,
                [
                    ('461000000001', 'KRS', 'Семёнов', '305000, г. Курск, ул. Ленина, д. 5, кв. 12', ''),
                    ('691000000001', 'TVR', 'Петров', '170100, г. Тверь, ул. Советская, д. 3, кв. 41', ''),
                ],
            )
        ),
        str(
            write_csv(
                folder / 'payments.csv',
                PAYMENTS_HEADER,
                [
                    ('461000000001', f'{paid}', '1234.56'),
                    ('691000000001', f'{paid}', '825.00'),
                ],
            )
        ),
        str(write_csv(folder / 'bills.csv', BILLS_HEADER, bills)),
    ]


def pdf_text(pdf: bytes) -> str:
    """All pages' text as a reader copies it (reportlab prints a non-breaking space as a plain one)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return '\n'.join(page.extract_text() for page in reader.pages).replace('\u00a0', ' ')
