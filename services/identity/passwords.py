"""Password policy and argon2id hashing kept off the event loop."""

from __future__ import annotations

import asyncio
import functools
import os
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from services import config
from services.texts import t

# argon2-cffi defaults = RFC 9106 low-memory profile (argon2id, t=3, 64 MiB, p=4)
_hasher = PasswordHasher()
T = TypeVar('T')
_semaphore: asyncio.Semaphore | None = None
_semaphore_loop: asyncio.AbstractEventLoop | None = None


def _lower_priority() -> None:
    # on Linux nice() applies to this thread and the threads argon2 starts from it: the event loop keeps
    # its turn on a loaded 2-core box (bench/login.py measures the stall)
    os.nice(10)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(config.settings.hash_concurrency, 'argon2', initializer=_lower_priority)


async def _run(func: Callable[..., T], *args: object) -> T:
    """Off the event loop, at most `hash_concurrency` at once: each hash takes 64 MiB and ~1.5 cores."""
    global _semaphore, _semaphore_loop
    loop = asyncio.get_running_loop()
    if _semaphore is None or _semaphore_loop is not loop:  # one semaphore per event loop
        _semaphore = asyncio.Semaphore(config.settings.hash_concurrency)
        _semaphore_loop = loop
    async with _semaphore:
        return await loop.run_in_executor(_pool(), func, *args)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash('dummy password for unknown logins')


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list, from leaked password corpora)."""
    return frozenset(FREQUENCY_LISTS['passwords'])


def normalize(password: str) -> str:
    return unicodedata.normalize('NFKC', password)


def check_policy(password: str, *, login: str = '', email: str = '') -> str | None:
    """The reason this password is refused (a user-facing message), or None. No composition rules."""
    rules = config.settings.profile_rules
    value = normalize(password)
    if len(value) < rules.password_min:
        return t('error.password_short', min=rules.password_min)
    if len(value) > rules.password_max:
        return t('error.password_long', max=rules.password_max)
    folded = value.casefold()
    if folded in common_passwords():
        return t('error.password_common')
    if folded in {login.casefold(), email.casefold(), email.split('@')[0].casefold()} - {''}:
        return t('error.password_like_login')
    return None


async def hash_password(password: str) -> str:
    return await _run(_hasher.hash, normalize(password))


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown login) a dummy verify keeps the timing the same."""
    return await _run(_verify, password_hash, normalize(password))


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
