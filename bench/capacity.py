"""Capacity of one portal process: many customers logged in on the overview page, against a bare NiceGUI page.

    .venv/bin/python bench/capacity.py [--steps 200,400 | --full] [--hold 20] [--interval 20] [--no-bare]
                                       [--no-churn] [--behind-nginx [--postgres URL]] [--load-tool DIR]
                                       [--load-python PY] [--keep]

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

--behind-nginx runs the deployment of deploy/: the portal on PostgreSQL (a database of its own on --postgres, dropped
afterwards) and Redis, behind the shipped nginx site over TLS (a self-signed certificate the load tool is given),
first as 1 process, then as 2 (nginx keeps each customer's address on one process). Goal: 2 processes hold ≥ 1.8× the
customers 1 process holds within the click, page-load and failure goals.
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
import uuid
from collections.abc import Callable
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
GOALS = {'p95_ms': 100.0, 'get_p95_ms': 1000.0, 'gc_ms': 100.0, 'kib': 500.0, 'kib_ratio': 1.5, 'churn': 1.1,
         'processes': 1.8}  # fmt: skip
DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432'
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


class Deployment:
    """What the load tool is pointed at: the portal's processes (or the bare page), reached at `url`, and what else
    runs for them (`helpers`: nginx, Redis). `tool_env`: the load tool's environment (nginx's certificate)."""

    # not a dataclass: the load tool loads this file without registering it as a module, which dataclasses need

    def __init__(
        self,
        name: str,
        servers: list[Server],
        url: str,
        gc_line: re.Pattern[str],
        tool_env: dict[str, str] | None = None,
        helpers: list[Callable[[], None]] | None = None,
    ) -> None:
        self.name, self.servers, self.url, self.gc_line = name, servers, url, gc_line
        self.tool_env, self.helpers = tool_env or {}, helpers or []
        self.base_rss = self.rss_kib()

    def rss_kib(self) -> int:
        return sum(server.rss_kib() for server in self.servers)

    def gc_pauses(self) -> list[tuple[float, int, float]]:
        return sorted(pause for server in self.servers for pause in server.gc_pauses(self.gc_line))

    def stop(self) -> None:
        for stop in [server.stop for server in self.servers] + self.helpers:
            with contextlib.suppress(Exception):
                stop()


def run_tool(args: argparse.Namespace, side: Deployment, steps: list[int], *, ours: bool, offset: int = 0,
             out: Path) -> list[dict[str, Any]]:  # fmt: skip
    """One load.py run; each step row gets `window` (wall-clock start of its ramp, end of its hold), the RSS of all
    the side's processes and the longest GC pause of any of them within the window. The tool's server CPU is that of
    the first process."""
    argv = [
        args.load_python, str(args.load_tool / 'load.py'),
        '--url', f'{side.url}/', '--steps', ','.join(map(str, steps)),
        '--hold', str(args.hold), '--interval', str(args.interval), '--pid', str(side.servers[0].pid),
        '--connect-concurrency', str(args.connect_concurrency), '--connect-timeout', '120',
        '--json', str(out),
    ]  # fmt: skip
    if ours:
        argv += ['--button', 'PDF', '--expect', 'download', '--source-ips', '--prestep', f'{__file__}:login']
    else:
        argv += ['--button', 'Click me', '--expect', 'clicks:']
    rows: list[dict[str, Any]] = []
    started = time.time()
    env = {**os.environ, OFFSET_ENV: str(offset), **side.tool_env}
    with subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as tool:
        assert tool.stdout is not None
        for line in tool.stdout:
            if line.startswith('{'):
                row = json.loads(line)
                row['window'] = (started, time.time())
                started = time.time()
                rss = side.rss_kib()
                row['rss_mib'] = round(rss / 1024, 1)
                row['kib'] = round((rss - side.base_rss) / row['connected'], 1) if row['connected'] else None
                rows.append(row)
                print(f'    {side.name} {row["target"]}: {row["connected"]} connected, click p95 {row["p95_ms"]} ms, '
                      f'page p95 {row["get_p95_ms"]} ms, RSS {row["rss_mib"]} MiB, errors '
                      f'{row["connect_errors_total"]}, dropped {row["disconnects_total"]}', flush=True)  # fmt: skip
            elif line.startswith(('# stopping', '  connect errors', '  disconnects')):
                print(f'    {side.name}: {line.strip()}', flush=True)
    pauses = side.gc_pauses()
    for row in rows:
        row['gc_ms'], row['gc_gen'] = longest_pause(pauses, row['window'])
    return rows


def longest_pause(pauses: list[tuple[float, int, float]], window: tuple[float, float]) -> tuple[float, int]:
    inside = [(ms, gen) for at, gen, ms in pauses if window[0] <= at <= window[1]]
    return max(inside, default=(0.0, -1))


def settle_rss(side: Deployment, seconds: float = 15.0) -> int:
    """RSS once the departed tabs' clients are gone (NiceGUI drops a client some seconds after its socket closes)."""
    time.sleep(seconds)
    return side.rss_kib()


