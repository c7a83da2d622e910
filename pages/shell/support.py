"""The utility's contact centre (PORTAL_SUPPORT_PHONE, PORTAL_SUPPORT_HOURS) where customers get stuck: the footer of
every page, and a line on the login, recovery and confirmation pages. Nothing shows while no phone is set."""

from __future__ import annotations

from nicegui import ui

from services import config
from services.texts import t


def support_contact(lead: str | None = None) -> None:
    """«Контактный центр: 8 800 …, пн–пт 8:00–20:00», the number a `tel:` link; `lead` says why to call first."""
    settings = config.settings
    if not settings.support_phone:
        return
    with ui.column().classes('gap-0 text-sm').mark('support'):
        if lead:
            ui.label(lead)
        with ui.row().classes('gap-1 items-baseline'):
            ui.label(t('support.centre'))
            ui.link(settings.support_phone, settings.support_tel).classes('whitespace-nowrap').mark('support-phone')
            if settings.support_hours:
                ui.label(t('support.hours', hours=settings.support_hours))


def support_footer() -> None:
    """The end of the page's content (Quasar's <main>) with the contact centre; none without a phone."""
    if not config.settings.support_phone:
        return
    with ui.element('footer').classes('w-full max-w-2xl mx-auto px-4 pb-4 pt-2 text-grey-9'):
        ui.separator().classes('mb-2')
        support_contact()
