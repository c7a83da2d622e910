"""docs/operator.md names every command and every setting the code has, so an operator can trust it."""

from __future__ import annotations

import cli
from services.config import Settings
from tests.support.paths import ROOT

OPERATOR_GUIDE = (ROOT / 'docs' / 'operator.md').read_text(encoding='utf-8')


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f'`PORTAL_{name.upper()}`' in OPERATOR_GUIDE, name


def test_every_command_is_documented():
    commands = cli.parser()._subparsers._group_actions[0].choices
    for command in commands:
        assert f'`python main.py {command}' in OPERATOR_GUIDE, command
