"""A customer's websocket waits for its next frame without a task and a timer each time.

Engine.IO (python-engineio 4.15, under NiceGUI's Socket.IO) serves each websocket with a reader and a writer that wait
in `asyncio.wait_for(..., ping_interval + ping_timeout)`, pings each client from a task that sleeps the ping interval,
and checks the clients for missed pings one by one with a `wait_for` after each. On Python 3.11 each such wait is a
task, a timer, contexts, coroutines and futures, made again for every frame in or out, every ping and every client
checked: some 40 objects per connected customer always alive and always young, which every young collection walks
(services/gc_runtime.py; at 1,200 customers 50 ms each), and most of what an idle customer costs. The timeouts repeat
a check that is made anyway: Engine.IO's service task closes a socket whose client missed a ping's answer, and uvicorn
closes a websocket whose peer is gone (its own keepalive pings). So here the reader and the writer wait on the
websocket and the queue alone, a ping is a timer, a socket that Engine.IO closes wakes its writer (which closes the
websocket, which ends the reader), and the service task checks every socket at once every half ping timeout.
bench/capacity.py, 800 idle customers: 10 % of a core and 302 KiB each with Engine.IO's waits, 7 % and 278 KiB with
these.

Only a websocket opened as one (how nicegui.js connects) runs this handler; one upgraded from long-polling runs
Engine.IO's own. Carried until Engine.IO drops the per-frame timeouts: tests/pages/test_idle_sockets.py fails when a
release changes the functions replaced, to have this read again against them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from engineio import exceptions, packet
from engineio.async_server import AsyncServer
from engineio.async_socket import AsyncSocket

#: Engine.IO's own, which the test compares with the ones this module was made from
ENGINEIO_FUNCTIONS = {
    'handler': AsyncSocket._websocket_handler,
    'poll': AsyncSocket.poll,
    'close': AsyncSocket.close,
    'schedule_ping': AsyncSocket.schedule_ping,
    'send_ping': AsyncSocket._send_ping,
    'service_task': AsyncServer._service_task,
}
_engineio_handler = AsyncSocket._websocket_handler
_engineio_close = AsyncSocket.close


def bind_idle_sockets() -> None:
    """Before the first socket opens: every Engine.IO socket from now on waits as below."""
    AsyncSocket._websocket_handler = _websocket_handler  # type: ignore[method-assign]
    AsyncSocket.close = _close  # type: ignore[method-assign]
    AsyncSocket.schedule_ping = _schedule_ping  # type: ignore[method-assign]
    AsyncServer._service_task = _service_task  # type: ignore[method-assign]


async def _websocket_handler(self: AsyncSocket, ws: Any) -> None:
    if self.connected:  # an upgrade from long-polling
        await _engineio_handler(self, ws)
        return
    self.connected = True
    self.upgraded = True
    writer = asyncio.ensure_future(_write(self, ws))
    limit = self.server.max_http_buffer_size
    while True:
        try:
            data = await ws.wait()  # OSError once the websocket is closed, by either side
        except (asyncio.CancelledError, Exception):
            break
        if data is None or len(data) > limit:
            break
        try:
            await self.receive(packet.Packet(encoded_packet=data))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            break
        except Exception:
            self.server.logger.exception('Unknown receive error')
    await self.queue.put(None)  # the writer ends
    await writer
    await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)


async def _write(self: AsyncSocket, ws: Any) -> None:
    """Sends what is queued, all that is there at once, until a None (the socket ends) or a send fails."""
    queue = self.queue
    while True:
        packets = [await queue.get()]
        queue.task_done()
        while packets[-1] is not None and not queue.empty():
            packets.append(queue.get_nowait())
            queue.task_done()
        try:
            for pkt in packets:
                if pkt is None:
                    await ws.close()
                    return
                await ws.send(pkt.encode())
        except Exception:
            await ws.close()
            return


async def _close(self: AsyncSocket, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
    await _engineio_close(self, wait=wait, abort=abort, reason=reason)
    if self.closed:
        self.queue.put_nowait(None)  # wakes the writer, which closes the websocket: that ends the reader


def _schedule_ping(self: AsyncSocket) -> None:
    # Engine.IO: a task that sleeps the interval. Only after the previous ping was answered, as there
    if self.last_ping:
        self.last_ping = None
        asyncio.get_running_loop().call_later(self.server.ping_interval, _ping, self)


def _ping(self: AsyncSocket) -> None:
    if not self.closing and not self.closed:
        self.last_ping = time.time()
        self.queue.put_nowait(packet.Packet(packet.PING))


async def _service_task(self: AsyncServer) -> None:
    """Closes the sockets whose client missed a ping's answer and forgets the closed ones, all of them every half ping
    timeout. Engine.IO's goes through them one by one with a `wait_for` after each, spread over the ping timeout: with
    2,000 customers 500 tasks and timers a second, 4 % of a core for a check that takes a millisecond for them all."""
    loop = asyncio.get_running_loop()
    self.service_task_event = stop = self.create_event()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=self.ping_timeout / 2)
            break
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            break
        try:
            now = time.time()
            for socket in list(self.sockets.values()):
                if socket.closed:
                    self.sockets.pop(socket.sid, None)
                elif not socket.closing and socket.last_ping and now - socket.last_ping > self.ping_timeout:
                    await socket.check_ping_timeout()  # closes it
        except asyncio.CancelledError:
            break
        except Exception:
            if loop.is_closed():
                break
            self.logger.exception('service task exception')
