"""The login page: «Логин» + «Пароль», the first entry by personal account (docs/product.md, flows 3 and 2) and the
contact centre for who cannot get in."""

from __future__ import annotations

from nicegui import ui

from pages.session import client_ip, hand_over_session, start_first_entry
from pages.shell.frame import frame
from pages.shell.language import remember_language
from pages.shell.support import support_contact
from pages.widgets import Form
from services import config
from services.identity import auth, registration
from services.texts import t


def login_page(redirect_to: str = '/') -> None:
    rules = config.settings.profile_rules
    with frame(t('title.login')):
        form = Form()
        login = form.add('login', ui.input(t('label.login'))).props('autocomplete=username').classes('w-full')
        login.props['hint'] = t('label.login_or_account')
        password = form.add('password', ui.input(t('label.password'), password=True, password_toggle_button=True))
        password.props('autocomplete=current-password').classes('w-full')
        button = ui.button(t('button.login')).classes('w-full').props('color=primary')

        async def enter() -> None:
            cabinet, token = await auth.login(login.value, password.value, ip=client_ip())
            remember_language(cabinet.language)
            hand_over_session(token, redirect_to)

        button.on_click(lambda: form.submit(button, enter))
        password.on('keydown.enter', lambda: form.submit(button, enter))
        with ui.row().classes('w-full justify-between'):
            ui.link(t('link.forgot'), '/forgot')
            if rules.register_by_login:
                ui.link(t('link.register'), '/register')
        if rules.first_entry_by_account:
            _first_entry()
        support_contact(t('support.login'))


def _first_entry() -> None:
    with ui.card().classes('w-full'):
        ui.label(t('title.first_entry')).classes('text-lg font-medium').props('role=heading aria-level=2')
        ui.label(t('title.first_entry_hint')).classes('text-sm')
        first = Form()
        number = first.add('account', ui.input(t('label.account_number'))).props('inputmode=numeric')
        number.classes('w-full')
        surname = first.add('surname', ui.input(t('label.surname'))).props('autocomplete=family-name')
        surname.classes('w-full')
        go = ui.button(t('button.continue')).classes('w-full').props('outline')

        async def check() -> None:
            account = await registration.find_first_entry_account(number.value, surname.value, ip=client_ip())
            ui.navigate.to(start_first_entry(account.number))

        go.on_click(lambda: first.submit(go, check))
