"""Writes .env.example from services.config.Settings: every PORTAL_* setting, commented out, with its default and
the `#:` comment above its field (python -m scripts.env_example; tests/test_env_example.py keeps the two in step)."""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path

from pydantic_settings import BaseSettings

from services.config import Settings

TARGET = Path(__file__).resolve().parents[1] / '.env.example'
HEADER = """\
# Every setting of the portal with its default, commented out; docs/operator.md explains each one. Copy this file to
# .env and set what you need: outside demo mode at least PORTAL_STORAGE_SECRET, PORTAL_BASE_URL, PORTAL_SMTP_HOST and
# the SMS ones. The environment wins over the file; PORTAL_ENV_FILE names another file.
# Written by `python -m scripts.env_example` from services/config.py: change the settings there, not here.
"""
# what dotenv reads the same unquoted; anything else (a #, spaces, quotes) goes in single quotes, which it takes as is
_PLAIN = re.compile(r'[\w.:/@,+\-\[\]]*')


class MissingDescription(ValueError):
    """A setting whose field has neither a `#:` comment nor Field(description=...)."""


def descriptions(settings: type[BaseSettings] = Settings) -> dict[str, str]:
    """Each field's description: Field(description=...), else its `#:` comment lines right above it."""
    found = {}
    for klass in settings.__mro__[: settings.__mro__.index(BaseSettings)]:
        lines = textwrap.dedent(inspect.getsource(klass)).splitlines()
        for node in ast.parse('\n'.join(lines)).body[0].body:  # type: ignore[attr-defined]
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            comment: list[str] = []
            row = node.lineno - 2  # the line above the field, 0-based
            while row >= 0 and lines[row].strip().startswith('#:'):
                comment.insert(0, lines[row].strip().removeprefix('#:').strip())
                row -= 1
            found.setdefault(node.target.id, ' '.join(comment))
    for name, field in settings.model_fields.items():
        description = field.description or found.get(name, '')
        if not description:
            raise MissingDescription(
                f'PORTAL_{name.upper()} has no description: add a `#:` comment above `{name}` in services/config.py'
            )
        found[name] = description
    return {name: found[name] for name in settings.model_fields}


def env_value(value: object) -> str:
    """A default as PORTAL_* takes it: lists as JSON, the trusted proxies comma-separated, nothing for none."""
    if value is None:
        text = ''
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, list):
        text = json.dumps(value)
    elif isinstance(value, tuple):
        text = ', '.join(map(str, value))
    else:
        text = str(value)
    return text if _PLAIN.fullmatch(text) else "'" + text.replace("'", '') + "'"


def unset_by_default() -> set[str]:
    """The settings that are unset by default and refuse an empty value: their line must stay commented out."""
    names = set()
    for name, field in Settings.model_fields.items():
        if field.get_default(call_default_factory=True) is None:
            try:
                Settings(_env_file=None, demo=True, **{name: ''})  # type: ignore[call-arg]
            except ValueError:
                names.add(name)
    return names


def render() -> str:
    blocks = [HEADER]
    unset = unset_by_default()
    for name, description in descriptions().items():
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        if name in unset:
            description += '; unset by default: give it a value or leave the line commented out'
        comment = textwrap.fill(description, width=120, initial_indent='# ', subsequent_indent='# ')
        blocks.append(f'{comment}\n# PORTAL_{name.upper()}={env_value(default)}\n')
    return '\n'.join(blocks)


if __name__ == '__main__':
    TARGET.write_text(render(), encoding='utf-8')
    print(f'wrote {TARGET}')
