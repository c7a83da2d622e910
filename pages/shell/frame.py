"""The frame every page sits in: header with the utility's name, the account switcher and the session controls, the
sections' navigation for a signed-in customer, and the footer with the contact centre."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from nicegui import ui

from pages.session import current_cabinet, remember_account, session_token
from pages.shell.brand import brand_link
from pages.shell.language import language_switch
from pages.shell.navigation import bottom_navigation, header_navigation
from pages.shell.support import support_footer
from pages.widgets import busy_while, notify_error
from services import config
from services.identity import auth
from services.texts import t

if TYPE_CHECKING:
    from models.billing import Account
    from models.cabinet import Cabinet


@contextmanager
def frame(
    title: str,
    cabinet: Cabinet | None = None,
    accounts: Sequence[Account] = (),
    current: Account | None = None,
    *,
    section: str | None = None,
) -> Iterator[ui.column]:
    """`section`: which of navigation.SECTIONS this page is (marked current); the navigation shows only with a
    `cabinet`. Whatever the page builds inside the block comes before the footer."""
    settings = config.settings
    ui.page_title(f'{title} — {settings.brand_name}')
    with ui.header().classes('items-center justify-between px-4 py-2 gap-2 no-wrap'):
        brand_link()
        if cabinet is not None:
            header_navigation(section)
        with ui.row().classes('items-center gap-1 no-wrap'):
            language_switch()
            if cabinet is not None:
                _account_menu(cabinet, accounts, current)
    if cabinet is not None:
        bottom_navigation(section)
    with ui.column().classes('w-full max-w-2xl mx-auto p-4 gap-3') as body:
        ui.label(title).classes('text-2xl font-medium').props('role=heading aria-level=1')
        yield body
    support_footer()


def _account_menu(cabinet: Cabinet, accounts: Sequence[Account], current: Account | None) -> None:
    """Top right: the current account number; its menu switches accounts, adds an account, logs out (the sections
    are in the navigation)."""
    label = current.number if current else t('menu.no_account')
    menu_name = t('menu.label', account=label)
    button = ui.button(label, icon='account_circle').props('flat color=white no-caps').mark('account-menu')
    button.props['aria-label'] = menu_name
    choices = [(account.number, f'{account.region.name}, {account.address}') for account in accounts]
    with button:
        menu = ui.menu().props('anchor="bottom right" self="top right"').mark('account-menu-items')
    # built when first opened: most visits never open it, and its items would be ~8 elements held for as long as the
    # page is open (bench/page_objects.py)
    menu.on('before-show', partial(_fill_menu, menu, choices))


def _fill_menu(menu: ui.menu, choices: Sequence[tuple[str, str]]) -> None:
    if menu.default_slot.children:
        return
    with menu:
        for number, place in choices:
            switch = ui.item(on_click=partial(_switch, number)).props('role=menuitem').mark(f'switch-{number}')
            with switch, ui.item_section():
                ui.item_label(number).classes('font-medium')
                ui.item_label(place).props('caption lang=ru')
        ui.separator()
        # Quasar's items carry no role of their own: screen readers should hear a menu
        add = ui.menu_item(t('menu.add_account'), on_click=lambda: ui.navigate.to('/accounts/add'))
        add.props('role=menuitem').mark('menu-add-account')
        logout = ui.menu_item(t('button.logout')).props('role=menuitem').mark('logout')
        logout.on_click(lambda: busy_while(logout, _logout, notify_error))


def _switch(number: str) -> None:
    remember_account(number)
    ui.navigate.to('/')


async def _logout() -> None:
    """Ends the session this tab was shown; the next response clears its cookie."""
    cabinet = await current_cabinet()
    await auth.logout(session_token(), cabinet.id if cabinet else None)
    ui.navigate.to('/session/end')
