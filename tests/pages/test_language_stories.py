"""Languages in the simulated browser: Russian by default, English from the header's switch on every page, kept for
the browser and by the cabinet; an English page shows nothing Russian but the customer's own billing data."""

from __future__ import annotations

import re

import pytest
from nicegui import ElementFilter, ui
from nicegui.element import Element
from nicegui.testing import User

from models.cabinet import Cabinet
from services.texts import in_language
from tests.support.factories import GOOD
from tests.support.servers import Mailbox
from tests.support.stories import KURSK, fill, log_in, mail_to, registered, see

CYRILLIC = re.compile('[\u0400-\u04ff]')
#: the utility's name (PORTAL_BRAND_NAME in tests/conftest.py): a brand, not a text to translate
BRAND = 'ТестЭнергоСбыт'
#: what an English page may show in Russian: the brand, and the demo mailbox's messages as they were sent
OWN_TEXT_MARKERS = {'brand', 'demo-message'}


def _own_text(element: Element) -> bool:
    """Data in its own language: billing's addresses and region names are marked lang=ru, and so is the switch's
    «Русский»."""
    return any(
        not str(node.props.get('lang', 'en')).startswith('en') or OWN_TEXT_MARKERS & set(node._markers)
        for node in element.ancestors(include_self=True)
    )


def russian_on_page(user: User) -> list[str]:
    """Every visible text, label, hint and accessible name of the page and its notifications that has Cyrillic."""
    found = [text for text in user.notify.messages if CYRILLIC.search(text)]
    if CYRILLIC.search(user.client.title.replace(BRAND, '')):
        found.append(f'title: {user.client.title}')
    with user.client:
        for element in ElementFilter(only_visible=True, local_scope=False):
            if _own_text(element):
                continue
            shown = [
                *element._displayed_contents(only_visible=True),
                *(element.props.get(prop) for prop in ('hint', 'aria-label', 'title', 'alt')),
            ]
            found += [f'{element.tag}: {text}' for text in shown if text and CYRILLIC.search(str(text))]
    return found


async def log_in_in_english(user: User, login: str) -> None:
    await user.open('/login')
    await see(user, 'Sign in to your customer portal')
    fill(user, {'Login': login, 'Password': GOOD})
    user.find(kind=ui.button, content='Sign in').click()


async def in_english(user: User, path: str, *expected: str) -> None:
    await user.open(path)
    await see(user, *expected)
    assert russian_on_page(user) == []


async def test_english_on_the_login_page_stays_after_a_reload_and_back(user: User):
    await user.open('/login')
    await see(user, 'Вход в личный кабинет')
    switch = user.find(marker='language')
    assert [(e.text, e.props['lang']) for e in switch.elements] == [('English', 'en')]
    switch.click()
    await see(user, 'Sign in to your customer portal', 'Account number', 'Forgot your password?')
    await user.open('/login')  # the browser keeps the choice
    await see(user, 'Sign in to your customer portal')
    page = await user.http_client.get('/login')
    assert '<html lang="en-US"' in page.text and '/lang/en-US.umd.prod.js' in page.text  # Quasar's own texts
    # an event's answer (over the socket, not the page's request) speaks the language too
    user.find(kind=ui.button, content='Sign in').click()
    await see(user, 'Please fill in this field')
    user.find(marker='language').click()
    await see(user, 'Вход в личный кабинет')
    assert '<html lang="ru"' in (await user.http_client.get('/login')).text


async def test_a_cabinet_keeps_its_language_and_brings_it_back_at_login(user: User, mailbox):
    with in_language('en'):  # signed up on the English pages
        await registered(mailbox)
    assert (await mail_to(mailbox, 'ivanov@example.ru'))['Subject'] == 'Confirm your customer portal registration'
    assert (await Cabinet.get(login='ivanov')).language == 'en'

    await log_in(user, 'ivanov')  # a browser that never chose: the login page is Russian
    await see(user, 'Signed in as ivanov', 'Add an account')
    user.find(marker='language').click()
    await see(user, 'Вы вошли как ivanov')
    assert (await Cabinet.get(login='ivanov')).language == 'ru'


@pytest.mark.usefixtures('user', 'billing')  # the app (and its database) before the data
async def test_every_screen_in_english_shows_nothing_russian_but_billing_data(user: User, mailbox):
    await user.open('/login')
    user.find(marker='language').click()
    await see(user, 'Sign in to your customer portal')
    assert russian_on_page(user) == []
    await in_english(user, '/register', 'Sign up', 'By email', 'By SMS', 'Get code')
    await in_english(user, '/forgot', 'Password recovery')
    await in_english(user, '/confirm?token=stale', 'This link is not valid')
    await in_english(user, '/reset?token=stale', 'New password')
    await in_english(user, '/email-change?token=stale', 'Confirm your new email address')
    await in_english(user, '/ebill-confirm?token=stale', 'Confirm the address for bills')
    # the first entry by account number, surname typed in Russian as on the bill
    await user.open('/login')
    fill(user, {'Account number': KURSK, 'Surname': 'Семёнов'})
    user.find(kind=ui.button, content='Continue').click()
    await see(user, f'Sign up with account {KURSK}', 'I consent to the processing of my personal data')
    assert russian_on_page(user) == []

    await registered(mailbox)  # in Russian: the browser's choice wins while it is the one choosing
    await log_in_in_english(user, 'ivanov')
    await see(user, 'Add an account', 'Signed in as ivanov')
    assert russian_on_page(user) == []
    fill(user, {'Account number': '461999999999', 'Confirmation': '1234.56'})
    user.find(kind=ui.button, content='Add').click()
    await see(user, 'No account with this number was found')
    assert russian_on_page(user) == []
    user.find(kind=ui.input, content='Account number').clear().type(KURSK)
    user.find(kind=ui.button, content='Add').click()
    await see(user, f'Account {KURSK}', 'Amount owed: ₽', 'Latest bill: October 2026', 'Pay by Nov 10, 2026')
    await see(user, 'Bills for the last 12 months', 'Sep 14, 2026: ₽1,234.56', 'Курск, 305000')
    assert russian_on_page(user) == []
    await in_english(user, '/accounts/add', 'Add an account')
    await in_english(user, '/settings', 'Linked accounts', 'Receive bills by email', 'Change password')


async def test_an_english_password_reset_link_arrives_in_english(user: User, mailbox):
    await registered(mailbox)
    await user.open('/forgot')
    user.find(marker='language').click()
    await see(user, 'Password recovery')
    fill(user, {'Login': 'ivanov'})
    user.find(kind=ui.button, content='Reset password').click()
    await see(user, "If such a profile exists, we've sent a password reset link")
    mail = await mail_to(mailbox, 'ivanov@example.ru', count=2)
    assert mail['Subject'] == 'Customer portal password recovery'
    text = Mailbox.text(mail)
    assert 'Set a new password' in text and not CYRILLIC.search(text.replace(BRAND, ''))
