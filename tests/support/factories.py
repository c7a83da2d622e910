"""Rows a service test starts from, as registration, linking and the billing import leave them: cabinets, personal
accounts and their links, bills, payments, e-bill subscriptions, meters with their readings and tariffs, the reading
notices a cabinet turned on, and the registration form a customer fills in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from models.billing import Account, Bill, BillLine, Payment, Region
from models.cabinet import Cabinet, CabinetState, Link
from models.ebill import EBill
from models.readings import Meter, Reading, ReadingNotice, ReadingSource, ReadingStatus, Tariff
from services import clock
from services.identity import passwords
from services.identity.registration import RegistrationForm

#: a password every profile's rules accept
GOOD = 'Zelenyj-Slon-42'
#: the password a change or a recovery sets
NEW = 'Novyj-Parol-2026'
PHONE = '+79001234567'
#: the sample billing data's first account (tests/support/billing.py): Семёнов in Курск
NUMBER = '461000000001'
KURSK = ('KRS', 'Курск')
ADDRESS = '305000, г. Курск, ул. Семёновская, д. 1, кв. 2'
#: the serial of the meters `make_meter` makes
SERIAL = '011-0042'
#: the month the dispatch tests bill, and the address Семёнов receives the bill at
PERIOD = '2026-10'
EMAIL = 'semenov@example.ru'
#: a month of electricity by day and by night: (service, kWh, tariff, amount)
DAY_AND_NIGHT = (
    ('Электроэнергия (день)', '230', '6.12', '1407.60'),
    ('Электроэнергия (ночь)', '101', '3.45', '348.45'),
)


def registration_form(**values: object) -> RegistrationForm:
    """The registration form filled in well by «ivanov»; `values` change or add fields."""
    defaults: dict = {
        'login': 'ivanov',
        'password': GOOD,
        'password_confirm': GOOD,
        'email': 'ivanov@example.ru',
        'consent': True,
    }
    return RegistrationForm(**{**defaults, **values})


async def make_cabinet(
    login: str = 'ivanov',
    email: str | None = '{login}@example.ru',
    *,
    email_confirmed: bool = True,
    phone: str | None = PHONE,
    password: str | None = None,
    accounts: Iterable[str] = (),
    **fields: object,
) -> Cabinet:
    """An active cabinet with its email (the login's own by default) and phone confirmed, holding `accounts`.

    Only a `password` is hashed (argon2 is slow); `fields` sets any other column, e.g. language='en'."""
    now = clock.now()
    email = email.format(login=login) if email else None
    cabinet = await Cabinet.create(
        **{
            'login': login,
            'login_key': login.casefold(),
            'password_hash': await passwords.hash_password(password) if password else 'not-used-here',
            'email': email,
            'email_confirmed_at': now if email and email_confirmed else None,
            'phone': phone,
            'phone_confirmed_at': now if phone else None,
            'state': CabinetState.ACTIVE,
            'created_at': now,
            'password_changed_at': now,
            **fields,
        }
    )
    await link_accounts(cabinet, *accounts)
    return cabinet


async def make_account(
    number: str = NUMBER, *, surname: str = 'Семёнов', address: str = ADDRESS, region: tuple[str, str] = KURSK
) -> Account:
    """A personal account as the billing import stores it; its region is made if billing has none of that code."""
    code, name = region
    stored, _ = await Region.get_or_create(code=code, defaults={'name': name})
    return await Account.create(number=number, region=stored, surname=surname, address=address)


async def link_accounts(cabinet: Cabinet, *numbers: str) -> None:
    """Links the accounts to the cabinet as a proved payment does; an account billing does not hold yet is made."""
    for number in numbers:
        account = await Account.get_or_none(number=number) or await make_account(number)
        await Link.create(cabinet=cabinet, account=account, proof='payment', linked_at=clock.now())


async def add_payment(account: Account, day: date | str, amount: str) -> Payment:
    # Decimal as the billing import writes it: '102.1' stays '102.1' (no quantising to two places)
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return await Payment.create(account=account, date=day, amount=Decimal(amount))


async def add_bill(
    account: Account,
    period: str = PERIOD,
    amount_due: str | None = None,
    *,
    lines: Iterable[tuple[str, str, str, str]] = DAY_AND_NIGHT,
) -> Bill:
    """A bill of `period` due on the 10th of the next month, with `lines` (service, kWh, tariff, amount); it is due
    their sum unless `amount_due` says otherwise."""
    lines = list(lines)
    year, month = map(int, period.split('-'))
    due = date(year + month // 12, month % 12 + 1, 10)
    total = Decimal(amount_due) if amount_due is not None else sum((Decimal(line[3]) for line in lines), Decimal(0))
    bill = await Bill.create(account=account, period=period, amount_due=total, due_date=due)
    for position, (service, kwh, tariff, amount) in enumerate(lines, start=1):
        await BillLine.create(
            bill=bill,
            position=position,
            service=service,
            kwh=Decimal(kwh),
            tariff=Decimal(tariff),
            amount=Decimal(amount),
        )
    return bill


async def subscriber(
    cabinet: Cabinet,
    number: str = NUMBER,
    email: str = EMAIL,
    *,
    periods: Iterable[str] = (PERIOD,),
    enabled: bool = True,
    confirmed: bool = True,
) -> EBill:
    """Семёнов's account `number` linked to the cabinet, with a day-and-night bill of each of `periods` and an e-bill
    subscription to `email`."""
    account = await make_account(number, address='305000, г. Курск, ул. Ленина, д. 5, кв. 12')
    await link_accounts(cabinet, number)
    for period in periods:
        await add_bill(account, period)
    return await EBill.create(
        account=account,
        cabinet=cabinet,
        email=email,
        enabled=enabled,
        email_confirmed_at=clock.now() if confirmed else None,
        updated_at=clock.now(),
    )


async def make_meter(
    account: Account, serial: str = SERIAL, *, zones: int = 2, digits: int = 5, **fields: object
) -> Meter:
    """A meter of `account` as the meters.csv import stores it: two zones and five integer digits unless told;
    `fields` sets any other column (decimals, ratio, verify_by, smart, removed…)."""
    return await Meter.create(account=account, serial=serial, zones=zones, digits=digits, **fields)


async def add_reading(
    meter: Meter,
    day: date | str,
    *values: str,
    source: ReadingSource = ReadingSource.BILLING,
    status: ReadingStatus = ReadingStatus.ACCEPTED,
    **fields: object,
) -> Reading:
    """A reading of `meter` on `day` with one value per zone (t1, t2, t3 in order), as readings.csv brings it:
    billing's, accepted, unless told."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    zones = {f't{zone}': Decimal(value) for zone, value in enumerate(values, start=1)}
    return await Reading.create(meter=meter, date=day, source=source, status=status, **zones, **fields)


async def add_tariff(
    account: Account,
    zone: int,
    price: str,
    valid_from: date | str = '2026-01-01',
    *,
    band_kwh: str | None = None,
    band_price: str | None = None,
) -> Tariff:
    """The price of a kWh of `zone` in the region of `account` from `valid_from`, with its volume band when given."""
    day = date.fromisoformat(valid_from) if isinstance(valid_from, str) else valid_from
    return await Tariff.create(
        region_id=account.region_id,
        zone=zone,
        price=Decimal(price),
        valid_from=day,
        band_kwh=Decimal(band_kwh) if band_kwh else None,
        band_price=Decimal(band_price) if band_price else None,
    )


async def add_customer_reading(
    meter: Meter,
    day: date | str,
    *values: str,
    status: ReadingStatus = ReadingStatus.SUBMITTED,
    cabinet: Cabinet | None = None,
    **fields: object,
) -> Reading:
    """A customer's reading of `meter` on `day` as the readings page stores it: sent from the web now, not yet
    exported unless told; `fields` sets any other column (superseded, submitted_at, export…)."""
    fields = {'submitted_at': clock.now(), 'channel': 'web', **fields}
    return await add_reading(
        meter, day, *values, source=ReadingSource.CUSTOMER, status=status, cabinet=cabinet, **fields
    )


async def reading_notice(cabinet: Cabinet, number: str = NUMBER, **channels: bool) -> ReadingNotice:
    """The reading notices of `cabinet` for its linked account `number` as «Сохранить» stores them: `channels` are
    remind_email, remind_sms, confirm_email, confirm_sms (off unless given)."""
    account = await Account.get(number=number)
    now = clock.now()
    return await ReadingNotice.create(cabinet=cabinet, account=account, created_at=now, updated_at=now, **channels)
