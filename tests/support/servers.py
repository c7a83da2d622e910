"""Real loopback peers for tests: an SMTP server (aiosmtpd) and an HTTP SMS gateway."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

#: what a mail server answers for an address it has no mailbox for, e.g. in `Mailbox.rejections`
REJECTED = '550 5.1.1 <nobody@example.ru>: no such user'
#: the same reply as the portal shows and logs it: the address masked in it too
REJECTED_MASKED = REJECTED.replace('nobody@', 'n***@')


def free_port() -> int:
    # aiosmtpd's Controller(port=0) does not work, so pick a free port first
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = 'condition') -> Any:
    """Poll until `predicate()` is truthy; the value is returned. Fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.02)


@dataclass
class Mailbox:
    """Messages the SMTP server really received."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    #: a recipient address → SMTP reply for it (e.g. '550 5.1.1 no such user'), to simulate rejections
    rejections: dict[str, str] = field(default_factory=dict)

    def clear(self) -> None:
        self.messages.clear()
        self.rejections.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m['To'].lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        return wait_for(lambda: len(self.to(address)) >= count and self.to(address), timeout, f'mail to {address}')

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(('plain',)).get_content()  # type: ignore[union-attr]

    @classmethod
    def link(cls, message: EmailMessage) -> str:
        match = re.search(r'https?://\S+', cls.text(message))
        assert match, 'no link in the message'
        return match.group(0)

    @classmethod
    def token(cls, message: EmailMessage) -> str:
        """The token of the message's confirmation or reset link."""
        return cls.link(message).split('token=')[1]


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, options: Any) -> str:
        if address.lower() in self.mailbox.rejections:
            return self.mailbox.rejections[address.lower()]
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        self.mailbox.messages.append(message)  # type: ignore[arg-type]
        return '250 Message accepted'


def start_smtp_server() -> tuple[Mailbox, Callable[[], None]]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(_Handler(mailbox), hostname='127.0.0.1', port=mailbox.port)
    controller.start()
    return mailbox, controller.stop


@dataclass
class SmsInbox:
    """What the loopback SMS gateway received: (path, JSON or form body)."""

    url: str = ''
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: status code to answer with (tests of gateway failures set 500)
    status: int = 200
    #: JSON body to answer with (provider tests set what SMS.RU or SMSC would say)
    reply: dict[str, Any] = field(default_factory=lambda: {'status': 'OK'})

    def clear(self) -> None:
        self.requests.clear()
        self.status = 200
        self.reply = {'status': 'OK'}

    def to(self, phone: str) -> list[str]:
        return [body['text'] for _, body in self.requests if body.get('phone') == phone]

    def wait_for(self, phone: str, count: int = 1, timeout: float = 10.0) -> list[str]:
        return wait_for(lambda: len(self.to(phone)) >= count and self.to(phone), timeout, f'SMS to {phone}')

    def code(self, phone: str) -> str:
        match = re.search(r'\b(\d{6})\b', self.wait_for(phone)[-1])
        assert match, 'no code in the SMS'
        return match.group(1)


def start_sms_server() -> tuple[SmsInbox, Callable[[], None]]:
    inbox = SmsInbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            if self.headers.get('Content-Type', '').startswith('application/json'):
                body = json.loads(raw)
            else:
                from urllib.parse import parse_qsl

                body = dict(parse_qsl(raw.decode()))
            if inbox.status == 200:
                inbox.requests.append((self.path, body))
            self.send_response(inbox.status)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(json.dumps(inbox.reply).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    inbox.url = f'http://127.0.0.1:{server.server_address[1]}/sms'
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return inbox, stop
