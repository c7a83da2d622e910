"""Demo billing data: `python main.py demo` writes CSV files into data/demo/ and imports them like a real export.

The data comes from a fixed random seed and the current month (`clock.now()`): running the command again changes
nothing, a month later it adds that month's bill and payment, and the accounts printed at the end stay the same.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from models.billing import Account, Payment
from services import billing_import, clock

DEMO_DIR = Path('data/demo')
SEED = 4651_6769_52
ACCOUNTS_PER_REGION = 10
PAYMENT_MONTHS = 5  # the last 5 whole months: every payment stays within the 6 months the link proof accepts
BILL_MONTHS = 12
DAY, NIGHT = 'Электроэнергия (день)', 'Электроэнергия (ночь)'


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    #: account numbers start with the region's code in the Russian register (46 — Курская область, …)
    prefix: str
    #: lowest postal index of the city, and how many follow it
    index: int
    indexes: int
    streets: tuple[str, ...]
    day_tariff: Decimal
    night_tariff: Decimal
    #: polar nights: Murmansk burns more light in winter
    winter: float


REGIONS = (
    _Region(
        'KRS', 'Курск', '46', 305000, 48,
        ('ул. Ленина', 'ул. Радищева', 'ул. Карла Маркса', 'ул. Дзержинского', 'пр-т Победы'),
        Decimal('6.12'), Decimal('3.45'), 1.3,
    ),
    _Region(
        'MRM', 'Мурманск', '51', 183001, 52,
        ('пр-т Ленина', 'ул. Книповича', 'ул. Полярные Зори', 'ул. Егорова', 'ул. Старостина'),
        Decimal('4.02'), Decimal('2.18'), 1.6,
    ),
    _Region(
        'SML', 'Смоленск', '67', 214000, 40,
        ('ул. Большая Советская', 'ул. Нахимова', 'ул. Кирова', 'ул. Дзержинского', 'ул. Ленина'),
        Decimal('6.58'), Decimal('3.61'), 1.3,
    ),
    _Region(
        'TVR', 'Тверь', '69', 170000, 43,
        ('ул. Советская', 'ул. Трёхсвятская', 'ул. Радищева', 'пр-т Чайковского', 'ул. Вагжанова'),
        Decimal('6.21'), Decimal('3.39'), 1.3,
    ),
    _Region(
        'NNV', 'Нижний Новгород', '52', 603000, 163,
        ('ул. Большая Покровская', 'ул. Рождественская', 'ул. Белинского', 'ул. Родионова', 'пр-т Гагарина'),
        Decimal('5.97'), Decimal('3.28'), 1.3,
    ),
)  # fmt: skip

#: one per account; the first of each ten is the region's account printed to try (Семёнов: ё/е matching)
SURNAMES = (
    'Семёнов', 'Иванова', 'Кузнецов', 'Смирнова', 'Попов', 'Васильева', 'Петров', 'Соколова', 'Михайлов', 'Новикова',
    'Фёдорова', 'Морозов', 'Волкова', 'Алексеев', 'Лебедева', 'Козлов', 'Егорова', 'Павлов', 'Степанова', 'Николаев',
    'Орлов', 'Андреева', 'Макаров', 'Захарова', 'Зайцев', 'Соловьёва', 'Борисов', 'Яковлева', 'Григорьев', 'Романова',
    'Воробьёв', 'Сергеева', 'Кузьмин', 'Фролова', 'Александров', 'Дмитриева', 'Королёв', 'Гусева', 'Киселёв', 'Ильина',
    'Максимова', 'Поляков', 'Сорокина', 'Виноградов', 'Ковалёва', 'Белов', 'Медведева', 'Антонов', 'Тарасова', 'Жуков',
)  # fmt: skip
_LATIN = str.maketrans(
    dict(zip('абвгдезийклмнопрстуфыэ', 'abvgdeziyklmnoprstufye', strict=True))
    | {
        'ё': 'e',
        'ж': 'zh',
        'х': 'kh',
        'ц': 'ts',
        'ч': 'ch',
        'ш': 'sh',
        'щ': 'shch',
        'ъ': '',
        'ь': '',
        'ю': 'yu',
        'я': 'ya',
    }
)


class _Holder(NamedTuple):
    number: str
    region: _Region
    surname: str
    address: str
    email: str


@dataclass(frozen=True)
class DemoAccount:
    """An account to try in the portal, with a payment that proves it (flow 4)."""

    number: str
    surname: str
    region: str
    address: str
    payment: Decimal
    paid_on: date


async def cli_demo(folder: Path = DEMO_DIR) -> int:
    """`python main.py demo`: write the demo CSVs, import them, print accounts to try."""
    paths = write_demo_files(folder, clock.now().date())
    report = await billing_import.import_files(paths)
    print(f'Демо-данные: файлы в {folder}/, импорт через python main.py import')
    for line in report.lines():
        print(f'  {line}')
    if report.exit_code:
        return report.exit_code
    table = [('Лицевой счёт', 'Фамилия', 'Регион', 'Платёж', 'Дата', 'Адрес')]
    for account in await demo_accounts():
        paid = (str(account.payment), account.paid_on.isoformat())
        table.append((account.number, account.surname, account.region, *paid, account.address))
    # the address is long and last: it is not padded
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]) - 1)] + [0]
    print()
    print('Попробуйте: вход по номеру лицевого счёта и фамилии; привязка счёта — по сумме платежа или по адресу.')
    for row in table:
        print('  '.join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    return 0


async def demo_accounts(limit: int = 5) -> list[DemoAccount]:
    """Demo accounts to try, one region after another, each with its latest payment."""
    holders = _holders(random.Random(SEED))
    # the first account of every region, then the second of every region, …
    chosen = [holder for offset in range(ACCOUNTS_PER_REGION) for holder in holders[offset::ACCOUNTS_PER_REGION]]
    chosen = chosen[:limit]
    accounts = {
        account.number: account
        for account in await Account.filter(number__in=[holder.number for holder in chosen]).prefetch_related('region')
    }
    latest: dict[int, tuple[date, Decimal]] = {}
    for account_id, day, amount in await (
        Payment.filter(account_id__in=[account.id for account in accounts.values()], date__lte=clock.now().date())
        .order_by('date', 'id')
        .values_list('account_id', 'date', 'amount')
    ):
        latest[account_id] = (day, amount)
    result = []
    for holder in chosen:
        account = accounts.get(holder.number)
        if account is not None and account.id in latest:
            day, amount = latest[account.id]
            result.append(
                DemoAccount(account.number, account.surname, account.region.name, account.address, amount, day)
            )
    return result


def write_demo_files(folder: Path, today: date) -> list[Path]:
    """The four billing CSVs for `today`'s month; the same seed and month always give the same bytes."""
    holders = _holders(random.Random(SEED))
    bills: dict[tuple[str, str], Decimal] = {}
    bill_rows = []
    for holder in holders:
        habits = _random(holder.number)
        base, night_share = habits.uniform(120, 320), habits.uniform(0.3, 0.55)
        for year, month in _months_before(today, BILL_MONTHS):
            period, due = _period(year, month), date(*_next_month(year, month), 10).isoformat()
            rng = _random(holder.number, period)
            season = holder.region.winter if month in (11, 12, 1, 2, 3) else 0.8 if month in (6, 7, 8) else 1.0
            day_kwh = Decimal(round(base * season * rng.uniform(0.85, 1.15)))
            night_kwh = Decimal(round(base * night_share * season * rng.uniform(0.85, 1.15)))
            day_sum = _money(day_kwh * holder.region.day_tariff)
            night_sum = _money(night_kwh * holder.region.night_tariff)
            bills[holder.number, period] = day_sum + night_sum
            bill_rows.append((holder.number, period, DAY, day_kwh, holder.region.day_tariff, day_sum, due))
            bill_rows.append((holder.number, period, NIGHT, night_kwh, holder.region.night_tariff, night_sum, due))
    payment_rows = []
    for holder in holders:
        # customers pay last month's bill, so the sums are as odd as real ones
        for year, month in _months_before(today, PAYMENT_MONTHS):
            paid = bills[holder.number, _period(*_previous_month(year, month))]
            day = _random(holder.number, 'paid', _period(year, month)).randint(1, 28)
            payment_rows.append((holder.number, date(year, month, day).isoformat(), paid))
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write(folder / 'regions.csv', ('code', 'name'), ((region.code, region.name) for region in REGIONS)),
        _write(
            folder / 'accounts.csv',
            ('number', 'region', 'surname', 'address', 'email'),
            ((h.number, h.region.code, h.surname, h.address, h.email) for h in holders),
        ),
        _write(folder / 'payments.csv', ('account', 'date', 'amount'), payment_rows),
        _write(
            folder / 'bills.csv', ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date'), bill_rows
        ),
    ]


