"""The shape of pages/, read from the source: screens share only the session, the widgets and the shell, never each
other; no page reaches the database except through a service; no props string is built from a value."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from tortoise.models import Model

from tests.support.paths import ROOT

PAGES = ROOT / 'pages'
SHARED = ('pages.session', 'pages.widgets')
#: what the operator console's screens (pages/staff/) sit in
CONSOLE_FRAME = 'pages.staff.frame'
#: a Tortoise model's own methods; `get` and `delete` are left out: dicts and NiceGUI elements have them too
ORM_METHODS = {name for name in dir(Model) if not name.startswith('_')} - {'get', 'delete'}


def modules() -> list[Path]:
    return sorted(PAGES.rglob('*.py'))


def name(path: Path) -> str:
    return '.'.join(path.relative_to(ROOT).with_suffix('').parts).removesuffix('.__init__')


def imports(tree: ast.Module, *, typing_only: bool = False) -> set[str]:
    """The modules a file imports at run time (or, with `typing_only`, only under `if TYPE_CHECKING:`)."""
    typing_blocks = [
        node for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) == 'TYPE_CHECKING'
    ]
    for_typing = {id(child) for block in typing_blocks for child in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if (id(node) in for_typing) != typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def allowed(importer: str, imported: str) -> bool:
    """Screens and the shell may use the shared helpers and the shell; widgets only the session; the session no
    page module; the console's screens also the console's frame. `pages/__init__.py` binds every screen."""
    if importer == 'pages':
        return True
    if importer == 'pages.session':
        return False
    if importer == 'pages.widgets':
        return imported == 'pages.session'
    if importer.startswith('pages.staff.') and imported == CONSOLE_FRAME:
        return True
    return imported in SHARED or imported == 'pages.shell' or imported.startswith('pages.shell.')


def built_props(tree: ast.Module) -> list[str]:
    """The `.props(…)` calls given anything but string literals. NiceGUI parses a props string: a quote in a value
    built into it (an f-string, `+`, `.format`, a variable) starts props of its own, and `:name="…"` runs as
    JavaScript in the browser. Values go in as values: `element.props['aria-label'] = value`."""
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == 'props'
        and not all(
            isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            for arg in [*node.args, *(keyword.value for keyword in node.keywords)]
        )
    ]


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding='utf-8'), filename=str(path))


@pytest.mark.parametrize('path', modules(), ids=name)
def test_a_page_module_imports_only_the_shared_helpers_and_the_shell(path: Path):
    importer = name(path)
    wrong = sorted(
        module for module in imports(parse(path)) if module.startswith('pages.') and not allowed(importer, module)
    )
    assert not wrong, f'{importer} imports {wrong}'


@pytest.mark.parametrize('path', modules(), ids=name)
def test_a_page_module_imports_models_only_for_type_hints_and_never_tortoise(path: Path):
    tree = parse(path)
    runtime = {module.split('.')[0] for module in imports(tree)}
    assert not runtime & {'models', 'tortoise'}, f'{name(path)} imports the ORM at run time'


@pytest.mark.parametrize('path', modules(), ids=name)
def test_no_page_calls_the_orm(path: Path):
    calls = [
        node.func.attr
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ORM_METHODS
    ]
    assert not calls, f'{name(path)} calls {calls}: ask a service instead'


@pytest.mark.parametrize('path', modules(), ids=name)
def test_no_page_builds_a_props_string_from_a_value(path: Path):
    built = built_props(parse(path))
    assert not built, f'{name(path)} builds props strings: {built}; set each value as element.props[name] = value'


def test_the_checks_see_what_they_forbid():
    """The rules above, applied to a screen written the old way."""
    old = ast.parse(
        'from typing import TYPE_CHECKING\n'
        'from models.outbox import OutboxMessage\n'
        'from pages.register import password_inputs\n'
        'if TYPE_CHECKING:\n'
        '    from models.cabinet import Cabinet\n'
    )
    assert imports(old) == {'typing', 'models.outbox', 'pages.register'}
    assert imports(old, typing_only=True) == {'models.cabinet'}
    assert not allowed('pages.settings', 'pages.register')
    assert allowed('pages.settings', 'pages.shell.frame')
    assert not allowed('pages.widgets', 'pages.shell.frame')
    assert allowed('pages.staff.team', 'pages.staff.frame')
    assert not allowed('pages.staff.team', 'pages.staff.login')
    assert not allowed('pages.settings', 'pages.staff.frame')
    assert not allowed('pages.session', 'pages.widgets')
    assert 'refresh_from_db' in ORM_METHODS
    built = ast.parse(
        'button.props(f\'flat aria-label="{label}"\')\n'
        "button.props('aria-label=' + label)\n"
        'button.props(\'aria-label="{}"\'.format(label))\n'
        'button.props(text)\n'
        "button.props(remove=f'{name}')\n"
        "button.props('flat dense').props(remove='loading')\n"
        "button.props['aria-label'] = label\n"
    )
    assert len(built_props(built)) == 5
