"""A virtual browser tab for attacks over the raw socket: what nicegui.js sends, and no browser to keep a value sane.

Protocol facts relied on (NiceGUI 3.18, python-engineio 4, Socket.IO v4 over Engine.IO v4; see NiceGUI's
templates/index.html and static/nicegui.js):

- a page's HTML holds its elements as JSON in ``parseElements(String.raw`…`)``, HTML-escaped (``&#36; &#96; &gt; &lt;
  &amp;``), each with ``events[].listener_id/type``, and ``query: {…}`` (a Python dict literal) with its ``client_id``;
- the socket is ``/_nicegui_ws/socket.io/?<query>&document_id=<uuid>&tab_id=<uuid>&old_tab_id=null&EIO=4&transport=
  websocket`` on a fresh connection, with the page's own Origin (the portal refuses any other) and the browser's
  cookies; the server opens with ``0{…}``, the client answers ``40``, the server confirms with ``40{…}``;
- the server pings with ``2`` every few seconds and drops a client that does not answer ``3``;
- events go as ``42["event",{"id":…,"client_id":…,"listener_id":…,"args":[…]}]``, each arg JSON-stringified; a
  button's click has no args, an input's ``update:value`` has its new value;
- the server answers ``42["update",{"<id>":<element or null>,…,"_id":n}]`` and navigates with ``42["open",{"path":…}]``.
"""

from __future__ import annotations

import ast
import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

_ELEMENTS = re.compile(r'parseElements\(String\.raw`(.*?)`\)', re.S)
_QUERY = re.compile(r'^\s*query: (\{.*\}),\s*$', re.M)

#: a Socket.IO event as the tab received it: its name and payload
Message = tuple[str, Any]


