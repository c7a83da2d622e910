"""Login throughput against raw argon2, and event-loop stalls while logins run.

    .venv/bin/python bench/login.py [--logins N] [--rounds R] [--database-url URL] [--breakdown]

A measurement, not a test: it always exits 0. Goals: successful logins/s through services.identity.auth.login
≥ 0.85 × raw argon2 verifies/s at the same parallelism (the service's hash semaphore), and the longest
event-loop stall while 20 logins run at once ≤ 50 ms. Without --database-url it uses a temporary SQLite
file, deleted at the end. The machine is noisy (±20 %): rounds alternate raw and login runs and the
summary takes the median of each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402

from models.cabinet import Cabinet, CabinetState  # noqa: E402
from models.security import AuditEvent, RateEvent  # noqa: E402
from services import config, db  # noqa: E402
from services.identity import audit, auth, passwords, ratelimit, sessions  # noqa: E402

PASSWORD = 'bench-Password-8472'
RATIO_GOAL = 0.85
STALL_GOAL_MS = 50.0
STALL_LOGINS = 20
TICK = 0.005


#: every login this run creates starts with this, so a shared database can be cleaned afterwards
RUN = f'bench{time.time_ns():x}'
_serial = itertools.count()
_hash: list[str] = []


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


async def make_cabinets(count: int) -> list[str]:
    """`count` active cabinets sharing one password hash (hashed once per run, through the service)."""
    if not _hash:
        _hash.append(await passwords.hash_password(PASSWORD))
    password_hash = _hash[0]
    now = datetime.now(UTC)
    logins = [f'{RUN}u{next(_serial):05d}' for _ in range(count)]
    await Cabinet.bulk_create(
        [
            Cabinet(
                login=login,
                login_key=login,
                password_hash=password_hash,
                email=f'{login}@example.invalid',
                state=CabinetState.ACTIVE,
                created_at=now,
                password_changed_at=now,
            )
            for login in logins
        ]
    )
    return logins


@contextlib.contextmanager
def cpu_meter() -> Iterator[dict[str, float]]:
    """Wall time, process CPU (all threads: argon2 included) and event-loop thread CPU (Python, ORM, driver glue)."""
    out: dict[str, float] = {}
    wall, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    try:
        yield out
    finally:
        out['wall'] = time.perf_counter() - wall
        out['cpu'] = time.process_time() - cpu
        out['loop_cpu'] = time.thread_time() - loop_cpu


async def raw_verifies(password_hash: str, count: int, concurrency: int) -> dict[str, float]:
    """Baseline: argon2-cffi's PasswordHasher().verify in threads, as many at once as the service allows."""
    hasher = PasswordHasher()
    cap = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with cap:
            assert await asyncio.to_thread(hasher.verify, password_hash, PASSWORD)

    with cpu_meter() as meter:
        await asyncio.gather(*(one() for _ in range(count)))
    return {**meter, 'rate': count / meter['wall']}


async def service_logins(logins: list[str]) -> dict[str, float]:
    """Successful logins through services.identity.auth.login, all callers at once (the service semaphore queues
    them)."""
    with cpu_meter() as meter:
        results = await asyncio.gather(*(auth.login(login, PASSWORD, ip=None) for login in logins))
    assert all(token for _, token in results)
    return {**meter, 'rate': len(logins) / meter['wall']}


