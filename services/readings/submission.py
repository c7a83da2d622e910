"""«Передать показания» (docs/product.md, flow 8): a customer's reading of one meter, every check with its message at
its zone's field (t1, t2, t3) or at 'confirm', and the acknowledgement «Показания приняты».

Refused: a meter not on an account linked to an active cabinet, a smart (ИСУ), removed or overdue meter, a day
outside the window, an empty zone, anything but digits with one comma or dot, more digits than the register has, a
value below the previous one. Asked to confirm (ConfirmationNeeded, then sent again with `confirm`): a register that
rolled over (wrapped at 10**digits) and a consumption over 3× the usual (the meter's average daily consumption of the
12 months before the previous reading, times the days since it) or over PORTAL_READINGS_CAP_KWH.

The previous value is the latest reading that counts (meters.readings) from before the window, or billing's or a
smart meter's within it: the customer's own readings of the window are what a new one replaces (history keeps them,
marked superseded; the export sends only the live one). Submissions of one meter are serialised by a lock on its row
(PostgreSQL FOR UPDATE; SQLite runs one write transaction at a time), so a double click leaves one live reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.cabinet import Cabinet
from models.readings import Meter, Reading, ReadingSource, ReadingStatus
from services import clock, config, limits
from services.errors import ConfirmationNeeded, InvalidInput, NotAllowed, PortalError
from services.identity import audit
from services.readings import costs, notices
from services.readings.meters import Zone, linked_meter, readings, register_values, zone_fields, zones
from services.readings.window import Window, window
from services.texts import format_date, format_number, t

#: digits with one comma or dot: [0-9], not \d (other scripts' digits), no sign, no exponent, no NaN or infinity
_NUMBER = re.compile(r'([0-9]+)(?:[.,]([0-9]*))?')
#: a consumption this many times the usual asks for a confirmation
USUAL_TIMES = 3
#: the usual consumption is the average of this many days before the previous reading
USUAL_DAYS = 365
#: a value below the previous one is a rollover when the wrapped consumption is under this share of the register
_ROLLOVER_SHARE = 10
CHANNEL = 'web'


@dataclass(frozen=True)
class Acknowledgement:
    """«Показания приняты»: what the customer keeps. Consumption and cost are None without a previous reading (and
    cost without a tariff for the zone); the cost is an estimate (`note`)."""

    serial: str
    date: date
    zones: list[Zone]
    values: dict[str, Decimal]
    #: kWh per zone: the register's difference times the transformer ratio
    consumption: dict[str, Decimal | None]
    cost: dict[str, Decimal | None]
    #: it replaced an earlier submission of the same window
    replaced: bool

    @property
    def total_cost(self) -> Decimal | None:
        known = [amount for amount in self.cost.values() if amount is not None]
        return sum(known, Decimal(0)) if known else None

    @property
    def note(self) -> str:
        return t('readings.ack.estimate')


def parse_value(text: str, meter: Meter) -> Decimal:
    """The value the customer typed in one zone's field; InvalidInput-style message as ValueError otherwise."""
    text = text.strip()
    if not text:
        raise ValueError(t('error.required'))
    match = _NUMBER.fullmatch(text)
    if not match:
        raise ValueError(t('readings.error.number'))
    whole, fraction = match[1].lstrip('0'), (match[2] or '').rstrip('0')
    if len(whole) > meter.digits:
        raise ValueError(t('readings.error.digits', digits=meter.digits))
    if len(fraction) > meter.decimals:
        if not meter.decimals:
            raise ValueError(t('readings.error.whole'))
        raise ValueError(t('readings.error.decimals', decimals=meter.decimals))
    return Decimal(f'{whole or 0}.{fraction or 0}')


def _parsed(meter: Meter, typed: dict[str, str]) -> dict[str, Decimal]:
    parsed, errors = {}, {}
    for field in zone_fields(meter):
        try:
            parsed[field] = parse_value(typed.get(field) or '', meter)
        except ValueError as error:
            errors[field] = str(error)
    if errors:
        raise InvalidInput(errors)
    return parsed


def _state_refusal(meter: Meter, today: date, region_window: Window) -> tuple[str, PortalError] | None:
    """Why the meter takes no manual reading today (the audit's word and the customer's message), or None."""
    if meter.smart:
        return 'smart', NotAllowed(t('readings.error.smart'))
    if meter.removed is not None:
        return 'removed', NotAllowed(t('readings.error.removed', date=format_date(meter.removed)))
    if meter.verify_by is not None and meter.verify_by < today:
        return 'overdue', NotAllowed(t('readings.error.overdue', date=format_date(meter.verify_by)))
    if not region_window.open:
        opens, closes = format_date(region_window.opens), format_date(region_window.closes)
        return 'closed', NotAllowed(t('readings.error.closed', opens=opens, closes=closes))
    return None


async def _previous(meter: Meter, region_window: Window) -> Reading | None:
    own_in_window = Q(source=ReadingSource.CUSTOMER, date__gte=region_window.opens)
    return await readings(meter).filter(~own_in_window).first()


