"""Demo billing data: `python main.py demo` writes CSV files into data/demo/ and imports them like a real export.

The data comes from a fixed random seed and the current month (`clock.now()`): running the command again changes
nothing, a month later it adds that month's bill, payment and reading, and the accounts to try stay the same.

Every account has a meter: most count day and night, every third one zone, every fourth is read remotely (ИСУ).
Its month-end readings add up the kWh its bills charge, counted from its installation, so they never contradict them.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from models.billing import Account, Payment
from services import clock
from services.billing import imports
from services.progress import SILENT, Progress

DEMO_DIR = Path('data/demo')
SEED = 4651_6769_52
ACCOUNTS_PER_REGION = 10
PAYMENT_MONTHS = 5  # the last 5 whole months: every payment stays within the 6 months the link proof accepts
BILL_MONTHS = 12
DAY, NIGHT, ALL_DAY = 'Электроэнергия (день)', 'Электроэнергия (ночь)', 'Электроэнергия'
#: the day and night prices hold from this date (billing keeps a tariff's start, not its end)
TARIFFS_FROM = date(2024, 7, 1)
#: meters are verified every 16 years
VERIFICATION_YEARS = 16


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
    #: the days of the month its customers submit readings on, when not the portal's default
    readings: tuple[int, int] | None = None


REGIONS = (
    _Region(
        'KRS', 'Курск', '46', 305000, 48,
        ('ул. Ленина', 'ул. Радищева', 'ул. Карла Маркса', 'ул. Дзержинского', 'пр-т Победы'),
        Decimal('6.12'), Decimal('3.45'), 1.3,
    ),
    _Region(
        'MRM', 'Мурманск', '51', 183001, 52,
        ('пр-т Ленина', 'ул. Книповича', 'ул. Полярные Зори', 'ул. Егорова', 'ул. Старостина'),
        Decimal('4.02'), Decimal('2.18'), 1.6, (20, 26),
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
    #: 1 or 2
    zones: int
    smart: bool


@dataclass(frozen=True)
class DemoAccount:
    """An account to try in the portal, with a payment that proves it (flow 4)."""

    number: str
    surname: str
    region: str
    address: str
    payment: Decimal
    paid_on: date


@dataclass(frozen=True)
class DemoRun:
    """What `load_demo` wrote and imported, and the accounts to try (none when a file was not imported)."""

    folder: Path
    files: list[Path]
    report: imports.ImportReport
    accounts: list[DemoAccount]


async def load_demo(folder: Path = DEMO_DIR, progress: Progress = SILENT) -> DemoRun:
    """`python main.py demo`: write the demo CSVs for this month, import them, and find the accounts to try."""
    files = write_demo_files(folder, clock.now().date())
    report = await imports.import_files(files, progress)
    return DemoRun(folder, files, report, [] if report.exit_code else await demo_accounts())


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
    """The billing CSVs for `today`'s month; the same seed and month always give the same bytes."""
    holders = _holders(random.Random(SEED))
    months = _months_before(today, BILL_MONTHS)
    bills: dict[tuple[str, str], Decimal] = {}
    bill_rows = []
    meter_rows = []
    reading_rows = []
    for holder in holders:
        meter = _meter(holder)
        meter_rows.append(meter.row(holder))
        for year, month in months:
            period, due = _period(year, month), date(*_next_month(year, month), 10).isoformat()
            day_kwh, night_kwh = _used(holder, year, month)
            if holder.zones == 1:
                # a one-zone meter pays the zone-1 price for all of it
                total = day_kwh + night_kwh
                lines = [(ALL_DAY, total, holder.region.day_tariff)]
            else:
                lines = [(DAY, day_kwh, holder.region.day_tariff), (NIGHT, night_kwh, holder.region.night_tariff)]
            sums = [_money(kwh * tariff) for _, kwh, tariff in lines]
            bills[holder.number, period] = sum(sums, Decimal('0.00'))
            for (service, kwh, tariff), amount in zip(lines, sums, strict=True):
                bill_rows.append((holder.number, period, service, kwh, tariff, amount, due))
        reading_rows.extend(meter.readings(holder, months))
    payment_rows = []
    for holder in holders:
        # customers pay last month's bill, so the sums are as odd as real ones
        for year, month in _months_before(today, PAYMENT_MONTHS):
            paid = bills[holder.number, _period(*_previous_month(year, month))]
            day = _random(holder.number, 'paid', _period(year, month)).randint(1, 28)
            payment_rows.append((holder.number, date(year, month, day).isoformat(), paid))
    tariff_rows = [
        (region.code, zone, price, TARIFFS_FROM.isoformat())
        for region in REGIONS
        for zone, price in ((1, region.day_tariff), (2, region.night_tariff))
    ]
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write(
            folder / 'regions.csv',
            ('code', 'name', 'readings_from', 'readings_to'),
            ((region.code, region.name, *(region.readings or ('', ''))) for region in REGIONS),
        ),
        _write(
            folder / 'accounts.csv',
            ('number', 'region', 'surname', 'address', 'email'),
            ((h.number, h.region.code, h.surname, h.address, h.email) for h in holders),
        ),
        _write(folder / 'payments.csv', ('account', 'date', 'amount'), payment_rows),
        _write(
            folder / 'bills.csv', ('account', 'period', 'service', 'kwh', 'tariff', 'amount', 'due_date'), bill_rows
        ),
        _write(
            folder / 'meters.csv',
            ('account', 'serial', 'zones', 'digits', 'decimals', 'ratio', 'installed', 'verify_by', 'smart', 'removed'),
            meter_rows,
        ),
        _write(
            folder / 'readings.csv', ('account', 'serial', 'date', 't1', 't2', 't3', 'source', 'status'), reading_rows
        ),
        _write(folder / 'tariffs.csv', ('region', 'zone', 'price', 'valid_from'), tariff_rows),
    ]


