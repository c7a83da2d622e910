"""An email as SMTP takes it: a `Letter` (plain data, picklable) written out as MIME by `build_email`, in a thread or
a worker process of the outbox."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr, parseaddr
from mimetypes import guess_type
from typing import Any

from services.messaging.gateways import PermanentDeliveryError

CRLF = '\r\n'
#: what an envelope address must look like (the address forms check the rest when it is typed)
_ADDRESS = re.compile(r'[^@\s<>"]+@[^@\s<>"]+')


@dataclass(frozen=True)
class Letter:
    """Everything an email is made of, as plain data: it may be built in another process."""

    message_id: int
    created_at: datetime
    date: datetime
    sender: str
    sender_name: str
    recipient: str
    subject: str
    text: str
    html: str
    #: (render, what it renders from) per attachment
    attachments: tuple[tuple[Callable[[Any], tuple[str, bytes]], Any], ...] = ()


@dataclass(frozen=True)
class Envelope:
    """A built email as SMTP takes it."""

    sender: str
    recipients: list[str]
    data: bytes


def build_emails(letters: list[Letter]) -> list[Envelope | Exception]:
    """Several emails in one job (see the outbox's BUILD_CHUNK): a letter that cannot be built gets its error, the
    others go on."""
    built: list[Envelope | Exception] = []
    for letter in letters:
        try:
            built.append(build_email(letter))
        except Exception as error:
            built.append(error)
    return built


def build_email(letter: Letter) -> Envelope:
    """Render the attachments and write the MIME message (CPU work: runs in a thread or a worker process).

    Written out here instead of by the email package's generator, which walks every base64 body line by line: that
    was ~2 ms of a bill email's ~10 ms of CPU. The email package still encodes the headers; each part is base64,
    so every body is 7-bit with short lines, and no boundary (it holds '_', which base64 never does) can occur in it.
    """
    name, sender = parseaddr(letter.sender) if '<' in letter.sender else (letter.sender_name, letter.sender)
    recipient = parseaddr(letter.recipient)[1]
    for address in (sender, recipient):
        if not _ADDRESS.fullmatch(address):
            raise PermanentDeliveryError(f'cannot build the message: {address!r} is not an email address')
    body = _part('text/plain; charset="utf-8"', letter.text.encode())
    if letter.html:
        body = _multipart('alternative', [body, _part('text/html; charset="utf-8"', letter.html.encode())])
    if files := [_attachment(*render(source)) for render, source in letter.attachments]:
        body = _multipart('mixed', [body, *files])
    head = ''.join(f'{key}: {value}{CRLF}' for key, value in _headers(letter, name, sender, recipient)).encode()
    return Envelope(sender, [recipient], head + body)


def _headers(letter: Letter, name: str, sender: str, recipient: str) -> list[tuple[str, str]]:
    domain = sender.rpartition('@')[2]
    return [
        ('From', formataddr((name, sender), charset='utf-8')),
        ('To', recipient),
        ('Subject', Header(letter.subject, 'utf-8', header_name='Subject').encode(linesep=CRLF)),
        ('Date', format_datetime(letter.date)),
        # stable per message, so a copy re-sent after a crash can be recognised as the same message
        ('Message-ID', f'<outbox.{letter.message_id}.{int(letter.created_at.timestamp())}@{domain}>'),
        ('Auto-Submitted', 'auto-generated'),
        ('MIME-Version', '1.0'),
    ]


def _attachment(file_name: str, content: bytes) -> bytes:
    content_type = guess_type(file_name)[0] or 'application/octet-stream'
    disposition = f'attachment; filename="{file_name}"' if file_name.isascii() else (
        f"attachment; filename*={encode_rfc2231(file_name, 'utf-8')}"
    )  # fmt: skip
    return _part(content_type, content, disposition)


def _part(content_type: str, content: bytes, disposition: str = '') -> bytes:
    """A MIME part with its headers, the content in base64 lines of 76 characters."""
    head = f'Content-Type: {content_type}{CRLF}Content-Transfer-Encoding: base64{CRLF}'
    if disposition:
        head += f'Content-Disposition: {disposition}{CRLF}'
    encoded = base64.encodebytes(content).replace(b'\n', b'\r\n')
    return (head + CRLF).encode() + encoded


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f'=_{secrets.token_hex(12)}'
    delimiter = f'--{boundary}{CRLF}'.encode()
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}'.encode()
        + b''.join(delimiter + part + CRLF.encode() for part in parts)
        + f'--{boundary}--{CRLF}'.encode()
    )
