"""What the readings page shows per meter of a linked account: serial, zones with their names, the last accepted
reading (a billing estimate apart: it is not a reading), the meter's state and whether manual submission is open.

Every function here takes the account number and the serial as the page sent them and finds them only among the
cabinet's linked accounts (an active cabinet's): another cabinet's meter is NotAllowed, whatever the arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.billing import Account
from models.cabinet import Cabinet, CabinetState
from models.readings import Meter, Reading, ReadingSource, ReadingStatus
from services import clock
from services.errors import NotAllowed
from services.readings.window import Window, window
from services.texts import t

#: the zone fields of a meter of 1, 2 or 3 zones and their names' keys (docs/product.md, flow 8)
ZONES = {
    1: (('t1', 'readings.zone.all_day'),),
    2: (('t1', 'readings.zone.day'), ('t2', 'readings.zone.night')),
    3: (('t1', 'readings.zone.peak'), ('t2', 'readings.zone.night'), ('t3', 'readings.zone.half_peak')),
}


@dataclass(frozen=True)
class Zone:
    #: the form's field and the Reading column: t1, t2, t3
    field: str
    name: str


@dataclass(frozen=True)
class Shown:
    """A reading as the page shows it: its date, source, status and one value per zone field."""

    date: date
    source: ReadingSource
    status: ReadingStatus
    values: dict[str, Decimal]


@dataclass(frozen=True)
class MeterCard:
    serial: str
    zones: list[Zone]
    #: the latest reading billing accepted (customer, billing or smart), None before the first
    last: Shown | None
    #: billing's estimate for a month after `last`: shown as an estimate, never as the last reading
    estimate: Shown | None
    #: the customer's latest reading after `last` that billing has not accepted yet
    submitted: Shown | None
    smart: bool
    removed: date | None
    #: «дата поверки» passed: readings are not accepted until the meter is verified again
    overdue: bool
    verify_by: date | None
    window: Window

    @property
    def open(self) -> bool:
        """Manual submission: inside the window, for a meter in place, verified and not read remotely."""
        return self.window.open and not (self.smart or self.removed or self.overdue)


def zone_fields(meter: Meter) -> tuple[str, ...]:
    return tuple(field for field, _ in ZONES[meter.zones])


def zones(meter: Meter) -> list[Zone]:
    return [Zone(field, t(key)) for field, key in ZONES[meter.zones]]


def register_values(reading: Reading, meter: Meter) -> dict[str, Decimal]:
    return {field: getattr(reading, field) for field in zone_fields(meter)}


def shown(reading: Reading | None, meter: Meter) -> Shown | None:
    if reading is None:
        return None
    return Shown(reading.date, reading.source, reading.status, register_values(reading, meter))


async def linked_account(cabinet: Cabinet, number: str) -> Account:
    """The account `number` if it is linked to `cabinet` and the cabinet is active (re-read: a session may outlive
    a lock), region prefetched; else NotAllowed."""
    account = (
        await Account.filter(number=number, links__cabinet_id=cabinet.id, links__cabinet__state=CabinetState.ACTIVE)
        .select_related('region')
        .first()
    )
    if account is None:
        raise NotAllowed(t('readings.error.not_yours'))
    return account


async def linked_meter(cabinet: Cabinet, number: str, serial: str) -> Meter:
    """The meter `serial` of the linked account `number`, account and region prefetched; else NotAllowed (one
    answer for an account or a meter that is not the cabinet's)."""
    account = await linked_account(cabinet, number)
    meter = await Meter.get_or_none(account_id=account.id, serial=serial)
    if meter is None:
        raise NotAllowed(t('readings.error.not_yours'))
    meter.account = account
    return meter


def counts(reading: Reading) -> bool:
    """Whether a reading already loaded is one that `readings` selects."""
    return (
        not reading.superseded
        and reading.source != ReadingSource.CALCULATED
        and reading.status != ReadingStatus.REJECTED
    )


def readings(meter: Meter):  # noqa: ANN201 - a Tortoise QuerySet[Reading]
    """The meter's readings that count, newest first: not billing's estimates, not rejected, not replaced."""
    return (
        Reading.filter(meter_id=meter.id, superseded=False)
        .exclude(source=ReadingSource.CALCULATED)
        .exclude(status=ReadingStatus.REJECTED)
        .order_by('-date', '-id')
    )


async def _card(meter: Meter, region_window: Window, today: date) -> MeterCard:
    last = (
        await Reading.filter(meter_id=meter.id, status=ReadingStatus.ACCEPTED, superseded=False)
        .exclude(source=ReadingSource.CALCULATED)
        .order_by('-date', '-id')
        .first()
    )
    after = {'date__gt': last.date} if last else {}
    estimate = (
        await Reading.filter(meter_id=meter.id, source=ReadingSource.CALCULATED, **after)
        .order_by('-date', '-id')
        .first()
    )
    submitted = (
        await Reading.filter(
            meter_id=meter.id,
            source=ReadingSource.CUSTOMER,
            superseded=False,
            status__in=(ReadingStatus.SUBMITTED, ReadingStatus.EXPORTED),
            **after,
        )
        .order_by('-date', '-id')
        .first()
    )
    return MeterCard(
        serial=meter.serial,
        zones=zones(meter),
        last=shown(last, meter),
        estimate=shown(estimate, meter),
        submitted=shown(submitted, meter),
        smart=meter.smart,
        removed=meter.removed,
        overdue=meter.verify_by is not None and meter.verify_by < today,
        verify_by=meter.verify_by,
        window=region_window,
    )


async def meter_cards(cabinet: Cabinet, number: str) -> list[MeterCard]:
    """The meters of the linked account `number`, those in place first, by serial; NotAllowed when not linked."""
    account = await linked_account(cabinet, number)
    today = clock.today()
    region_window = window(account.region, today)
    meters = await Meter.filter(account_id=account.id).order_by('serial')
    cards = [await _card(meter, region_window, today) for meter in meters]
    return sorted(cards, key=lambda card: card.removed is not None)
