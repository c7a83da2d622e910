"""The operator's command line: argparse and printing only. Each command calls services, which return data (a report,
a summary, a status), and prints it in the operator's language (texts.operator_language) from the catalogs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cli import backup, bills, cabinet, database, demo, imports, outbox, readings, staff
from services import config
from services.texts import in_language, operator_language, t


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: object, groups: object, prefix: str | None = None) -> None:
        # subcommands ask with prefix='' for their own prog line
        prefix = t('cli.usage') if prefix is None else prefix
        super().add_usage(usage, actions, groups, prefix=prefix)  # type: ignore[arg-type]


class _Parser(argparse.ArgumentParser):
    """argparse in the operator's language: its own headings and -h are English otherwise."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, formatter_class=_Formatter, add_help=False, **kwargs)  # type: ignore[arg-type]
        self._positionals.title = t('cli.positionals')
        self._optionals.title = t('cli.options')
        self.add_argument('-h', '--help', action='help', help=t('cli.help.help'))


def parser() -> argparse.ArgumentParser:
    root = _Parser(prog='python main.py', description=t('cli.description'))
    sub = root.add_subparsers(dest='command', title=t('cli.commands'), metavar='COMMAND', parser_class=_Parser)
    sub.add_parser('serve', help=t('cli.help.serve')).set_defaults(func=None)
    for module in (database, imports, demo, outbox, bills, readings, cabinet, staff, backup):
        module.add_parsers(sub)
    return root


def main(argv: list[str], *, serve: Callable[[], None], install_plugins: Callable[[], None]) -> int:
    with in_language(operator_language()):
        args = parser().parse_args(argv)
        try:
            config.load()
        except ValueError as error:
            # pydantic's report names the field and its input; the operator needs our sentence
            errors = error.errors() if hasattr(error, 'errors') else [{'msg': str(error)}]
            for problem in errors:
                print(t('cli.settings_error', error=problem['msg'].removeprefix('Value error, ')), file=sys.stderr)
            return 2
        database.setup_logging()
        if args.command not in (None, 'serve'):
            install_plugins()  # a command may deliver what the outbox holds (bills too)
            return args.func(args)
    # outside the operator's language: the server's pages follow each browser's choice
    serve()
    return 0
