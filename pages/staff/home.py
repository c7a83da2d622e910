"""The console's start page: who is signed in with which role, and what each section the role may open is for."""

from __future__ import annotations

from nicegui import ui

from pages.staff.frame import SECTIONS, console_frame, staff_page
from services.staff import roles
from services.texts import t


async def console_home_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.home.title'), staff):
        role = t(f'staff.role.{staff.role.value}')
        ui.label(t('staff.home.signed_in', login=staff.login, role=role)).mark('staff-signed-in')
        with ui.element('ul').classes('w-full flex flex-col gap-2'):
            for section in SECTIONS:
                if not roles.allows(staff, section.role):
                    continue
                with ui.element('li').classes('flex flex-col'):
                    ui.link(t(f'staff.nav.{section.name}'), section.path).classes('font-medium')
                    ui.label(t(f'staff.home.{section.name}')).classes('text-sm')
