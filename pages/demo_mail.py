"""Demo mode only: the messages the portal sent, for a newcomer without an SMTP server or SMS gateway."""

from __future__ import annotations

import re

from nicegui import ui

from pages.shell.frame import frame
from services import config
from services.messaging import demo_mailbox
from services.texts import t

_LINK = re.compile(r'https?://\S+')


async def demo_mail_page() -> None:
    if not config.settings.demo:
        ui.navigate.to('/login')
        return
    with frame(t('title.demo_mail')):
        for message in await demo_mailbox.latest_messages():
            with ui.card().classes('w-full').mark('demo-message'):
                ui.label(f'{message.channel.upper()} → {message.recipient}').classes('font-medium')
                if message.subject:
                    ui.label(message.subject)
                ui.label(message.body_text).classes('text-sm whitespace-pre-wrap')
                for link in _LINK.findall(message.body_text):
                    ui.link(link, link)
