"""The monthly e-bill dispatch at a big utility's size: 100,000 subscribed accounts, SQLite, a local SMTP sink.

    .venv/bin/python bench/dispatch.py [--accounts N] [--raw M] [--pdfs P]

A measurement, not a test: it always exits 0. It fills a fresh migrated database with N accounts, each with a
two-line bill of one period, a cabinet and a confirmed e-bill subscription (plain sqlite3, not timed), starts an
aiosmtpd server that accepts and discards every message (in a process of its own), then in the same run:
  ours   `python main.py send-bills PERIOD` as the operator runs it: queues every bill, renders each PDF, builds
         each email and delivers over PORTAL_BILL_CONNECTIONS connections, recording every outcome; bills/s from
         the start of the command to its exit; goals: ≥ 0.5 × raw, and N = 100,000 within 10 minutes;
  raw    aiosmtplib alone sending M ready-made messages of the same average size to the same sink over the same
         number of connections (what the SMTP path can carry on this machine, with nothing else to do), M/2 before
         ours and M after: the ratio is against the mean, as a shared box's speed drifts over minutes;
  pdfs   `services.billing.bill_pdf.render_bill` P times in this process, one core: PDFs/s on its own.
The sink counts what arrives, so the run also checks that every bill went out exactly once. The temporary directory
is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RATIO_GOAL = 0.5
#: what a bill email weighs (the raw run before ours cannot know the measured average yet)
ESTIMATED_SIZE = 43 * 1024
MINUTES_GOAL = 10.0
FULL_SIZE = 100_000
PERIOD = '2026-10'
REGIONS = (('KRS', 'Курск'), ('MRM', 'Мурманск'), ('SML', 'Смоленск'), ('TVR', 'Тверь'), ('NNV', 'Нижний Новгород'))


def mark(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


# --- the sink -----------------------------------------------------------------------------------------------------


def _sink(port: int, ready: Any, count: Any, size: Any, cpu: Any) -> None:
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
                size.value += len(envelope.content)
                cpu.value = time.process_time()
            return '250 OK'

    controller = Controller(Discard(), hostname='127.0.0.1', port=port, data_size_limit=0)
    controller.start()
    ready.set()
    threading.Event().wait()


class Sink:
    """An SMTP server in its own process that accepts everything and keeps only counts."""

    def __init__(self) -> None:
        from tests.support.servers import free_port

        self.port = free_port()
        context = multiprocessing.get_context('spawn')
        ready = context.Event()
        self._count, self._size, self._cpu = context.Value('q', 0), context.Value('q', 0), context.Value('d', 0.0)
        self._process = context.Process(
            target=_sink, args=(self.port, ready, self._count, self._size, self._cpu), daemon=True
        )
        self._taken_cpu = 0.0
        self._process.start()
        if not ready.wait(120):
            self._process.terminate()
            raise SystemExit('the SMTP sink did not start')

    def take(self) -> tuple[int, int, float]:
        """(messages, bytes, CPU seconds of the sink) since the last call."""
        with self._count.get_lock():
            taken = self._count.value, self._size.value, self._cpu.value - self._taken_cpu
            self._count.value = self._size.value = 0
            self._taken_cpu = self._cpu.value
        return taken

    def stop(self) -> None:
        self._process.terminate()


# --- the data -----------------------------------------------------------------------------------------------------


def fill(database: Path, accounts: int) -> None:
    """N accounts with a bill of PERIOD, each its own cabinet with a confirmed e-bill subscription."""
    now = datetime.now(UTC).isoformat(sep=' ')
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute('BEGIN')
    connection.executemany('INSERT INTO region (code, name) VALUES (?, ?)', REGIONS)
    connection.executemany(
        'INSERT INTO account (id, number, surname, address, email, region_id) VALUES (?, ?, ?, ?, NULL, ?)',
        (
            (i, f'{46 + i % 5}{i:010d}', 'Семёнов', f'305000, г. Курск, ул. Ленина, д. {i % 120 + 1}, кв. {i % 300}',
             i % 5 + 1)
            for i in range(1, accounts + 1)
        ),
    )  # fmt: skip
    connection.executemany(
        'INSERT INTO bill (id, account_id, period, amount_due, due_date) VALUES (?, ?, ?, ?, ?)',
        ((i, i, PERIOD, str(Decimal(1407 + i % 900) + Decimal('0.05')), '2026-11-10') for i in range(1, accounts + 1)),
    )
    connection.executemany(
        'INSERT INTO bill_line (bill_id, position, service, kwh, tariff, amount) VALUES (?, ?, ?, ?, ?, ?)',
        (
            row
            for i in range(1, accounts + 1)
            for row in (
                (i, 1, 'Электроэнергия (день)', '230', '6.1200', f'{1058.60 + i % 900:.2f}'),
                (i, 2, 'Электроэнергия (ночь)', '101', '3.4500', '348.45'),
            )
        ),
    )
    connection.executemany(
        'INSERT INTO cabinet (id, login, login_key, password_hash, email, email_confirmed_at, state, created_at, '
        "password_changed_at) VALUES (?, ?, ?, 'not-used', ?, ?, 'active', ?, ?)",
        ((i, f'c{i}', f'c{i}', f'client{i}@example.com', now, now, now) for i in range(1, accounts + 1)),
    )
    connection.executemany(
        "INSERT INTO link (cabinet_id, account_id, proof, linked_at) VALUES (?, ?, 'payment', ?)",
        ((i, i, now) for i in range(1, accounts + 1)),
    )
    connection.executemany(
        'INSERT INTO ebill (account_id, cabinet_id, email, enabled, email_confirmed_at, bounces, last_bounce, '
        "updated_at) VALUES (?, ?, ?, 1, ?, 0, '', ?)",
        ((i, i, f'client{i}@example.com', now, now) for i in range(1, accounts + 1)),
    )
    connection.execute('COMMIT')
    connection.close()


# --- ours ---------------------------------------------------------------------------------------------------------


def run_ours(env: dict[str, str]) -> tuple[float, float, float, str]:
    """(seconds, CPU seconds, peak RSS MB of the command, its output) of `python main.py send-bills PERIOD`; CPU
    and RSS are the command's own and those of its worker processes."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, 'main.py', 'send-bills', PERIOD], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = process.stdout.read() if process.stdout else ''
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        print(output)
        raise SystemExit(f'send-bills exited with {os.waitstatus_to_exitcode(status)}')
    # the workers are the command's children: reaped by it, they count in its children's usage, which it passes on
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    workers = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime - cpu
    return seconds, cpu + max(workers, 0.0), usage.ru_maxrss / 1024, output


