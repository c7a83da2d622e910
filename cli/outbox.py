"""`python main.py outbox status|deliver|work`: the mail/SMS outbox's counts, one delivery pass, or the worker alone."""

from __future__ import annotations

import argparse
import asyncio
import signal

from cli import database
from services.texts import t, tn


def add_parsers(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser('outbox', help=t('cli.help.outbox'))
    command.add_argument('action', choices=['status', 'deliver', 'work'], help=t('cli.help.outbox_action'))
    command.set_defaults(func=_outbox)


def _outbox(args: argparse.Namespace) -> int:
    actions = {'status': _print_status, 'deliver': _deliver, 'work': _work_until_signal}
    return database.run(actions[args.action])


async def _deliver() -> int:
    from services.messaging import outbox

    print(t('cli.outbox.handled', count=await outbox.deliver_all_due()))
    return await _print_status()


async def _work_until_signal() -> int:
    """The worker in the foreground until Ctrl+C or SIGTERM (systemd stop), then a clean stop."""
    from services.messaging import outbox

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    worker = outbox.OutboxWorker()
    worker.start()
    print(t('cli.outbox.working'), flush=True)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await worker.stop()
    print(t('cli.outbox.stopped'))
    return 0


async def _print_status() -> int:
    from services.messaging.outbox.status import CHANNELS, STATES, read_status

    status = await read_status()
    print(t('cli.outbox.by_channel'))
    print(f'  {t("cli.outbox.channel"):<6}' + ''.join(f'{t(f"cli.outbox.state.{state}"):>15}' for state in STATES))
    for channel in CHANNELS:
        print(f'  {channel:<6}' + ''.join(f'{status.count(channel, state):>15}' for state in STATES))
    if (oldest := status.oldest_pending) is None:
        print(t('cli.outbox.none_pending'))
    else:
        line = t(
            'cli.outbox.oldest_pending',
            id=oldest.id,
            channel=oldest.channel,
            recipient=oldest.recipient,
            created=f'{oldest.created_at:%Y-%m-%d %H:%M}',
            attempts=tn('cli.outbox.attempts', oldest.attempts),
            next=f'{oldest.next_attempt_at:%Y-%m-%d %H:%M:%S}',
        )
        print(line + (t('cli.outbox.last_error', error=oldest.last_error) if oldest.last_error else ''))
    if status.recent_failed:
        print(t('cli.outbox.recent_failed'))
        for message in status.recent_failed:
            print(f'  #{message.id} {message.channel} {message.recipient}: {message.last_error}')
    return 0
