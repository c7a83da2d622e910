"""Billing CSV files as the utility's billing system writes them, for import tests."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REGIONS_HEADER = ('code', 'name')
ACCOUNTS_HEADER = ('number', 'region', 'surname', 'address', 'email')
PAYMENTS_HEADER = ('account', 'date', 'amount')
BILLS_HEADER = ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date')

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
