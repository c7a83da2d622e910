"""Capacity of one portal process: many customers logged in on the overview page, against a bare NiceGUI page.

    .venv/bin/python bench/capacity.py [--steps 200,400 | --full] [--hold 20] [--interval 20] [--no-bare]
                                       [--no-churn] [--load-tool DIR] [--load-python PY] [--keep]

A measurement, not a test: it always exits 0. It seeds a fresh SQLite file (cabinets sharing one password hash, each
with a linked account holding a year of bills and payments), starts `python main.py` on it (demo mode, PORTAL_GC_LOG
on) and drives the protocol-level load tool (/work/shared/tools/nicegui-load by default): every virtual customer
logs in through the real login page from its own loopback address (127.x.y.z: logins are limited per IP), opens the
overview over the real websocket and downloads its last bill's «PDF» every --interval seconds. Steps of N customers,
each held --hold seconds. Then the same steps against the tool's bare page (~20 elements, one button; no login), the
baseline the ratios are taken against. Then churn: everybody leaves, as many other customers log in, and the RSS with
them is compared with the RSS before.

Goals (issue 13): at 2,500 customers click p95 ≤ 100 ms, page load p95 ≤ 1 s, 0 failed loads, 0 dropped sockets, no
GC pause over 100 ms, ≤ 500 KiB per customer and ≤ 1.5× the bare page's, RSS after churn ≤ 1.1× before.
Logging in costs one argon2 verify (~9/s on a 2-core box): --full (800,1600,2500) takes about 15 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOOL = Path('/work/shared/tools/nicegui-load')
PASSWORD = 'bench-Capacity-2026'
LOGIN = 'cap{:05d}'
QUICK_STEPS = '200,400'
FULL_STEPS = '800,1600,2500'
#: the prestep (below) runs in the load tool's process; it logs in customer idx + this offset
OFFSET_ENV = 'CAPACITY_LOGIN_OFFSET'
GOALS = {'p95_ms': 100.0, 'get_p95_ms': 1000.0, 'gc_ms': 100.0, 'kib': 500.0, 'kib_ratio': 1.5, 'churn': 1.1}
GC_LINE = re.compile(r'gc pause gen(\d) ([\d.]+) ms collected=\d+ at=([\d.]+)')  # services/gc_runtime.py
BARE_GC_LINE = re.compile(r'GC gen(\d) (\d+) ms collected=\d+ at ([\d.]+)')  # the tool's bare_app.py GC_LOG=1


# ------------------------------------------------------------------------------------------- the load tool's prestep
async def login(vc: Any, idx: int) -> None:
    """`--prestep bench/capacity.py:login`, run by the load tool for each virtual customer before it opens the
    overview: the login page over its websocket, «Логин» and «Пароль» typed, «Войти» clicked, then the hand-over link
    the portal sends the tab to (it sets the session cookie in this customer's own cookie jar)."""
    stats = vc.stats
    vc.stats = type(stats)()  # the login page's loads are not the overview's page loads
    try:
        vc.keep_messages = True
        await vc.open('/login', timeout=120)
        for label, value in (('Логин', LOGIN.format(idx + int(os.environ.get(OFFSET_ENV, '0')))), ('Пароль', PASSWORD)):
            element_id, _ = vc.find(label, 'update:')
            await vc.set_value(element_id, value)
        button_id, button = vc.find('Войти', 'click')
        listener = next(event['listener_id'] for event in button['events'] if event['type'] == 'click')
        vc.last_messages.clear()
        await vc.click(button_id, listener, expect='"open"', timeout=120)
        path = next((payload['path'] for event, payload in vc.last_messages if event == 'open'), None)
        if not path or not path.startswith('/session/start'):
            raise RuntimeError(f'login refused: {vc.last_messages[-3:]}')
        async with vc.session.get(vc.base_url + path, allow_redirects=False, headers=vc.headers) as response:
            if response.status != 303:
                raise RuntimeError(f'hand-over answered HTTP {response.status}')
        vc.keep_messages = False
        vc.last_messages.clear()
        await vc.close()  # the tab leaves the login page
    finally:
        vc.stats = stats


# ------------------------------------------------------------------------------------------------------ the database
async def seed(database_url: str, cabinets: int, accounts: int) -> None:
    """`accounts` personal accounts with 12 monthly bills (two lines each) and 12 payments; `cabinets` active cabinets,
    cabinet i linked to account i % accounts. One argon2 hash for all of them."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from tortoise.transactions import in_transaction

    from models.billing import Account, Bill, BillLine, Payment, Region
    from models.cabinet import Cabinet, CabinetState, Link
    from services import clock, db
    from services.identity import passwords

    await db.open_database(database_url)
    try:
        password_hash = await passwords.hash_password(PASSWORD)
        now = datetime.now(UTC)
        today = clock.today()
        months = [(today.year * 12 + today.month - 1 - back) for back in range(12)]
        periods = [(m // 12, m % 12 + 1) for m in months]
        async with in_transaction():
            region = await Region.create(code='KRS', name='Курск')
            await Account.bulk_create(
                [
                    Account(number=f'46{i:010d}', region=region, surname='Семёнов', address=f'г. Курск, д. {i}')
                    for i in range(accounts)
                ],
                batch_size=5000,
            )
            ids = dict(await Account.all().values_list('number', 'id'))
            account_ids = [ids[f'46{i:010d}'] for i in range(accounts)]
            await Bill.bulk_create(
                [
                    Bill(
                        account_id=account_id,
                        period=f'{year:04d}-{month:02d}',
                        amount_due=Decimal('1756.05'),
                        due_date=date(year + month // 12, month % 12 + 1, 10),
                    )
                    for account_id in account_ids
                    for year, month in periods
                ],
                batch_size=5000,
            )
            lines = [
                BillLine(bill_id=bill_id, position=position, service=service, kwh=kwh, tariff=tariff, amount=amount)
                for bill_id in await Bill.all().values_list('id', flat=True)
                for position, service, kwh, tariff, amount in (
                    (1, 'Электроэнергия (день)', Decimal(230), Decimal('6.12'), Decimal('1407.60')),
                    (2, 'Электроэнергия (ночь)', Decimal(101), Decimal('3.45'), Decimal('348.45')),
                )
            ]
            await BillLine.bulk_create(lines, batch_size=5000)
            await Payment.bulk_create(
                [
                    Payment(account_id=account_id, date=date(year, month, 5), amount=Decimal('1756.05'))
                    for account_id in account_ids
                    for year, month in periods
                    if date(year, month, 5) <= today
                ],
                batch_size=5000,
            )
            await Cabinet.bulk_create(
                [
                    Cabinet(
                        login=LOGIN.format(i),
                        login_key=LOGIN.format(i),
                        password_hash=password_hash,
                        email=f'{LOGIN.format(i)}@example.invalid',
                        email_confirmed_at=now,
                        state=CabinetState.ACTIVE,
                        created_at=now,
                        password_changed_at=now,
                    )
                    for i in range(cabinets)
                ],
                batch_size=5000,
            )
            cabinet_ids = dict(await Cabinet.all().values_list('login', 'id'))
            await Link.bulk_create(
                [
                    Link(
                        cabinet_id=cabinet_ids[LOGIN.format(i)],
                        account_id=account_ids[i % accounts],
                        proof='payment',
                        linked_at=now,
                    )
                    for i in range(cabinets)
                ],
                batch_size=5000,
            )
    finally:
        await db.close_database()


# --------------------------------------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """A server process with its output in a log file, waited for until `ready_path` answers 200."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path, ready_path: str) -> None:
        self.name, self.port, self.log = name, port, log
        self.url = f'http://127.0.0.1:{port}'
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **env}, stdout=log.open('w'), stderr=subprocess.STDOUT
        )
        import urllib.request

        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'{name} did not start:\n{log.read_text()[-3000:]}')
            time.sleep(0.3)

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        for line in Path(f'/proc/{self.pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
        return 0

    def gc_pauses(self, pattern: re.Pattern[str]) -> list[tuple[float, int, float]]:
        """(wall time, generation, ms) of every logged pause."""
        return [(float(at), int(gen), float(ms)) for gen, ms, at in pattern.findall(self.log.read_text())]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_tool(args: argparse.Namespace, server: Server, steps: list[int], *, ours: bool, offset: int = 0,
             out: Path) -> list[dict[str, Any]]:  # fmt: skip
    """One load.py run; each step row gets `window` (wall-clock start of its ramp, end of its hold)."""
    argv = [
        args.load_python, str(args.load_tool / 'load.py'),
        '--url', f'{server.url}/', '--steps', ','.join(map(str, steps)),
        '--hold', str(args.hold), '--interval', str(args.interval), '--pid', str(server.pid),
        '--connect-concurrency', str(args.connect_concurrency), '--connect-timeout', '120',
        '--json', str(out),
    ]  # fmt: skip
    if ours:
        argv += ['--button', 'PDF', '--expect', 'download', '--source-ips', '--prestep', f'{__file__}:login']
    else:
        argv += ['--button', 'Click me', '--expect', 'clicks:']
    rows: list[dict[str, Any]] = []
    started = time.time()
    with subprocess.Popen(
        argv, cwd=ROOT, env={**os.environ, OFFSET_ENV: str(offset)}, stdout=subprocess.PIPE, text=True
    ) as tool:
        assert tool.stdout is not None
        for line in tool.stdout:
            if line.startswith('{'):
                row = json.loads(line)
                row['window'] = (started, time.time())
                started = time.time()
                rows.append(row)
                print(f'    {server.name} {row["target"]}: {row["connected"]} connected, click p95 {row["p95_ms"]} ms, '
                      f'page p95 {row["get_p95_ms"]} ms, RSS {row["rss_mib"]} MiB, errors '
                      f'{row["connect_errors_total"]}, dropped {row["disconnects_total"]}', flush=True)  # fmt: skip
            elif line.startswith(('# stopping', '  connect errors', '  disconnects')):
                print(f'    {server.name}: {line.strip()}', flush=True)
    return rows


def longest_pause(pauses: list[tuple[float, int, float]], window: tuple[float, float]) -> tuple[float, int]:
    inside = [(ms, gen) for at, gen, ms in pauses if window[0] <= at <= window[1]]
    return max(inside, default=(0.0, -1))


def settle_rss(server: Server, seconds: float = 15.0) -> int:
    """RSS once the departed tabs' clients are gone (NiceGUI drops a client some seconds after its socket closes)."""
    time.sleep(seconds)
    return server.rss_kib()


# ------------------------------------------------------------------------------------------------------------ report
def fmt(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return '—'
    return f'{value:.{digits}f}' if isinstance(value, float | int) else str(value)


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


def report(ours: list[dict], bare: list[dict], churn: dict[str, Any] | None, base_rss: dict[str, int]) -> None:
    bare_by_step = {row['target']: row for row in bare}
    print(f'\nResults (load average now {_load()}; RSS per customer = (RSS − RSS at start) / connected)')
    head = ('| step | side | connected | click p50 / p95 / max ms | page p95 ms | failed loads | dropped | RSS MiB '
            '| KiB/customer | longest GC ms | server CPU % |')  # fmt: skip
    print(head)
    print('|' + '---|' * (head.count('|') - 1))
    for row in ours:
        for side, r in (('portal', row), ('bare', bare_by_step.get(row['target']))):
            if r is None:
                continue
            print(
                f'| {r["target"]} | {side} | {r["connected"]} | {fmt(r["p50_ms"], 1)} / {fmt(r["p95_ms"], 1)} / '
                f'{fmt(r["max_ms"])} | {fmt(r["get_p95_ms"])} | {r["connect_errors_total"]} | {r["disconnects_total"]} '
                f'| {fmt(r["rss_mib"])} | {fmt(r["kib"])} | {fmt(r["gc_ms"])} (gen{r["gc_gen"]}) '
                f'| {fmt(r["server_cpu_pct"])} |'
            )
    print(f'\nRSS at start: portal {base_rss["portal"] // 1024} MiB, bare {base_rss.get("bare", 0) // 1024} MiB')
    print('\nRatios and goals at each step (portal / bare in the same run)')
    for row in ours:
        b = bare_by_step.get(row['target'])
        kib_ratio = row['kib'] / b['kib'] if b and row['kib'] and b['kib'] else None
        p95_ratio = row['p95_ms'] / b['p95_ms'] if b and b['p95_ms'] else None
        all_in = row['connected'] == row['target']
        print(f'  {row["target"]} customers:')
        print(
            f'    RSS per customer portal/bare {fmt(kib_ratio, 2)}  (goal ≤ {GOALS["kib_ratio"]}  '
            f'{mark(kib_ratio is not None and kib_ratio <= GOALS["kib_ratio"])}); '
            f'{fmt(row["kib"])} KiB (goal ≤ {GOALS["kib"]:.0f}  {mark((row["kib"] or 1e9) <= GOALS["kib"])})'
        )
        print(
            f'    click p95 portal/bare {fmt(p95_ratio, 1)}; {fmt(row["p95_ms"], 1)} ms '
            f'(goal ≤ {GOALS["p95_ms"]:.0f}  {mark(all_in and row["p95_ms"] <= GOALS["p95_ms"])})'
        )
        print(
            f'    page load p95 {fmt(row["get_p95_ms"])} ms (goal ≤ {GOALS["get_p95_ms"]:.0f}  '
            f'{mark(row["get_p95_ms"] <= GOALS["get_p95_ms"])}); failed loads {row["connect_errors_total"]}, '
            f'dropped sockets {row["disconnects_total"]} (goal 0  '
            f'{mark(all_in and not row["connect_errors_total"] and not row["disconnects_total"])})'
        )
        print(f'    longest GC pause {fmt(row["gc_ms"])} ms (goal ≤ {GOALS["gc_ms"]:.0f}  '
              f'{mark(row["gc_ms"] <= GOALS["gc_ms"])})')  # fmt: skip
    if churn:
        ratio = churn['after'] / churn['before']
        print(
            f'\nChurn at {churn["customers"]}: RSS with them {churn["before"] // 1024} MiB; all left: '
            f'{churn["left"] // 1024} MiB; {churn["customers"]} others logged in: {churn["after"] // 1024} MiB '
            f'({churn["connected"]} connected); all left again: {churn["left_again"] // 1024} MiB'
        )
        print(
            f'  after/before {ratio:.2f} (goal ≤ {GOALS["churn"]}  {mark(ratio <= GOALS["churn"])}); longest GC '
            f'pause meanwhile {churn["gc_ms"]:.0f} ms (gen{churn["gc_gen"]})'
        )


def _load() -> str:
    return ' '.join(f'{value:.1f}' for value in os.getloadavg())


# -------------------------------------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--steps', default=QUICK_STEPS, help=f'customers per step (default {QUICK_STEPS})')
    parser.add_argument('--full', action='store_true', help=f'steps {FULL_STEPS} (about 15 minutes)')
    parser.add_argument('--hold', type=float, default=20.0, help='seconds each step is measured (default 20)')
    parser.add_argument('--interval', type=float, default=20.0, help='seconds between clicks per customer')
    parser.add_argument('--connect-concurrency', type=int, default=10, help='page loads (and logins) at once')
    parser.add_argument('--no-bare', action='store_true', help='skip the bare-page baseline')
    parser.add_argument('--no-churn', action='store_true', help='skip the churn check')
    parser.add_argument('--load-tool', type=Path, default=DEFAULT_TOOL, help=f'load.py, bare_app.py ({DEFAULT_TOOL})')
    parser.add_argument('--load-python', default=sys.executable,
                        help='the interpreter for load.py (aiohttp, orjson, uvloop); default: this one')  # fmt: skip
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder (database, server logs)')
    args = parser.parse_args()
    if str(ROOT) not in sys.path:  # not at import: the load tool imports this file for `login` alone
        sys.path.insert(0, str(ROOT))
    steps = [int(x) for x in (FULL_STEPS if args.full else args.steps).split(',')]
    top = max(steps)
    folder = Path(tempfile.mkdtemp(prefix='bench-capacity-'))
    servers: list[Server] = []
    try:
        print(f'bench/capacity.py: steps {steps}, hold {args.hold:.0f} s, PDF every {args.interval:.0f} s; '
              f'{os.cpu_count()} CPUs, load average {_load()}; files in {folder}', flush=True)  # fmt: skip
        database_url = f'sqlite://{folder}/portal.sqlite3'
        t0 = time.monotonic()
        from services import config

        os.environ['PORTAL_ENV_FILE'] = ''  # nobody's .env: the settings below are the whole configuration
        config.load(demo=True, database_url=database_url)
        asyncio.run(seed(database_url, cabinets=top * (1 if args.no_churn else 2), accounts=top))
        print(f'  seeded {top} accounts, {top * (1 if args.no_churn else 2)} cabinets in {time.monotonic() - t0:.0f} s')

        bare: list[dict] = []
        base_rss: dict[str, int] = {}
        if not args.no_bare:
            port = free_port()
            server = Server('bare', [sys.executable, str(args.load_tool / 'bare_app.py')],
                            {'PORT': str(port), 'GC_LOG': '1'}, port, folder / 'bare.log', '/_stats')  # fmt: skip
            servers.append(server)
            base_rss['bare'] = server.rss_kib()
            bare = run_tool(args, server, steps, ours=False, out=folder / 'bare.json')
            pauses = server.gc_pauses(BARE_GC_LINE)
            for row in bare:
                row['gc_ms'], row['gc_gen'] = longest_pause(pauses, row['window'])
                row['kib'] = row['rss_per_client_kib']
            server.stop()
            servers.remove(server)

        port = free_port()
        env = {
            'PORTAL_DEMO': 'true',
            'PORTAL_DATABASE_URL': database_url,
            'PORTAL_HOST': '127.0.0.1',
            'PORTAL_PORT': str(port),
            'PORTAL_BASE_URL': f'http://127.0.0.1:{port}',
            'PORTAL_GC_LOG': 'true',
            'PORTAL_ENV_FILE': '',
        }
        portal = Server('portal', [sys.executable, 'main.py'], env, port, folder / 'portal.log', '/login')
        servers.append(portal)
        base_rss['portal'] = portal.rss_kib()
        ours = run_tool(args, portal, steps, ours=True, out=folder / 'portal.json')
        pauses = portal.gc_pauses(GC_LINE)
        for row in ours:
            row['gc_ms'], row['gc_gen'] = longest_pause(pauses, row['window'])
            row['kib'] = row['rss_per_client_kib']

        churn = None
        if not args.no_churn and ours and ours[-1]['target'] == top:
            before = int(ours[-1]['rss_mib'] * 1024)
            left = settle_rss(portal)
            print(f'  churn: all left, RSS {left // 1024} MiB; {top} other customers log in', flush=True)
            rows = run_tool(args, portal, [top], ours=True, offset=top, out=folder / 'churn.json')
            if rows:
                pauses = portal.gc_pauses(GC_LINE)
                gc_ms, gc_gen = longest_pause(pauses, (ours[-1]['window'][1], rows[-1]['window'][1]))
                churn = {
                    'customers': top,
                    'before': before,
                    'left': left,
                    'after': int(rows[-1]['rss_mib'] * 1024),
                    'connected': rows[-1]['connected'],
                    'left_again': settle_rss(portal),
                    'gc_ms': gc_ms,
                    'gc_gen': gc_gen,
                }
        report(ours, bare, churn, base_rss)
        print(f'\nwhole run {time.monotonic() - t0:.0f} s')
    except Exception as error:  # a measurement: report, never fail the caller
        print(f'bench/capacity.py: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
        if args.keep:
            print(f'kept {folder}')
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
