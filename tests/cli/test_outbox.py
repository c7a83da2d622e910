"""`python main.py outbox status|deliver|work` as an operator runs it, against the test's database and servers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from models.outbox import OutboxMessage, OutboxState
from services.messaging import outbox
from tests.support.paths import ROOT
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures('db')

PHONE = '+79001234567'
NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


async def run_cli(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, 'main.py', 'outbox', *args, cwd=ROOT, env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, output.decode()


async def test_cli_status_shows_counts_and_the_oldest_pending(mailbox, sms):
    await outbox.send_sms(PHONE, 'Код: 123456')
    await outbox.deliver_due()
    oldest = await outbox.send_email('ivanov@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    await outbox.send_email('petrov@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    code, output = await run_cli('status')

    assert code == 0, output
    lines = output.splitlines()
    assert next(line for line in lines if line.strip().startswith('email')).split() == ['email', '2', '0', '0', '0']
    assert next(line for line in lines if line.strip().startswith('sms')).split() == ['sms', '0', '0', '1', '0']
    assert f'Самое старое ожидающее: #{oldest.id} email i***@example.ru' in output
    assert 'ivanov@example.ru' not in output  # recipients are masked


async def test_cli_deliver_sends_everything_due(mailbox):
    await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    await outbox.send_email('b@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    code, output = await run_cli('deliver')

    assert code == 0, output
    assert 'Обработано сообщений: 2.' in output
    assert sorted(m['To'] for m in mailbox.messages) == ['a@example.ru', 'b@example.ru']
    assert await OutboxMessage.filter(state=OutboxState.SENT).count() == 2


async def test_cli_work_delivers_and_stops_cleanly_on_ctrl_c(mailbox):
    await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    process = await asyncio.create_subprocess_exec(
        sys.executable, 'main.py', 'outbox', 'work', cwd=ROOT, env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await eventually(lambda: mailbox.to('a@example.ru'), within=30, what='delivery by `outbox work`')
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    assert 'Отправка сообщений остановлена.' in output.decode()
