"""Waiting inside async tests: the server under test runs on the same event loop, so never block it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar('T')


async def eventually(predicate: Callable[[], T], within: float = 15.0, what: str = 'condition') -> T:
    deadline = time.monotonic() + within
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        await asyncio.sleep(0.02)
    return value
