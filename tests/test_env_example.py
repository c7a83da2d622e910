""".env.example and the README's settings reference name every setting the code has, as the code defines it."""

from __future__ import annotations

import os
import re

import pytest

from scripts import env_example
from services.config import Settings
from tests.support.paths import ROOT

README = (ROOT / 'README.md').read_text(encoding='utf-8')


def test_env_example_is_current():
    committed = (ROOT / '.env.example').read_text(encoding='utf-8')
    assert committed == env_example.render(), 'run `python -m scripts.env_example` and commit .env.example'


def test_every_setting_has_a_description():
    # a setting without one would reach .env.example (and an operator) unexplained
    assert set(env_example.descriptions()) == set(Settings.model_fields)


def test_a_setting_without_a_description_is_refused():
    class Undocumented(Settings):
        #: described
        described: int = 1
        bare: int = 2

    with pytest.raises(env_example.MissingDescription, match='PORTAL_BARE'):
        env_example.descriptions(Undocumented)


def test_the_defaults_written_read_back_as_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path):
    # the file uncommented whole must change nothing: each default is written the way PORTAL_* parses it
    for name in [name for name in os.environ if name.startswith('PORTAL_')]:
        monkeypatch.delenv(name)
    # but for the settings unset by default, whose line says to keep it commented out
    unset = {f'PORTAL_{name.upper()}' for name in env_example.unset_by_default()}
    lines = env_example.render().splitlines()
    text = '\n'.join(
        line[2:] if line.startswith('# PORTAL_') and line[2:].split('=')[0] not in unset else line for line in lines
    )
    env_file = tmp_path / '.env'
    env_file.write_text(text, encoding='utf-8')
    # demo mode: the defaults' placeholder secret, console SMS and empty SMTP host are refused outside it
    from_file = Settings(_env_file=env_file, demo=True)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None, demo=True)  # type: ignore[call-arg]
    assert from_file.model_dump() == defaults.model_dump()


def test_every_setting_is_in_the_readme_reference():
    reference = README.split('\n## Settings\n', 1)[1].split('\n## ', 1)[0]
    named = set(re.findall(r'`(PORTAL_[A-Z0-9_]+)`', reference))
    settings = {f'PORTAL_{name.upper()}' for name in Settings.model_fields}
    assert settings - named == set(), 'settings missing from the README'
    # a renamed or removed setting must leave the README too; PORTAL_ENV_FILE is read before the settings are
    assert named - settings == {'PORTAL_ENV_FILE'}
