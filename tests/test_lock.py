"""The lock files (requirements/*.txt) still satisfy pyproject.toml: an edited dependency without `make lock` fails."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import ROOT

PROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text(encoding='utf-8'))['project']
NEEDS = {
    'main.txt': PROJECT['dependencies'],
    'redis.txt': PROJECT['dependencies'] + PROJECT['optional-dependencies']['redis'],
    'test.txt': PROJECT['dependencies']
    + PROJECT['optional-dependencies']['test']
    + PROJECT['optional-dependencies']['redis'],
}


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / 'requirements' / lock).read_text(encoding='utf-8')
    return {canonicalize_name(name): version for name, version in re.findall(r'^([\w.\-]+)==(\S+)', text, re.M)}


@pytest.mark.parametrize('lock', NEEDS)
def test_the_lock_pins_every_dependency_within_its_range(lock: str):
    pinned = pins(lock)
    for line in NEEDS[lock]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f'{name} is not in requirements/{lock}: run `make lock`'
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f'requirements/{lock} pins {name}=={pinned[name]}, outside {requirement.specifier}: run `make lock`'
        )


def test_the_runtime_locks_run_what_the_tests_ran():
    tested = pins('test.txt')
    for lock in ('main.txt', 'redis.txt'):
        for name, version in pins(lock).items():
            assert tested.get(name, version) == version, f'{name}: {lock} {version}, test.txt {tested[name]}'
