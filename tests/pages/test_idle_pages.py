"""An open page's outbox sleeps until it has something to send (pages/shell/idle_pages.py)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect

from nicegui.testing import User

from pages.shell.idle_pages import NICEGUI_LOOP
from tests.support.stories import see
from tests.support.waiting import eventually

#: sha256 of NiceGUI 3.18's `Outbox.loop`, the loop pages/shell/idle_pages.py was made from
NICEGUI_LOOP_SHA256 = 'efb7d8934c322314ea07ef57f5558569fca7194e93c755c7bc7c8d36dca16d1a'


def test_niceguis_loop_is_the_one_the_quiet_loop_was_made_from():
    # a NiceGUI release changed its outbox loop: read pages/shell/idle_pages.py against it (drop it if the one-second
    # timeout is gone), then put the new loop's hash here
    source = inspect.getsource(NICEGUI_LOOP)
    assert 'timeout=1.0' in source
    assert hashlib.sha256(source.encode()).hexdigest() == NICEGUI_LOOP_SHA256


def _awaited_by_outbox_loop(client_id: str) -> str:
    """What the page's outbox loop waits in: NiceGUI's in `asyncio.wait_for` (a task and a timer each time)."""
    [task] = [task for task in asyncio.all_tasks() if task.get_name() == f'outbox loop {client_id}']
    return task.get_coro().cr_await.__qualname__


async def test_an_open_page_waits_without_a_timer_and_still_gets_its_updates(user: User):
    await user.open('/login')
    await see(user, 'Вход в личный кабинет')
    outbox = user.client.outbox
    await eventually(lambda: not outbox._enqueue_event.is_set(), what='the outbox to wait')
    assert _awaited_by_outbox_loop(user.client.id) == 'Event.wait'
    user.find('Войти').click()  # an update after the wait: the field errors come
    await see(user, 'Заполните это поле')
