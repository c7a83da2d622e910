"""The operator's command line, run as an operator runs it."""

from __future__ import annotations

from tests.support.commands import run_main as run
from tests.support.factories import registration_form


def test_help_lists_the_commands():
    done = run('--help')
    assert done.returncode == 0
    for command in ('import', 'demo', 'migrate', 'outbox', 'cabinet'):
        assert command in done.stdout


def test_refuses_to_start_with_the_placeholder_secret_outside_demo():
    done = run(PORTAL_STORAGE_SECRET='change-me')
    assert done.returncode == 2
    assert 'PORTAL_STORAGE_SECRET' in done.stderr


def test_cabinet_show_and_unlock():
    assert 'кабинет не найден' in run('cabinet', 'show', 'nobody').stdout
    done = run('cabinet', 'unlock', 'nobody')
    assert done.returncode == 0 and 'попытки входа сброшены' in done.stdout


async def test_cabinet_show_prints_state_contacts_and_events(db):
    from services.identity import registration

    await registration.register_by_login(registration_form(email='i@example.ru'), ip='10.0.0.7')
    out = run('cabinet', 'show', 'IVANOV').stdout
    assert 'pending' in out and 'i@example.ru' in out and 'registration' in out and '10.0.0.7' in out
