"""«Передать показания»: each check with its message at its field, the acknowledgement, replacement within the window,
a double click, and a meter that is not the cabinet's."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from models.cabinet import CabinetState
from models.readings import Reading, ReadingSource, ReadingStatus
from models.security import AuditEvent
from services.errors import ConfirmationNeeded, InvalidInput, NotAllowed
from services.readings.submission import submit_reading
from tests.support.factories import (
    NUMBER,
    SERIAL,
    add_reading,
    add_tariff,
    make_account,
    make_cabinet,
    make_meter,
)

IP = '10.0.0.1'
NUMBER_FORMAT = 'Введите число: только цифры и, если нужно, запятая'
#: clicks on «Передать» at once
CLICKS = 5
CONFIRM = 'Подтвердите, что показания верны, и передайте их ещё раз'


async def submit(cabinet, t1='120', t2='60', *, confirm=False, number=NUMBER, serial=SERIAL, **values):
    return await submit_reading(cabinet, number, serial, {'t1': t1, 't2': t2, **values}, confirm=confirm, ip=IP)


async def live(meter) -> list[tuple[Decimal, Decimal]]:
    rows = Reading.filter(meter_id=meter.id, source=ReadingSource.CUSTOMER, superseded=False)
    return list(await rows.values_list('t1', 't2'))


async def test_an_accepted_reading_is_acknowledged_stored_and_audited(account, cabinet, meter):
    await make_meter(account, '3-phase', ratio=30)  # another meter of the account takes no part
    await add_reading(meter, '2026-10-20', '100', '50')
    await add_tariff(account, 1, '6.12')
    await add_tariff(account, 2, '3.45')
    ack = await submit(cabinet, '120,5', ' 60 ')
    assert (ack.serial, ack.date, ack.replaced) == (SERIAL, date(2026, 11, 20), False)
    assert [(zone.field, zone.name) for zone in ack.zones] == [('t1', 'день'), ('t2', 'ночь')]
    assert ack.values == {'t1': Decimal('120.5'), 't2': Decimal('60')}
    assert ack.consumption == {'t1': Decimal('20.5'), 't2': Decimal('10')}
    assert ack.cost == {'t1': Decimal('125.46'), 't2': Decimal('34.50')}
    assert ack.total_cost == Decimal('159.96')
    assert 'предварительный расчёт' in ack.note
    stored = await Reading.get(meter_id=meter.id, source=ReadingSource.CUSTOMER)
    assert (stored.status, stored.cabinet_id, stored.channel, stored.date) == (
        ReadingStatus.SUBMITTED,
        cabinet.id,
        'web',
        date(2026, 11, 20),
    )
    event = await AuditEvent.get(event='reading_submitted')
    assert (event.cabinet_id, event.ip, event.detail['serial'], event.detail['account']) == (
        cabinet.id,
        IP,
        SERIAL,
        NUMBER,
    )


async def test_consumption_counts_the_transformer_ratio(account, cabinet):
    meter = await make_meter(account, ratio=40)
    await add_reading(meter, '2026-10-20', '100', '50')
    ack = await submit(cabinet, '101', '50')
    assert ack.consumption == {'t1': Decimal('40'), 't2': Decimal('0')}


async def test_a_first_reading_has_no_consumption_or_cost(account, cabinet, meter):
    await add_tariff(account, 1, '6.12')
    ack = await submit(cabinet)
    assert (ack.consumption, ack.cost, ack.total_cost) == ({'t1': None, 't2': None}, {'t1': None, 't2': None}, None)


async def test_every_zone_must_be_filled(cabinet, meter):
    with pytest.raises(InvalidInput) as caught:
        await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '120'}, confirm=False, ip=IP)
    assert caught.value.errors == {'t2': 'Заполните это поле'}
    with pytest.raises(InvalidInput) as caught:
        await submit(cabinet, ' ', '')
    assert caught.value.errors == {'t1': 'Заполните это поле', 't2': 'Заполните это поле'}
    assert await live(meter) == []


@pytest.mark.parametrize(
    'typed',
    ['abc', '12a', '-5', '+5', '1e3', '1E3', 'NaN', 'inf', 'Infinity', '1,2,3', '1.2.3', ',5', '1 000', '٣', '１２'],
)
async def test_anything_but_digits_with_one_comma_or_dot_is_not_a_number(cabinet, meter, typed):
    with pytest.raises(InvalidInput) as caught:
        await submit(cabinet, typed)
    assert caught.value.errors == {'t1': NUMBER_FORMAT}
    assert await live(meter) == []


@pytest.mark.parametrize(
    ('typed', 'value'),
    [
        ('0', Decimal('0')),
        ('99999,9', Decimal('99999.9')),
        ('1,5', Decimal('1.5')),
        ('1.5', Decimal('1.5')),
        (' 12 ', Decimal('12')),
        ('12,', Decimal('12')),
        ('00012', Decimal('12')),
        ('12,50', Decimal('12.5')),
        ('1000', Decimal('1000')),
    ],
)
async def test_numbers_as_customers_type_them(cabinet, meter, typed, value):
    ack = await submit(cabinet, typed)
    assert ack.values['t1'] == value
    assert (await live(meter))[0][0] == value


@pytest.mark.parametrize(
    ('decimals', 'typed', 'message'),
    [
        (1, '100000', 'До запятой — не больше цифр, чем у счётчика: 5'),
        (1, '1,25', 'После запятой — не больше цифр, чем у счётчика: 1'),
        (0, '1,5', 'Счётчик показывает целые числа: введите показания без дробной части'),
    ],
)
async def test_no_more_digits_than_the_register_has(account, cabinet, decimals, typed, message):
    meter = await make_meter(account, decimals=decimals)
    with pytest.raises(InvalidInput) as caught:
        await submit(cabinet, typed)
    assert caught.value.errors == {'t1': message}
    assert await live(meter) == []


async def test_a_whole_register_takes_a_zero_fraction(account, cabinet):
    await make_meter(account, decimals=0)
    assert (await submit(cabinet, '12,0')).values['t1'] == Decimal('12')


async def test_not_below_the_previous_reading(cabinet, meter):
    await add_reading(meter, '2026-10-20', '100', '50')
    for confirm in (False, True):
        with pytest.raises(InvalidInput) as caught:
            await submit(cabinet, '90', '50', confirm=confirm)
        assert caught.value.errors == {'t1': 'Показания меньше предыдущих (100). Проверьте показания'}
    assert await live(meter) == []


async def test_neither_an_estimate_nor_a_rejected_reading_is_the_previous_one(cabinet, meter):
    await add_reading(meter, '2026-09-20', '100', '50')
    await add_reading(meter, '2026-10-20', '300', '150', source=ReadingSource.CALCULATED)
    await add_reading(
        meter, '2026-10-21', '250', '100', source=ReadingSource.CUSTOMER, status=ReadingStatus.REJECTED, reason='x'
    )
    assert (await submit(cabinet, '110', '55')).consumption == {'t1': Decimal('10'), 't2': Decimal('5')}


async def test_a_register_that_rolled_over_needs_a_confirmation(cabinet, meter):
    await add_reading(meter, '2026-10-20', '99990', '50')
    with pytest.raises(ConfirmationNeeded) as caught:
        await submit(cabinet, '5', '50')
    assert caught.value.errors == {
        't1': 'Показания меньше предыдущих (99990): если счётчик прошёл через ноль, подтвердите показания',
        'confirm': CONFIRM,
    }
    assert await live(meter) == []
    ack = await submit(cabinet, '5', '50', confirm=True)
    assert ack.consumption == {'t1': Decimal('15'), 't2': Decimal('0')}


async def test_an_unusual_consumption_needs_a_confirmation(cabinet, meter):
    # a year of 1 kWh a day by day and 0.5 by night; 31 days since the last reading: 3 × 31 = 93 kWh by day is usual
    await add_reading(meter, '2025-11-20', '0', '0')
    await add_reading(meter, '2026-06-20', '212', '106')
    await add_reading(meter, '2026-10-20', '334', '167')
    assert (await submit(cabinet, '427', '167')).consumption['t1'] == Decimal('93')
    with pytest.raises(ConfirmationNeeded) as caught:
        await submit(cabinet, '428', '214')
    assert caught.value.errors == {
        't1': 'Проверьте показания: расход 94 кВт·ч намного больше обычного. Если всё верно, подтвердите',
        't2': 'Проверьте показания: расход 47 кВт·ч намного больше обычного. Если всё верно, подтвердите',
        'confirm': CONFIRM,
    }
    assert await live(meter) == [(Decimal('427'), Decimal('167'))]
    await submit(cabinet, '428', '214', confirm=True)
    assert await live(meter) == [(Decimal('428'), Decimal('214'))]
    assert (await AuditEvent.filter(event='reading_submitted').order_by('-id').first()).detail['confirmed'] is True


async def test_over_the_cap_needs_a_confirmation_without_a_history(monkeypatch, cabinet, account):
    from services import config

    monkeypatch.setenv('PORTAL_READINGS_CAP_KWH', '500')
    config.load()
    meter = await make_meter(account, serial='big', ratio=10)
    await add_reading(meter, '2026-10-20', '100', '50')
    assert (await submit(cabinet, '150', '50', serial='big')).consumption['t1'] == Decimal('500')
    with pytest.raises(ConfirmationNeeded) as caught:
        await submit(cabinet, '151', '50', serial='big')
    assert set(caught.value.errors) == {'t1', 'confirm'}


async def test_a_second_submission_in_the_window_replaces_the_first(fake_clock, cabinet, meter):
    await add_reading(meter, '2026-10-20', '100', '50')
    await submit(cabinet, '130', '60')
    fake_clock.advance(days=2)
    # lower than the first: the customer corrects a typo; the previous reading is still billing's
    ack = await submit(cabinet, '120', '60')
    assert ack.replaced and ack.consumption == {'t1': Decimal('20'), 't2': Decimal('10')}
    history = await Reading.filter(meter_id=meter.id, source=ReadingSource.CUSTOMER).order_by('id')
    assert [(r.t1, r.date, r.superseded) for r in history] == [
        (Decimal('130'), date(2026, 11, 20), True),
        (Decimal('120'), date(2026, 11, 22), False),
    ]


async def test_the_next_window_keeps_the_last_one(fake_clock, cabinet, meter):
    await submit(cabinet, '130', '60')
    fake_clock.advance(days=26)  # 16 December
    ack = await submit(cabinet, '140', '65')
    assert not ack.replaced and ack.consumption == {'t1': Decimal('10'), 't2': Decimal('5')}
    assert len(await live(meter)) == 2


async def test_a_double_click_leaves_one_live_reading(cabinet, meter):
    acks = await asyncio.gather(*(submit(cabinet, str(130 + click), '60') for click in range(CLICKS)))
    assert sorted(ack.replaced for ack in acks) == [False] + [True] * (CLICKS - 1)
    assert len(await live(meter)) == 1
    assert await Reading.filter(meter_id=meter.id).count() == CLICKS


async def test_outside_the_window_refused(fake_clock, cabinet, meter):
    fake_clock.advance(days=6)  # 26 November
    with pytest.raises(NotAllowed) as caught:
        await submit(cabinet)
    assert caught.value.message == 'Показания принимаются с 15.12.2026 по 25.12.2026'
    assert await live(meter) == []
    assert (await AuditEvent.get(event='reading_refused')).detail['outcome'] == 'closed'


@pytest.mark.parametrize(
    ('fields', 'outcome', 'message'),
    [
        ({'smart': True}, 'smart', 'Счётчик передаёт показания автоматически: вводить их не нужно'),
        ({'removed': date(2026, 11, 1)}, 'removed', 'Счётчик снят 01.11.2026: показания по нему больше не принимаются'),
        ({'verify_by': date(2026, 11, 19)}, 'overdue', 'Срок поверки счётчика истёк 19.11.2026'),
    ],
)
async def test_a_meter_closed_to_manual_readings_refuses(account, cabinet, fields, outcome, message):
    meter = await make_meter(account, **fields)
    with pytest.raises(NotAllowed) as caught:
        await submit(cabinet)
    assert caught.value.message.startswith(message)
    assert await live(meter) == []
    assert (await AuditEvent.get(event='reading_refused')).detail['outcome'] == outcome


async def test_a_meter_verified_until_today_takes_readings(account, cabinet):
    await make_meter(account, verify_by=date(2026, 11, 20))
    await submit(cabinet)


@pytest.mark.parametrize(
    ('number', 'serial'),
    [('461000000002', 'theirs'), ('461000000002', SERIAL), (NUMBER, 'theirs'), ('461000000009', SERIAL), (NUMBER, '')],
)
async def test_another_cabinets_meter_is_not_allowed_whatever_the_arguments(cabinet, meter, number, serial):
    theirs = await make_account('461000000002')
    await make_cabinet('petrov', accounts=['461000000002'])
    others = [await make_meter(theirs, 'theirs'), await make_meter(theirs, SERIAL)]
    with pytest.raises(NotAllowed) as caught:
        await submit(cabinet, number=number, serial=serial)
    assert caught.value.message == 'Этого счётчика нет на лицевых счетах вашего кабинета'
    assert await Reading.all().count() == 0 and all([await live(other) == [] for other in others])
    assert (await AuditEvent.get(event='reading_refused')).detail['outcome'] == 'not_yours'


async def test_a_locked_cabinet_submits_nothing(cabinet, meter):
    # the page's cabinet object is the one of its session: the state is read again
    await type(cabinet).filter(id=cabinet.id).update(state=CabinetState.LOCKED)
    with pytest.raises(NotAllowed):
        await submit(cabinet)
    assert await live(meter) == []


async def test_an_unlinked_account_submits_nothing(cabinet, meter):
    await cabinet.links.all().delete()
    with pytest.raises(NotAllowed):
        await submit(cabinet)


async def test_the_cost_estimate_with_a_band_and_the_tariff_of_the_day(account, cabinet, meter):
    await add_reading(meter, '2026-10-20', '100', '50')
    await add_tariff(account, 1, '4.00', '2025-01-01')
    await add_tariff(account, 1, '5.00', '2026-07-01', band_kwh='10', band_price='7.00')
    await add_tariff(account, 1, '9.00', '2026-12-01')  # not yet valid
    ack = await submit(cabinet, '125', '60')
    # 10 kWh at 5.00 and 15 above the band at 7.00; no tariff for the night
    assert ack.cost == {'t1': Decimal('155.00'), 't2': None}
    assert ack.total_cost == Decimal('155.00')


async def test_the_cost_below_the_band(account, cabinet, meter):
    await add_reading(meter, '2026-10-20', '100', '50')
    await add_tariff(account, 1, '5.00', band_kwh='30', band_price='7.00')
    await add_tariff(account, 2, '2.10')
    assert (await submit(cabinet, '125', '60,5')).cost == {'t1': Decimal('125.00'), 't2': Decimal('22.05')}


async def test_a_three_zone_meter_takes_three_values(account, cabinet):
    meter = await make_meter(account, zones=3)
    with pytest.raises(InvalidInput) as caught:
        await submit(cabinet)
    assert caught.value.errors == {'t3': 'Заполните это поле'}
    ack = await submit(cabinet, t3='7')
    assert [zone.name for zone in ack.zones] == ['пик', 'ночь', 'полупик']
    assert (await Reading.get(meter_id=meter.id)).t3 == Decimal('7')
