"""What other services plug into the outbox, installed by main.py: renderers of attachments and topics' hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.outbox import OutboxMessage


@dataclass(frozen=True)
class Attachment:
    """How to attach `{kind: value}`: `load` reads what the files of several messages need from the database, in the
    delivering process, as {value: data} (a value missing from it is gone: its message fails); `render` makes
    (file name, content) from one such data alone. `render` must be a module-level function and its input picklable:
    it may run in another process."""

    load: Callable[[list[Any]], Awaitable[dict[Any, Any]]]
    render: Callable[[Any], tuple[str, bytes]]


@dataclass(frozen=True)
class Outcome:
    """What a topic's owner does when one of its messages reaches its end."""

    #: the messages one commit records as sent (the lanes of a bulk send commit together, several at a time)
    on_sent: Callable[[list[OutboxMessage]], Awaitable[None]]
    #: (message, reason, refused): `refused` when the recipient's server or the SMS provider rejected the message
    #: (a 5xx reply), not when the attempts ran out or the message could not be built
    on_failed_permanently: Callable[[OutboxMessage, str, bool], Awaitable[None]]
    #: whether `on_sent` has anything to do for this message; a quick look, no I/O (a message none of whose hooks
    #: has work is recorded without a transaction: a bulk send pays for each)
    hears_sent: Callable[[OutboxMessage], bool] = lambda _: True


@dataclass(frozen=True)
class Plugin:
    """What one service adds to the outbox: how to render `{kind: value}` in a message's `attachment`, and hooks for
    the messages queued with a topic. The hooks run inside the transaction that records the outcome: a hook that
    fails is logged, what it wrote is undone, and the message's outcome is recorded without it."""

    attachments: Mapping[str, Attachment] = field(default_factory=dict)
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)


_attachments: dict[str, Attachment] = {}
_outcomes: dict[str, Outcome] = {}


def install(plugin: Plugin) -> None:
    """Every process that delivers must install the plug-ins first (main.py does, for the server and its commands)."""
    _attachments.update(plugin.attachments)
    _outcomes.update(plugin.outcomes)


def attachment(kind: str) -> Attachment | None:
    """The installed renderer of `kind`; None: this process lacks the plug-in."""
    return _attachments.get(kind)


def outcome(topic: str) -> Outcome | None:
    """The hooks installed for `topic`, if any."""
    return _outcomes.get(topic)