def portal_env(database_url: str, port: int, base_url: str) -> dict[str, str]:
    return {
        'PORTAL_DEMO': 'true',
        'PORTAL_DATABASE_URL': database_url,
        'PORTAL_HOST': '127.0.0.1',
        'PORTAL_PORT': str(port),
        'PORTAL_BASE_URL': base_url,
        'PORTAL_GC_LOG': 'true',
        'PORTAL_ENV_FILE': '',
    }


def start_portal(database_url: str, folder: Path) -> Deployment:
    """One `python main.py`, reached directly."""
    port = free_port()
    env = portal_env(database_url, port, f'http://127.0.0.1:{port}')
    server = Server('portal', [sys.executable, 'main.py'], env, port, folder / 'portal.log', '/login')
    return Deployment('portal', [server], server.url, GC_LINE)


def start_behind_nginx(processes: int, database_url: str, redis_url: str, folder: Path, top: int) -> Deployment:
    """`processes` portal processes sharing the database and Redis, behind the shipped nginx site (deploy/nginx)."""
    from tests.support.proxy import Nginx

    https_port = free_port()
    env = {'PORTAL_REDIS_URL': redis_url, 'PORTAL_TRUSTED_PROXIES': '127.0.0.1'}
    servers: list[Server] = []
    name = f'{processes} process{"es" if processes > 1 else ""}'
    try:
        for n in range(processes):
            port = free_port()
            server_env = {**portal_env(database_url, port, f'https://127.0.0.1:{https_port}'), **env}
            log = folder / f'portal-{processes}-{n}.log'
            servers.append(Server(f'portal {n}', [sys.executable, 'main.py'], server_env, port, log, '/healthz'))
        # two connections per customer (theirs and the upstream one) and one per page load and hand-over
        nginx = Nginx(folder / f'nginx-{processes}', [server.port for server in servers], https_port, 3 * top + 512)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return Deployment(name, servers, nginx.url, GC_LINE, {'SSL_CERT_FILE': str(nginx.certificate)}, [nginx.stop])


class Postgres:
    """A database of the bench's own on a PostgreSQL server, dropped at `drop`."""

    def __init__(self, server: str) -> None:
        from tests.support.databases import run_on_server

        self.server, self.run = server.rstrip('/'), run_on_server
        self.name = f'bench_capacity_{uuid.uuid4().hex[:8]}'
        self.url = f'{self.server}/{self.name}'
        self.run(f'CREATE DATABASE {self.name}', self.server)

    def drop(self) -> None:
        self.run(f'DROP DATABASE IF EXISTS {self.name} WITH (FORCE)', self.server)