# --- raw ----------------------------------------------------------------------------------------------------------


async def run_raw(port: int, messages: int, size: int, connections: int) -> float:
    """Seconds for aiosmtplib to send `messages` of `size` bytes over `connections` connections."""
    import aiosmtplib

    head = b'From: bench@example.com\r\nTo: client@example.com\r\nSubject: bench\r\n\r\n'
    line = b'A' * 76 + b'\r\n'
    body = head + line * max((size - len(head)) // len(line), 1)
    todo = iter(range(messages))

    async def lane() -> None:
        smtp = aiosmtplib.SMTP(hostname='127.0.0.1', port=port)
        await smtp.connect()
        for index in todo:
            await smtp.sendmail('bench@example.com', [f'client{index}@example.com'], body)
        await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(connections)))
    return time.perf_counter() - started


def measure_raw(sink: Sink, messages: int, size: int, connections: int, when: str) -> float:
    """Messages/s of `run_raw`, printed with its CPU per message."""
    sink.take()
    started = time.process_time()
    seconds = asyncio.run(run_raw(sink.port, messages, size, connections))
    cpu = time.process_time() - started
    received, _, sink_cpu = sink.take()
    rate = received / seconds
    print(f'raw   aiosmtplib ({when} ours): {received:,} messages of {size / 1024:.1f} KB over {connections} '
          f'connections in {seconds:.1f} s → {rate:.0f} messages/s')  # fmt: skip
    print(f'      CPU per message: {cpu / received * 1000:.1f} ms in aiosmtplib, '
          f'{sink_cpu / received * 1000:.1f} ms in the SMTP sink')  # fmt: skip
    return rate


# --- pdfs ---------------------------------------------------------------------------------------------------------


