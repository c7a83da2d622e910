"""Page stories run main.py in NiceGUI's simulated browser (`user` fixture) against the test's database."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.support.servers import Mailbox, SmsInbox
from tests.support.waiting import eventually

#: a loaded 2-core machine needs more than NiceGUI's default 3 × 0.1 s
RETRIES = 60


async def see(user: User, *texts: str) -> None:
    for text in texts:
        await user.should_see(text, retries=RETRIES)


async def not_see(user: User, text: str) -> None:
    await user.should_not_see(text, retries=RETRIES)


async def mail_to(mailbox: Mailbox, address: str, count: int = 1) -> EmailMessage:
    messages = await eventually(lambda: len(mailbox.to(address)) >= count and mailbox.to(address), what='mail')
    return messages[-1]


async def sms_code(sms: SmsInbox, phone: str, count: int = 1) -> str:
    texts = await eventually(lambda: len(sms.to(phone)) >= count and sms.to(phone), what='SMS')
    return re.search(r'\b(\d{6})\b', texts[-1]).group(1)


def local_path(link: str) -> str:
    return '/' + link.split('://', 1)[1].split('/', 1)[1]


def fill(user: User, fields: dict[str, str]) -> None:
    """Type into inputs found by their visible label."""
    for label, text in fields.items():
        user.find(kind=ui.input, content=label).type(text)


@pytest.fixture
def atom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_PROFILE', 'atom')


@pytest.fixture
def volga(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_PROFILE', 'volga')
