"""Flow 8 in the simulated browser: «Показания» — a meter's card, «Передать показания» with its checks at the
fields and its confirmation, the acknowledgement and the history; closed outside the window and for a smart meter."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from models.billing import Account, Region
from models.cabinet import Cabinet
from models.readings import Meter, Reading, ReadingSource, ReadingStatus
from tests.support.factories import SERIAL, add_reading, add_tariff, link_accounts, make_meter
from tests.support.stories import KURSK, RETRIES, follow, not_see, see, signed_in_user


@pytest.fixture
async def account(user: User, mailbox, billing) -> Account:
    """«ivanov» signed in, holding the sample Курск account with its day and night tariffs."""
    await signed_in_user(user, mailbox)
    await link_accounts(await Cabinet.get(login='ivanov'), KURSK)
    account = await Account.get(number=KURSK)
    await add_tariff(account, 1, '6.12')
    await add_tariff(account, 2, '3.45')
    return account


@pytest.fixture
async def meter(account) -> Meter:
    """A two-zone meter (five digits and one after the comma) read by billing a year ago and a month ago; today
    (20 November) is inside the window."""
    meter = await make_meter(account, decimals=1)
    await add_reading(meter, '2025-11-20', '10000', '4000')
    await add_reading(meter, '2026-10-20', '12000', '5000')
    return meter


def type_reading(user: User, day: str, night: str) -> None:
    user.find(marker=f'reading-{SERIAL}-t1').clear().type(day)
    user.find(marker=f'reading-{SERIAL}-t2').clear().type(night)
    user.find(marker=f'submit-{SERIAL}').click()


async def field_says(user: User, field: str, text: str) -> None:
    """The message stands at the zone's own field (Quasar shows it under the input)."""
    await see(user, text)
    (element,) = user.find(marker=f'reading-{SERIAL}-{field}').elements
    assert text in (element.error or '')


async def test_a_customer_submits_both_zones_and_sees_the_acknowledgement(user: User, meter):
    await user.open('/')
    await follow(user, 'Показания')
    await see(user, f'Счётчик № {SERIAL}', 'Зоны: день, ночь', 'Последние принятые показания 20.10.2026')
    await see(user, 'сняты контролёром', 'день: 12000, ночь: 5000')
    type_reading(user, '12120', '5050,5')
    await see(user, 'Показания приняты', 'день: 12120 — расход 120 кВт·ч ≈ 734,40')
    await see(user, 'ночь: 5050,5 — расход 50,5 кВт·ч ≈ 174,23', 'Предварительная стоимость: 908,63')
    await see(user, 'предварительный расчёт')
    await user.should_see(marker=f'history-{SERIAL}-2026-11-20', retries=RETRIES)
    await see(user, 'переданы вами', 'передано')
    # the month's consumption: the chart, and the same figures in its table
    await user.should_see(kind=ui.echart, retries=RETRIES)
    (month,) = user.find(marker=f'use-{SERIAL}-2026-11').elements
    assert [label.text for label in month.descendants() if isinstance(label, ui.label)] == [
        'Ноябрь 2026',
        '120',
        '50,5',
    ]
    reading = await Reading.get(meter_id=meter.id, source=ReadingSource.CUSTOMER)
    assert (str(reading.t1), str(reading.t2), reading.status) == ('12120.0000', '5050.5000', ReadingStatus.SUBMITTED)


@pytest.mark.parametrize(
    ('day', 'night', 'field', 'message'),
    [
        ('12a', '5050', 't1', 'Введите число'),
        ('12120', '', 't2', 'Заполните это поле'),
        ('123456', '5050', 't1', 'не больше цифр, чем у счётчика: 5'),
        ('11000', '5050', 't1', 'Показания меньше предыдущих (12000)'),
    ],
)
async def test_a_bad_value_shows_its_message_at_its_field(user: User, meter, day, night, field, message):
    await user.open('/readings')
    type_reading(user, day, night)
    await field_says(user, field, message)
    await not_see(user, 'Показания приняты')
    assert not await Reading.filter(meter_id=meter.id, source=ReadingSource.CUSTOMER).exists()