def _used(holder: _Holder, year: int, month: int) -> tuple[Decimal, Decimal]:
    """The day and night kWh of an account's month: the same whenever the demo runs."""
    habits = _random(holder.number)
    base, night_share = habits.uniform(120, 320), habits.uniform(0.3, 0.55)
    rng = _random(holder.number, _period(year, month))
    season = holder.region.winter if month in (11, 12, 1, 2, 3) else 0.8 if month in (6, 7, 8) else 1.0
    day_kwh = Decimal(round(base * season * rng.uniform(0.85, 1.15)))
    night_kwh = Decimal(round(base * night_share * season * rng.uniform(0.85, 1.15)))
    return day_kwh, night_kwh


@dataclass(frozen=True)
class _Meter:
    serial: str
    installed: date
    #: the register on installation, per zone
    start: tuple[Decimal, ...]

    def row(self, holder: _Holder) -> tuple[Any, ...]:
        verify_by = self.installed.replace(year=self.installed.year + VERIFICATION_YEARS)
        decimals = 1 if holder.zones == 1 else 0
        smart = 'true' if holder.smart else 'false'
        return holder.number, self.serial, holder.zones, 6, decimals, 1, self.installed, verify_by, smart, ''

    def readings(self, holder: _Holder, months: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
        """Month-end readings: the month before the first bill, then one per billed month. Billing estimates a month
        now and then when a manual meter's reading did not come."""
        register = list(self.start)
        year, month = self.installed.year, self.installed.month
        rows = []
        first = _previous_month(*months[0])
        while (year, month) <= months[-1]:
            day_kwh, night_kwh = _used(holder, year, month)
            used = (day_kwh + night_kwh,) if holder.zones == 1 else (day_kwh, night_kwh)
            register = [value + kwh for value, kwh in zip(register, used, strict=True)]
            if (year, month) >= first:
                estimated = (
                    not holder.smart and _random(holder.number, 'estimated', _period(year, month)).random() < 0.1
                )
                source = 'smart' if holder.smart else 'calculated' if estimated else 'billing'
                end = date(*_next_month(year, month), 1) - timedelta(days=1)
                zones = [str(value) for value in register] + [''] * (3 - holder.zones)
                rows.append((holder.number, self.serial, end, *zones, source, 'accepted'))
            year, month = _next_month(year, month)
        return rows


def _meter(holder: _Holder) -> _Meter:
    rng = _random(holder.number, 'meter')
    installed = date(rng.randint(2019, 2022), rng.randint(1, 12), 1)
    model = 'НЕВА-МТ124' if holder.smart else 'СЕ101' if holder.zones == 1 else 'М200'
    places = Decimal('0.1') if holder.zones == 1 else Decimal(1)
    start = tuple(Decimal(rng.uniform(0, 3000)).quantize(places) for _ in range(holder.zones))
    return _Meter(f'{model}-{holder.number[-7:]}', installed, start)


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
            # by position, not by the generator: the accounts and their addresses stay as they were
            position = len(holders)
            zones = 1 if position % 3 == 1 else 2
            holders.append(_Holder(number, region, surname, address, email, zones, position % 4 == 2))
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