def _holders(rng: random.Random) -> list[_Holder]:
    holders: list[_Holder] = []
    for region in REGIONS:
        for _ in range(ACCOUNTS_PER_REGION):
            surname = SURNAMES[len(holders)]
            number = f'{region.prefix}{rng.randrange(10**9, 10**10)}'
            street = rng.choice(region.streets)
            address = (
                f'{region.index + rng.randrange(region.indexes)}, г. {region.name}, {street}, д. {rng.randint(1, 120)}'
            )
            if rng.random() < 0.85:  # the rest live in private houses: no flat
                address += f', кв. {rng.randint(1, 180)}'
            email = f'{surname.lower().translate(_LATIN)}.{number[-4:]}@example.com' if rng.random() < 0.4 else ''
            holders.append(_Holder(number, region, surname, address, email))
    return holders


def _random(*key: str) -> random.Random:
    """A generator of its own per account and month: a month's data is the same whenever the demo runs,
    so running it a month later adds that month and leaves the others as they were."""
    return random.Random(':'.join((str(SEED), *key)))


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    # write aside, then rename: a second `demo` running at the same time never reads half a file
    partial = path.with_name(f'.{path.name}.{os.getpid()}')
    with partial.open('w', encoding='utf-8', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    partial.replace(path)
    return path


def _months_before(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` whole months before today's month, oldest first, as (year, month)."""
    current = today.year * 12 + today.month - 1
    return [(index // 12, index % 12 + 1) for index in range(current - count, current)]


def _period(year: int, month: int) -> str:
    return f'{year}-{month:02d}'


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)
