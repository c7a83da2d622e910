"""Account overview (flow 7): balance, last bill, bills and payments of the last 12 months — of linked accounts only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from models.billing import BillLine
from services.accounts.overview import account_overview, balance_text, format_money, period_label
from services.billing.imports import import_files
from services.errors import NotAllowed
from tests.support.billing import write_billing_files
from tests.support.factories import add_bill, add_payment, make_account, make_cabinet

NBSP = '\u00a0'


#: an account of Смоленск: no other test data is there
KUZNETSOVA = {'surname': 'Кузнецова', 'address': '214000, г. Смоленск, ул. Ленина, д. 1', 'region': ('SML', 'Смоленск')}


async def test_imported_account_shows_its_debt_bills_payments_and_last_bill(db, fake_clock, tmp_path):
    await import_files(list(write_billing_files(tmp_path).values()))
    cabinet = await make_cabinet('semenov', accounts=['461000000001'])

    overview = await account_overview(cabinet.id, '461000000001')

    assert overview.account.number == '461000000001'
    assert overview.account.region.name == 'Курск'
    # bills 1614.68 + 1756.05, payments 1234.56 + 102.50
    assert overview.balance == Decimal('2033.67')
    assert balance_text(overview.balance) == f'Задолженность: 2{NBSP}033,67{NBSP}₽'
    assert [bill.period for bill in overview.bills] == ['2026-10', '2026-09']
    assert [(payment.date, payment.amount) for payment in overview.payments] == [
        (date(2026, 10, 12), Decimal('102.50')),
        (date(2026, 9, 14), Decimal('1234.56')),
    ]
    last = overview.last_bill
    assert (last.period, last.amount_due, last.due_date) == ('2026-10', Decimal('1756.05'), date(2026, 11, 10))
    assert [(line.service, line.kwh, line.tariff, line.amount) for line in last.lines] == [
        ('Электроэнергия (день)', Decimal('230'), Decimal('6.12'), Decimal('1407.60')),
        ('Электроэнергия (ночь)', Decimal('101'), Decimal('3.45'), Decimal('348.45')),
    ]


@pytest.mark.parametrize(
    ('bills', 'payments', 'balance', 'text'),
    [
        (['1000.10', '234.46'], ['100.00'], '1134.56', f'Задолженность: 1{NBSP}134,56{NBSP}₽'),
        (['900.00'], ['1000.00'], '-100.00', f'Переплата: 100,00{NBSP}₽'),
        (['0.10', '0.20'], ['0.30'], '0.00', 'Задолженности нет'),
        ([], [], '0.00', 'Задолженности нет'),
        ([], ['0.01'], '-0.01', f'Переплата: 0,01{NBSP}₽'),
    ],
)
async def test_balance_is_all_bills_minus_all_payments(db, fake_clock, bills, payments, balance, text):
    account = await make_account('670000000001', **KUZNETSOVA)
    # the first bill and the payments years back: the balance counts everything, not only what is listed
    for period, amount in zip(['2019-01', '2026-10'], bills, strict=False):
        await add_bill(account, period, amount, lines=())
    for day, amount in enumerate(payments, start=1):
        await add_payment(account, date(2019, 3, day), amount)
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])

    overview = await account_overview(cabinet.id, account.number)

    assert overview.balance == Decimal(balance)
    assert str(overview.balance) == balance
    assert balance_text(overview.balance) == text


async def test_bills_of_the_current_month_and_the_eleven_before_newest_first(db, fake_clock):
    account = await make_account('670000000001', **KUZNETSOVA)
    for period in ['2025-10', '2025-11', '2025-12', '2026-01', '2026-06', '2026-10', '2026-11']:
        await add_bill(account, period, '100.00', lines=())
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])

    overview = await account_overview(cabinet.id, account.number)  # 20 November 2026

    assert [bill.period for bill in overview.bills] == ['2026-11', '2026-10', '2026-06', '2026-01', '2025-12']
    assert overview.last_bill.period == '2026-11'
    assert overview.balance == Decimal('700.00')

    # still 30 November in UTC, already 1 December in Moscow: the customers' month counts
    fake_clock.current = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    overview = await account_overview(cabinet.id, account.number)

    assert [bill.period for bill in overview.bills] == ['2026-11', '2026-10', '2026-06', '2026-01']


async def test_payments_from_the_same_day_a_year_ago_newest_first(db, fake_clock):
    account = await make_account('670000000001', **KUZNETSOVA)
    for day in [date(2025, 11, 19), date(2025, 11, 20), date(2026, 3, 1), date(2026, 11, 20)]:
        await add_payment(account, day, '10.00')
    # two payments on one day keep the order they came in, the later one first
    second = await add_payment(account, date(2026, 3, 1), '20.00')
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])

    overview = await account_overview(cabinet.id, account.number)  # 20 November 2026

    assert [(payment.date, payment.amount) for payment in overview.payments] == [
        (date(2026, 11, 20), Decimal('10.00')),
        (date(2026, 3, 1), Decimal('20.00')),
        (date(2026, 3, 1), Decimal('10.00')),
        (date(2025, 11, 20), Decimal('10.00')),
    ]
    assert overview.payments[1].id == second.id
    assert overview.balance == Decimal('-60.00')

    fake_clock.advance(days=1)
    overview = await account_overview(cabinet.id, account.number)

    assert [payment.date for payment in overview.payments][-1] == date(2026, 3, 1)


async def test_on_29_february_payments_count_from_28_february_a_year_ago(db, fake_clock):
    account = await make_account('670000000001', **KUZNETSOVA)
    for day in [date(2027, 2, 27), date(2027, 2, 28)]:
        await add_payment(account, day, '10.00')
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])
    fake_clock.current = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)

    overview = await account_overview(cabinet.id, account.number)

    assert [payment.date for payment in overview.payments] == [date(2027, 2, 28)]


async def test_last_bill_comes_with_its_lines_in_print_order_even_when_older_than_a_year(db, fake_clock):
    account = await make_account('670000000001', **KUZNETSOVA)
    old = await add_bill(account, '2024-05', '300.00', lines=())
    await add_bill(account, '2024-04', '100.00', lines=())
    # written out of order: the overview sorts by position
    await BillLine.create(
        bill=old, position=2, service='Ночь', kwh=Decimal('10'), tariff=Decimal('3'), amount=Decimal('30')
    )
    await BillLine.create(
        bill=old, position=1, service='День', kwh=Decimal('45'), tariff=Decimal('6'), amount=Decimal('270')
    )
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])

    overview = await account_overview(cabinet.id, account.number)

    assert overview.bills == []
    assert overview.last_bill.period == '2024-05'
    assert [line.service for line in overview.last_bill.lines] == ['День', 'Ночь']


async def test_an_account_without_bills_or_payments(db, fake_clock):
    account = await make_account('670000000001', **KUZNETSOVA)
    cabinet = await make_cabinet('kuznetsova', accounts=[account.number])

    overview = await account_overview(cabinet.id, account.number)

    assert (overview.balance, overview.last_bill, overview.bills, overview.payments) == (Decimal('0.00'), None, [], [])


async def test_an_account_not_linked_to_this_cabinet_shows_nothing(db, fake_clock):
    mine = await make_account('670000000001', **KUZNETSOVA)
    theirs = await make_account('670000000002', **KUZNETSOVA)
    await make_account('670000000003', **KUZNETSOVA)
    await add_bill(theirs, '2026-10', '500.00', lines=())
    cabinet = await make_cabinet('kuznetsova', accounts=[mine.number])
    await make_cabinet('neighbour', accounts=[theirs.number])

    # linked to another cabinet, linked to none, no such account at all: the same refusal
    for number in ['670000000002', '670000000003', '000000000000']:
        with pytest.raises(NotAllowed) as refused:
            await account_overview(cabinet.id, number)
        assert refused.value.message == 'Этот лицевой счёт не привязан к вашему личному кабинету.'

    assert (await account_overview(cabinet.id, mine.number)).account.number == mine.number


@pytest.mark.parametrize(
    ('value', 'text'),
    [
        ('0', '0,00'),
        ('0.05', '0,05'),
        ('1234567.5', '1 234 567,50'),
        ('-1234.56', '-1 234,56'),
        ('999.999', '1 000,00'),
        ('100000', '100 000,00'),
        ('-0.004', '0,00'),
        ('0.005', '0,01'),
    ],
)
def test_format_money_in_russian_style(value, text):
    assert format_money(Decimal(value)) == text.replace(' ', NBSP) + f'{NBSP}₽'


@pytest.mark.parametrize(
    ('period', 'label'), [('2026-10', 'Октябрь 2026'), ('2027-01', 'Январь 2027'), ('2026-05', 'Май 2026')]
)
def test_period_label(period, label):
    assert period_label(period) == label
