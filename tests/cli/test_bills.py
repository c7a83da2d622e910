"""`python main.py send-bills` and `bills-status` as an operator runs them: a real process, the real SMTP server, and
a SIGKILL in the middle of a dispatch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from models.billing import Account, Bill, BillLine, Region
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage
from services import clock
from services.billing import dispatch
from tests.support.factories import EMAIL, NUMBER, PERIOD, make_cabinet, subscriber
from tests.support.paths import ROOT
from tests.support.servers import REJECTED, REJECTED_MASKED
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures('db')

NBSP = '\u00a0'


async def run(*args: str, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, 'main.py', *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    return process.returncode, output.decode()


async def many_subscribers(count: int) -> list[str]:
    """`count` accounts, each with a bill of PERIOD and e-bill on at its own confirmed address."""
    now = clock.now()
    region = await Region.create(code='TVR', name='Тверь')
    cabinet = await make_cabinet('operator-test', EMAIL)
    numbers = [f'6910000{index:05d}' for index in range(count)]
    await Account.bulk_create(
        Account(number=number, region=region, surname='Петров', address='170100, г. Тверь, ул. Советская, д. 3')
        for number in numbers
    )
    accounts = dict(await Account.filter(number__in=numbers).values_list('number', 'id'))
    amounts = {number: Decimal(f'{1000 + index}.50') for index, number in enumerate(numbers)}
    await Bill.bulk_create(
        Bill(account_id=accounts[number], period=PERIOD, amount_due=amounts[number], due_date=date(2026, 11, 10))
        for number in numbers
    )
    bills = dict(await Bill.filter(period=PERIOD).values_list('account_id', 'id'))
    await BillLine.bulk_create(
        BillLine(
            bill_id=bills[accounts[number]],
            position=1,
            service='Электроэнергия',
            kwh=Decimal(100),
            tariff=Decimal('6.12'),
            amount=amounts[number],
        )
        for number in numbers
    )
    await EBill.bulk_create(
        EBill(
            account_id=accounts[number],
            cabinet=cabinet,
            email=f'{number}@example.ru',
            enabled=True,
            email_confirmed_at=now,
            updated_at=now,
        )
        for number in numbers
    )
    return numbers


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux)."""
    tasks = Path(f'/proc/{pid}/task').iterdir()
    return [int(child) for task in tasks for child in (task / 'children').read_text().split()]


def attachment_name(message) -> str:
    [attachment] = list(message.iter_attachments())
    return attachment.get_filename()


def test_help_lists_the_bill_commands():
    done = subprocess.run([sys.executable, 'main.py', '--help'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert 'send-bills' in done.stdout and 'bills-status' in done.stdout


async def test_send_bills_delivers_reports_and_fails_on_a_rejection(mailbox):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'dacha@example.ru')
    await subscriber(cabinet, '461000000003', 'nobody@example.ru')
    await subscriber(cabinet, '461000000004', 'off@example.ru', enabled=False)

    code, output = await run('send-bills', PERIOD)

    assert code == 1, output  # a bill failed
    assert 'Поставлено в очередь: 3; уже были поставлены раньше: 0.' in output
    assert 'Итог за октябрь 2026: отправлено 2, пропущено 1, не доставлено 1.' in output
    assert 'нет счёта за период — 0, адрес не подтверждён — 0, отключены — 1.' in output
    assert f'461000000003 n***@example.ru: recipient refused: {REJECTED_MASKED}' in output
    assert 'send-bills 2026-10: sent 2, skipped 1, failed 1' in output  # the log has the summary too
    assert sorted(m['To'] for m in mailbox.messages) == ['dacha@example.ru', EMAIL]
    assert (await EBill.get(email='nobody@example.ru')).bounces == 1

    code, output = await run('bills-status', PERIOD)

    assert code == 0, output
    lines = output.splitlines()
    assert 'Квитанции за октябрь 2026 (2026-10): всего 3' in lines
    counts = {line.rsplit(maxsplit=1)[0].strip(): line.rsplit(maxsplit=1)[1] for line in lines if line[:2] == '  '}
    assert counts['ожидают отправки'] == '0'
    assert counts['отправлены'] == '2'
    assert counts['не доставлены'] == '1'
    assert f'  461000000003 n***@example.ru: recipient refused: {REJECTED_MASKED}' in lines

    code, output = await run('send-bills', PERIOD)  # again: nothing new, and the failure still shows

    assert code == 1, output
    assert 'Поставлено в очередь: 0; уже были поставлены раньше: 3.' in output
    assert len(mailbox.messages) == 2


async def test_bills_status_tells_what_a_run_would_still_queue(mailbox):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)

    code, output = await run('bills-status', PERIOD)

    assert code == 0, output
    assert 'Квитанции за октябрь 2026 (2026-10): всего 0' in output
    assert 'Ещё не поставлены в очередь: 1 — запустите send-bills 2026-10.' in output


