"""A closed tab's page goes at once: reference counting frees it, not a later full collection.

NiceGUI's props, classes and style of every element each keep a bound method of themselves as their change handler:
a reference cycle, three per element, which only CPython's cycle collector frees. With a crowd on the portal those
cycles are what full collections are made of (seconds of pause, docs/operator.md «Capacity of one process»).
Once NiceGUI has deleted a client, nothing calls those handlers again: dropping them lets the elements go as soon as
the client does (with a real server nothing of a closed page is left to the collector; what is, is the socket's and
the requests' own: services/gc_runtime.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nicegui import Client, app, ui

from services import gc_runtime


def bind_teardown() -> None:
    app.on_delete(_after_delete)


def _after_delete(client: Client) -> None:
    # delete handlers run before NiceGUI removes the elements: break the cycles once it has
    asyncio.get_running_loop().call_soon(_break_cycles, list(client.elements.values()))
    gc_runtime.page_closed(len(Client.instances) - 1)


def _break_cycles(elements: Iterable[ui.element]) -> None:
    for element in elements:
        # private to NiceGUI: tests/pages/test_teardown.py fails if a release renames or keeps them elsewhere
        for collection in (element._props, element._classes, element._style):
            collection._change_handlers.clear()
