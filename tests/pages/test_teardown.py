"""A closed tab's page is freed by reference counting, without the cycle collector (pages/shell/teardown.py)."""

from __future__ import annotations

import gc
import weakref

from nicegui.testing import User

from tests.support.stories import KURSK, link, see, signed_in_user
from tests.support.waiting import eventually


async def test_a_closed_overview_is_freed_without_a_collection(user: User, mailbox, billing):
    await signed_in_user(user, mailbox)
    await link(user, KURSK, '1234.56')
    await see(user, 'Последний счёт: Октябрь 2026')
    client = user.client
    # the test keeps the client, which keeps its layout's few elements as attributes: the rest must go
    kept = {id(value) for value in vars(client).values()}
    collections = [
        weakref.ref(collection)
        for element in client.elements.values()
        if id(element) not in kept
        for collection in (element._props, element._classes, element._style)
    ]
    assert len(collections) > 40
    gc.collect()
    gc.disable()  # from here on only reference counting frees anything
    try:
        for socket_id in list(client._socket_to_document_id):
            client.handle_disconnect(socket_id)  # the tab is closed: NiceGUI deletes its page after a timeout
        await eventually(lambda: client.is_deleted, what='the page to be deleted')
        await eventually(lambda: all(ref() is None for ref in collections), what="the page's elements to be freed")
    finally:
        gc.enable()