async def max_stall_during(work: Awaitable[Any]) -> float:
    """Longest lateness (ms) of a ticker sleeping TICK in a loop while `work` runs."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        while not done:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            worst = max(worst, loop.time() - due)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let the ticker start before the work
    try:
        await work
    finally:
        done = True
        await task
    return worst * 1000


class StepTimer:
    """--breakdown: wall time spent in each step of auth.login, by patching the module attributes it calls."""

    def __init__(self) -> None:
        self.total: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self._undo: list[Callable[[], None]] = []
        self.order: dict[str, None] = {}

    def _patch(self, owner: Any, name: str, label: str, *, thread: bool = False) -> None:
        original = getattr(owner, name)
        timer = self
        self.order[label] = None

        if thread:  # a plain function run in a worker thread: time it there

            @functools.wraps(original)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    timer.total[label] += time.perf_counter() - start
                    timer.calls[label] += 1

        else:

            @functools.wraps(original)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    timer.total[label] += time.perf_counter() - start
                    timer.calls[label] += 1

        setattr(owner, name, wrapper)
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        self._patch(auth, 'lockout_left', 'lockout_left (rate_event count)')
        self._patch_cabinet()
        self._patch(passwords, 'verify_password', 'verify_password (queue + argon2)')
        self._patch(passwords, '_verify', '  of which argon2 in thread', thread=True)
        self._patch(ratelimit, 'clear', 'ratelimit.clear (DELETE)')
        self._patch(sessions, 'start', 'sessions.start (INSERT)')
        self._patch(audit, 'record', 'audit.record (INSERT)')

    def _patch_cabinet(self) -> None:
        original = Cabinet.get_or_none.__func__  # type: ignore[attr-defined]
        timer = self
        self.order['Cabinet.get_or_none (SELECT)'] = None

        async def timed(query: Awaitable[Any]) -> Any:
            start = time.perf_counter()
            try:
                return await query
            finally:
                timer.total['Cabinet.get_or_none (SELECT)'] += time.perf_counter() - start
                timer.calls['Cabinet.get_or_none (SELECT)'] += 1

        def get_or_none(cls: type[Cabinet], *args: Any, **kwargs: Any) -> Awaitable[Any]:
            return timed(original(cls, *args, **kwargs))

        Cabinet.get_or_none = classmethod(get_or_none)  # type: ignore[method-assign, assignment]
        self._undo.append(lambda: setattr(Cabinet, 'get_or_none', classmethod(original)))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def report(self, logins: int, wall: float) -> None:
        print(f'\nBreakdown of {logins} concurrent logins ({wall:.2f} s wall), mean wall ms per login per step:')
        for label in sorted(self.total, key=list(self.order).index):
            total = self.total[label]
            print(f'  {label:<36} {total / logins * 1000:8.1f} ms  ({self.calls[label]} calls)')


async def breakdown(logins: list[str]) -> None:
    timer = StepTimer()
    timer.install()
    try:
        result = await service_logins(logins)
    finally:
        timer.uninstall()
    timer.report(len(logins), result['wall'])


async def run(args: argparse.Namespace, *, named_database: bool) -> None:
    concurrency = config.settings.hash_concurrency
    count = args.logins
    hasher = PasswordHasher()
    await db.open_database(args.database_url)
    try:
        warmup_logins = await make_cabinets(concurrency)
        rounds = [await make_cabinets(count) for _ in range(args.rounds)]  # every login in a round: its own cabinet
        stall_logins = await make_cabinets(STALL_LOGINS)
        breakdown_logins = await make_cabinets(STALL_LOGINS)
        password_hash = (await Cabinet.get(login_key=warmup_logins[0])).password_hash
        where = _db_kind(args.database_url, temporary=not named_database)
        print(
            f'argon2{hasher.type.name.lower()} t={hasher.time_cost} m={hasher.memory_cost // 1024} MiB '
            f'p={hasher.parallelism}; hash_concurrency={concurrency}; N={count}; rounds={args.rounds}; db={where}; '
            f'{os.cpu_count()} CPUs, load average {_load()}'
        )

        # warm-up: thread pool, connection, statement paths
        await raw_verifies(password_hash, concurrency, concurrency)
        await service_logins(warmup_logins)

        raws, logs = [], []
        for index, logins in enumerate(rounds):
            if index % 2:  # alternate which goes first, so drift in machine load hits both alike
                login = await service_logins(logins)
                raw = await raw_verifies(password_hash, count, concurrency)
            else:
                raw = await raw_verifies(password_hash, count, concurrency)
                login = await service_logins(logins)
            raws.append(raw)
            logs.append(login)
            print(
                f'  round {index + 1}: raw {raw["rate"]:5.2f}/s  login {login["rate"]:5.2f}/s  '
                f'ratio {login["rate"] / raw["rate"]:.2f}   '
                f'loop-thread CPU/op raw {raw["loop_cpu"] / count * 1000:4.1f} ms, '
                f'login {login["loop_cpu"] / count * 1000:4.1f} ms; '
                f'process CPU/op raw {raw["cpu"] / count * 1000:4.0f} ms, login {login["cpu"] / count * 1000:4.0f} ms'
            )

        idle_stall = await max_stall_during(asyncio.sleep(1))
        raw_stall = await max_stall_during(raw_verifies(password_hash, STALL_LOGINS, concurrency))
        stall = await max_stall_during(service_logins(stall_logins))

        if args.breakdown:
            await breakdown(breakdown_logins)

        raw_rate = statistics.median(r['rate'] for r in raws)
        login_rate = statistics.median(r['rate'] for r in logs)
        ratio = login_rate / raw_rate
        cpu_ratio = statistics.median(r['cpu'] for r in raws) / statistics.median(r['cpu'] for r in logs)
        rows = [
            (f'raw argon2 verifies/s (concurrency {concurrency})', f'{raw_rate:.2f}', ''),
            (f'successful logins/s (auth.login, N={count})', f'{login_rate:.2f}', ''),
            ('ratio login/raw', f'{ratio:.2f}', f'goal ≥ {RATIO_GOAL}  {mark(ratio >= RATIO_GOAL)}'),
            ('  the same from process CPU per op (less noisy)', f'{cpu_ratio:.2f}', ''),
            (
                f'max event-loop stall, {STALL_LOGINS} logins at once',
                f'{stall:.1f} ms',
                f'goal ≤ {STALL_GOAL_MS:.0f} ms  {mark(stall <= STALL_GOAL_MS)}',
            ),
            ('  for scale: ticker idle / during raw argon2', f'{idle_stall:.1f} / {raw_stall:.1f} ms', ''),
        ]
        print(f'\nSummary (medians of the rounds; load average now {_load()})')
        for label, value, goal in rows:
            print(f'  {label:<52} {value:>13}   {goal}'.rstrip())
    finally:
        if named_database:
            await remove_bench_rows()
        await db.close_database()


async def remove_bench_rows() -> None:
    """On a database the caller named: drop this run's cabinets (sessions cascade), audit and rate rows."""
    await Cabinet.filter(login_key__startswith=RUN).delete()
    await AuditEvent.filter(login__startswith=RUN).delete()
    await RateEvent.filter(key__contains=RUN).delete()


def _load() -> str:
    return ' '.join(f'{value:.1f}' for value in os.getloadavg())


def _db_kind(url: str, temporary: bool) -> str:
    if temporary:
        return 'sqlite (temporary file)'
    scheme, _, rest = url.partition('://')
    return f'{scheme}://{rest.rsplit("@", 1)[-1]}'  # no credentials in the output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--logins', type=int, default=40, help='verifies / logins per measurement (default 40)')
    parser.add_argument('--rounds', type=int, default=3, help='alternating raw/login rounds (default 3)')
    parser.add_argument('--database-url', help='default: a temporary SQLite file, deleted afterwards')
    parser.add_argument('--breakdown', action='store_true', help='also time each step inside auth.login')
    args = parser.parse_args()

    temp_dir = None
    if not args.database_url:
        temp_dir = tempfile.mkdtemp(prefix='bench-login-')
        args.database_url = f'sqlite://{temp_dir}/bench.sqlite3'
    try:
        config.load(demo=True, database_url=args.database_url)
        asyncio.run(run(args, named_database=temp_dir is None))
    except Exception as error:  # a measurement: report, never fail the caller
        print(f'bench/login.py: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
