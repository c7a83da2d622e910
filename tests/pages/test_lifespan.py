"""The portal's startup and shutdown as NiceGUI's test fixtures drive them: `create_user` enters the app's lifespan a
second time inside the `user` fixture's. Whatever was opened must be closed at the end, or a database connection's
thread keeps pytest (and a portal process) from exiting."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
from nicegui.testing import User

from tests.support.stories import see
from tests.support.waiting import eventually


@pytest.fixture
async def threads_left() -> AsyncIterator[None]:
    """Requested before `user`, so it checks after the app has shut down."""
    before = set(threading.enumerate())
    yield
    await eventually(
        lambda: not [thread for thread in threading.enumerate() if thread not in before and not thread.daemon],
        within=5,
        what='every thread the portal started to end',
    )


async def test_a_second_browser_leaves_no_connection_open(threads_left: None, user: User, create_user) -> None:
    other = create_user()
    await other.open('/login')
    await see(other, 'Вход в личный кабинет')
    await user.open('/login')
    await see(user, 'Вход в личный кабинет')