async def _usual_per_day(meter: Meter, previous: Reading) -> dict[str, Decimal]:
    """kWh a day per zone over the year before `previous`, from the oldest counted reading in it; zones that went
    backwards (a rollover) or used nothing have no usual and are checked against the cap only."""
    since = previous.date - timedelta(days=USUAL_DAYS)
    oldest = await readings(meter).filter(date__gte=since, date__lt=previous.date).order_by('date', 'id').first()
    if oldest is None:
        return {}
    days = (previous.date - oldest.date).days
    usual = {}
    for field in zone_fields(meter):
        used = getattr(previous, field) - getattr(oldest, field)
        if used > 0:
            usual[field] = used * meter.ratio / days
    return usual


async def _consumption(
    meter: Meter, previous: Reading | None, parsed: dict[str, Decimal], today: date, confirm: bool
) -> dict[str, Decimal | None]:
    """kWh per zone since `previous`; raises InvalidInput for a value below it, ConfirmationNeeded for a rollover or
    an unusual consumption when not confirmed."""
    if previous is None:
        return dict.fromkeys(parsed)
    top = Decimal(10) ** meter.digits
    usual = await _usual_per_day(meter, previous)
    days = max((today - previous.date).days, 1)
    refused, asked, used = {}, {}, {}
    for field, value in parsed.items():
        before = getattr(previous, field)
        register = value - before
        if register < 0:
            register += top
            if register * _ROLLOVER_SHARE >= top:
                refused[field] = t('readings.error.below', previous=format_number(before.normalize()))
                continue
            asked[field] = t('readings.error.rollover', previous=format_number(before.normalize()))
        kwh = register * meter.ratio
        limit = USUAL_TIMES * usual[field] * days if field in usual else None
        if field not in asked and (kwh > config.settings.readings_cap_kwh or (limit is not None and kwh > limit)):
            asked[field] = t('readings.error.check', kwh=format_number(kwh.normalize()))
        used[field] = kwh
    if refused:
        raise InvalidInput(refused)
    if asked and not confirm:
        raise ConfirmationNeeded({**asked, 'confirm': t('readings.error.confirm')})
    return used


async def _record(
    cabinet: Cabinet, meter: Meter, parsed: dict[str, Decimal], confirm: bool, region_window: Window, today: date
) -> tuple[Reading, dict[str, Decimal | None], bool]:
    """Inside the transaction: the checks against the stored readings, then the reading, replacing the window's."""
    await Meter.select_for_update().get(id=meter.id)
    previous = await _previous(meter, region_window)
    consumption = await _consumption(meter, previous, parsed, today, confirm)
    replaced = await Reading.filter(
        meter_id=meter.id, source=ReadingSource.CUSTOMER, superseded=False, date__gte=region_window.opens
    ).update(superseded=True)
    reading = await Reading.create(
        meter_id=meter.id,
        date=today,
        **parsed,
        source=ReadingSource.CUSTOMER,
        status=ReadingStatus.SUBMITTED,
        cabinet_id=cabinet.id,
        submitted_at=clock.now(),
        channel=CHANNEL,
    )
    return reading, consumption, bool(replaced)


async def submit_reading(
    cabinet: Cabinet, account_number: str, serial: str, values: dict[str, str], *, confirm: bool, ip: str | None
) -> Acknowledgement:
    """«Передать показания» of meter `serial` of the linked account `account_number`. Errors at 't1', 't2', 't3'
    and 'confirm' (ConfirmationNeeded: send again with `confirm`); NotAllowed for the whole form."""
    typed = {field: values.get(field) for field in ('t1', 't2', 't3')}
    limits.check_text(
        account=(account_number, limits.ACCOUNT),
        serial=(serial, limits.SERIAL),
        **{field: (value, limits.READING) for field, value in typed.items()},
    )
    number, serial = account_number.strip(), serial.strip()
    who = {'cabinet_id': cabinet.id, 'login': cabinet.login, 'ip': ip, 'account': number, 'serial': serial}
    try:
        meter = await linked_meter(cabinet, number, serial)
    except NotAllowed:
        await audit.record('reading_refused', outcome='not_yours', **who)
        raise
    today = clock.today()
    region_window = window(meter.account.region, today)
    if refusal := _state_refusal(meter, today, region_window):
        outcome, error = refusal
        await audit.record('reading_refused', outcome=outcome, **who)
        raise error
    parsed = _parsed(meter, {field: value or '' for field, value in typed.items()})
    async with in_transaction():
        reading, consumption, replaced = await _record(cabinet, meter, parsed, confirm, region_window, today)
        await audit.record(
            'reading_submitted', reading=reading.id, date=today.isoformat(), confirmed=confirm, replaced=replaced, **who
        )
        ack = await _acknowledgement(meter, reading, consumption, replaced, today)
        # the confirmation the customer asked for is queued with the reading it confirms: both or neither
        await notices.queue_confirmation(cabinet.id, meter, number, ack)
    return ack


async def _acknowledgement(
    meter: Meter, reading: Reading, consumption: dict[str, Decimal | None], replaced: bool, today: date
) -> Acknowledgement:
    tariffs = await costs.tariffs(meter.account.region_id, today)
    cost = {
        field: costs.cost(kwh, tariffs[zone]) if kwh is not None and zone in tariffs else None
        for zone, (field, kwh) in enumerate(consumption.items(), start=1)
    }
    return Acknowledgement(
        meter.serial, today, zones(meter), register_values(reading, meter), consumption, cost, replaced
    )
