"""Issue 11, item 10: a production portal must not start with demo-grade defaults — the console SMS provider (codes
in the log, nothing sent), no SMTP host (no mail at all) — and `python main.py demo` loads nothing outside demo mode.
Run as an operator runs them: `python main.py` in a subprocess, refused with exit code 2 and a sentence on stderr."""

from __future__ import annotations

import pytest

from models.billing import Account
from services import config
from tests.support.commands import run_main as run
from tests.support.settings import configure


@pytest.mark.parametrize('command', [(), ('serve',), ('demo',), ('migrate',)])
def test_console_sms_is_refused_outside_demo_mode(command):
    done = run(*command, PORTAL_SMS_PROVIDER='console')
    assert done.returncode == 2, done.stdout + done.stderr
    assert 'PORTAL_SMS_PROVIDER=console' in done.stderr
    assert 'PORTAL_DEMO=true' in done.stderr
    assert 'Traceback' not in done.stderr


@pytest.mark.parametrize('host', ['', '   '])
def test_an_empty_smtp_host_is_refused_outside_demo_mode(host):
    done = run(PORTAL_SMTP_HOST=host)
    assert done.returncode == 2, done.stdout + done.stderr
    assert 'PORTAL_SMTP_HOST is not set' in done.stderr
    assert 'Traceback' not in done.stderr


def test_demo_mode_keeps_the_newcomers_defaults(monkeypatch):
    settings = configure(monkeypatch, demo='true', sms_provider='console', smtp_host='')
    assert (settings.sms_provider, settings.smtp_host) == ('console', '')
    monkeypatch.delenv('PORTAL_DEMO')
    with pytest.raises(ValueError, match='PORTAL_SMS_PROVIDER=console'):
        config.load()


async def test_demo_data_is_refused_outside_demo_mode_in_the_operators_language(db):
    # a production configuration in every other respect: real SMTP, an SMS webhook, a real secret
    russian = run('demo', LC_ALL='ru_RU.UTF-8')
    english = run('demo', LC_ALL='en_US.UTF-8')

    assert russian.returncode == english.returncode == 2
    assert 'только в демо-режиме' in russian.stderr and 'PORTAL_DEMO=true' in russian.stderr
    assert 'only in demo mode' in english.stderr
    assert await Account.all().count() == 0  # nothing was imported