# ------------------------------------------------------------------------------------------------------------ report
def fmt(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return '—'
    return f'{value:.{digits}f}' if isinstance(value, float | int) else str(value)


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


def steps_of(rows: list[dict[str, Any]]) -> list[int]:
    return [row['target'] for row in rows]


def within_goals(row: dict[str, Any]) -> bool:
    """Every customer of the step in, and its clicks, page loads and sockets within the goals."""
    return (
        row['connected'] == row['target']
        and not row['connect_errors_total']
        and not row['disconnects_total']
        and row['p95_ms'] <= GOALS['p95_ms']
        and row['get_p95_ms'] <= GOALS['get_p95_ms']
    )


def report(sides: dict[str, list[dict]], bare: list[dict], churn: dict[str, Any] | None,
           base_rss: dict[str, int]) -> None:  # fmt: skip
    """The table of every step (the bare page's row first), the goals of each of our sides at each step, churn, and
    with two deployments the customers each held within the goals."""
    bare_by_step = {row['target']: row for row in bare}
    print(f'\nResults (load average now {_load()}; RSS per customer = (RSS − RSS at start) / connected, summed over '
          f'the processes; server CPU is the first process\'s)')  # fmt: skip
    head = ('| step | side | connected | click p50 / p95 / max ms | page p95 ms | failed loads | dropped | RSS MiB '
            '| KiB/customer | longest GC ms | server CPU % |')  # fmt: skip
    print(head)
    print('|' + '---|' * (head.count('|') - 1))
    for step in sorted({row['target'] for rows in sides.values() for row in rows}):
        by_side = [('bare', bare_by_step.get(step))] + [
            (name, next((row for row in rows if row['target'] == step), None)) for name, rows in sides.items()
        ]
        for side, r in by_side:
            if r is None:
                continue
            print(
                f'| {r["target"]} | {side} | {r["connected"]} | {fmt(r["p50_ms"], 1)} / {fmt(r["p95_ms"], 1)} / '
                f'{fmt(r["max_ms"])} | {fmt(r["get_p95_ms"])} | {r["connect_errors_total"]} | {r["disconnects_total"]} '
                f'| {fmt(r["rss_mib"])} | {fmt(r["kib"])} | {fmt(r["gc_ms"])} (gen{r["gc_gen"]}) '
                f'| {fmt(r["server_cpu_pct"])} |'
            )
    print('\nRSS at start: ' + ', '.join(f'{name} {rss // 1024} MiB' for name, rss in base_rss.items()))
    for name, rows in sides.items():
        print(f'\nRatios and goals at each step ({name} / bare in the same run)')
        for row in rows:
            b = bare_by_step.get(row['target'])
            kib_ratio = row['kib'] / b['kib'] if b and row['kib'] and b['kib'] else None
            p95_ratio = row['p95_ms'] / b['p95_ms'] if b and b['p95_ms'] else None
            all_in = row['connected'] == row['target']
            print(f'  {row["target"]} customers:')
            print(
                f'    RSS per customer {name}/bare {fmt(kib_ratio, 2)}  (goal ≤ {GOALS["kib_ratio"]}  '
                f'{mark(kib_ratio is not None and kib_ratio <= GOALS["kib_ratio"])}); '
                f'{fmt(row["kib"])} KiB (goal ≤ {GOALS["kib"]:.0f}  {mark((row["kib"] or 1e9) <= GOALS["kib"])})'
            )
            print(
                f'    click p95 {name}/bare {fmt(p95_ratio, 1)}; {fmt(row["p95_ms"], 1)} ms '
                f'(goal ≤ {GOALS["p95_ms"]:.0f}  {mark(row["p95_ms"] <= GOALS["p95_ms"])})'
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
            f'\nChurn at {churn["customers"]} ({churn["side"]}): RSS with them {churn["before"] // 1024} MiB; '
            f'all left: {churn["left"] // 1024} MiB; {churn["customers"]} others logged in: '
            f'{churn["after"] // 1024} MiB ({churn["connected"]} connected); '
            f'all left again: {churn["left_again"] // 1024} MiB'
        )
        print(
            f'  after/before {ratio:.2f} (goal ≤ {GOALS["churn"]}  {mark(ratio <= GOALS["churn"])}); longest GC '
            f'pause meanwhile {churn["gc_ms"]:.0f} ms (gen{churn["gc_gen"]})'
        )
    if len(sides) == 2:
        held = {
            name: max((row['target'] for row in rows if within_goals(row)), default=0) for name, rows in sides.items()
        }
        (one, one_held), (two, two_held) = held.items()
        ratio = two_held / one_held if one_held else None
        ok = ratio is not None and ratio >= GOALS['processes']
        more = '; the highest step was held: add steps' if two_held and two_held == max(steps_of(sides[two])) else ''
        print(
            f'\nCustomers held within the click, page-load and failure goals: {one} {one_held}, {two} {two_held}; '
            f'ratio {fmt(ratio, 2)} (goal ≥ {GOALS["processes"]}  {mark(ok)}{more})'
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
    parser.add_argument('--behind-nginx', action='store_true',
                        help='1, then 2 processes on PostgreSQL + Redis behind the shipped nginx site')  # fmt: skip
    parser.add_argument('--postgres', default=DEFAULT_POSTGRES, help=f'PostgreSQL server (default {DEFAULT_POSTGRES})')
    parser.add_argument('--load-tool', type=Path, default=DEFAULT_TOOL, help=f'load.py, bare_app.py ({DEFAULT_TOOL})')
    parser.add_argument('--load-python', default=sys.executable,
                        help='the interpreter for load.py (aiohttp, orjson, uvloop); default: this one')  # fmt: skip
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder (database, server logs)')
    args = parser.parse_args()
    if str(ROOT) not in sys.path:  # not at import: the load tool imports this file for `login` alone
        sys.path.insert(0, str(ROOT))
    steps = [int(x) for x in (FULL_STEPS if args.full else args.steps).split(',')]
    top = max(steps)
    # the load tool replaces a dropped customer with the next one: spares, so a step is not stuck on unknown logins
    cabinets = top * (1 if args.no_churn else 2) + top // 2
    folder = Path(tempfile.mkdtemp(prefix='bench-capacity-'))
    running: list[Deployment] = []
    cleanup: list[Callable[[], None]] = []
    try:
        print(f'bench/capacity.py: steps {steps}, hold {args.hold:.0f} s, PDF every {args.interval:.0f} s; '
              f'{os.cpu_count()} CPUs, load average {_load()}; files in {folder}', flush=True)  # fmt: skip
        t0 = time.monotonic()
        from services import config

        if args.behind_nginx:
            from tests.support.proxy import Redis

            database = Postgres(args.postgres)
            cleanup.append(database.drop)
            database_url = database.url
            redis = Redis(folder / 'redis')
            cleanup.append(redis.stop)
        else:
            database_url = f'sqlite://{folder}/portal.sqlite3'
        os.environ['PORTAL_ENV_FILE'] = ''  # nobody's .env: the settings below are the whole configuration
        config.load(demo=True, database_url=database_url)
        asyncio.run(seed(database_url, cabinets=cabinets, accounts=top))
        print(f'  seeded {top} accounts, {cabinets} cabinets in {time.monotonic() - t0:.0f} s', flush=True)

        bare: list[dict] = []
        base_rss: dict[str, int] = {}
        if not args.no_bare:
            port = free_port()
            server = Server('bare', [sys.executable, str(args.load_tool / 'bare_app.py')],
                            {'PORT': str(port), 'GC_LOG': '1'}, port, folder / 'bare.log', '/_stats')  # fmt: skip
            side = Deployment('bare', [server], server.url, BARE_GC_LINE)
            running.append(side)
            base_rss['bare'] = side.base_rss
            bare = run_tool(args, side, steps, ours=False, out=folder / 'bare.json')
            for row in bare:  # the tool's own figure: RSS before its first tab, not after our start-up wait
                row['kib'] = row['rss_per_client_kib']
            side.stop()
            running.remove(side)

        starts: list[Callable[[], Deployment]] = (
            [
                lambda: start_behind_nginx(1, database_url, redis.url, folder, top),
                lambda: start_behind_nginx(2, database_url, redis.url, folder, top),
            ]
            if args.behind_nginx
            else [lambda: start_portal(database_url, folder)]
        )
        sides: dict[str, list[dict]] = {}
        churn = None
        for start in starts:
            side = start()
            running.append(side)
            base_rss[side.name] = side.base_rss
            rows = sides[side.name] = run_tool(args, side, steps, ours=True, out=folder / f'{side.name}.json')
            if not args.no_churn and churn is None and rows and rows[-1]['target'] == top:
                churn = measure_churn(args, side, rows[-1], top, folder)
            side.stop()
            running.remove(side)
        report(sides, bare, churn, base_rss)
        print(f'\nwhole run {time.monotonic() - t0:.0f} s')
    except Exception as error:  # a measurement: report, never fail the caller
        print(f'bench/capacity.py: aborted: {type(error).__name__}: {error}', file=sys.stderr)
    finally:
        for side in running:
            side.stop()
        for step in reversed(cleanup):
            with contextlib.suppress(Exception):
                step()
        if args.keep:
            print(f'kept {folder}')
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def measure_churn(args: argparse.Namespace, side: Deployment, last: dict[str, Any], top: int,
                  folder: Path) -> dict[str, Any] | None:  # fmt: skip
    """Everybody leaves, as many other customers log in: the RSS with them against the RSS before."""
    before = int(last['rss_mib'] * 1024)
    left = settle_rss(side)
    print(f'  churn: all left, RSS {left // 1024} MiB; {top} other customers log in', flush=True)
    rows = run_tool(args, side, [top], ours=True, offset=top, out=folder / 'churn.json')
    if not rows:
        return None
    gc_ms, gc_gen = longest_pause(side.gc_pauses(), (last['window'][1], rows[-1]['window'][1]))
    return {
        'side': side.name,
        'customers': top,
        'before': before,
        'left': left,
        'after': int(rows[-1]['rss_mib'] * 1024),
        'connected': rows[-1]['connected'],
        'left_again': settle_rss(side),
        'gc_ms': gc_ms,
        'gc_gen': gc_gen,
    }


if __name__ == '__main__':
    sys.exit(main())
