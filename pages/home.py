"""The start page after login."""

from __future__ import annotations

from nicegui import ui

from models.cabinet import Link
from pages.common import current_cabinet
from pages.layout import frame
from services.texts import t


async def home_page() -> None:
    cabinet = await current_cabinet()
    if cabinet is None:
        ui.navigate.to('/login')
        return
    with frame(t('title.home'), cabinet):
        ui.label(t('home.welcome', login=cabinet.login))
        ui.label(t('home.accounts')).classes('text-lg font-medium').props('role=heading aria-level=2')
        links = await Link.filter(cabinet=cabinet).prefetch_related('account__region').order_by('linked_at')
        if not links:
            ui.label(t('home.no_accounts'))
        for link in links:
            with ui.card().classes('w-full'):
                ui.label(link.account.number).classes('font-medium')
                ui.label(f'{link.account.region.name}, {link.account.address}').classes('text-sm')
