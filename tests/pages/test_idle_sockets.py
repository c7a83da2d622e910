"""A customer's websocket waits without a task and a timer per frame (pages/shell/idle_sockets.py)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time

import engineio
import httpx
from engineio import packet
from engineio.async_socket import AsyncSocket

from pages.shell.idle_sockets import ENGINEIO_FUNCTIONS, bind_idle_sockets
from tests.support.socket_client import Tab
from tests.support.waiting import eventually

#: sha256 of python-engineio 4.15.1's functions that pages/shell/idle_sockets.py was made from
ENGINEIO_SHA256 = {
    'handler': '27f120df4d717a24478b7b0f7389ce19eea8a881dd07e2c81fb1cf2493e006a5',
    'poll': '826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954',
    'close': 'faa2e93902543244d2a1b772cdf4074d1615532e98fa6ca896739ca54ad64e76',
    'schedule_ping': 'fe316639159cd70d34cdb911a055fc1a0056ff15615b8460a1ab6593c95e9372',
    'send_ping': '67db82a704ea49d0ad34e967728cec06020d036431d67c1612162a907526cb43',
    'service_task': 'b6358bda51d0b34bb5fbf0e99842af2e0879f6ae1125e12a1fb99e5158194d9d',
}


def test_engineios_functions_are_the_ones_the_idle_sockets_were_made_from():
    # an Engine.IO release changed how a websocket waits: read pages/shell/idle_sockets.py against it (drop it if the
    # per-frame timeouts are gone), then put the new hashes here
    assert 'wait_for' in inspect.getsource(ENGINEIO_FUNCTIONS['handler'])
    hashes = {name: hashlib.sha256(inspect.getsource(f).encode()).hexdigest() for name, f in ENGINEIO_FUNCTIONS.items()}
    assert hashes == ENGINEIO_SHA256


class Websocket:
    """The websocket Engine.IO's handler is given (engineio.async_drivers.asgi.WebSocket): frames in, frames out."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.sent: list[str] = []
        self.closed = False

    async def wait(self) -> str:
        frame = await self.incoming.get()
        if frame is None:
            raise OSError  # as the ASGI driver does on a disconnect
        return frame

    async def send(self, frame: str) -> None:
        self.sent.append(frame)

    async def close(self) -> None:
        self.closed = True
        self.incoming.put_nowait(None)  # the server's close frame ends the receiving side too (uvicorn)


def _socket(ping_interval: float, sid: str = 'tab') -> tuple[AsyncSocket, asyncio.Task[None], Websocket]:
    bind_idle_sockets()
    server = engineio.AsyncServer(async_mode='asgi', ping_interval=ping_interval, ping_timeout=ping_interval)
    socket = AsyncSocket(server, sid)
    server.sockets[sid] = socket
    ws = Websocket()
    return socket, asyncio.ensure_future(socket._websocket_handler(ws)), ws


async def test_a_socket_waits_on_its_websocket_alone_and_still_pings_sends_and_closes():
    socket, handler, ws = _socket(ping_interval=0.05)
    socket.schedule_ping()
    await eventually(lambda: '2' in ws.sent, within=5, what='a ping')
    # Engine.IO's handler waits in `asyncio.wait_for` (a task and a timer for each frame)
    assert handler.get_coro().cr_await.__qualname__ == 'Websocket.wait'
    ws.incoming.put_nowait('3')  # the pong: the next ping is scheduled
    await eventually(lambda: ws.sent.count('2') == 2, within=5, what='the next ping')
    await socket.send(packet.Packet(packet.MESSAGE, data='hello'))
    await eventually(lambda: '4hello' in ws.sent, within=5, what='a message sent')
    await socket.close(wait=False)  # Engine.IO closes a socket: its websocket closes and the handler ends
    await asyncio.wait_for(handler, 5)
    assert ws.closed


async def test_a_socket_whose_client_closes_ends_its_writer_too():
    socket, handler, ws = _socket(ping_interval=60)
    ws.incoming.put_nowait(None)
    await asyncio.wait_for(handler, 5)
    assert socket.closed
    assert ws.closed


async def test_the_service_task_closes_a_socket_whose_ping_went_unanswered_and_forgets_closed_ones():
    answering, _, _ = _socket(ping_interval=0.1, sid='answering')
    silent, silent_handler, silent_ws = _socket(ping_interval=0.1, sid='silent')
    server = silent.server
    server.sockets['answering'] = answering
    answering.last_ping = None  # its last ping was answered
    silent.last_ping = time.time() - 1  # pinged a second ago, no answer
    service = asyncio.ensure_future(server._service_task())
    await asyncio.wait_for(silent_handler, 5)  # closed: its handler ended and closed the websocket
    assert silent_ws.closed
    await eventually(lambda: 'silent' not in server.sockets, within=5, what='the closed socket forgotten')
    assert not answering.closed
    server.service_task_event.set()  # what Engine.IO's shutdown does
    await asyncio.wait_for(service, 5)


def test_a_tab_that_stops_answering_pings_is_dropped(start_portal):
    """A phone that lost its network answers no ping: the portal closes its socket within the ping interval and the
    ping timeout (8 s and 4 s, main.py's reconnect time) instead of keeping its waits for ever."""
    portal = start_portal('default')
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        tab = Tab(http, '/login')
        try:
            tab.answers_pings = False
            tab.wait_for(lambda event, _: event == 'closed', within=25, what='the server to close the socket')
        finally:
            tab.close()
