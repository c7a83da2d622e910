"""Account overview (flow 7): the balance, bills and payments of one linked personal account, and a bill as a PDF.

Every function takes the cabinet along with the account number: a number typed into a request that is not linked to
that cabinet shows nothing at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from tortoise.functions import Sum
from tortoise.models import Model
from tortoise.query_utils import Prefetch

from models.billing import Account, Bill, BillLine, Payment
from services import clock, config
from services.billing.bill_pdf import render_bill
from services.errors import InvalidInput, NotAllowed
from services.texts import format_money, period_label, t

__all__ = [
    'BillDocument',
    'Overview',
    'account_overview',
    'balance_text',
    'bill_data',
    'bill_document',
    'bill_lines',
    'bill_pdf',
    'format_money',
    'period_label',
    'render_document',
]

CENT = Decimal('0.01')
HISTORY_MONTHS = 12


@dataclass
class Overview:
    #: with its region
    account: Account
    #: all bills minus all payments: > 0 a debt, < 0 an overpayment
    balance: Decimal
    #: the newest period, whenever it was; with its lines in print order
    last_bill: Bill | None
    #: periods of the current month and the 11 before it, newest first, with their lines
    bills: list[Bill]
    #: dated from the same day a year ago on, newest first
    payments: list[Payment]


def balance_text(balance: Decimal) -> str:
    if balance > 0:
        return t('overview.debt', amount=format_money(balance))
    if balance < 0:
        return t('overview.overpayment', amount=format_money(-balance))
    return t('overview.no_debt')


async def account_overview(cabinet_id: int, number: str) -> Overview:
    account = await _linked_account(cabinet_id, number)
    today = clock.today()
    newest_first = Bill.filter(account=account).order_by('-period').prefetch_related(bill_lines())
    # asked at once: the page waits for one round of reads, not four (PostgreSQL runs them side by side)
    billed, paid, bills, payments = await asyncio.gather(
        _total(Bill, 'amount_due', account),
        _total(Payment, 'amount', account),
        newest_first.filter(period__gte=_first_period(today)),
        Payment.filter(account=account, date__gte=_year_before(today)).order_by('-date', '-id'),
    )
    # the window has no upper end, so when it holds any bill its first one is the newest of all
    last_bill = bills[0] if bills else await newest_first.first()
    return Overview(account=account, balance=billed - paid, last_bill=last_bill, bills=bills, payments=payments)


async def bill_pdf(cabinet_id: int, number: str, period: str) -> tuple[str, bytes]:
    """(file name, PDF) of one bill of a linked account."""
    # the query that finds the bill checks the link too: one round trip less on every «PDF» click
    bill = (
        await Bill.filter(period=period, account__number=number, account__links__cabinet_id=cabinet_id)
        .select_related('account__region')
        .prefetch_related(bill_lines())
        .first()
    )
    if bill is None:
        await _linked_account(cabinet_id, number)  # refused when not linked; else there is no such bill
        raise InvalidInput({'period': t('overview.no_bill')})
    return await bill_document(bill.account, bill)


@dataclass(frozen=True)
class BillDocument:
    """What a bill's PDF shows, as plain data: the PDF can be made in another process (the e-bill dispatch does)."""

    brand: str
    account_number: str
    holder: str
    address: str
    region: str
    period: str
    lines: tuple[tuple[str, Decimal, Decimal, Decimal], ...]
    amount_due: Decimal
    due_date: date

    @property
    def file_name(self) -> str:
        return f'schet-{self.account_number}-{self.period}.pdf'


def bill_data(account: Account, bill: Bill) -> BillDocument:
    """The document of a bill, its lines fetched in print order (`bill_lines()`) and the account with its region."""
    return BillDocument(
        brand=config.settings.brand_name,
        account_number=account.number,
        holder=account.surname,
        address=account.address,
        region=account.region.name,
        period=bill.period,
        lines=tuple((line.service, line.kwh, line.tariff, line.amount) for line in bill.lines),
        amount_due=bill.amount_due,
        due_date=bill.due_date,
    )


def render_document(document: BillDocument) -> tuple[str, bytes]:
    """(file name, PDF): the one document both the overview download and the monthly e-bill email carry."""
    return document.file_name, render_bill(**{field.name: getattr(document, field.name) for field in fields(document)})


async def bill_document(account: Account, bill: Bill) -> tuple[str, bytes]:
    """(file name, PDF) of a bill (see `bill_data`)."""
    # a render takes a few milliseconds (the first one in a process ~0.3 s, loading the font): off the event loop
    return await asyncio.to_thread(render_document, bill_data(account, bill))


async def _linked_account(cabinet_id: int, number: str) -> Account:
    account = await Account.filter(number=number, links__cabinet_id=cabinet_id).select_related('region').first()
    if account is None:
        raise NotAllowed(t('overview.not_linked'))
    return account


async def _total(model: type[Model], field: str, account: Account) -> Decimal:
    """The SQL sum over all the account's rows. SQLite sums decimals as floats: rounding to kopecks makes it exact
    again (a float keeps 15 digits, far more than any account's sum needs)."""
    row = await model.filter(account=account).annotate(total=Sum(field)).first().values('total')
    return Decimal(str(row['total'] or 0)).quantize(CENT)


def bill_lines() -> Prefetch:
    return Prefetch('lines', queryset=BillLine.all().order_by('position'))


def _first_period(today: date) -> str:
    """'YYYY-MM' of the month HISTORY_MONTHS - 1 before today's: with today's month, HISTORY_MONTHS periods."""
    months = today.year * 12 + today.month - 1 - (HISTORY_MONTHS - 1)
    return f'{months // 12:04d}-{months % 12 + 1:02d}'


def _year_before(today: date) -> date:
    # 29 February has no twin a year earlier: the 28th stands in
    return today.replace(year=today.year - 1, day=min(today.day, 28) if today.month == 2 else today.day)
