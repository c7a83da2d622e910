"""What one customer's overview page costs the server, in objects and bytes, without a load run.

    .venv/bin/python bench/page_objects.py [--customers K] [--top N] [--login-page]

A measurement, not a test: it always exits 0. It seeds a fresh SQLite file as bench/capacity.py does (a year of
bills and payments per account), runs main.py in NiceGUI's simulated browser (`user_simulation`, the machinery of
the `user` test fixture: real pages, real elements, no websocket) and opens the overview for K signed-in customers
(sessions started through services.identity.sessions: the login page is not what is measured, see --login-page).
Between a warm-up customer and the K it compares `gc.get_objects()` by type, tracemalloc's allocations by source
line and RSS, and prints them per customer; then the elements of one page by kind. Then the K tabs close as a
browser's would (socket gone, NiceGUI's reconnect timeout) and it counts what is left per customer: a leak shows here.

What it cannot see: the per-connection socket state (engine.io, the websocket and its permessage-deflate buffers, in
C memory), which bench/capacity.py measures with real sockets; RSS here is a rough look only (allocator reuse). The
~27 KiB block from starlette/responses.py is the page's HTML held by the simulated browser's httpx stream, not by
the server.
`--login-page` does the same for the login page: what a login page costs while open, and what stays after it closes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import sys
import time
import tracemalloc
import weakref
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import run_bench  # noqa: E402


def rss_kib() -> int:
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def census() -> collections.Counter[str]:
    """GC-tracked objects by type; strings, ints and other untracked objects are only in tracemalloc's bytes."""
    gc.collect()
    counts: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        counts[kind.__qualname__ if kind.__module__ == 'builtins' else f'{kind.__module__}.{kind.__qualname__}'] += 1
    return counts


async def open_page(app: Any, path: str, cookie: dict[str, str]) -> Any:
    """A new simulated browser (its own cookie jar and NiceGUI storage) opening `path`; the User and its client."""
    import httpx
    from nicegui.testing import User

    http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test', cookies=cookie)
    user = User(http)
    await user.open(path)
    return user


async def close_tab(user: Any) -> None:
    """What NiceGUI does when a browser's socket goes: the client is deleted after the page's reconnect timeout."""
    client = user.client
    for socket_id in list(client._socket_to_document_id):
        client.handle_disconnect(socket_id)
    await user.http_client.aclose()


def per_customer(before: collections.Counter[str], after: collections.Counter[str], k: int, top: int) -> list[str]:
    delta = after.copy()
    delta.subtract(before)
    lines = [f'  GC-tracked objects: {sum(delta.values()) / k:,.0f} per customer']
    for name, count in delta.most_common(top):
        lines.append(f'    {count / k:9.1f}  {name}')
    return lines


def short(filename: str, site: str) -> str:
    return filename.replace(site + '/', '').replace(str(ROOT) + '/', '').replace(str(Path(os.__file__).parent), 'lib')


def byte_lines(first: tracemalloc.Snapshot, second: tracemalloc.Snapshot, k: int, top: int) -> list[str]:
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    first, second = first.filter_traces(keep), second.filter_traces(keep)
    total = sum(stat.size_diff for stat in second.compare_to(first, 'filename'))
    lines = [f'  Python heap (tracemalloc): {total / k / 1024:,.1f} KiB per customer; by file:']
    by_file = sorted(second.compare_to(first, 'filename'), key=lambda s: -s.size_diff)
    import nicegui

    site = str(Path(nicegui.__file__).parent.parent)
    for stat in by_file[:top]:
        name = short(stat.traceback[0].filename, site)
        lines.append(f'    {stat.size_diff / k / 1024:8.1f} KiB  {name}')
    lines.append('  by line:')
    for stat in sorted(second.compare_to(first, 'lineno'), key=lambda s: -s.size_diff)[:top]:
        frame = stat.traceback[0]
        name = short(frame.filename, site)
        lines.append(
            f'    {stat.size_diff / k / 1024:8.1f} KiB  {stat.count_diff / k:7.1f} blocks  {name}:{frame.lineno}'
        )
    return lines