class Tab:
    """One page of the portal open in a tab of the browser whose cookies `http` holds (an httpx client with the
    portal's `base_url`: it keeps the cookies each response sets, as the browser does)."""

    def __init__(self, http: httpx.Client, path: str) -> None:
        self.http = http
        page = http.get(path, follow_redirects=True)
        page.raise_for_status()
        self.path = page.url.raw_path.decode()
        raw = _ELEMENTS.search(page.text)
        query = _QUERY.search(page.text)
        assert raw and query, f'{path} is not a NiceGUI page'
        self.elements: dict[str, dict] = json.loads(html.unescape(raw[1]))
        params = ast.literal_eval(query[1]) | {'document_id': uuid.uuid4(), 'tab_id': uuid.uuid4(), 'old_tab_id': None}
        self.client_id: str = params['client_id']
        self.messages: list[Message] = []
        self._seen = 0
        #: a tab whose browser froze or lost its network answers no ping
        self.answers_pings = True
        self._changed = threading.Condition()
        base = str(page.url.copy_with(path='/', query=None))
        socket_query = urlencode({key: _js(value) for key, value in params.items()} | _ENGINE_IO)
        self.socket: ClientConnection = connect(
            base.replace('http', 'ws', 1) + '_nicegui_ws/socket.io/?' + socket_query,
            origin=base.rstrip('/'),  # type: ignore[arg-type]
            additional_headers={'Cookie': '; '.join(f'{name}={value}' for name, value in http.cookies.items())},
            max_size=None,  # an update echoes what was sent, a megabyte too
            open_timeout=10,
            ping_interval=None,  # Engine.IO pings itself, and a frozen server should not break the tab
            close_timeout=2,
            legacy=True,
        )
        opening = self.socket.recv(timeout=10)
        assert isinstance(opening, str) and opening.startswith('0{'), opening
        self.socket.send('40')
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda event, _: event == 'connect', what='Socket.IO connect')

    def _read(self) -> None:
        try:
            for frame in self.socket:
                if frame == '2':
                    if self.answers_pings:
                        self.socket.send('3')
                elif isinstance(frame, str) and frame.startswith('40'):
                    self._keep(('connect', None))
                elif isinstance(frame, str) and frame.startswith('42'):
                    event, *payload = json.loads(frame[2:])
                    self._keep((event, payload[0] if payload else None))
        except ConnectionClosed:
            pass
        self._keep(('closed', None))

    def _keep(self, message: Message) -> None:
        event, payload = message
        with self._changed:
            if event == 'update':
                for key, element in payload.items():
                    if key == '_id':
                        continue
                    if element is None:  # deleted
                        self.elements.pop(key, None)
                    else:
                        self.elements[key] = element
            self.messages.append(message)
            self._changed.notify_all()

    def wait_for(self, matches: Callable[[str, Any], object], within: float = 15, what: str = 'a message') -> Message:
        """The first message that `matches(event, payload)` within `within` seconds, after the last event sent and
        the last message a wait returned."""
        found: list[Message] = []

        def arrived() -> bool:
            for index in range(self._seen, len(self.messages)):
                if matches(*self.messages[index]):
                    self._seen = index + 1
                    found.append(self.messages[index])
                    return True
            return False

        self.wait_until(arrived, within, what)
        return found[0]

    def wait_until(self, condition: Callable[[], object], within: float = 15, what: str = 'a condition') -> None:
        """Wait until `condition()` (on the tab's elements as the messages so far left them) holds."""
        deadline = time.monotonic() + within
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f'timed out waiting for {what}; last: {str(self.messages[-3:])[:500]}')
                self._changed.wait(left)

    def shown(self, text: str) -> None:
        """Wait until an update shows `text` in one of the tab's elements (a form's error line, a notification)."""
        self.wait_for(
            lambda event, payload: (
                (event == 'update' and any(text in str(element) for element in payload.values()))
                or (event == 'notify' and text in str(payload))
            ),
            what=f'«{text}» on the page',
        )

    def find(self, label: str, event: str) -> int:
        """The id of the element labelled (or with the text) `label` that listens to `event`."""
        for key, element in self.elements.items():
            texts = (element.get('text'), element.get('props', {}).get('label'))
            if label in texts and any(listener['type'] == event for listener in element.get('events', [])):
                return int(key)
        raise AssertionError(f'no element {label!r} listening to {event!r} on {self.path}')

    def send(self, element: int, event: str, *args: object) -> None:
        """What nicegui.js sends when `event` happens at `element` (an arg may be any JSON, as a crafted one is)."""
        listener = next(item for item in self.elements[str(element)]['events'] if item['type'] == event)
        payload = {'id': element, 'client_id': self.client_id, 'listener_id': listener['listener_id']}
        payload['args'] = [json.dumps(arg, ensure_ascii=False) for arg in args]
        with self._changed:  # a wait after this looks only at what came after it
            self._seen = len(self.messages)
        self.socket.send('42' + json.dumps(['event', payload], ensure_ascii=False))

    def type(self, label: str, value: object) -> None:
        self.send(self.find(label, VALUE_CHANGE), VALUE_CHANGE, value)

    def click(self, label: str) -> None:
        self.send(self.find(label, 'click'), 'click')

    def error_at(self, element: int, within: float = 15) -> str:
        """The next error message an update shows at `element` (Quasar's ``error-message`` prop)."""
        message = self.wait_for(
            lambda event, payload: event == 'update' and _error(payload.get(str(element))),
            within,
            f'an error at element {element}',
        )
        return _error(message[1][str(element)])

    def error_shown(self, element: int) -> str:
        """The error message `element` shows now ('' for none)."""
        return _error(self.elements.get(str(element)))

    def navigated_to(self, within: float = 15) -> str:
        """Where the server sends this tab next (``ui.navigate.to``)."""
        return self.wait_for(lambda event, _: event == 'open', within, 'navigation')[1]['path']

    def follow(self, within: float = 15) -> httpx.Response:
        """Go where the server sends the tab, as the browser does: the cookies the response sets land in the jar."""
        return self.http.get(self.navigated_to(within), follow_redirects=True)

    def close(self) -> None:
        self.socket.close()
        self._reader.join(10)


#: the value-change event of ui.input (nicegui's own input component wrapping Quasar's q-input)
VALUE_CHANGE = 'update:value'
_ENGINE_IO = {'EIO': '4', 'transport': 'websocket'}


def _js(value: object) -> str:
    """A query value as engine.io-client writes it."""
    return json.dumps(value) if value is None or isinstance(value, bool) else str(value)


def _error(element: dict | None) -> str:
    return (element or {}).get('props', {}).get('error-message') or ''


def log_in(http: httpx.Client, login: str, password: str) -> None:
    """Log in over the socket as a customer's browser does; the jar then holds the session cookie."""
    tab = Tab(http, '/login')
    try:
        tab.type('Логин', login)
        tab.type('Пароль', password)
        tab.click('Войти')
        page = tab.follow()  # /session/start?key=…, which sets the cookie, then on to the cabinet
        assert page.url.path == '/', f'not logged in: {page.url}'
    finally:
        tab.close()
