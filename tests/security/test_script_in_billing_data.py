"""Issue 11, item 11: a value from billing data runs as script in the customer's browser.

The review's attack: an account number imported as `1" :x="alert(1)` closed the quote of a props string built with
an f-string (`aria-label="{…}"`); NiceGUI reads the `:x` that follows as a JavaScript expression and evaluates it in
every browser that shows the account. The import now refuses such a number, so the row is written here straight into
the database, as an older import or another tool may have left it: the pages must carry it as a value whatever it
holds. And the import takes account numbers of digits, capital Latin letters and hyphens only, starting with a digit
(docs/operator.md), reporting any other as a bad row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from models.billing import Account
from services.billing.imports import import_files
from tests.support.billing import ACCOUNTS_HEADER, REGIONS, REGIONS_HEADER, write_csv
from tests.support.browser import log_in, seed
from tests.support.factories import ADDRESS, GOOD, make_cabinet

HOSTILE = '1" :x="alert(1)'


def test_an_account_number_with_a_quote_stays_text_on_every_page(start_portal, page: Page):
    seed(lambda: make_cabinet('ivanov', password=GOOD, accounts=[HOSTILE]))
    portal = start_portal('default')
    dialogs: list[str] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on('dialog', dismissed)

    log_in(page, portal, 'ivanov', GOOD)
    # the number whole, quote and all, in the header's menu name
    expect(page.get_by_role('button', name=f'Меню кабинета: {HOSTILE}')).to_be_visible()
    # every tab of «Настройки» shows the number: the accounts, the profile and the notices (e-bill, reading notices)
    page.goto(f'{portal.url}/settings?section=accounts')
    expect(page.get_by_role('button', name=f'Отвязать {HOSTILE}')).to_be_visible()
    page.goto(f'{portal.url}/settings?section=profile')
    page.get_by_role('button', name='Изменить пароль').wait_for()
    page.goto(f'{portal.url}/settings?section=notices')
    expect(page.get_by_role('group', name=f'Квитанция на email по лицевому счёту {HOSTILE}')).to_be_visible()
    expect(page.get_by_role('group', name=f'Уведомления о показаниях по лицевому счёту {HOSTILE}')).to_be_visible()
    page.goto(f'{portal.url}/readings')
    expect(page.get_by_role('heading', name='Показания', exact=True)).to_be_visible()

    assert dialogs == [], 'the account number ran as script'
    assert page.locator('[x]').count() == 0, 'the account number added an attribute'


@pytest.mark.parametrize(
    'number',
    [
        HOSTILE,
        '<img src=x onerror=alert(1)>',
        '461 000 000 001',  # a space: a page's marker or a command's argument would split it
        '--help',  # the command line would read it as an option
        'ivanov',  # a flow-1 login (they start with a letter)
        '46100000000a',  # a lower-case letter: two numbers that differ only in case would share a login
        '４６１０００',  # full-width digits
    ],
)
async def test_the_import_refuses_an_account_number_outside_its_characters(db, tmp_path, number):
    regions = write_csv(tmp_path / 'regions.csv', REGIONS_HEADER, REGIONS)
    accounts = write_csv(
        tmp_path / 'accounts.csv',
        ACCOUNTS_HEADER,
        [('46-1000-01A', 'KRS', 'Семёнов', ADDRESS, ''), (number, 'KRS', 'Иванова', ADDRESS, '')],
    )

    report = await import_files([regions, accounts])

    assert report.files[1].errors == [
        f'{accounts}:3: номер лицевого счёта «{number}» может состоять только из цифр, заглавных латинских букв '
        'и дефисов и начинаться с цифры'
    ]
    assert await Account.all().count() == 0