async def test_an_unusual_consumption_is_sent_once_confirmed(user: User, meter):
    await user.open('/readings')
    type_reading(user, '14000', '5050')
    await field_says(user, 't1', 'Проверьте показания: расход 2000 кВт·ч')
    await see(user, 'Подтвердите, что показания верны')
    assert not await Reading.filter(meter_id=meter.id, source=ReadingSource.CUSTOMER).exists()
    user.find(kind=ui.checkbox, content='Показания верны').click()
    user.find(marker=f'submit-{SERIAL}').click()
    await see(user, 'Показания приняты', 'день: 14000 — расход 2000 кВт·ч')


async def test_outside_the_window_the_form_is_absent_and_the_dates_shown(user: User, meter):
    await add_reading(meter, '2026-11-01', '12300', '5100', source=ReadingSource.CALCULATED)
    await Region.filter(code='KRS').update(readings_from=23, readings_to=26)  # this region's own window
    await user.open('/readings')
    await see(user, 'Показания принимаются с 23.11.2026 по 26.11.2026', 'Последние принятые показания 20.10.2026')
    await see(user, 'Расчётное значение 01.11.2026 — это не показания')
    await user.should_not_see(marker=f'submit-{SERIAL}', retries=RETRIES)
    await not_see(user, 'Показания: день')


async def test_a_smart_meter_shows_its_values_and_no_form(user: User, account):
    meter = await make_meter(account, smart=True)
    await add_reading(meter, '2026-11-19', '12000', '5000', source=ReadingSource.SMART)
    await user.open('/readings')
    await see(user, 'Счётчик передаёт показания автоматически', 'переданы счётчиком', 'день: 12000, ночь: 5000')
    await user.should_not_see(marker=f'submit-{SERIAL}', retries=RETRIES)


async def test_a_rejected_reading_shows_billings_reason_in_the_history(user: User, meter):
    await add_reading(
        meter,
        '2026-09-20',
        '11900',
        '4900',
        source=ReadingSource.CUSTOMER,
        status=ReadingStatus.REJECTED,
        reason='Показания меньше контрольных',
    )
    await follow(user, 'Показания', 'bottom-nav')  # the phone's bar at the bottom
    await see(
        user, f'История показаний счётчика № {SERIAL}', 'Сентябрь 2026', 'отклонено: Показания меньше контрольных'
    )


def history_months(user: User, months: int) -> None:
    """The switch above the history set to 12 or 24 months, as a click on «12 месяцев» / «24 месяца» does."""
    (switch,) = user.find(marker=f'period-{SERIAL}').elements
    assert switch.options == {12: '12 месяцев', 24: '24 месяца'}
    switch.value = months


async def test_the_history_shows_12_months_and_24_on_request(user: User, meter):
    await add_reading(meter, '2025-03-20', '9000', '3500')  # 20 months ago: only in the longer history
    await user.open('/readings')
    await see(user, f'История показаний счётчика № {SERIAL}', 'Октябрь 2026')
    (switch,) = user.find(marker=f'period-{SERIAL}').elements
    assert switch.value == 12 and switch.props['aria-label'] == f'Период истории, счётчик № {SERIAL}'
    # 12 months: from December 2025; the readings of November 2025 and March 2025 are older
    await user.should_not_see(marker=f'history-{SERIAL}-2025-11-20', retries=RETRIES)
    await user.should_see(marker=f'use-{SERIAL}-2025-12', retries=RETRIES)
    await user.should_not_see(marker=f'use-{SERIAL}-2025-11', retries=RETRIES)

    history_months(user, 24)
    # the readings table, the chart's table for screen readers (and the chart) go back to December 2024 together
    await user.should_see(marker=f'history-{SERIAL}-2025-11-20', retries=RETRIES)
    await user.should_see(marker=f'history-{SERIAL}-2025-03-20', retries=RETRIES)
    await user.should_see(marker=f'use-{SERIAL}-2024-12', retries=RETRIES)
    await see(user, 'Март 2025')
    (chart,) = user.find(kind=ui.echart).elements
    assert len(chart.options['xAxis']['data']) == 24

    history_months(user, 12)
    await user.should_not_see(marker=f'history-{SERIAL}-2025-03-20', retries=RETRIES)
    (chart,) = user.find(kind=ui.echart).elements
    assert len(chart.options['xAxis']['data']) == 12