def run_pdfs(count: int) -> float:
    """PDFs/s of render_bill on one core (after the first, which loads the font)."""
    from services.billing.bill_pdf import render_bill

    def one(index: int) -> bytes:
        return render_bill(
            brand='Энергосбыт', account_number=f'46{index:010d}', holder='Семёнов',
            address='305000, г. Курск, ул. Ленина, д. 5, кв. 12', region='Курск', period=PERIOD,
            lines=[('Электроэнергия (день)', Decimal(230), Decimal('6.12'), Decimal(f'{1058 + index % 900}.60')),
                   ('Электроэнергия (ночь)', Decimal(101), Decimal('3.45'), Decimal('348.45'))],
            amount_due=Decimal(f'{1407 + index % 900}.05'), due_date=date(2026, 11, 10),
        )  # fmt: skip

    one(0)
    started = time.perf_counter()
    for index in range(count):
        one(index)
    return count / (time.perf_counter() - started)


# --- the run ------------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path) -> None:
    database = folder / 'bench.sqlite3'
    env = {
        **os.environ,
        'PORTAL_DATABASE_URL': f'sqlite://{database}',
        'PORTAL_STORAGE_SECRET': secrets.token_urlsafe(32),
        'PORTAL_LOG_LEVEL': 'WARNING',
    }
    subprocess.run([sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, check=True, capture_output=True)
    started = time.perf_counter()
    fill(database, args.accounts)
    written = time.perf_counter() - started
    print(f'{args.accounts:,} subscribed accounts with a bill of {PERIOD} written in {written:.0f} s')

    sink = Sink()
    try:
        env |= {'PORTAL_SMTP_HOST': '127.0.0.1', 'PORTAL_SMTP_PORT': str(sink.port)}
        connections = int(env.get('PORTAL_BILL_CONNECTIONS', '4'))
        # raw before and after ours: a shared box's speed drifts over minutes, the ratio takes the mean of the two
        rates = [measure_raw(sink, args.raw // 2, ESTIMATED_SIZE, connections, 'before')]
        seconds, cpu, rss, output = run_ours(env)
        received, size, sink_cpu = sink.take()
        average = size // max(received, 1)
        rate = args.accounts / seconds
        print(f'ours  send-bills: {args.accounts:,} bills in {seconds:.1f} s → {rate:.0f} bills/s; '
              f'peak RSS {rss:.0f} MB; average message {average / 1024:.1f} KB')  # fmt: skip
        print(f'      CPU per bill: {cpu / args.accounts * 1000:.1f} ms in send-bills and its workers, '
              f'{sink_cpu / max(received, 1) * 1000:.1f} ms in the SMTP sink')  # fmt: skip
        print(''.join(f'      | {line}\n' for line in output.strip().splitlines()[-3:]), end='')
        once = received == args.accounts
        print(f'      the sink received {received:,} messages for {args.accounts:,} bills: {mark(once)} (exactly once)')

        rates.append(measure_raw(sink, args.raw, average, connections, 'after'))
        raw_rate = sum(rates) / len(rates)
    finally:
        sink.stop()

    pdfs = run_pdfs(args.pdfs)
    print(f'pdfs  render_bill: {pdfs:.0f} PDFs/s on one core')

    ratio = rate / raw_rate
    print(f'raw   mean of before and after: {raw_rate:.0f} messages/s')
    projected = FULL_SIZE / rate / 60
    print()
    print(f'ratio ours/raw {ratio:.3f} (goal ≥ {RATIO_GOAL}): {mark(ratio >= RATIO_GOAL)}')
    goal = f'(goal ≤ {MINUTES_GOAL:.0f}): {mark(projected <= MINUTES_GOAL)}'
    print(f'100,000 bills at this rate: {projected:.1f} min {goal}'
          + ('' if args.accounts == FULL_SIZE else f' — projected from {args.accounts:,}'))  # fmt: skip
    print(f'load average during the run: {os.getloadavg()[0]:.1f} (2 cores: other work skews both sides)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--accounts', type=int, default=FULL_SIZE, help='subscribed accounts (default 100,000)')
    parser.add_argument('--raw', type=int, default=20_000, help='messages the raw sender sends (default 20,000)')
    parser.add_argument('--pdfs', type=int, default=500, help='PDFs rendered for the PDFs/s figure (default 500)')
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix='bench-dispatch-'))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
