"""`python main.py demo`: demo billing data through the real import, and accounts an operator can try."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from models.billing import Account, Bill, BillLine, Payment, Region
from models.readings import Meter, Reading, Tariff
from services import clock
from services.billing import demo
from tests.support.paths import ROOT

#: a row of the printed table: number, surname, region, payment, its date, address
PRINTED_ACCOUNT = re.compile(r'(\d{10,12})\s+(\S+)\s+(.+?)\s+(-?\d+\.\d{2})\s+(\d{4}-\d{2}-\d{2})\s+(\d{6}, .+)')


async def counts() -> dict[str, int]:
    models = (Region, Account, Payment, Bill, BillLine, Meter, Reading, Tariff)
    return {model.__name__: await model.all().count() for model in models}


def run_demo() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, 'main.py', 'demo'],
        cwd=ROOT,
        env={**os.environ, 'PORTAL_DEMO': 'true'},  # as `make demo` runs it: refused outside demo mode
        capture_output=True,
        text=True,
        timeout=120,
    )


def printed_accounts(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for line in output.splitlines() if (match := PRINTED_ACCOUNT.fullmatch(line))]


async def test_demo_twice_gives_the_same_data_and_prints_accounts_that_work(db):
    first = run_demo()
    after_first = await counts()
    second = run_demo()

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert await counts() == after_first
    assert after_first['Region'] == 5
    assert (after_first['Meter'], after_first['Reading'], after_first['Tariff']) == (50, 50 * 13, 10)
    assert 45 <= after_first['Account'] <= 55
    assert 'data/demo/payments.csv: 250 строк, добавлено 0, без изменений 250' in second.stdout
    printed = printed_accounts(second.stdout)
    assert len(printed) == 5
    assert printed == printed_accounts(first.stdout)
    for number, surname, region, amount, paid_on, address in printed:
        account = await Account.get(number=number).prefetch_related('region')
        assert (account.surname, account.region.name, account.address) == (surname, region, address)
        assert await Payment.filter(account=account, amount=Decimal(amount), date=paid_on).exists()


async def test_demo_data_looks_like_a_real_export(db, fake_clock, tmp_path):
    assert (await demo.load_demo(tmp_path)).report.exit_code == 0

    today = clock.now().date()
    accounts = await Account.all().prefetch_related('region')
    assert {region.name for region in await Region.all()} == {
        'Курск',
        'Мурманск',
        'Смоленск',
        'Тверь',
        'Нижний Новгород',
    }
    assert len(accounts) == 50
    assert all(account.number.isdigit() and len(account.number) == 12 for account in accounts)
    # one number prefix per region, and no two regions share one
    prefixes = {(account.region.code, account.number[:2]) for account in accounts}
    assert len(prefixes) == len({prefix for _, prefix in prefixes}) == 5
    assert any('ё' in account.surname for account in accounts)
    assert all(
        re.fullmatch(rf'\d{{6}}, г\. {account.region.name}, (ул\.|пр-т) .+, д\. \d+(, кв\. \d+)?', account.address)
        for account in accounts
    )
    assert 5 < sum(account.email is not None for account in accounts) < 45

    payments = await Payment.all().values_list('account_id', 'date', 'amount')
    per_account = Counter(account_id for account_id, _, _ in payments)
    assert set(per_account) == {account.id for account in accounts}
    assert min(per_account.values()) >= 3
    assert all(today - timedelta(days=183) <= day < today for _, day, _ in payments)
    assert sum(amount != amount.to_integral_value() for _, _, amount in payments) > len(payments) * 0.9

    meters = {meter.account_id: meter for meter in await Meter.all()}
    assert set(meters) == {account.id for account in accounts}
    assert {(meter.zones, meter.smart) for meter in meters.values()} == {(1, False), (1, True), (2, False), (2, True)}
    zone_services = {1: ['Электроэнергия'], 2: ['Электроэнергия (день)', 'Электроэнергия (ночь)']}

    bills = await Bill.all().prefetch_related('lines')
    assert len(bills) == 50 * 12
    assert len({bill.period for bill in bills}) == 12
    assert max(bill.period for bill in bills) < today.isoformat()[:7]
    for bill in bills:
        lines = sorted(bill.lines, key=lambda line: line.position)
        assert [line.service for line in lines] == zone_services[meters[bill.account_id].zones]
        assert bill.amount_due == sum(line.amount for line in lines)
        assert all(line.kwh > 0 and line.tariff > 0 for line in lines)

    # a month-end reading before the first bill and one per bill: each month's rise is what its bill charged
    for bill in bills[:60]:
        meter = meters[bill.account_id]
        readings = await Reading.filter(meter=meter).order_by('date')
        assert len(readings) == 13
        assert {reading.source for reading in readings} <= ({'smart'} if meter.smart else {'billing', 'calculated'})
        month = next(index for index, reading in enumerate(readings) if reading.date.isoformat()[:7] == bill.period)
        used = [
            later - earlier
            for later, earlier in zip(
                (readings[month].t1, readings[month].t2), (readings[month - 1].t1, readings[month - 1].t2), strict=True
            )
            if later is not None
        ]
        assert used == [line.kwh for line in sorted(bill.lines, key=lambda line: line.position)]
    tariffs = await Tariff.all().prefetch_related('region')
    assert {(tariff.region.code, tariff.zone) for tariff in tariffs} == {
        (region.code, zone) for region in demo.REGIONS for zone in (1, 2)
    }
    assert await Region.filter(readings_from__not_isnull=True).count() == 1


async def test_the_same_date_writes_the_same_files(tmp_path, fake_clock):
    today = fake_clock().date()
    first = [path.read_bytes() for path in demo.write_demo_files(tmp_path / 'a', today)]
    second = [path.read_bytes() for path in demo.write_demo_files(tmp_path / 'b', today)]
    next_month = [path.read_bytes() for path in demo.write_demo_files(tmp_path / 'c', today + timedelta(days=31))]

    assert first == second
    assert first[:2] == next_month[:2]  # regions and accounts never depend on the date
    # a month later: one month more of payments and bills, the months both runs cover are the same
    payments, later_payments = (set(data[2].splitlines()) for data in (first, next_month))
    assert len(payments) == len(later_payments) == 1 + 50 * 5
    assert len(payments & later_payments) == 1 + 50 * 4
    bills, later_bills = (set(data[3].splitlines()) for data in (first, next_month))
    # a third of the meters count one zone: one line a bill
    lines_a_month = 17 * 1 + 33 * 2
    assert len(bills & later_bills) == 1 + lines_a_month * 11
    readings, later_readings = (set(data[5].splitlines()) for data in (first, next_month))
    assert len(readings) == len(later_readings) == 1 + 50 * 13
    assert len(readings & later_readings) == 1 + 50 * 12


async def test_demo_accounts_each_have_a_recent_payment(db, fake_clock, tmp_path):
    await demo.load_demo(tmp_path)

    accounts = await demo.demo_accounts(limit=7)

    assert len(accounts) == 7
    assert accounts[0].surname == 'Семёнов'
    assert len({account.region for account in accounts[:5]}) == 5
    for account in accounts:
        assert clock.now().date() - account.paid_on < timedelta(days=183)
        stored = await Account.get(number=account.number)
        assert await Payment.filter(account=stored, date=account.paid_on, amount=account.payment).exists()
