"""Meter readings end to end in Chromium: a customer with a two-zone meter and a year of history submits inside the
window, reads the acknowledgement and the consumption chart, gets the confirmation email, and the operator's export
for billing carries the reading."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from models.billing import Account, Region
from models.cabinet import Cabinet
from tests.support.billing import recent_billing_files
from tests.support.browser import add_account, field, register_and_log_in, screenshot, seed
from tests.support.factories import SERIAL, add_reading, make_meter, reading_notice
from tests.support.servers import Mailbox

NUMBER = '461000000001'
EMAIL = 'pokazaniya@example.ru'


def test_a_reading_is_acknowledged_charted_mailed_and_exported(start_portal, page: Page, mailbox: Mailbox, tmp_path):
    portal = start_portal('default')
    portal.command('import', *recent_billing_files(tmp_path))
    register_and_log_in(page, portal, mailbox, 'pokazaniya', EMAIL)
    add_account(page, NUMBER, '1234.56')
    today = date.today()

    async def a_year_of_readings() -> None:
        # the server runs on the wall clock: a window of the whole month is open whatever the day
        await Region.filter(code='KRS').update(readings_from=1, readings_to=31)
        meter = await make_meter(await Account.get(number=NUMBER))
        for months_ago in range(12, 0, -1):
            used = 12 - months_ago
            await add_reading(
                meter, today - timedelta(days=30 * months_ago), f'{11000 + 100 * used}', f'{4500 + 50 * used}'
            )
        await reading_notice(await Cabinet.get(login='pokazaniya'), NUMBER, confirm_email=True)

    seed(a_year_of_readings)
    page.goto(f'{portal.url}/readings')
    expect(page.get_by_role('heading', name='Показания', exact=True)).to_be_visible()
    field(page, 'Показания: день').fill('12250')
    field(page, 'Показания: ночь').fill('5100')
    page.get_by_role('button', name='Передать показания').click()

    acknowledgement = page.get_by_role('status').filter(has_text='Показания приняты')
    expect(acknowledgement).to_contain_text('день: 12250 — расход 150 кВт·ч')
    expect(acknowledgement).to_contain_text('ночь: 5100 — расход 50 кВт·ч')
    # the consumption chart is drawn (ECharts paints a canvas) beside its table for screen readers
    expect(page.locator('.nicegui-echart canvas').first).to_be_visible()
    expect(page.get_by_text('Расход по месяцам таблицей').first).to_be_attached()
    screenshot(page, 'readings-chart')

    confirmation = next(
        message
        for message in mailbox.wait_for(EMAIL, count=2)
        if message['Subject'] == f'Показания по лицевому счёту {NUMBER} приняты'
    )
    text = Mailbox.text(confirmation).replace('\xa0', ' ').replace('\u202f', ' ')  # Babel's group separators
    assert SERIAL in text and '12250' in text and '5100' in text

    exported = tmp_path / 'readings.csv'
    portal.command('readings-export', today.strftime('%Y-%m'), '--out', str(exported))
    with exported.open(newline='', encoding='utf-8') as file:
        rows = list(csv.DictReader(file))
    assert [(row['account'], row['serial'], row['t1'], row['t2']) for row in rows] == [
        (NUMBER, SERIAL, '12250', '5100')
    ]
