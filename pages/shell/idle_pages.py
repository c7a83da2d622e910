"""An open page's outbox sleeps until it has something to send.

NiceGUI runs one outbox loop per open page. Between updates it waits for its «something queued» event with a
one-second timeout, left from before `Outbox.stop()` set that event itself (NiceGUI 3.x): every open page then wakes
once a second for nothing, and each wake-up makes a task, a timer, a context and two coroutines that live for that
second — with 800 customers on the overview, 800 of each a second and a quarter of an idle process's CPU, plus
thousands of objects in every young collection (bench/capacity.py --interval 0, 800 customers: 14 % of a core with
NiceGUI's loop, 10 % with this one). Everything that queues an update or a message, a rewind and `stop()` set the
event, so the loop below waits on it alone; the rest is NiceGUI 3.18's loop as it is.

Carried until NiceGUI drops the timeout: tests/pages/test_idle_pages.py fails when a release changes `Outbox.loop`, to
have this read again against it.
"""

from __future__ import annotations

import asyncio

from nicegui import core
from nicegui.dependencies import JsComponent
from nicegui.outbox import Deleted, Outbox, deleted

#: NiceGUI's own loop, which the test compares with the one this module was made from
NICEGUI_LOOP = Outbox.loop


def bind_idle_pages() -> None:
    """Before the first page opens: every outbox created from now on runs the loop below."""
    Outbox.loop = _quiet_loop  # type: ignore[method-assign]


async def _quiet_loop(self: Outbox) -> None:
    self._enqueue_event = asyncio.Event()
    self._enqueue_event.set()

    while not self._should_stop:
        try:
            await self._enqueue_event.wait()  # NiceGUI: asyncio.wait_for(..., timeout=1.0), `continue` on timeout

            client = self.client
            if not client or not client.has_socket_connection:
                await asyncio.sleep(0.1)
                continue

            self._enqueue_event.clear()

            coros = []
            if self.updates:
                data = {
                    element_id: None if element is deleted else element._to_dict()  # type: ignore[union-attr]
                    for element_id, element in self.updates.items()
                }
                js_components = [
                    component
                    for element in self.updates.values()
                    if not isinstance(element, Deleted)
                    and isinstance((component := element.component), JsComponent)
                    and component.name not in self._loaded_components
                ]
                if js_components:
                    coros.append(
                        self._emit(
                            (
                                client.id,
                                'load_js_components',
                                {'components': [{'key': c.key, 'tag': c.tag} for c in js_components]},
                            )
                        )
                    )
                    self._loaded_components.update(c.name for c in js_components)
                coros.append(self._emit((client.id, 'update', data)))
                self.updates.clear()

            if self.messages:
                for message in self.messages:
                    coros.append(self._emit(message))
                self.messages.clear()

            for coro in coros:
                try:
                    await coro
                except Exception as e:
                    core.app.handle_exception(e)
        except asyncio.CancelledError:
            break
        except Exception as e:
            core.app.handle_exception(e)
            await asyncio.sleep(0.1)