async def test_a_dry_run_prints_the_bills_and_writes_and_sends_nothing(mailbox):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'waiting@example.ru', confirmed=False)

    code, output = await run('send-bills', PERIOD, '--dry-run')

    assert code == 0, output
    assert 'квитанции за октябрь 2026, которые были бы отправлены (1):' in output
    [row] = [line for line in output.splitlines() if NUMBER in line]
    assert [part for part in row.split(' ') if part] == [
        NUMBER,
        's***@example.ru',
        f'1{NBSP}756,05{NBSP}₽',
        '10.11.2026',
    ]
    assert 'адрес не подтверждён — 1' in output
    assert 'ничего не записано и не отправлено' in output
    assert await BillDelivery.all().count() == 0
    assert await OutboxMessage.all().count() == 0
    assert mailbox.messages == []


async def test_a_separate_outbox_worker_process_sends_the_bills_the_server_queued(mailbox):
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await dispatch.dispatch(PERIOD)  # as the server's monthly run queues them

    code, output = await run('outbox', 'deliver')

    assert code == 0, output
    [mail] = mailbox.to(EMAIL)
    assert attachment_name(mail) == f'schet-{NUMBER}-{PERIOD}.pdf'
    assert (await BillDelivery.get().select_related('message')).message.state == 'sent'


@pytest.mark.parametrize('command', ['send-bills', 'bills-status'])
async def test_a_period_that_is_not_a_month_is_refused(command):
    code, output = await run(command, '2026-13')
    assert code == 2
    assert 'Период указывается как ГГГГ-ММ, например 2026-10, а указано «2026-13»' in output


async def test_a_dispatch_killed_midway_and_run_again_delivers_every_bill_within_the_duplicate_bound(mailbox):
    numbers = await many_subscribers(300)
    # a short lease: the messages the killed run held come back in seconds, not the default 5 minutes
    env = {**os.environ, 'PORTAL_OUTBOX_LEASE_SECONDS': '3', 'PORTAL_BILL_CONNECTIONS': '4'}
    process = await asyncio.create_subprocess_exec(
        sys.executable, 'main.py', 'send-bills', PERIOD, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await eventually(lambda: len(mailbox.messages) >= 30, within=120, what='the first bills at the SMTP server')
        workers = children(process.pid)  # the processes building the emails
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    at_kill = len(mailbox.messages)
    assert at_kill < len(numbers), 'the run finished before the kill: nothing was tested'
    assert workers
    await eventually(lambda: not any(Path(f'/proc/{pid}').exists() for pid in workers), within=30,
                     what='the worker processes of the killed run to end')  # fmt: skip

    code, output = await run('send-bills', PERIOD, **env)

    assert code == 0, output
    assert 'Поставлено в очередь: 0; уже были поставлены раньше: 300.' in output
    assert 'Итог за октябрь 2026: отправлено 300, пропущено 0, не доставлено 0.' in output
    per_account = Counter(attachment_name(message) for message in mailbox.messages)
    assert set(per_account) == {f'schet-{number}-{PERIOD}.pdf' for number in numbers}
    per_message = Counter(message['Message-ID'] for message in mailbox.messages)
    duplicates = len(mailbox.messages) - len(per_message)
    assert duplicates <= 4, f'{duplicates} bills sent twice; at most one per SMTP connection may be'
    assert sum(per_account.values()) - len(per_account) == duplicates  # a copy is the same message, resent
    assert await BillDelivery.filter(message__state='sent').count() == 300
    print(f'killed after {at_kill} of 300 bills; {duplicates} sent twice')
