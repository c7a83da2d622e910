"""The frame every page sits in: header with the utility's name, the account switcher and the session controls."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from nicegui import ui

from models.billing import Account
from models.cabinet import Cabinet
from pages.brand import brand_link
from pages.common import busy_while, forget_session, notify_error, remember_account
from pages.language import language_switch
from services import auth, config
from services.texts import t


@contextmanager
def frame(
    title: str, cabinet: Cabinet | None = None, accounts: Sequence[Account] = (), current: Account | None = None
) -> Iterator[ui.column]:
    settings = config.settings
    ui.page_title(f'{title} — {settings.brand_name}')
    with ui.header().classes('items-center justify-between px-4 py-2 gap-2'):
        brand_link()
        with ui.row().classes('items-center gap-1 no-wrap'):
            language_switch()
            if cabinet is not None:
                _account_menu(cabinet, accounts, current)
    with ui.column().classes('w-full max-w-2xl mx-auto p-4 gap-3') as body:
        ui.label(title).classes('text-2xl font-medium').props('role=heading aria-level=1')
        yield body


def _account_menu(cabinet: Cabinet, accounts: Sequence[Account], current: Account | None) -> None:
    """Top right: the current account number; its menu switches accounts, adds one, opens settings, logs out."""
    label = current.number if current else t('menu.no_account')
    menu_name = t('menu.label', account=label)
    with (
        ui.button(label, icon='account_circle')
        .props(f'flat color=white no-caps aria-label="{menu_name}"')
        .mark('account-menu'),
        ui.menu().props('anchor="bottom right" self="top right"'),
    ):
        for account in accounts:
            switch = ui.item(on_click=lambda number=account.number: _switch(number)).props('role=menuitem')
            with switch.mark(f'switch-{account.number}'), ui.item_section():
                ui.item_label(account.number).classes('font-medium')
                ui.item_label(f'{account.region.name}, {account.address}').props('caption lang=ru')
        ui.separator()
        # Quasar's items carry no role of their own: screen readers should hear a menu
        ui.menu_item(t('menu.add_account'), on_click=lambda: ui.navigate.to('/accounts/add')).props('role=menuitem')
        ui.menu_item(t('menu.settings'), on_click=lambda: ui.navigate.to('/settings')).props('role=menuitem')
        logout = ui.menu_item(t('button.logout')).props('role=menuitem').mark('logout')
        logout.on_click(lambda: busy_while(logout, lambda: _logout(cabinet), notify_error))


def _switch(number: str) -> None:
    remember_account(number)
    ui.navigate.to('/')


async def _logout(cabinet: Cabinet) -> None:
    await auth.logout(forget_session(), cabinet.id)
    ui.navigate.to('/login')