async def measure(k: int, top: int, login_page: bool) -> None:
    from nicegui import Client, core
    from nicegui.testing.user_simulation import user_simulation

    from models.cabinet import Cabinet
    from pages.session import session_cookie_name
    from services.identity import sessions

    async with user_simulation(main_file=ROOT / 'main.py'):
        app = core.app

        async def customer(i: int) -> Any:
            if login_page:
                return await open_page(app, '/login', {})
            cabinet = await Cabinet.get(login=f'cap{i:05d}')
            token = await sessions.start(cabinet, None)
            return await open_page(app, '/', {session_cookie_name(): token})

        path = '/login' if login_page else '/'
        warm = [await customer(i) for i in range(2)]  # imports, caches, first-use state: not per customer
        await asyncio.sleep(0.1)
        clients_before = len(Client.instances)
        before, rss_before = census(), rss_kib()
        tracemalloc.start(1)
        first = tracemalloc.take_snapshot()
        users = [await customer(2 + i) for i in range(k)]
        await asyncio.sleep(0.1)
        second = tracemalloc.take_snapshot()
        tracemalloc.stop()
        after, rss_after = census(), rss_kib()
        print(f'\n{path}: {k} customers, {len(Client.instances) - clients_before} more clients')
        print('\n'.join(per_customer(before, after, k, top)))
        print('\n'.join(byte_lines(first, second, k, top)))
        print(f'  RSS: {(rss_after - rss_before) / k:,.0f} KiB per customer (rough: tracemalloc is on meanwhile)')

        page = users[-1].client
        kinds = collections.Counter(type(element).__name__ for element in page.elements.values())
        listeners = sum(len(element._event_listeners) for element in page.elements.values())
        print(f'  one page: {len(page.elements)} elements, {listeners} event listeners; by kind:')
        print('    ' + ', '.join(f'{name} {count}' for name, count in kinds.most_common()))

        clients = [weakref.ref(user.client) for user in users]
        timeout = max(user.client.page.resolve_reconnect_timeout() for user in users)
        # the collector off while the tabs go: what reference counting frees at once, and what waits for a
        # collection (cycles) — only the latter makes full collections as a crowd leaves, and leaks once frozen
        gc.collect()
        gc.disable()
        tracked = len(gc.get_objects())
        for user in users:
            await close_tab(user)
        del users, page, user  # the bench's own references: what is left after this is the server's
        await asyncio.sleep(timeout + 0.5)
        freed = tracked - len(gc.get_objects())
        cyclic = gc.collect()
        gc.enable()
        print(
            f'  as the tabs closed: {freed / k:,.0f} objects per customer freed by reference counting, '
            f'{cyclic / k:,.0f} left for the cycle collector'
        )
        gone = census()
        left = sum(gone.values()) - sum(before.values())
        alive = sum(1 for ref in clients if (client := ref()) is not None and not client.is_deleted)
        kept = sum(1 for ref in clients if ref() is not None)
        print(
            f'  after the {k} tabs closed: {alive} clients not deleted, {kept} deleted ones still referenced, '
            f'{left / k:,.0f} objects per customer left'
        )
        if left > k:  # more than noise: say what stays
            print('\n'.join(per_customer(before, gone, k, top // 2)[1:]))
        for user in warm:
            await close_tab(user)


def run(args: argparse.Namespace, folder: Path) -> None:
    database_url = f'sqlite://{folder}/portal.sqlite3'
    os.environ.update(PORTAL_ENV_FILE='', PORTAL_DEMO='true', PORTAL_DATABASE_URL=database_url, PORTAL_GC_LOG='false')
    # NiceGUI's simulated browser expects pytest (its reset clears storage through a page context otherwise)
    os.environ['PYTEST_CURRENT_TEST'] = 'bench/page_objects.py'
    from nicegui import app
    from nicegui.storage import Storage

    Storage.path = folder / 'storage'  # as NiceGUI's pytest plugin does: browser storage in the temporary folder
    app.storage = Storage()
    from bench.capacity import seed
    from services import config, gc_runtime

    gc_runtime.leave_untuned()  # its freezing would hide objects from the count

    config.load(demo=True, database_url=database_url)
    t0 = time.monotonic()
    asyncio.run(seed(database_url, cabinets=args.customers + 2, accounts=args.customers + 2))
    print(f'bench/page_objects.py: seeded {args.customers + 2} cabinets in {time.monotonic() - t0:.0f} s')
    asyncio.run(measure(args.customers, args.top, args.login_page))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--customers', type=int, default=40, help='pages measured (default 40)')
    parser.add_argument('--top', type=int, default=25, help='rows per table (default 25)')
    parser.add_argument('--login-page', action='store_true', help='measure the login page instead of the overview')
    os.chdir(ROOT)
    return run_bench('bench/page_objects.py', 'bench-page-objects-', parser, run, trace=True)


if __name__ == '__main__':
    sys.exit(main())
