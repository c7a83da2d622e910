"""`python main.py staff add|list|reissue` as an operator runs them, in Russian and in English."""

from __future__ import annotations

import re

from models.staff import Staff, StaffRole
from services.staff import enrolment
from tests.support.commands import run_main as run
from tests.support.staff import token_of

RUSSIAN = {'LC_ALL': 'ru_RU.UTF-8'}
ENGLISH = {'LC_ALL': 'en_US.UTF-8'}
LINK = re.compile(r'^http://portal\.test/staff/enrol\?token=[\w-]{43}$', re.M)


async def test_staff_add_prints_the_one_time_link_of_the_new_staff_member(db):
    done = run('staff', 'add', 'Chief', '--role', 'admin', **RUSSIAN)
    assert done.returncode == 0, done.stderr
    assert 'Сотрудник chief добавлен, роль: Администратор.' in done.stdout
    assert 'работает один раз в течение 72 ч' in done.stdout
    link = LINK.search(done.stdout).group(0)
    assert (await enrolment.open_enrolment(token_of(link))).login == 'chief'
    assert (await Staff.get(login='chief')).role == StaffRole.ADMIN


async def test_staff_add_refuses_a_taken_or_malformed_login_and_an_unknown_role(db):
    run('staff', 'add', 'chief', '--role', 'admin')
    taken = run('staff', 'add', 'CHIEF', '--role', 'viewer', **RUSSIAN)
    assert taken.returncode == 1 and 'Сотрудник с логином chief уже есть' in taken.stderr
    assert not LINK.search(taken.stdout)
    malformed = run('staff', 'add', 'иван', '--role', 'viewer', **ENGLISH)
    assert malformed.returncode == 1 and 'A login has 2 to 32 characters' in malformed.stderr
    unknown = run('staff', 'add', 'anna', '--role', 'root')
    assert unknown.returncode == 2 and 'root' in unknown.stderr
    assert await Staff.all().values_list('login', flat=True) == ['chief']


async def test_staff_list_shows_roles_and_states(db):
    assert 'Сотрудников пока нет' in run('staff', 'list', **RUSSIAN).stdout
    run('staff', 'add', 'chief', '--role', 'admin')
    run('staff', 'add', 'anna', '--role', 'viewer')
    out = run('staff', 'list', **ENGLISH).stdout.splitlines()
    assert [line.split()[:2] for line in out] == [['anna', 'viewer'], ['chief', 'admin']]
    assert all(line.endswith('enrolment link sent') for line in out)


async def test_staff_reissue_gives_a_new_link_and_the_old_one_dies(db):
    first = LINK.search(run('staff', 'add', 'chief', '--role', 'admin').stdout).group(0)
    done = run('staff', 'reissue', 'chief', **ENGLISH)
    assert done.returncode == 0 and 'A new link for chief' in done.stdout
    second = LINK.search(done.stdout).group(0)
    assert second != first
    assert (await enrolment.open_enrolment(token_of(second))).login == 'chief'
    nobody = run('staff', 'reissue', 'nobody', **RUSSIAN)
    assert nobody.returncode == 1 and 'Сотрудника с логином nobody нет' in nobody.stderr


def test_staff_help_names_the_actions():
    done = run('staff', '--help', **RUSSIAN)
    assert done.returncode == 0
    for action in ('add', 'list', 'reissue'):
        assert action in done.stdout
