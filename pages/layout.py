"""The frame every page sits in: header with the utility's name and the session controls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from models.cabinet import Cabinet
from pages.common import forget_session
from services import auth, config
from services.texts import t


@contextmanager
def frame(title: str, cabinet: Cabinet | None = None) -> Iterator[ui.column]:
    settings = config.settings
    ui.page_title(f'{title} — {settings.brand_name}')
    with ui.header().classes('items-center justify-between px-4 py-2'):
        ui.link(settings.brand_name, '/').classes('text-white text-lg font-bold no-underline')
        if cabinet is not None:
            with ui.row().classes('items-center gap-2'):
                ui.label(cabinet.login).classes('text-white').mark('header-login')
                ui.button(t('button.logout'), on_click=lambda: _logout(cabinet)).props('flat color=white')
    with ui.column().classes('w-full max-w-lg mx-auto p-4 gap-3') as body:
        ui.label(title).classes('text-2xl font-medium').props('role=heading aria-level=1')
        yield body


async def _logout(cabinet: Cabinet) -> None:
    await auth.logout(forget_session(), cabinet.id)
    ui.navigate.to('/login')
